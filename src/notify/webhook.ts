/**
 * @module notify/webhook
 * The webhook target: one JSON POST per notification, as a signed Standard Webhook or as a Slack or Microsoft
 * Teams (Workflows) message. The URL may be a secret (Slack and Teams URLs are their credential): it is never shown.
 */
import type { SecretRef, WebhookTargetConfig } from "../config/notify-schema.js";
import { HttpClient } from "../util/http-get.js";
import { terminalSafeJson } from "../util/terminal-safe.js";
import type { Notification } from "./notification.js";
import type { Notifier, NotifierContext, SendOutcome } from "./notifier.js";
import { outcomeOfStatus } from "./notifier.js";
import { SecretError } from "./secrets.js";
import { slackPayload } from "./webhook-slack.js";
import { signingKey, standardHeaders, standardPayload } from "./webhook-standard.js";
import { teamsPayload } from "./webhook-teams.js";

/** Answers are only quoted in errors: 64 KiB is plenty. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** Headers the request sets itself (cfg.headers may not replace them). */
const RESERVED_HEADERS = new Set([
  "content-type",
  "content-length",
  "host",
  "transfer-encoding",
  "connection",
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
]);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// eslint-disable-next-line no-control-regex -- a header value must not hold control characters (CR/LF injection)
const BAD_HEADER_VALUE = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** What an error may show of a URL: scheme://host/… (the path and query of Slack/Teams URLs are the secret). */
export function shownUrl(u: URL): string {
  return `${u.protocol}//${u.host}/…`;
}

/** One request: the body and the headers of its preset; `at` is the attempt's time (Standard Webhooks signs it). */
type Render = (n: Notification, at: Date) => { body: Buffer; headers: Record<string, string> };

const JSON_TYPE = { "content-type": "application/json" };

export function createWebhookNotifier(
  name: string,
  cfg: WebhookTargetConfig,
  ctx: NotifierContext,
): Notifier {
  const field = `notify.${name}`;
  const url = targetUrl(cfg, ctx, field);
  const shown = shownUrl(url);
  const extra = extraHeaders(cfg.headers ?? {}, `${field}.headers`, ctx);
  const render = renderer(cfg, ctx, field);
  if (cfg.preset !== "standard" && cfg.secret !== undefined) {
    ctx.log.warn(
      `${field}.secret is only used with preset: standard (Slack and Teams URLs carry their own key)`,
    );
  }
  // One connection per send in flight (the worker runs `concurrency` sends at once).
  const client = new HttpClient({ ca: [...ctx.ca], userAgent: "certwatch", maxSockets: cfg.concurrency });
  const what = `webhook ${name} (${shown})`;
  // HttpClient's own error texts quote the whole URL: cut it (and any trace of its path) back to `shown`.
  const secretParts = [url.href, `${url.pathname}${url.search}`].filter((p) => p.length > 1);
  const redact = (text: string): string => secretParts.reduce((t, p) => t.split(p).join(shown), text);

  const sendOne = async (n: Notification): Promise<SendOutcome> => {
    const { body, headers } = render(n, ctx.now());
    const res = await client.request(url, {
      method: "POST",
      body,
      headers: { ...extra, ...headers },
      timeoutMs: cfg.timeoutMs,
      maxBytes: MAX_ANSWER_BYTES,
    });
    if (res.kind === "error") return { kind: "failed", error: redact(`${what}: ${res.error}`) };
    const outcome = outcomeOfStatus(what, res.status, res.headers, res.body, ctx.now());
    return outcome.kind === "failed" ? { ...outcome, error: redact(outcome.error) } : outcome;
  };

  return {
    target: name,
    type: "webhook",
    maxBatch: 1,
    concurrency: cfg.concurrency,
    async send(batch) {
      if (batch.length === 0) return { kind: "delivered" };
      const [n] = batch;
      if (n === undefined || batch.length > 1) {
        return { kind: "failed", error: `${what}: sends one notification per request (got ${batch.length})` };
      }
      try {
        return await sendOne(n);
      } catch (e) {
        // Rendering is pure and HttpClient never rejects: this is a bug, reported rather than thrown.
        const msg = e instanceof Error ? e.message : String(e);
        return { kind: "failed", error: redact(`${what}: ${msg}`) };
      }
    },
    close() {
      client.destroy();
      return Promise.resolve();
    },
  };
}

/** The URL, read from its secret when given as one; only http(s) URLs (the schema checks the literal ones). */
function targetUrl(cfg: WebhookTargetConfig, ctx: NotifierContext, field: string): URL {
  const raw = typeof cfg.url === "string" ? cfg.url : ctx.secret(cfg.url, `${field}.url`).trim();
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new SecretError(`${field}.url`, "is not a valid URL");
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") {
    throw new SecretError(`${field}.url`, "must be an http:// or https:// URL");
  }
  return u;
}

/**
 * cfg.headers, checked once so that a bad one is a configuration error rather than a failure at every send; a
 * secret reference (`Authorization: { env: … }`) is read here.
 */
function extraHeaders(
  headers: Readonly<Record<string, string | SecretRef>>,
  field: string,
  ctx: NotifierContext,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, ref] of Object.entries(headers)) {
    const v = typeof ref === "string" ? ref : ctx.secret(ref, `${field}.${k}`);
    const key = k.toLowerCase();
    if (!HEADER_NAME.test(k)) throw new Error(`${field}: ${JSON.stringify(k)} is not a valid header name`);
    if (RESERVED_HEADERS.has(key))
      throw new Error(`${field}: ${k} is set by certwatch and cannot be replaced`);
    if (BAD_HEADER_VALUE.test(v))
      throw new Error(`${field}.${k}: a header value cannot hold control characters`);
    out[key] = v;
  }
  return out;
}

function renderer(cfg: WebhookTargetConfig, ctx: NotifierContext, field: string): Render {
  switch (cfg.preset) {
    case "standard": {
      if (cfg.secret === undefined)
        throw new SecretError(`${field}.secret`, "is required with preset: standard");
      const key = signingKey(ctx.secret(cfg.secret, `${field}.secret`), `${field}.secret`);
      return (n, at) => {
        const body = Buffer.from(standardPayload(n), "utf8");
        const timestamp = Math.floor(at.getTime() / 1000);
        return { body, headers: { ...JSON_TYPE, ...standardHeaders(key, n.id, timestamp, body) } };
      };
    }
    case "slack":
      return (n) => ({ body: json(slackPayload(n, ctx.publicUrl)), headers: { ...JSON_TYPE } });
    case "teams":
      return (n) => ({ body: json(teamsPayload(n, ctx.publicUrl)), headers: { ...JSON_TYPE } });
  }
}

function json(v: unknown): Buffer {
  return Buffer.from(terminalSafeJson(v), "utf8");
}
