/**
 * @module test/helpers/syslog-receiver
 * A real syslog receiver on loopback (TCP and TLS with RFC 6587 octet counting, UDP one message a datagram) that
 * parses RFC 5424 and CEF with its own strict parsers, so that it checks the notifier rather than echoing it.
 */
import * as dgram from "node:dgram";
import * as net from "node:net";
import * as tls from "node:tls";
import { createRootCa, issueLeaf } from "./pki.js";

export type SyslogTransport = "tcp" | "tls" | "udp";

/** What the receiver does to the next connections (TCP/TLS) or datagrams (UDP). */
export type ReceiverFault =
  /** Accept, then abort the connection with a TCP RST before reading anything (UDP: drop the datagram). */
  | { readonly kind: "reset" }
  /** Do not read from the connection for `ms` (a slow or stuck receiver); UDP: handle the datagram late. */
  | { readonly kind: "delay"; readonly ms: number }
  /** UDP: drop the datagram silently, as a lossy network would (TCP/TLS: same as reset). */
  | { readonly kind: "drop" };

export interface SyslogReceiverOptions {
  readonly transport: SyslogTransport;
  /** Largest accepted SYSLOG-MSG (octet count or datagram); default 256 KiB. A larger frame closes the connection. */
  readonly maxFrameBytes?: number;
  /** TLS identity to serve (PEM); default a test CA and a leaf for 127.0.0.1 made at start. */
  readonly tls?: { readonly certPem: string; readonly keyPem: string; readonly caPem: string };
}

/** A CEF:0 record, header fields and extension unescaped. */
export interface ParsedCef {
  readonly version: string;
  readonly vendor: string;
  readonly product: string;
  readonly deviceVersion: string;
  readonly signatureId: string;
  readonly name: string;
  readonly severity: string;
  /** Extension key → value, in arrival order. */
  readonly extension: Record<string, string>;
}

export interface ParsedSyslog {
  readonly pri: number;
  readonly facility: number;
  readonly severity: number;
  readonly version: number;
  readonly timestamp: string;
  readonly hostname: string;
  readonly appName: string;
  readonly procId: string;
  readonly msgId: string;
  /** SD-ID → param name → value (unescaped); empty for the NILVALUE. */
  readonly structuredData: Record<string, Record<string, string>>;
  /** The MSG started with the UTF-8 BOM (MSG-UTF8). */
  readonly bom: boolean;
  readonly msg: string;
}

export interface ReceivedSyslog extends ParsedSyslog {
  /** The SYSLOG-MSG bytes as received (without the octet count). */
  readonly raw: Buffer;
  /** Which connection (TCP/TLS, counted from 1) or datagram (UDP) brought it. */
  readonly connection: number;
  /** The MSG parsed as CEF when it starts with "CEF:". */
  readonly cef?: ParsedCef;
  /** The MSG parsed as JSON when it starts with "{" and parses. */
  readonly json?: unknown;
}

export interface SyslogReceiver {
  readonly transport: SyslogTransport;
  readonly host: "127.0.0.1";
  readonly port: number;
  /** e.g. tls://127.0.0.1:41234 */
  readonly url: string;
  /** TLS: the CA that issued the receiver's certificate (give it to the notifier as ctx.ca). */
  readonly caPem?: string;
  /** Every well-formed message, in arrival order. */
  readonly messages: ReceivedSyslog[];
  /** Every framing or parse error (a test of a correct sender expects none). */
  readonly errors: string[];
  /** Connections accepted (TCP/TLS) or datagrams received (UDP). */
  readonly connections: () => number;
  /** Apply `fault` to the next `n` connections (or datagrams). */
  failNext(n: number, fault: ReceiverFault): void;
  /** Stop listening (connections are refused) and drop open connections; `up()` listens on the same port again. */
  down(): Promise<void>;
  up(): Promise<void>;
  /** Resolves when at least `k` messages have arrived; rejects after `timeoutMs`. */
  waitFor(k: number, timeoutMs?: number): Promise<ReceivedSyslog[]>;
  close(): Promise<void>;
}

