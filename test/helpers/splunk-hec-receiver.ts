/**
 * @module test/helpers/splunk-hec-receiver
 * A real local Splunk HTTP Event Collector (HTTP or HTTPS on loopback): `Authorization: Splunk <token>`, the JSON
 * event protocol parsed strictly, gzip bodies, max content length, HEC's answers and codes; faults on demand.
 */
import type * as http from "node:http";
import type { IncomingHttpHeaders } from "node:http";
import { gunzipSync } from "node:zlib";
import {
  FaultQueue,
  faultAnswer,
  httpReceiverKit,
  readBody,
  receiverControls,
  sendAnswer,
} from "./http-receiver-kit.js";
import type { Answer as HttpAnswer } from "./http-receiver-kit.js";

/** What the receiver does to one request instead of (or before) its normal answer. */
export type HecFault =
  /**
   * Answer this status (with these headers, e.g. Retry-After, and body) without looking at the request; with
   * `accept`, the events are parsed and kept first (Splunk indexed them but the client hears a failure).
   */
  | {
      readonly status: number;
      readonly headers?: Readonly<Record<string, string>>;
      readonly body?: string;
      readonly accept?: boolean;
    }
  /** Wait this long, then answer normally; with `accept` the events are kept before waiting, else only if the
   * client is still there afterwards. */
  | { readonly delayMs: number; readonly accept?: boolean }
  /** Read the request, then destroy the connection without answering. */
  | { readonly drop: true };

export interface HecReceiverOptions {
  /** Tokens accepted (default none: every token is refused with 403 code 4). */
  readonly token?: string | readonly string[];
  /** Serve HTTPS with a certificate for 127.0.0.1 and localhost issued at start by a test root (`ca`). */
  readonly tls?: boolean;
  /** Largest request body, on the wire and once gunzipped (default 1,000,000): larger is answered 413. */
  readonly maxContentLength?: number;
  /** The token's allowed indexes: an event naming another is refused (400 code 7). Default any. */
  readonly indexes?: readonly string[];
  /** Keep only counts and ids, not events and bodies (for benchmarks with many events). Default false. */
  readonly countOnly?: boolean;
}

/** One event as HEC took it: its metadata, the `event` value, and its JSON text as it came. */
export interface HecEvent {
  readonly time?: number | string;
  readonly host?: string;
  readonly source?: string;
  readonly sourcetype?: string;
  readonly index?: string;
  readonly fields?: unknown;
  readonly event: unknown;
  /** The event's JSON text exactly as sent (what byte-for-byte tests compare). */
  readonly raw: string;
  /** `event.notificationId` when there is one: the dedupe id. */
  readonly id: string | null;
  /** The index in `requests` of the request that carried it. */
  readonly request: number;
}

export interface HecRequest {
  readonly method: string;
  /** Path and query as requested. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The body as received (gzip when it came compressed); empty with `countOnly`. */
  readonly body: Buffer;
  /** The body once decoded; empty with `countOnly`. */
  readonly decoded: Buffer;
  /** The status answered; 0 when the connection was dropped or the client left first. */
  readonly status: number;
  /** The JSON answered, e.g. `{"text":"Success","code":0}`. */
  readonly answer: string;
  /** Events taken from this request (0 when refused). */
  readonly events: number;
  readonly fault?: HecFault;
}

export interface HecReceiver {
  /** The HEC base URL to configure, e.g. https://127.0.0.1:41234. */
  readonly url: string;
  /** The event endpoint itself: `${url}/services/collector/event`. */
  readonly eventUrl: string;
  readonly port: number;
  /** PEM of the test root that issued the HTTPS certificate (null over HTTP): pass it as ctx.ca. */
  readonly ca: string | null;
  /** Every request, in arrival order, accepted or not (empty with `countOnly`). */
  readonly requests: readonly HecRequest[];
  /** How many requests arrived (also with `countOnly`). */
  readonly requestCount: number;
  /** Every event taken, duplicates included, in arrival order (empty with `countOnly`). */
  readonly events: readonly HecEvent[];
  /** Events taken, the first of each notificationId only (empty with `countOnly`). */
  readonly received: readonly HecEvent[];
  /** Distinct events taken (`received.length`, also with `countOnly`). */
  readonly receivedCount: number;
  /** Events taken whose notificationId had been taken before (at-least-once delivery shows up here). */
  readonly duplicates: number;
  /** Apply `fault` to the next `count` requests (after faults already queued). */
  fail(count: number, fault: HecFault): void;
  /** Resolves once `count` distinct events were taken; rejects after `timeoutMs` (default 5 s). */
  waitFor(count: number, timeoutMs?: number): Promise<readonly HecEvent[]>;
  close(): Promise<void>;
}

