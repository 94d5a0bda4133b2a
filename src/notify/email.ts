/**
 * @module notify/email
 * The e-mail target: one SMTP message per alert change (`each`) or one digest per batch, sent with nodemailer
 * over STARTTLS (required), implicit TLS or, for a local relay only, plain SMTP.
 */
import { createTransport } from "nodemailer";
import type { EmailTargetConfig } from "../config/notify-schema.js";
import type { Notification } from "./notification.js";
import type { Notifier, NotifierContext, SendOutcome } from "./notifier.js";
import { renderAlertMail, renderDigestMail } from "./email-render.js";

/** Digest mode sends at most this many alerts in one message unless `batchSize` says otherwise. */
export const DEFAULT_DIGEST_BATCH = 100;

/** What nodemailer errors carry (its types give them as an interface; we only read these). */
interface SmtpError {
  readonly code?: unknown;
  readonly responseCode?: unknown;
  readonly response?: unknown;
  readonly command?: unknown;
  readonly message?: unknown;
}

/** The commands we name in an error: never the rest of a command line (AUTH PLAIN carries the credentials). */
const COMMANDS =
  /^(EHLO|HELO|LHLO|STARTTLS|AUTH(?: [A-Z0-9-]{1,20})?|MAIL FROM|RCPT TO|DATA|CONN|RSET|QUIT)\b/i;

/** Every form in which the password could travel (as is, base64, and the SASL PLAIN token). */
function secretForms(username: string | undefined, password: string | undefined): string[] {
  if (password === undefined || password === "") return [];
  const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
  const forms = [password, b64(password)];
  if (username !== undefined)
    forms.push(b64(`\u0000${username}\u0000${password}`), b64(`${username}\u0000${password}`));
  return forms.sort((x, y) => y.length - x.length);
}

function scrub(text: string, forms: readonly string[]): string {
  let t = text;
  for (const f of forms) t = t.split(f).join("***");
  return t;
}

function oneLineCut(s: string, max: number): string {
  const t = s
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return t.length <= max ? t : `${t.slice(0, max - 1)}…`;
}

/**
 * The outcome of a failed SMTP send. A 4xx reply or a broken/timed-out connection is retried; a 5xx reply is a
 * refusal that retrying will not change (bad credentials, unknown mailbox, policy), except 503 (bad sequence of
 * commands: a session problem, not a verdict on the message), as nodemailer and RFC 5321 see it.
 */
export function smtpFailure(where: string, e: unknown, forms: readonly string[]): SendOutcome {
  const err = (typeof e === "object" && e !== null ? e : {}) as SmtpError;
  const code = typeof err.code === "string" ? err.code : undefined;
  const reply = typeof err.responseCode === "number" ? err.responseCode : undefined;
  const command =
    typeof err.command === "string" ? COMMANDS.exec(err.command)?.[1]?.toUpperCase() : undefined;
  let text: string;
  if (reply !== undefined) {
    const response = typeof err.response === "string" ? err.response : String(reply);
    text = `${where} answered ${command ? `${command} with ` : ""}${oneLineCut(response, 200)}`;
  } else {
    const message = typeof err.message === "string" ? err.message : String(e);
    text = `${where}: ${code ? `${code} ` : ""}${oneLineCut(message, 200)}`;
  }
  const permanent =
    reply !== undefined
      ? reply >= 500 && reply < 600 && reply !== 503
      : code === "EENVELOPE" || code === "ECONFIG" || code === "ENOAUTH";
  return { kind: "failed", error: scrub(text, forms), ...(permanent ? { permanent: true } : {}) };
}

export function createEmailNotifier(name: string, cfg: EmailTargetConfig, ctx: NotifierContext): Notifier {
  const password = cfg.password ? ctx.secret(cfg.password, `notify.${name}.password`) : undefined;
  const forms = secretForms(cfg.username, password);
  const implicitTls = cfg.security === "tls";
  const port = cfg.port ?? (implicitTls ? 465 : 587);
  const where = `SMTP server ${cfg.host}:${port}`;
  const t = cfg.timeoutMs;
  const transport = createTransport({
    host: cfg.host,
    port,
    secure: implicitTls,
    // starttls must upgrade or fail: never fall back to sending the message (or the password) in clear.
    requireTLS: cfg.security === "starttls",
    // none is for a local relay: plain SMTP even when STARTTLS is offered (its certificate is rarely valid).
    ignoreTLS: cfg.security === "none",
    tls: { ca: [...ctx.ca], rejectUnauthorized: true, minVersion: "TLSv1.2" },
    auth:
      cfg.username !== undefined && password !== undefined
        ? { user: cfg.username, pass: password }
        : undefined,
    connectionTimeout: t,
    greetingTimeout: t,
    socketTimeout: t,
    dnsTimeout: t,
    logger: false,
    debug: false,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const maxBatch = cfg.mode === "digest" ? (cfg.batchSize ?? DEFAULT_DIGEST_BATCH) : 1;
  const inFlight = new Set<AbortController>();
  let closed = false;
  const renderOpts = {
    subjectPrefix: cfg.subjectPrefix,
    ...(ctx.publicUrl !== undefined ? { publicUrl: ctx.publicUrl } : {}),
  };

  async function sendOnce(batch: readonly Notification[], signal: AbortSignal): Promise<SendOutcome> {
    const [first] = batch;
    // A digest of one alert reads best as that alert's own message (same subject, same Message-ID).
    const mail =
      batch.length === 1 && first ? renderAlertMail(first, renderOpts) : renderDigestMail(batch, renderOpts);
    const info = await transport.sendMail({
      from: cfg.from,
      to: [...cfg.to],
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      messageId: mail.messageId,
      date: ctx.now(),
      headers: { ...mail.headers, "Auto-Submitted": "auto-generated" },
      signal,
    });
    if (info.rejected.length > 0) {
      // The server took the message for the other recipients: sending it again would duplicate it for them.
      ctx.log.warn("e-mail: some recipients were refused", {
        target: name,
        rejected: info.rejected.map(String),
      });
    }
    return { kind: "delivered" };
  }

  return {
    target: name,
    type: "email",
    maxBatch,
    async send(batch: readonly Notification[]): Promise<SendOutcome> {
      if (closed) return { kind: "failed", error: `${where}: the notifier is closed` };
      if (batch.length === 0) return { kind: "delivered" };
      if (batch.length > maxBatch) {
        return {
          kind: "failed",
          error: `${batch.length} notifications given, at most ${maxBatch} per message`,
        };
      }
      const ac = new AbortController();
      inFlight.add(ac);
      let timer: NodeJS.Timeout | undefined;
      // The abort stops nodemailer's connection; the race bounds the send even if something ignored the abort.
      const deadline = new Promise<SendOutcome>((resolve) => {
        timer = setTimeout(() => {
          ac.abort();
          resolve({ kind: "failed", error: `${where}: no answer within ${t} ms` });
        }, t);
      });
      try {
        const sent = sendOnce(batch, ac.signal).catch((e: unknown): SendOutcome => {
          if (ac.signal.aborted) {
            return {
              kind: "failed",
              error: closed ? `${where}: the notifier is closed` : `${where}: no answer within ${t} ms`,
            };
          }
          return smtpFailure(where, e, forms);
        });
        return await Promise.race([sent, deadline]);
      } catch (e) {
        return smtpFailure(where, e, forms);
      } finally {
        clearTimeout(timer);
        inFlight.delete(ac);
      }
    },
    close(): Promise<void> {
      closed = true;
      for (const ac of inFlight) ac.abort();
      inFlight.clear();
      transport.close();
      return Promise.resolve();
    },
  };
}