const DEFAULT_MAX_FRAME = 256 * 1024;
const MAX_CONNECTIONS = 64;
const MAX_MESSAGES = 100_000;
const utf8 = new TextDecoder("utf-8", { fatal: true });

// ---------------------------------------------------------------------------------------------------------
// RFC 6587 octet counting

/** Splits a stream into octet-counted frames; throws on bad framing (the caller closes the connection). */
export class OctetCountingDecoder {
  private buffered: Buffer = Buffer.alloc(0);
  constructor(private readonly maxFrameBytes: number) {}

  /** The complete frames in `chunk` (and what was left before it). */
  push(chunk: Buffer): Buffer[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const frames: Buffer[] = [];
    for (;;) {
      const sp = this.buffered.indexOf(0x20);
      const digits = String(this.maxFrameBytes).length;
      if (sp === -1) {
        if (this.buffered.length > digits) throw new Error("octet counting: no SP after MSG-LEN");
        if (this.buffered.length > 0 && !/^[1-9][0-9]*$/.test(this.buffered.toString("latin1"))) {
          throw new Error(
            `octet counting: MSG-LEN is not a number: ${JSON.stringify(this.buffered.toString("latin1"))}`,
          );
        }
        return frames;
      }
      const lenText = this.buffered.subarray(0, sp).toString("latin1");
      if (!/^[1-9][0-9]*$/.test(lenText) || lenText.length > digits) {
        throw new Error(`octet counting: bad MSG-LEN ${JSON.stringify(lenText.slice(0, 20))}`);
      }
      const len = Number(lenText);
      if (len > this.maxFrameBytes) throw new Error(`octet counting: frame of ${len} bytes over the limit`);
      if (this.buffered.length < sp + 1 + len) return frames;
      frames.push(Buffer.from(this.buffered.subarray(sp + 1, sp + 1 + len)));
      this.buffered = this.buffered.subarray(sp + 1 + len);
    }
  }

