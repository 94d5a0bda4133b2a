/**
 * @module test/helpers/webhook-receiver
 * A real local webhook receiver (HTTP or HTTPS on loopback): verifies Standard Webhooks signatures as the spec says,
 * or acts as a Slack incoming webhook or a Teams Workflows trigger; dedupes by webhook-id; injects faults on demand.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type * as http from "node:http";
import type { IncomingHttpHeaders } from "node:http";
import {
  applyFault,
  FaultQueue,
  firstHeader as one,
  httpReceiverKit,
  readBody,
  receiverControls,
  sendAnswer as send,
} from "./http-receiver-kit.js";
import type { Answer, HttpFault } from "./http-receiver-kit.js";

export type WebhookReceiverMode = "standard" | "slack" | "teams";

/** What the receiver does to one request instead of (or before) its normal answer. */
export type WebhookFault = HttpFault;

export interface WebhookReceiverOptions {
  /** standard (default): verify Standard Webhooks signatures; slack: answer "ok"; teams: answer 202. */
  readonly mode?: WebhookReceiverMode;
  /** Standard Webhooks secrets accepted (`whsec_<base64>`, prefix optional); several for a rotation. */
  readonly secret?: string | readonly string[];
  /** Serve HTTPS with a certificate for 127.0.0.1 issued at start by a test root (`ca`). */
  readonly tls?: boolean;
  /** Largest accepted difference between webhook-timestamp and the receiver's clock (default 300 s, the spec's). */
  readonly toleranceSeconds?: number;
  /** The receiver's clock (default the real one). */
  readonly now?: () => Date;
  /** Largest request body (default 1 MiB): a larger one is answered 413 and the connection closed. */
  readonly maxBodyBytes?: number;
  /** The only path served (default "/hook"); others get 404 (Slack's "no_service"). */
  readonly path?: string;
}

export interface ReceivedWebhook {
  readonly method: string;
  /** Path and query as requested. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The raw body bytes (what the signature covers). */
  readonly body: Buffer;
  readonly text: string;
  /** The body as JSON, or undefined when it is not JSON. */
  readonly parsed: unknown;
  /** standard: a signature matched within the tolerance; slack/teams: the payload has the expected shape. */
  readonly verified: boolean;
  /** The dedupe key: webhook-id, or the SHA-256 of the body when there is none (Slack, Teams). */
  readonly id: string;
  /** The status answered; 0 when the connection was dropped or the client left first. */
  readonly status: number;
  /** Why the request was refused (signature, timestamp, shape…), when it was. */
  readonly problem?: string;
  /** The fault applied to this request, if any. */
  readonly fault?: WebhookFault;
  /** Accepted although its id had been accepted before. */
  readonly duplicate: boolean;
}

