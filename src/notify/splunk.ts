/**
 * @module notify/splunk
 * The Splunk target: batches of HEC JSON events (one `{"time","host","source","sourcetype","index","event"}` per
 * notification, newline-separated) posted to the HTTP Event Collector; delivered only on HTTP 200 with code 0.
 */
import { randomUUID } from "node:crypto";
import { hostname as osHostname } from "node:os";
import { promisify } from "node:util";
import { gzip as gzipCb } from "node:zlib";
import type { SplunkTargetConfig } from "../config/notify-schema.js";
import { HttpClient } from "../util/http-get.js";
import { terminalSafeJson } from "../util/terminal-safe.js";
import type { Notification } from "./notification.js";
import { notificationJson } from "./notification.js";
import type { Notifier, NotifierContext, SendOutcome } from "./notifier.js";
import { batchGuard, outcomeOfStatus, withinDeadline } from "./notifier.js";
import { oversize, postParts } from "./post-parts.js";

const gzip = promisify(gzipCb);

/** Events per send unless `batchSize` says otherwise: a few hundred alerts stay well under one request's cap. */
export const SPLUNK_DEFAULT_BATCH = 500;

/**
 * Most bytes of one request body, before compression. 1 MB was HEC's `max_content_length` for years (limits.conf
 * `[http_input]`) and is still what load balancers and HEC-compatible receivers commonly accept; counting the
 * uncompressed JSON keeps every request under it whether the server checks the wire or the decoded size.
 */
export const SPLUNK_MAX_REQUEST_BYTES = 1_000_000;

/** Bodies at least this large are sent gzip-compressed (HEC accepts `Content-Encoding: gzip`); small ones as is. */
export const SPLUNK_GZIP_MIN_BYTES = 32 * 1024;

/** HEC answers are small JSON objects, only quoted in errors. */
const MAX_ANSWER_BYTES = 64 * 1024;

const NEWLINE = Buffer.from("\n");

/** The collector's event endpoint for `url`: a HEC base (https://splunk:8088), or already the endpoint itself. */
export function hecEventUrl(url: string): URL {
  const u = new URL(url);
  const path = u.pathname.replace(/\/+$/, "");
  if (/\/services\/collector\/event(\/1\.0)?$/.test(path)) u.pathname = path;
  else if (/\/services\/collector$/.test(path)) u.pathname = `${path}/event`;
  else u.pathname = `${path}/services/collector/event`;
  return u;
}

/** Metadata shared by every event of a target. */
export interface HecMetadata {
  /** Omitted when empty: HEC then uses the token's default host. */
  readonly host: string;
  readonly source: string;
  readonly sourcetype: string;
  readonly index?: string;
}

/**
 * One HEC event line. `time` is when the alert change happened (epoch seconds with milliseconds), so a retried
 * event keeps its place on Splunk's timeline; `event` is the notification JSON shared with the webhooks.
 */
export function hecEvent(n: Notification, meta: HecMetadata, fallback: Date): string {
  const ms = Date.parse(n.createdAt);
  const time = (Number.isNaN(ms) ? fallback.getTime() : ms) / 1000;
  return terminalSafeJson({
    time,
    ...(meta.host !== "" ? { host: meta.host } : {}),
    source: meta.source,
    sourcetype: meta.sourcetype,
    ...(meta.index !== undefined ? { index: meta.index } : {}),
    event: notificationJson(n),
  });
}

export interface HecRequestBody {
  /** The events, newline-separated (HEC's batch format), uncompressed. */
  readonly body: Buffer;
  readonly notifications: readonly Notification[];
}

/**
 * Splits the events into request bodies of at most `maxBytes`, in order, every event in exactly one; an event that
 * alone is larger is returned instead (no request could carry it).
 */
export function packHecEvents(
  lines: readonly { readonly n: Notification; readonly json: Buffer }[],
  maxBytes: number,
): { readonly bodies: HecRequestBody[] } | { readonly tooLarge: Notification; readonly bytes: number } {
  const bodies: HecRequestBody[] = [];
  let parts: Buffer[] = [];
  let members: Notification[] = [];
  let size = 0;
  const flush = (): void => {
    if (parts.length === 0) return;
    bodies.push({ body: Buffer.concat(parts, size), notifications: members });
    parts = [];
    members = [];
    size = 0;
  };
  for (const { n, json } of lines) {
    if (json.length > maxBytes) return { tooLarge: n, bytes: json.length };
    if (parts.length > 0 && size + NEWLINE.length + json.length > maxBytes) flush();
    if (parts.length > 0) {
      parts.push(NEWLINE);
      size += NEWLINE.length;
    }
    parts.push(json);
    members.push(n);
    size += json.length;
  }
  flush();
  return { bodies };
}

