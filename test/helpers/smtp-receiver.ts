/**
 * @module test/helpers/smtp-receiver
 * A real SMTP server on loopback (smtp-server) for the e-mail notifier's tests, the end-to-end tests and benchmarks:
 * STARTTLS, implicit TLS or plain, AUTH PLAIN/LOGIN, a size cap, each message parsed, and faults on demand.
 */
import type { AddressInfo } from "node:net";
import { simpleParser } from "mailparser";
import type { ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";
import type { SMTPServerAuthentication, SMTPServerDataStream, SMTPServerSession } from "smtp-server";
import { createRootCa, issueLeaf } from "./pki.js";

export type SmtpReceiverSecurity = "starttls" | "tls" | "none";

export interface SmtpReceiverOptions {
  /** starttls: plain, STARTTLS offered (default); tls: implicit TLS from the first byte; none: no STARTTLS at all. */
  security?: SmtpReceiverSecurity;
  /** Credentials AUTH must present (PLAIN or LOGIN); absent: AUTH is not offered and mail is taken without it. */
  auth?: { username: string; password: string };
  /** Take AUTH on a connection that is not encrypted (smtp-server refuses it by default). */
  allowInsecureAuth?: boolean;
  /** What a refused login answers after `535 `: lets a test check that a server echoing the password is scrubbed. */
  authFailureText?: (username: string, password: string) => string;
  /** The certificate served (PEM leaf first, and its key); default a fresh CA's leaf for 127.0.0.1 and localhost. */
  identity?: { certPem: string; keyPem: string };
  /** Largest message accepted, bytes (default 10 MiB); more is answered 552 and not kept. */
  maxMessageBytes?: number;
}

/** Where a fault strikes: at the greeting (connect), or at the reply to MAIL FROM, RCPT TO or the end of DATA. */
export type SmtpFaultPhase = "connect" | "mail" | "rcpt" | "data";

export interface SmtpFault {
  at: SmtpFaultPhase;
  /** Reply with this SMTP code (4xx or 5xx) instead of accepting. */
  code?: number;
  /** The reply text (default "Injected fault"). */
  message?: string;
  /** Wait this long before answering (then answer with `code`, or normally). */
  delayMs?: number;
  /** Close the connection instead of answering (after `delayMs`). */
  drop?: boolean;
  /** With `at: "rcpt"`: only this recipient is refused, the others are taken (a partial delivery). */
  recipient?: string;
}

export interface ReceivedMail {
  envelope: { mailFrom: string; rcptTo: string[] };
  /** The session was encrypted (STARTTLS or implicit TLS) when the message was sent. */
  secure: boolean;
  /** e.g. TLSv1.3, or null in clear. */
  tlsProtocol: string | null;
  /** The credentials the client logged in with, or null. */
  auth: { method: string; username: string; password: string } | null;
  /** mailparser's view: subject, text, html, headers, messageId, from, to, cc, bcc… */
  parsed: ParsedMail;
  /** The message exactly as received (after dot-unstuffing). */
  raw: Buffer;
}

export interface AuthAttempt {
  method: string;
  username: string;
  password: string;
  accepted: boolean;
  secure: boolean;
}

export interface SmtpReceiver {
  host: "127.0.0.1";
  port: number;
  /** The CA that issued the served certificate (PEM): give it to the client as its trust. */
  caPem: string;
  security: SmtpReceiverSecurity;
  /** Every message accepted, in arrival order. */
  messages: ReceivedMail[];
  /** Every AUTH attempt, accepted or not. */
  authAttempts: AuthAttempt[];
  /** MAIL FROM commands seen (accepted or not): 0 means no transaction ever started. */
  transactions: number;
  /** Connections accepted so far. */
  connections: number;
  /**
   * Faults for the next `count` connections (`at: "connect"`) or mail transactions (other phases), in order.
   * A transaction fault applies to every RCPT of that transaction.
   */
  fault(f: SmtpFault, count?: number): void;
  /** Resolves once at least `k` messages have arrived; rejects after `timeoutMs`. */
  waitFor(k: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

async function defaultIdentity(): Promise<{ certPem: string; keyPem: string; caPem: string }> {
  const ca = await createRootCa({ subject: "CN=certwatch SMTP test CA" });
  const leaf = await issueLeaf(ca, { dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });
  return { certPem: leaf.certPem, keyPem: leaf.keyPem, caPem: ca.certPem };
}

export async function startSmtpReceiver(opts: SmtpReceiverOptions = {}): Promise<SmtpReceiver> {
  const security = opts.security ?? "starttls";
  const maxBytes = opts.maxMessageBytes ?? DEFAULT_MAX_BYTES;
  const generated = opts.identity ? undefined : await defaultIdentity();
  const identity = opts.identity ?? generated;
  if (!identity) throw new Error("unreachable: an identity is given or generated");
  const messages: ReceivedMail[] = [];
  const authAttempts: AuthAttempt[] = [];
  const queue: SmtpFault[] = [];
  const sessionFaults = new Map<string, SmtpFault>();
  const sessionAuth = new Map<string, { method: string; username: string; password: string }>();
  const timers = new Set<NodeJS.Timeout>();
  const waiters = new Set<() => void>();
  let closing = false;

  const takeFault = (connect: boolean): SmtpFault | undefined => {
    const i = queue.findIndex((f) => (f.at === "connect") === connect);
    return i < 0 ? undefined : queue.splice(i, 1)[0];
  };

  /**
   * Destroys the session's topmost socket (the TLS one once encrypted): tearing a TLS socket down from below, by
   * its raw socket, crashes Node 20 in the middle of a handshake.
   */
  const dropSession = (session: SMTPServerSession): void => {
    for (const c of server.connections) if (c.session.id === session.id && !c._upgrading) c._socket.destroy();
  };

  /** Runs `proceed` unless the fault for this phase says otherwise (after its delay). */
  const withFault = (
    fault: SmtpFault | undefined,
    phase: SmtpFaultPhase,
    session: SMTPServerSession,
    callback: (err?: Error | null) => void,
    proceed: () => void,
  ): void => {
    if (!fault || fault.at !== phase) return proceed();
    const act = (): void => {
      if (closing) return;
      if (fault.drop) return dropSession(session);
      if (fault.code !== undefined) return callback(smtpError(fault.code, fault.message ?? "Injected fault"));
      proceed();
    };
    if (fault.delayMs === undefined) return act();
    const timer = setTimeout(() => {
      timers.delete(timer);
      act();
    }, fault.delayMs);
    timers.add(timer);
  };

  const authMethods = ["PLAIN", "LOGIN"];
  const disabled = [...(opts.auth ? [] : ["AUTH"]), ...(security === "none" ? ["STARTTLS"] : [])];

  const server = new SMTPServer({
    secure: security === "tls",
    key: identity.keyPem,
    cert: identity.certPem,
    name: "smtp.certwatch.test",
    logger: false,
    disableReverseLookup: true,
    disabledCommands: disabled,
    authMethods,
    authOptional: !opts.auth,
    allowInsecureAuth: opts.allowInsecureAuth ?? false,
    size: maxBytes,
    socketTimeout: 30_000,
    closeTimeout: 50,
    onConnect(session, callback) {
      receiver.connections++;
      withFault(takeFault(true), "connect", session, callback, () => callback());
    },
    onAuth(auth: SMTPServerAuthentication, session, callback) {
      const username = auth.username ?? "";
      const password = auth.password ?? "";
      const ok = !!opts.auth && username === opts.auth.username && password === opts.auth.password;
      authAttempts.push({ method: auth.method, username, password, accepted: ok, secure: session.secure });
      if (!ok) {
        const text = opts.authFailureText?.(username, password) ?? "Authentication credentials invalid";
        return callback(smtpError(535, text));
      }
      sessionAuth.set(session.id, { method: auth.method, username, password });
      callback(null, { user: username });
    },
    onMailFrom(_address, session, callback) {
      receiver.transactions++;
      const fault = takeFault(false);
      if (fault) sessionFaults.set(session.id, fault);
      else sessionFaults.delete(session.id);
      withFault(fault, "mail", session, callback, () => callback());
    },
    onRcptTo(address, session, callback) {
      const fault = sessionFaults.get(session.id);
      const applies = fault?.recipient === undefined || fault.recipient === address.address;
      withFault(applies ? fault : undefined, "rcpt", session, callback, () => callback());
    },
    onData(stream: SMTPServerDataStream, session, callback) {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on("data", (c: Buffer) => {
        size += c.length;
        if (size <= maxBytes) chunks.push(c);
      });
      stream.on("end", () => {
        const fault = sessionFaults.get(session.id);
        sessionFaults.delete(session.id);
        withFault(fault, "data", session, callback, () => {
          if (stream.sizeExceeded || size > maxBytes) {
            return callback(smtpError(552, `Message exceeds the fixed maximum size of ${maxBytes} bytes`));
          }
          const raw = Buffer.concat(chunks);
          const envelope = {
            mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            rcptTo: session.envelope.rcptTo.map((r) => r.address),
          };
          const tlsProtocol = session.tlsOptions ? (session.tlsOptions.version ?? null) : null;
          const auth = sessionAuth.get(session.id) ?? null;
          simpleParser(raw).then(
            (parsed) => {
              messages.push({ envelope, secure: session.secure, tlsProtocol, auth, parsed, raw });
              for (const w of [...waiters]) w();
              callback();
            },
            () => callback(smtpError(554, "Message could not be parsed")),
          );
        });
      });
    },
    onClose(session) {
      sessionFaults.delete(session.id);
      sessionAuth.delete(session.id);
    },
  });
  server.on("error", () => undefined);

  const port = await new Promise<number>((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.server.off("error", reject);
      resolve((server.server.address() as AddressInfo).port);
    });
  });

  const receiver: SmtpReceiver = {
    host: "127.0.0.1",
    port,
    caPem: generated?.caPem ?? "",
    security,
    messages,
    authAttempts,
    transactions: 0,
    connections: 0,
    fault(f, count = 1) {
      for (let i = 0; i < count; i++) queue.push({ ...f });
    },
    waitFor(k, timeoutMs = 5000) {
      if (messages.length >= k) return Promise.resolve(messages);
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (messages.length < k) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(messages);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`SMTP receiver: ${messages.length} of ${k} messages after ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    close() {
      closing = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      // smtp-server ends pending handshakes itself (from the top) and, after closeTimeout, every session.
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return receiver;
}