export const HEC_DEFAULT_MAX_CONTENT_LENGTH = 1_000_000;

const EVENT_PATHS = new Set([
  "/services/collector",
  "/services/collector/event",
  "/services/collector/event/1.0",
]);
const HEALTH_PATHS = new Set(["/services/collector/health", "/services/collector/health/1.0"]);

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

const hec = (status: number, text: string, code: number, extra: Record<string, unknown> = {}): Answer => ({
  status,
  body: JSON.stringify({ text, code, ...extra }),
});

const SUCCESS = hec(200, "Success", 0);

type Parsed =
  | { readonly ok: true; readonly events: Omit<HecEvent, "request">[] }
  | { readonly ok: false; readonly answer: Answer };

/**
 * The event texts of a body whose events are not one per line: JSON objects one after the other, separated by
 * whitespace or nothing (HEC accepts both). `bad` is the number of the first event that is not an object.
 */
function scanEvents(text: string): string[] | { bad: number } {
  const out: string[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && /\s/.test(text[i] as string)) i++;
    if (i >= n) break;
    if (text[i] !== "{") return { bad: out.length };
    let depth = 0;
    let inString = false;
    let j = i;
    for (; j < n; j++) {
      const c = text.charCodeAt(j);
      if (inString) {
        if (c === 0x5c) j++;
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        depth--;
        if (depth === 0) break;
      }
    }
    if (j >= n) return { bad: out.length };
    out.push(text.slice(i, j + 1));
    i = j + 1;
  }
  return out;
}

/** Each event's text and value: one JSON.parse per event on the usual one-event-per-line layout. */
function splitEvents(text: string): { raws: string[]; values: unknown[] } | { bad: number } {
  // Fast path: certwatch (and most clients) put one event per line; JSON.stringify output has no raw newline.
  const raws = text.split("\n").filter((l) => l.trim() !== "");
  const values: unknown[] = [];
  try {
    for (const l of raws) values.push(JSON.parse(l));
    return { raws, values };
  } catch {
    // Pretty-printed or concatenated events (or a bad one): find each top-level object, then parse it.
  }
  const scanned = scanEvents(text);
  if (!Array.isArray(scanned)) return scanned;
  values.length = 0;
  for (const [i, raw] of scanned.entries()) {
    try {
      values.push(JSON.parse(raw));
    } catch {
      return { bad: i };
    }
  }
  return { raws: scanned, values };
}

/** Parses a decoded body as HEC does: every event a JSON object with a non-blank `event` and valid metadata. */
export function parseHecBody(text: string, indexes?: readonly string[]): Parsed {
  if (text.trim() === "") return { ok: false, answer: hec(400, "No data", 5) };
  const split = splitEvents(text);
  if ("bad" in split) {
    return { ok: false, answer: hec(400, "Invalid data format", 6, { "invalid-event-number": split.bad }) };
  }
  const events: Omit<HecEvent, "request">[] = [];
  for (const [i, v] of split.values.entries()) {
    const raw = split.raws[i] as string;
    const invalid = (text: string, code: number): Parsed => ({
      ok: false,
      answer: hec(400, text, code, { "invalid-event-number": i }),
    });
    if (typeof v !== "object" || v === null || Array.isArray(v)) return invalid("Invalid data format", 6);
    const o = v as Record<string, unknown>;
    if (!("event" in o)) return invalid("Event field is required", 12);
    const ev = o.event;
    if (ev === null || ev === "" || (typeof ev === "string" && ev.trim() === "")) {
      return invalid("Event field cannot be blank", 13);
    }
    for (const k of ["host", "source", "sourcetype", "index"] as const) {
      if (o[k] !== undefined && typeof o[k] !== "string") return invalid("Invalid data format", 6);
    }
    const t = o.time;
    if (t !== undefined && !(typeof t === "number" || (typeof t === "string" && /^\d+(\.\d+)?$/.test(t)))) {
      return invalid("Invalid data format", 6);
    }
    const index = o.index as string | undefined;
    if (indexes !== undefined && index !== undefined && !indexes.includes(index)) {
      return invalid("Incorrect index", 7);
    }
    const id =
      typeof ev === "object" && typeof (ev as Record<string, unknown>).notificationId === "string"
        ? ((ev as Record<string, unknown>).notificationId as string)
        : null;
    events.push({ ...(o as Omit<HecEvent, "raw" | "id" | "request">), event: ev, raw, id });
  }
  return { ok: true, events };
}

