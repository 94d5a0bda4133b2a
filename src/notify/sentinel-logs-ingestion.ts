/**
 * @module notify/sentinel-logs-ingestion
 * Microsoft Sentinel through the Azure Monitor Logs Ingestion API: an Entra ID token (client credentials, cached),
 * then gzip JSON arrays of at most 1 MB posted to the DCR's stream; 204 is delivered.
 */
import { gzipSync } from "node:zlib";
import type { SentinelTargetConfig } from "../config/notify-schema.js";
import type { HttpClient, HttpGetResult } from "../util/http-get.js";
import type { Notification } from "./notification.js";
import type { NotifierContext, SendOutcome } from "./notifier.js";
import { outcomeOfStatus } from "./notifier.js";
import { oversize, postParts } from "./post-parts.js";
import { SecretError } from "./secrets.js";
import { logsIngestionRecord, packRecords, sentinelRecord } from "./sentinel-record.js";

export const LOGS_INGESTION_API_VERSION = "2023-01-01";

/**
 * The API refuses a call over 1 MB, compressed or not (Azure Monitor service limits). Counting the uncompressed
 * JSON covers both, and a decimal megabyte stays under the cap whichever megabyte Azure means (its SDKs use 1 MiB).
 */
export const LOGS_INGESTION_MAX_BYTES = 1_000_000;

/** Answers are only quoted in errors (and the token answer is small): 64 KiB is plenty. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** A token is reused until this long before it expires (or half its life when that is shorter). */
const TOKEN_MARGIN_MS = 5 * 60 * 1000;

export interface SentinelSender {
  /** Sends the whole batch before `endsAt` (a `performance.now()` time); never throws. */
  send(batch: readonly Notification[], endsAt: number): Promise<SendOutcome>;
}

interface Token {
  readonly value: string;
  /** ctx.now() time (ms) after which a new one is fetched. */
  readonly renewAt: number;
}