  /** At the end of the stream: nothing may be left over. */
  end(): void {
    if (this.buffered.length > 0) throw new Error(`octet counting: stream ended inside a frame`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// RFC 5424

const PRINTUSASCII = /^[!-~]+$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;

function headerField(raw: Buffer, at: number, max: number, what: string): [string, number] {
  const sp = raw.indexOf(0x20, at);
  if (sp === -1) throw new Error(`rfc5424: no SP after ${what}`);
  const v = raw.subarray(at, sp).toString("latin1");
  if (v.length < 1 || v.length > max || !PRINTUSASCII.test(v))
    throw new Error(`rfc5424: bad ${what} ${v.slice(0, 40)}`);
  return [v, sp + 1];
}

function isSdName(s: string): boolean {
  return s.length >= 1 && s.length <= 32 && PRINTUSASCII.test(s) && !/[= \]"]/.test(s);
}

/** Parses one SYSLOG-MSG strictly: every rule of RFC 5424 §6 a sender must follow is checked. */
export function parseRfc5424(raw: Buffer): ParsedSyslog {
  const priEnd = raw.indexOf(0x3e);
  const priText = raw.subarray(0, priEnd + 1).toString("latin1");
  const pm = /^<(0|[1-9][0-9]{0,2})>$/.exec(priText);
  if (!pm?.[1] || Number(pm[1]) > 191) throw new Error(`rfc5424: bad PRI ${priText.slice(0, 8)}`);
  const pri = Number(pm[1]);
  let at = priEnd + 1;
  const field = (max: number, what: string): string => {
    const [v, next] = headerField(raw, at, max, what);
    at = next;
    return v;
  };
  const version = field(3, "VERSION");
  if (!/^[1-9][0-9]{0,2}$/.test(version)) throw new Error(`rfc5424: bad VERSION ${version}`);
  const timestamp = field(64, "TIMESTAMP");
  if (timestamp !== "-" && !TIMESTAMP.test(timestamp)) throw new Error(`rfc5424: bad TIMESTAMP ${timestamp}`);
  const hostname = field(255, "HOSTNAME");
  const appName = field(48, "APP-NAME");
  const procId = field(128, "PROCID");
  const msgId = field(32, "MSGID");

  const structuredData: Record<string, Record<string, string>> = {};
  if (raw[at] === 0x2d) {
    at++;
  } else {
    if (raw[at] !== 0x5b) throw new Error("rfc5424: STRUCTURED-DATA is neither - nor [");
    while (raw[at] === 0x5b) {
      at++;
      const idEnd = raw.findIndex((b, i) => i >= at && (b === 0x20 || b === 0x5d));
      if (idEnd === -1) throw new Error("rfc5424: unterminated SD-ELEMENT");
      const id = raw.subarray(at, idEnd).toString("latin1");
      if (!isSdName(id)) throw new Error(`rfc5424: bad SD-ID ${id}`);
      if (structuredData[id]) throw new Error(`rfc5424: SD-ID ${id} twice`);
      const params: Record<string, string> = {};
      structuredData[id] = params;
      at = idEnd;
      while (raw[at] === 0x20) {
        at++;
        const eq = raw.indexOf(0x3d, at);
        if (eq === -1) throw new Error("rfc5424: SD-PARAM without =");
        const name = raw.subarray(at, eq).toString("latin1");
        if (!isSdName(name)) throw new Error(`rfc5424: bad PARAM-NAME ${name}`);
        if (raw[eq + 1] !== 0x22) throw new Error(`rfc5424: PARAM-VALUE of ${name} not quoted`);
        at = eq + 2;
        const bytes: number[] = [];
        for (;;) {
          const b = raw[at];
          if (b === undefined) throw new Error(`rfc5424: unterminated PARAM-VALUE of ${name}`);
          if (b === 0x22) break;
          if (b === 0x5d) throw new Error(`rfc5424: unescaped ] in PARAM-VALUE of ${name}`);
          if (b === 0x5c) {
            const next = raw[at + 1];
            if (next !== 0x22 && next !== 0x5c && next !== 0x5d) {
              throw new Error(`rfc5424: unescaped \\ in PARAM-VALUE of ${name}`);
            }
            bytes.push(next);
            at += 2;
            continue;
          }
          bytes.push(b);
          at++;
        }
        at++;
        if (Object.hasOwn(params, name)) throw new Error(`rfc5424: PARAM-NAME ${name} twice`);
        params[name] = utf8.decode(Uint8Array.from(bytes));
      }
      if (raw[at] !== 0x5d) throw new Error(`rfc5424: SD-ELEMENT ${id} not closed by ]`);
      at++;
    }
  }
  let bom = false;
  let msg = "";
  if (at < raw.length) {
    if (raw[at] !== 0x20) throw new Error("rfc5424: no SP before MSG");
    let body = raw.subarray(at + 1);
    if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) {
      bom = true;
      body = body.subarray(3);
      msg = utf8.decode(body);
    } else {
      msg = body.toString("utf8");
    }
  }
  return {
    pri,
    facility: Math.floor(pri / 8),
    severity: pri % 8,
    version: Number(version),
    timestamp,
    hostname,
    appName,
    procId,
    msgId,
    structuredData,
    bom,
    msg,
  };
}

// ---------------------------------------------------------------------------------------------------------
// CEF

function unescapeHeader(s: string): string {
  if (/[\r\n]/.test(s)) throw new Error("cef: line break in a header field");
  return s.replace(/\\(.?)/gs, (_, c: string) => {
    if (c === "\\" || c === "|") return c;
    throw new Error(`cef: bad escape \\${c} in a header field`);
  });
}

function unescapeValue(s: string, key: string): string {
  if (/[\r\n]/.test(s)) throw new Error(`cef: raw line break in the value of ${key}`);
  return s.replace(/\\(.?)/gs, (_, c: string) => {
    if (c === "\\" || c === "=") return c;
    if (c === "n") return "\n";
    if (c === "r") return "\r";
    throw new Error(`cef: bad escape \\${c} in the value of ${key}`);
  });
}

/** Parses a CEF:0 record strictly: 7 header fields split on unescaped `|`, then `key=value` pairs. */
export function parseCef(text: string): ParsedCef {
  if (!text.startsWith("CEF:")) throw new Error("cef: no CEF: prefix");
  const fields: string[] = [];
  let i = 4;
  let start = 4;
  while (fields.length < 7) {
    const c = text[i];
    if (c === undefined) throw new Error(`cef: only ${fields.length} header fields`);
    if (c === "\\") i += 2;
    else if (c === "|") {
      fields.push(unescapeHeader(text.slice(start, i)));
      start = ++i;
    } else i++;
  }
  const ext = text.slice(start);
  const eqs: number[] = [];
  for (let j = 0; j < ext.length; j++) {
    if (ext[j] === "\\") j++;
    else if (ext[j] === "=") eqs.push(j);
  }
  const extension: Record<string, string> = {};
  const KEY = /^[A-Za-z][A-Za-z0-9_]*$/;
  let key: string | undefined;
  let from = 0;
  for (const eq of eqs) {
    const segment = ext.slice(from, eq);
    let nextKey: string;
    if (key === undefined) {
      nextKey = segment;
    } else {
      const sp = segment.lastIndexOf(" ");
      if (sp === -1) throw new Error(`cef: unescaped = in the value of ${key}`);
      if (Object.hasOwn(extension, key)) throw new Error(`cef: key ${key} twice`);
      extension[key] = unescapeValue(segment.slice(0, sp), key);
      nextKey = segment.slice(sp + 1);
    }
    if (!KEY.test(nextKey)) throw new Error(`cef: bad extension key ${JSON.stringify(nextKey.slice(0, 40))}`);
    key = nextKey;
    from = eq + 1;
  }
  if (key !== undefined) {
    if (Object.hasOwn(extension, key)) throw new Error(`cef: key ${key} twice`);
    extension[key] = unescapeValue(ext.slice(from), key);
  } else if (ext.trim() !== "") {
    throw new Error("cef: extension without key=value");
  }
  const [version, vendor, product, deviceVersion, signatureId, name, severity] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return { version, vendor, product, deviceVersion, signatureId, name, severity, extension };
}

// ---------------------------------------------------------------------------------------------------------
// The listener

async function defaultIdentity(): Promise<{ certPem: string; keyPem: string; caPem: string }> {
  const ca = await createRootCa({ subject: "CN=certwatch test syslog CA" });
  const leaf = await issueLeaf(ca, { dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });
  return { certPem: leaf.certPem, keyPem: leaf.keyPem, caPem: ca.certPem };
}

export async function startSyslogReceiver(opts: SyslogReceiverOptions): Promise<SyslogReceiver> {
  const maxFrame = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME;
  const messages: ReceivedSyslog[] = [];
  const errors: string[] = [];
  const faults: ReceiverFault[] = [];
  const sockets = new Set<net.Socket>();
  let count = 0;

  function accept(raw: Buffer, connection: number): void {
    try {
      const parsed = parseRfc5424(raw);
      let cef: ParsedCef | undefined;
      let json: unknown;
      if (parsed.msg.startsWith("CEF:")) cef = parseCef(parsed.msg);
      else if (parsed.msg.startsWith("{")) {
        try {
          json = JSON.parse(parsed.msg);
        } catch {
          json = undefined; // a truncated JSON MSG is still a message; tests look at `msg`
        }
      }
      if (messages.length < MAX_MESSAGES) {
        messages.push({
          ...parsed,
          raw,
          connection,
          ...(cef ? { cef } : {}),
          ...(json !== undefined ? { json } : {}),
        });
      }
    } catch (e) {
      errors.push(`message ${messages.length + errors.length + 1}: ${(e as Error).message}`);
    }
  }

  let secureContext: tls.SecureContext | undefined;

  function onConnection(plain: net.Socket): void {
    const connection = ++count;
    sockets.add(plain);
    plain.on("close", () => sockets.delete(plain));
    plain.on("error", () => undefined);
    const fault = faults.shift();
    if (fault && fault.kind !== "delay") {
      plain.resetAndDestroy();
      return;
    }
    const socket: net.Socket = secureContext
      ? new tls.TLSSocket(plain, { isServer: true, secureContext, requestCert: false })
      : plain;
    socket.on("error", () => undefined);
    const decoder = new OctetCountingDecoder(maxFrame);
    socket.on("data", (chunk: Buffer) => {
      try {
        for (const f of decoder.push(chunk)) accept(f, connection);
      } catch (e) {
        errors.push(`connection ${connection}: ${(e as Error).message}`);
        socket.destroy();
      }
    });
    socket.on("end", () => {
      try {
        decoder.end();
      } catch (e) {
        errors.push(`connection ${connection}: ${(e as Error).message}`);
      }
    });
    if (fault?.kind === "delay") {
      socket.pause();
      setTimeout(() => socket.resume(), fault.ms).unref();
    }
  }

  let tlsIdentity: { certPem: string; keyPem: string; caPem: string } | undefined;
  let server: net.Server | undefined;
  let udp: dgram.Socket | undefined;
  if (opts.transport === "tls") {
    tlsIdentity = opts.tls ?? (await defaultIdentity());
    // TLS is layered by hand over each accepted TCP socket so that a fault can still reset the TCP connection.
    secureContext = tls.createSecureContext({
      cert: tlsIdentity.certPem,
      key: tlsIdentity.keyPem,
      minVersion: "TLSv1.2",
    });
  }
  if (opts.transport !== "udp") {
    server = net.createServer(onConnection);
    server.maxConnections = MAX_CONNECTIONS;
  }

  function onDatagram(msg: Buffer): void {
    const connection = ++count;
    const fault = faults.shift();
    if (fault && fault.kind !== "delay") return;
    if (msg.length > maxFrame) {
      errors.push(`datagram ${connection}: ${msg.length} bytes over the limit`);
      return;
    }
    if (fault?.kind === "delay") setTimeout(() => accept(msg, connection), fault.ms).unref();
    else accept(msg, connection);
  }

  let port = 0;
  async function listen(): Promise<void> {
    if (server) {
      const srv = server;
      await new Promise<void>((resolve, reject) => {
        srv.once("error", reject);
        srv.listen(port, "127.0.0.1", () => {
          srv.off("error", reject);
          resolve();
        });
      });
      port = (srv.address() as net.AddressInfo).port;
    } else {
      const u = dgram.createSocket("udp4");
      u.on("message", onDatagram);
      u.on("error", () => undefined);
      await new Promise<void>((resolve, reject) => {
        u.once("error", reject);
        u.bind(port, "127.0.0.1", () => {
          u.off("error", reject);
          resolve();
        });
      });
      udp = u;
      port = u.address().port;
    }
  }

  async function stop(): Promise<void> {
    if (server) {
      const srv = server;
      const closed = new Promise<void>((resolve) => srv.close(() => resolve()));
      for (const s of sockets) s.destroy();
      if (srv.listening) await closed;
    } else if (udp) {
      const u = udp;
      udp = undefined;
      await new Promise<void>((resolve) => u.close(() => resolve()));
    }
  }

  await listen();
  return {
    transport: opts.transport,
    host: "127.0.0.1",
    port,
    url: `${opts.transport}://127.0.0.1:${port}`,
    ...(tlsIdentity ? { caPem: tlsIdentity.caPem } : {}),
    messages,
    errors,
    connections: () => count,
    failNext(n, fault) {
      for (let i = 0; i < n; i++) faults.push(fault);
    },
    down: stop,
    up: listen,
    async waitFor(k, timeoutMs = 5000) {
      const until = Date.now() + timeoutMs;
      while (messages.length < k) {
        if (Date.now() > until) {
          throw new Error(
            `syslog receiver: ${messages.length} of ${k} messages after ${timeoutMs} ms (${errors.join("; ")})`,
          );
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      return messages;
    },
    close: stop,
  };
}