/** The HEC answer `{"text": "...", "code": N}`, or null when the body is not one. */
export function parseHecAnswer(body: Buffer): { readonly text: string; readonly code: number } | null {
  let v: unknown;
  try {
    v = JSON.parse(body.toString("utf8"));
  } catch {
    return null;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  if (typeof o.code !== "number") return null;
  return { text: typeof o.text === "string" ? o.text : "", code: o.code };
}

export function createSplunkNotifier(name: string, cfg: SplunkTargetConfig, ctx: NotifierContext): Notifier {
  const token = ctx.secret(cfg.token, `notify.${name}.token`);
  const url = hecEventUrl(cfg.url);
  const client = new HttpClient({ ca: [...ctx.ca], userAgent: "certwatch" });
  const maxBatch = cfg.batchSize ?? SPLUNK_DEFAULT_BATCH;
  const what = `splunk ${name} (${url.host})`;
  // The machine running certwatch, as syslog's HOSTNAME: the monitored endpoint is in event.alert.endpoint.host.
  const meta: HecMetadata = {
    host: safeHostname(),
    source: cfg.source,
    sourcetype: cfg.sourcetype,
    ...(cfg.index !== undefined ? { index: cfg.index } : {}),
  };
  // A channel lets a token with indexer acknowledgement enabled take the events (it refuses them without one,
  // code 10); certwatch does not poll /services/collector/ack, so delivered means accepted by HEC.
  const channel = randomUUID();
  const headers = {
    authorization: `Splunk ${token}`,
    "content-type": "application/json",
    accept: "application/json",
    "x-splunk-request-channel": channel,
  };

  /** Error texts never hold the token, even if a proxy echoed the request back. */
  const scrub = (o: SendOutcome): SendOutcome =>
    o.kind === "failed" && o.error.includes(token)
      ? { ...o, error: o.error.split(token).join("<token>") }
      : o;

  const post = async (json: Buffer, label: string, endsAt: number): Promise<SendOutcome> => {
    const compress = json.length >= SPLUNK_GZIP_MIN_BYTES;
    const body = compress ? await gzip(json) : json;
    const timeoutMs = Math.floor(endsAt - performance.now());
    if (timeoutMs <= 0) {
      return { kind: "failed", error: `${what}: no time left within ${cfg.timeoutMs} ms to send ${label}` };
    }
    const res = await client.request(url, {
      method: "POST",
      body,
      headers: compress ? { ...headers, "content-encoding": "gzip" } : headers,
      timeoutMs,
      maxBytes: MAX_ANSWER_BYTES,
    });
    if (res.kind === "error") {
      // The request had what was left of the send's deadline: name the configured timeout, not the remainder.
      const why =
        res.reason === "timeout" ? `no complete answer within timeoutMs (${cfg.timeoutMs} ms)` : res.error;
      return { kind: "failed", error: `${what}: ${label}: ${why}` };
    }
    const answer = parseHecAnswer(res.body);
    if (res.status === 200 && answer?.code === 0) return { kind: "delivered" };
    const said = answer ? `code ${answer.code} ${JSON.stringify(answer.text.slice(0, 200))}` : null;
    if (res.status >= 200 && res.status < 300) {
      // Not HEC's success: a proxy's page, or a receiver that is not HEC. Retried, as a 5xx would be.
      return {
        kind: "failed",
        error: `${what}: ${label}: HTTP ${res.status} without HEC's code 0 (${said ?? "not a HEC answer"})`,
      };
    }
    // HEC's statuses say what to do (503 code 9 busy, 5xx: retry; 401/403 token, 400 format, 413 size: refused).
    const base = outcomeOfStatus(`${what}: ${label}`, res.status, res.headers, res.body, ctx.now());
    if (base.kind === "delivered" || answer === null) return base;
    const hint = hecHint(answer.code, name);
    const error = `${what}: ${label}: HEC answered HTTP ${res.status} ${said}${hint ? ` (${hint})` : ""}`;
    return { ...base, error };
  };

  const sendAll = async (batch: readonly Notification[], endsAt: number): Promise<SendOutcome> => {
    const now = ctx.now();
    const lines = batch.map((n) => ({ n, json: Buffer.from(hecEvent(n, meta, now), "utf8") }));
    const packed = packHecEvents(lines, SPLUNK_MAX_REQUEST_BYTES);
    if ("tooLarge" in packed) {
      const limit = `the ${SPLUNK_MAX_REQUEST_BYTES}-byte limit of one HEC request`;
      return oversize(what, "event", packed.tooLarge, packed.bytes, limit);
    }
    // One request after the other: a failure stops the batch (the worker retries it all; notificationId dedupes).
    return postParts(packed.bodies, "request", (part, label) => post(part.body, label, endsAt));
  };

  return {
    target: name,
    type: "splunk",
    maxBatch,
    async send(batch) {
      const refused = batchGuard(what, batch, maxBatch);
      if (refused !== null) return refused;
      // One deadline for the whole send; whatever it comes to, the token is scrubbed from the error.
      return scrub(await withinDeadline(what, cfg.timeoutMs, (endsAt) => sendAll(batch, endsAt)));
    },
    close() {
      client.destroy();
      return Promise.resolve();
    },
  };
}

/** What to check for HEC's refusals (Splunk's documented status codes). */
function hecHint(code: number, name: string): string | undefined {
  switch (code) {
    case 1:
      return "the token is disabled in Splunk";
    case 2:
      return "no token was sent";
    case 3:
      return "the Authorization header was not accepted";
    case 4:
      return `Splunk does not know this token: check notify.${name}.token`;
    case 5:
      return "the request had no events";
    case 6:
      return "Splunk could not parse the events";
    case 7:
      return `the token may not write to this index: check notify.${name}.index and the token's allowed indexes`;
    case 8:
      return "Splunk failed internally";
    case 9:
      return "HEC is busy, its queues are full";
    case 10:
    case 11:
      return "the token's indexer acknowledgement wants a channel";
    case 12:
    case 13:
      return "an event had no or a blank event field";
    default:
      return undefined;
  }
}

function safeHostname(): string {
  try {
    const h = osHostname().trim();
    return /^[\x21-\x7e]{1,255}$/.test(h) ? h : "";
  } catch {
    return "";
  }
}