export interface WebhookReceiver {
  /** The URL to configure, e.g. https://127.0.0.1:41234/hook. */
  readonly url: string;
  readonly port: number;
  /** PEM of the test root that issued the HTTPS certificate (null over HTTP): pass it as ctx.ca. */
  readonly ca: string | null;
  /** Every request, in arrival order, accepted or not. */
  readonly requests: readonly ReceivedWebhook[];
  /** Accepted deliveries (2xx answered to a client still there), the first of each id only. */
  readonly received: readonly ReceivedWebhook[];
  /** Accepted deliveries whose id had already been accepted (at-least-once delivery shows up here). */
  readonly duplicates: number;
  /** Requests being handled now (read, and not yet answered or abandoned by the client). */
  readonly inFlight: number;
  /** The most requests that were in flight at once. */
  readonly maxInFlight: number;
  /** Apply `fault` to the next `count` requests (after faults already queued). */
  fail(count: number, fault: WebhookFault): void;
  /** Resolves once `count` distinct deliveries were accepted; rejects after `timeoutMs` (default 5 s). */
  waitFor(count: number, timeoutMs?: number): Promise<readonly ReceivedWebhook[]>;
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY = 1024 * 1024;
/** Teams refuses messages over about 28 KB. */
const TEAMS_MAX_BYTES = 28 * 1024;

type Verdict =
  { readonly ok: true } | { readonly ok: false; readonly status: number; readonly problem: string };

/** The HMAC key of a `whsec_` secret (the prefix optional), as receivers decode it. */
export function standardKey(secret: string): Buffer {
  return Buffer.from(secret.replace(/^whsec_/, ""), "base64");
}

/**
 * Verifies a Standard Webhooks request exactly as the spec describes: the three headers, an integer timestamp
 * within `toleranceSeconds` of now, and one `v1,<base64>` signature of `id.timestamp.body` (space-separated list;
 * other versions ignored) equal, in constant time, to the HMAC-SHA256 under one of the keys.
 */
export function verifyStandardWebhook(
  headers: IncomingHttpHeaders,
  body: Uint8Array,
  secrets: readonly string[],
  now: Date,
  toleranceSeconds = 300,
): Verdict {
  const id = one(headers["webhook-id"]);
  const ts = one(headers["webhook-timestamp"]);
  const sig = one(headers["webhook-signature"]);
  if (id === undefined || ts === undefined || sig === undefined) {
    return { ok: false, status: 400, problem: "missing webhook-id, webhook-timestamp or webhook-signature" };
  }
  if (!/^\d{1,12}$/.test(ts))
    return { ok: false, status: 400, problem: "webhook-timestamp is not an integer" };
  const skew = Math.abs(now.getTime() / 1000 - Number(ts));
  if (skew > toleranceSeconds) {
    return { ok: false, status: 401, problem: `webhook-timestamp is ${Math.round(skew)} s off` };
  }
  const given = sig
    .split(" ")
    .filter((s) => s.startsWith("v1,"))
    .map((s) => Buffer.from(s.slice(3), "base64"));
  if (given.length === 0) return { ok: false, status: 401, problem: "no v1 signature" };
  for (const secret of secrets) {
    const expected = createHmac("sha256", standardKey(secret))
      .update(`${id}.${ts}.`, "utf8")
      .update(body)
      .digest();
    // The lengths are public (32 bytes); the comparison of the bytes is constant-time.
    if (given.some((g) => g.length === expected.length && timingSafeEqual(g, expected))) return { ok: true };
  }
  return { ok: false, status: 401, problem: "no signature matches" };
}

const SLACK_BLOCK_TYPES = new Set([
  "section",
  "header",
  "context",
  "divider",
  "actions",
  "image",
  "rich_text",
]);

/** What Slack would refuse in an incoming-webhook body (Block Kit limits), or null when it is fine. */
export function slackPayloadProblem(p: unknown): string | null {
  if (!isObject(p)) return "invalid_payload";
  const blocks = p.blocks;
  if ((typeof p.text !== "string" || p.text === "") && !Array.isArray(blocks)) return "no_text";
  if (typeof p.text === "string" && p.text.length > 40_000) return "msg_too_long";
  if (blocks === undefined) return null;
  if (!Array.isArray(blocks) || blocks.length > 50) return "invalid_blocks";
  for (const b of blocks as unknown[]) {
    if (!isObject(b) || typeof b.type !== "string" || !SLACK_BLOCK_TYPES.has(b.type)) return "invalid_blocks";
    if (b.type === "header" && !textObject(b.text, 150, "plain_text")) return "invalid_blocks";
    if (b.type === "section") {
      if (b.text !== undefined && !textObject(b.text, 3000)) return "invalid_blocks";
      if (b.fields !== undefined) {
        if (!Array.isArray(b.fields) || b.fields.length > 10) return "invalid_blocks";
        if (!(b.fields as unknown[]).every((f) => textObject(f, 2000))) return "invalid_blocks";
      }
      if (b.text === undefined && b.fields === undefined) return "invalid_blocks";
    }
    if (b.type === "context") {
      const els = b.elements;
      if (!Array.isArray(els) || els.length === 0 || els.length > 10) return "invalid_blocks";
      if (!(els as unknown[]).every((e) => textObject(e, 3000))) return "invalid_blocks";
    }
  }
  return null;
}

function textObject(t: unknown, max: number, type?: "plain_text" | "mrkdwn"): boolean {
  if (!isObject(t) || typeof t.text !== "string" || t.text.length === 0 || t.text.length > max) return false;
  return type === undefined ? t.type === "plain_text" || t.type === "mrkdwn" : t.type === type;
}

/** What the Workflows trigger and Teams would refuse in a card message, or null when it is fine. */
export function teamsPayloadProblem(p: unknown, bytes: number): string | null {
  if (bytes > TEAMS_MAX_BYTES) return `message of ${bytes} bytes is over the ${TEAMS_MAX_BYTES}-byte limit`;
  if (!isObject(p)) return "the body is not a JSON object";
  if (p.type !== "message") return 'type is not "message"';
  const atts = p.attachments;
  if (!Array.isArray(atts) || atts.length === 0) return "no attachments";
  for (const a of atts as unknown[]) {
    if (!isObject(a) || a.contentType !== "application/vnd.microsoft.card.adaptive") {
      return "an attachment is not an adaptive card";
    }
    const c = a.content;
    if (!isObject(c) || c.type !== "AdaptiveCard") return "content.type is not AdaptiveCard";
    if (typeof c.version !== "string" || !/^1\.[0-6]$/.test(c.version))
      return "content.version is not 1.0-1.6";
    if (c.$schema !== "http://adaptivecards.io/schemas/adaptive-card.json")
      return "content.$schema is missing";
    if (!Array.isArray(c.body) || c.body.length === 0) return "content.body is empty";
    for (const el of c.body as unknown[]) {
      const problem = cardElementProblem(el);
      if (problem !== null) return problem;
    }
    if (c.actions !== undefined) {
      if (!Array.isArray(c.actions)) return "content.actions is not an array";
      for (const act of c.actions as unknown[]) {
        if (!isObject(act) || act.type !== "Action.OpenUrl" || typeof act.url !== "string") {
          return "an action is not an Action.OpenUrl with a url";
        }
        if (!/^https?:\/\//.test(act.url)) return "an Action.OpenUrl url is not http(s)";
      }
    }
  }
  return null;
}

function cardElementProblem(el: unknown): string | null {
  if (!isObject(el) || typeof el.type !== "string") return "a body element has no type";
  if (el.type === "TextBlock") return typeof el.text === "string" ? null : "a TextBlock has no text";
  if (el.type === "RichTextBlock") {
    if (!Array.isArray(el.inlines) || el.inlines.length === 0) return "a RichTextBlock has no inlines";
    const ok = (el.inlines as unknown[]).every(
      (r) => typeof r === "string" || (isObject(r) && r.type === "TextRun" && typeof r.text === "string"),
    );
    return ok ? null : "a RichTextBlock inline is not a TextRun";
  }
  return null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export async function startWebhookReceiver(opts: WebhookReceiverOptions = {}): Promise<WebhookReceiver> {
  const mode = opts.mode ?? "standard";
  const secrets =
    opts.secret === undefined ? [] : typeof opts.secret === "string" ? [opts.secret] : opts.secret;
  const tolerance = opts.toleranceSeconds ?? 300;
  const now = opts.now ?? (() => new Date());
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const path = opts.path ?? "/hook";

  const requests: ReceivedWebhook[] = [];
  const received: ReceivedWebhook[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const faults = new FaultQueue<WebhookFault>();
  const kit = httpReceiverKit();

  /** The normal answer of this receiver's mode, and whether the request counts as verified. */
  const judge = (
    req: http.IncomingMessage,
    body: Buffer,
    parsed: unknown,
  ): { answer: Answer; verified: boolean; problem?: string } => {
    const reqPath = (req.url ?? "/").split("?")[0];
    if (reqPath !== path) {
      return {
        answer: { status: 404, body: mode === "slack" ? "no_service" : "" },
        verified: false,
        problem: "path",
      };
    }
    if (req.method !== "POST") return { answer: { status: 405 }, verified: false, problem: "method" };
    const json =
      (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() === "application/json";
    if (mode === "standard") {
      if (secrets.length > 0) {
        const v = verifyStandardWebhook(req.headers, body, secrets, now(), tolerance);
        if (!v.ok)
          return { answer: { status: v.status, body: v.problem }, verified: false, problem: v.problem };
      }
      if (!json || parsed === undefined) {
        return { answer: { status: 400, body: "not JSON" }, verified: false, problem: "not JSON" };
      }
      return { answer: { status: 200 }, verified: secrets.length > 0 };
    }
    if (mode === "slack") {
      const problem = !json || parsed === undefined ? "invalid_payload" : slackPayloadProblem(parsed);
      if (problem !== null) return { answer: { status: 400, body: problem }, verified: false, problem };
      return {
        answer: { status: 200, headers: { "content-type": "text/html" }, body: "ok" },
        verified: true,
      };
    }
    const problem = !json || parsed === undefined ? "not JSON" : teamsPayloadProblem(parsed, body.length);
    if (problem !== null) {
      const err = JSON.stringify({ error: { code: "InvalidRequestContent", message: problem } });
      return {
        answer: { status: 400, headers: { "content-type": "application/json" }, body: err },
        verified: false,
        problem,
      };
    }
    return { answer: { status: 202 }, verified: true };
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> => {
    const gone = kit.gone(res);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.once("close", () => inFlight--);
    const fault = faults.take();
    const text = body.toString("utf8");
    const parsed = parseJson(text);
    const id = one(req.headers["webhook-id"]) ?? createHash("sha256").update(body).digest("hex");
    const base = {
      method: req.method ?? "",
      path: req.url ?? "/",
      headers: req.headers,
      body,
      text,
      parsed,
      id,
      ...(fault !== undefined ? { fault } : {}),
    };
    const record = (r: Omit<ReceivedWebhook, keyof typeof base>): ReceivedWebhook => {
      const entry: ReceivedWebhook = { ...base, ...r };
      requests.push(entry);
      return entry;
    };

    const faulted = (status: number, problem: string): void => {
      record({ verified: false, status, problem, duplicate: false });
    };
    if (await applyFault(kit, fault, req, res, gone, faulted)) return;

    const { answer, verified, problem } = judge(req, body, parsed);
    if (kit.clientLeft(req, res)) {
      record({ verified, status: 0, problem: "the client left before the answer", duplicate: false });
      return;
    }
    const accepted = answer.status >= 200 && answer.status < 300;
    const duplicate = accepted && seen.has(id);
    const entry = record({ verified, status: answer.status, ...(problem ? { problem } : {}), duplicate });
    if (accepted) {
      if (duplicate) duplicates++;
      else {
        seen.add(id);
        received.push(entry);
      }
    }
    send(res, answer);
    kit.wake();
  };

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void =>
    readBody(
      req,
      res,
      maxBody,
      () => send(res, { status: 413, body: "too large" }),
      (body) => void handle(req, res, body),
    );

  const { port, ca, origin } = await kit.listen(
    { tls: opts.tls, rootSubject: "CN=certwatch webhook test root" },
    onRequest,
  );

  return {
    url: `${origin}${path}`,
    port,
    ca,
    requests,
    received,
    get duplicates() {
      return duplicates;
    },
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    ...receiverControls(
      kit,
      faults,
      () => received.length,
      () => received,
      "webhooks",
    ),
  };
}
