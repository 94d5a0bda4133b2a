/**
 * @module notify/notifier
 * The one interface every delivery target implements (e-mail, Sentinel, Splunk, syslog, webhook): turn a batch of
 * notifications into its wire format and send it. Notifiers never read the store and never retry by themselves:
 * the delivery worker (notify/deliver.ts) owns retries, back-off and the outbox.
 */
import type { SecretRef } from "../config/notify-schema.js";
import type { Notification } from "./notification.js";

/** The result of one send: every notification of the batch delivered, or none (the worker retries them all). */
export type SendOutcome =
  | { readonly kind: "delivered" }
  | {
      readonly kind: "failed";
      /** One line for the log and `certwatch notify test`, never containing a secret. */
      readonly error: string;
      /** The receiver asked to wait (429 or 503 with Retry-After): at least this long before the next try. */
      readonly retryAfterMs?: number;
      /**
       * The receiver refused the request itself (400, 401, 403, 404, 413…): retrying soon will not help. The
       * worker still keeps the rows (nothing is dropped) but backs off to its longest delay.
       */
      readonly permanent?: boolean;
    };

export interface Notifier {
  /** The target's name in the configuration (`notify.<name>`). */
  readonly target: string;
  /** email | sentinel | splunk | syslog | webhook */
  readonly type: string;
  /** Most notifications per send (1 when the wire format carries one; the worker never sends more). */
  readonly maxBatch: number;
  /**
   * Most sends in flight at once (default 1). The worker runs that many, each with its own rows, so the notifier's
   * `send` must be safe to call concurrently.
   */
  readonly concurrency?: number;
  /** Never throws and never rejects: a failure is a `failed` outcome. Bounded in time by the notifier's timeout. */
  send(batch: readonly Notification[]): Promise<SendOutcome>;
  /** Release connections and sockets. */
  close(): Promise<void>;
}

/** Minimal logging the notifiers may use; fields must never hold a secret. */
export interface NotifyLogger {
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** Read a Retry-After header (delta-seconds or an HTTP date) as milliseconds from `now`. */
export function retryAfterMs(value: string | string[] | undefined, now: Date): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  const t = v.trim();
  if (/^\d{1,9}$/.test(t)) return Number(t) * 1000;
  const at = Date.parse(t);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}

/**
 * The outcome of an HTTP answer, the same way for every HTTP notifier: 2xx delivered; 408, 429 and 5xx retried
 * (with Retry-After when sent); other statuses refused (`permanent`). `body` is quoted (cut to 200 characters)
 * because receivers explain refusals there.
 */
export function outcomeOfStatus(
  what: string,
  status: number,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  body: Uint8Array,
  now: Date = new Date(),
): SendOutcome {
  if (status >= 200 && status < 300) return { kind: "delivered" };
  const text = Buffer.from(body.subarray(0, 400)).toString("utf8").replace(/\s+/g, " ").trim().slice(0, 200);
  const error = `${what} answered HTTP ${status}${text ? `: ${text}` : ""}`;
  const wait = status === 429 || status === 503 ? retryAfterMs(headers["retry-after"], now) : undefined;
  const retryable = status === 408 || status === 429 || status >= 500;
  return {
    kind: "failed",
    error,
    ...(wait !== undefined ? { retryAfterMs: wait } : {}),
    ...(retryable ? {} : { permanent: true }),
  };
}

/**
 * The checks a batching notifier makes before sending: an empty batch is delivered (nothing to send), one over
 * `maxBatch` fails (the worker never sends more). null when the batch may be sent.
 */
export function batchGuard(what: string, batch: readonly unknown[], maxBatch: number): SendOutcome | null {
  if (batch.length === 0) return { kind: "delivered" };
  if (batch.length > maxBatch) {
    return {
      kind: "failed",
      error: `${what}: at most ${maxBatch} notifications per send (got ${batch.length})`,
    };
  }
  return null;
}

/**
 * Runs one send under one deadline, `timeoutMs` from now (each request gets what is left of it). A throw is a
 * bug (rendering is pure and HttpClient never rejects): it is reported as a failed outcome rather than thrown.
 */
export async function withinDeadline(
  what: string,
  timeoutMs: number,
  send: (endsAt: number) => Promise<SendOutcome>,
): Promise<SendOutcome> {
  const endsAt = performance.now() + timeoutMs;
  try {
    return await send(endsAt);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return { kind: "failed", error: `${what}: ${msg}` };
  }
}

/** What a notifier factory is given besides its own configuration. */
export interface NotifierContext {
  /**
   * Trusted roots for TLS to the target (PEM). createNotifier gives each target its own: the certificates of its
   * `tls.caFile` when set, else these (Node's bundled roots). Scanning's `trust.extraRoots` never applies.
   */
  readonly ca: readonly string[];
  /** Where relative `tls.caFile` paths start (the configuration file's directory; default the working directory). */
  readonly configDir?: string;
  /** Reads a secret reference; `field` names it in errors (`notify.<target>.<key>`). Throws SecretError. */
  readonly secret: (ref: SecretRef, field: string) => string;
  /** `publicUrl` of the configuration: links to the dashboard (`<publicUrl>/alerts/<id>`). */
  readonly publicUrl?: string;
  readonly log: NotifyLogger;
  /** The clock (tests pass a fixed one). */
  readonly now: () => Date;
}