export function createLogsIngestionSender(
  name: string,
  cfg: SentinelTargetConfig,
  ctx: NotifierContext,
  client: HttpClient,
): SentinelSender {
  const field = `notify.${name}`;
  const need = <T>(v: T | undefined, key: string): T => {
    if (v === undefined) throw new SecretError(`${field}.${key}`, "is required with api: logs-ingestion");
    return v;
  };
  const endpoint = new URL(need(cfg.endpoint, "endpoint"));
  const dcr = need(cfg.dcrImmutableId, "dcrImmutableId");
  const tenantId = need(cfg.tenantId, "tenantId");
  const clientId = need(cfg.clientId, "clientId");
  const clientSecret = ctx.secret(need(cfg.clientSecret, "clientSecret"), `${field}.clientSecret`);

  const base = endpoint.href.replace(/\/+$/, "");
  const ingestUrl = new URL(
    `${base}/dataCollectionRules/${encodeURIComponent(dcr)}/streams/${encodeURIComponent(cfg.stream)}`,
  );
  ingestUrl.searchParams.set("api-version", LOGS_INGESTION_API_VERSION);
  const authority = cfg.authorityUrl.endsWith("/") ? cfg.authorityUrl : `${cfg.authorityUrl}/`;
  const tokenUrl = new URL(`${authority}${encodeURIComponent(tenantId)}/oauth2/v2.0/token`);
  const tokenForm = new URLSearchParams({
    client_id: clientId,
    client_secret: clientSecret,
    scope: cfg.scope,
    grant_type: "client_credentials",
  }).toString();

  const what = `sentinel ${name} (${endpoint.host})`;
  const tokenWhat = `sentinel ${name}: the token endpoint ${tokenUrl.host}`;
  let token: Token | null = null;

  const remaining = (endsAt: number): number => Math.floor(endsAt - performance.now());
  const outOfTime = (step: string): SendOutcome => ({
    kind: "failed",
    error: `${what}: no time left within ${cfg.timeoutMs} ms to ${step}`,
  });

  /** A token, fetched when there is none or it is about to expire; a string is a failure outcome's reason. */
  const getToken = async (endsAt: number): Promise<Token | SendOutcome> => {
    const now = ctx.now().getTime();
    if (token !== null && now < token.renewAt) return token;
    token = null;
    const timeoutMs = remaining(endsAt);
    if (timeoutMs <= 0) return outOfTime("get a token");
    const res = await client.request(tokenUrl, {
      method: "POST",
      body: tokenForm,
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      timeoutMs,
      maxBytes: MAX_ANSWER_BYTES,
    });
    if (res.kind === "error") return { kind: "failed", error: `${tokenWhat}: ${res.error}` };
    if (res.status !== 200) return outcomeOfStatus(tokenWhat, res.status, res.headers, res.body, ctx.now());
    const parsed = parseToken(res.body);
    if (typeof parsed === "string") return { kind: "failed", error: `${tokenWhat}: ${parsed}` };
    const lifeMs = parsed.expiresIn * 1000;
    token = { value: parsed.accessToken, renewAt: now + lifeMs - Math.min(TOKEN_MARGIN_MS, lifeMs / 2) };
    return token;
  };

  const post = (body: Buffer, t: Token, timeoutMs: number): Promise<HttpGetResult> =>
    client.request(ingestUrl, {
      method: "POST",
      body,
      headers: {
        authorization: `Bearer ${t.value}`,
        "content-type": "application/json",
        "content-encoding": "gzip",
      },
      timeoutMs,
      maxBytes: MAX_ANSWER_BYTES,
    });

  /** One chunk; a 401 (token revoked or expired early) fetches a new token and tries once more. */
  const sendChunk = async (json: Buffer, endsAt: number, label: string): Promise<SendOutcome> => {
    const body = gzipSync(json);
    for (let attempt = 0; ; attempt++) {
      const t = await getToken(endsAt);
      if ("kind" in t) return t;
      const timeoutMs = remaining(endsAt);
      if (timeoutMs <= 0) return outOfTime(`send ${label}`);
      const res = await post(body, t, timeoutMs);
      if (res.kind === "error") return { kind: "failed", error: `${what}: ${label}: ${res.error}` };
      if (res.status === 401 && attempt === 0) {
        token = null;
        continue;
      }
      return outcomeOfStatus(`${what}: ${label}`, res.status, res.headers, res.body, ctx.now());
    }
  };

  return {
    async send(batch, endsAt) {
      const packed = packRecords(
        batch,
        (n) => logsIngestionRecord(sentinelRecord(n, ctx.publicUrl)),
        LOGS_INGESTION_MAX_BYTES,
      );
      if ("tooLarge" in packed) {
        const limit = `the Logs Ingestion API's ${LOGS_INGESTION_MAX_BYTES}-byte limit per call`;
        return oversize(what, "record", packed.tooLarge, packed.bytes, limit);
      }
      // One call after the other: a failure stops the batch (the worker retries it all; NotificationId dedupes).
      return postParts(packed.chunks, "part", (chunk, label) => sendChunk(chunk.body, endsAt, label));
    },
  };
}

/** The Entra token answer: access_token and expires_in (a number, or a numeric string from older endpoints). */
function parseToken(body: Buffer): { accessToken: string; expiresIn: number } | string {
  let v: unknown;
  try {
    v = JSON.parse(body.toString("utf8"));
  } catch {
    return "the answer is not JSON";
  }
  if (typeof v !== "object" || v === null) return "the answer is not a JSON object";
  const o = v as Record<string, unknown>;
  const accessToken = o.access_token;
  if (typeof accessToken !== "string" || accessToken === "" || /[\s]/.test(accessToken)) {
    return "the answer has no usable access_token";
  }
  const raw = o.expires_in;
  const expiresIn = typeof raw === "number" ? raw : typeof raw === "string" ? Number(raw) : NaN;
  if (!Number.isFinite(expiresIn) || expiresIn <= 0) return "the answer has no valid expires_in";
  if (typeof o.token_type === "string" && o.token_type.toLowerCase() !== "bearer") {
    return `the token type is ${JSON.stringify(o.token_type.slice(0, 20))}, not Bearer`;
  }
  return { accessToken, expiresIn };
}