export async function startSplunkHecReceiver(opts: HecReceiverOptions = {}): Promise<HecReceiver> {
  const tokens = new Set(
    opts.token === undefined ? [] : typeof opts.token === "string" ? [opts.token] : opts.token,
  );
  const maxLength = opts.maxContentLength ?? HEC_DEFAULT_MAX_CONTENT_LENGTH;
  const countOnly = opts.countOnly === true;

  const requests: HecRequest[] = [];
  const events: HecEvent[] = [];
  const received: HecEvent[] = [];
  const seen = new Set<string>();
  let requestCount = 0;
  let receivedCount = 0;
  let duplicates = 0;
  const faults = new FaultQueue<HecFault>();
  const kit = httpReceiverKit();

  const tooLarge = (length: number): Answer =>
    hec(413, `Content-Length of ${length} too large (maximum is ${maxLength})`, 413);

  /** Authorization as HEC checks it: 401 code 2 without, 401 code 3 malformed, 403 code 4 unknown. */
  const authorize = (headers: IncomingHttpHeaders): Answer | null => {
    const auth = headers.authorization;
    if (auth === undefined || auth.trim() === "") return hec(401, "Token is required", 2);
    const m = /^Splunk ([^\s]+)$/.exec(auth.trim());
    if (m === null) return hec(401, "Invalid authorization", 3);
    return tokens.has(m[1] as string) ? null : hec(403, "Invalid token", 4);
  };

  /** The decoded body, or the answer refusing it. */
  const decode = (headers: IncomingHttpHeaders, body: Buffer): Buffer | Answer => {
    const enc = (headers["content-encoding"] ?? "identity").trim().toLowerCase();
    if (enc === "identity" || enc === "") return body;
    if (enc !== "gzip") return hec(415, `Unsupported content encoding ${enc}`, 6);
    try {
      return gunzipSync(body, { maxOutputLength: maxLength });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ERR_BUFFER_TOO_LARGE" || e instanceof RangeError) return tooLarge(maxLength + 1);
      return hec(400, "Invalid data format", 6);
    }
  };

  /** HEC's normal answer to a request, and the events it takes. */
  const judge = (
    req: http.IncomingMessage,
    body: Buffer,
  ): { answer: Answer; decoded: Buffer; taken: Omit<HecEvent, "request">[] } => {
    const none = { decoded: Buffer.alloc(0), taken: [] };
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (HEALTH_PATHS.has(path)) return { answer: hec(200, "HEC is healthy", 17), ...none };
    if (!EVENT_PATHS.has(path)) {
      return {
        answer: {
          status: 404,
          body: JSON.stringify({ text: "The requested URL was not found on this server.", code: 404 }),
        },
        ...none,
      };
    }
    if (req.method !== "POST") return { answer: hec(405, "Method not allowed", 404), ...none };
    const refused = authorize(req.headers);
    if (refused !== null) return { answer: refused, ...none };
    const decoded = decode(req.headers, body);
    if (!Buffer.isBuffer(decoded)) return { answer: decoded, ...none };
    const parsed = parseHecBody(decoded.toString("utf8"), opts.indexes);
    if (!parsed.ok) return { answer: parsed.answer, decoded, taken: [] };
    return { answer: SUCCESS, decoded, taken: parsed.events };
  };

  const take = (taken: readonly Omit<HecEvent, "request">[], request: number): void => {
    for (const e of taken) {
      const dup = e.id !== null && seen.has(e.id);
      if (dup) duplicates++;
      else {
        if (e.id !== null) seen.add(e.id);
        receivedCount++;
      }
      if (countOnly) continue;
      const entry: HecEvent = { ...e, request };
      events.push(entry);
      if (!dup) received.push(entry);
    }
    if (taken.length > 0) kit.wake();
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> => {
    const gone = kit.gone(res);
    const fault = faults.take();
    const index = requestCount++;
    const record = (r: Pick<HecRequest, "status" | "answer" | "events" | "decoded">): void => {
      if (countOnly) return;
      requests[index] = {
        method: req.method ?? "",
        path: req.url ?? "/",
        headers: req.headers,
        body,
        ...r,
        ...(fault !== undefined ? { fault } : {}),
      };
    };
    // Keeps the arrival order in `requests` even when a delayed request finishes after a later one (its slot is
    // empty until it is answered).
    if (!countOnly) requests.length = Math.max(requests.length, index + 1);

    if (fault !== undefined && "drop" in fault) {
      record({ status: 0, answer: "", events: 0, decoded: Buffer.alloc(0) });
      req.socket.destroy();
      return;
    }
    if (fault !== undefined && "status" in fault) {
      let taken = 0;
      let decoded: Buffer = Buffer.alloc(0);
      if (fault.accept === true) {
        const j = judge(req, body);
        decoded = j.decoded;
        taken = j.taken.length;
        take(j.taken, index);
      }
      record({ status: fault.status, answer: fault.body ?? "", events: taken, decoded });
      send(res, faultAnswer(fault));
      return;
    }
    let judged = null;
    if (fault !== undefined && "delayMs" in fault) {
      if (fault.accept === true) {
        judged = judge(req, body);
        take(judged.taken, index);
      }
      await kit.sleep(fault.delayMs, gone);
    }
    const early = judged !== null;
    const { answer, decoded, taken } = judged ?? judge(req, body);
    if (kit.clientLeft(req, res)) {
      record({ status: 0, answer: "", events: early ? taken.length : 0, decoded });
      return;
    }
    if (!early) take(taken, index);
    record({ status: answer.status, answer: answer.body, events: taken.length, decoded });
    send(res, answer);
  };

  /** A request answered before its body was read (413): counted and kept like the others, without a body. */
  const refuse = (req: http.IncomingMessage, res: http.ServerResponse, answer: Answer): void => {
    const index = requestCount++;
    if (!countOnly) {
      const empty = Buffer.alloc(0);
      requests[index] = {
        method: req.method ?? "",
        path: req.url ?? "/",
        headers: req.headers,
        body: empty,
        decoded: empty,
        status: answer.status,
        answer: answer.body,
        events: 0,
      };
    }
    send(res, answer);
  };

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const declared = Number(req.headers["content-length"] ?? NaN);
    if (Number.isSafeInteger(declared) && declared > maxLength) {
      // Refused before reading, as HEC does; the connection closes so the unread body does not linger.
      res.setHeader("connection", "close");
      refuse(req, res, tooLarge(declared));
      req.resume();
      return;
    }
    readBody(
      req,
      res,
      maxLength,
      (size) => refuse(req, res, tooLarge(size)),
      (body) => void handle(req, res, body),
    );
  };

  const {
    port,
    ca,
    origin: url,
  } = await kit.listen(
    { tls: opts.tls, rootSubject: "CN=certwatch splunk test root", keepAliveTimeoutMs: 30_000 },
    onRequest,
  );

  return {
    url,
    eventUrl: `${url}/services/collector/event`,
    port,
    ca,
    requests,
    get requestCount() {
      return requestCount;
    },
    events,
    received,
    get receivedCount() {
      return receivedCount;
    },
    get duplicates() {
      return duplicates;
    },
    ...receiverControls(
      kit,
      faults,
      () => receivedCount,
      () => received,
      "HEC events",
    ),
  };
}

/** Sends an answer, JSON unless it says otherwise (as HEC answers). */
function send(res: http.ServerResponse, a: HttpAnswer): void {
  sendAnswer(res, a, { "content-type": "application/json; charset=UTF-8" });
}
