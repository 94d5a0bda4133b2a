/**
 * @module notify/sentinel-data-collector
 * Microsoft Sentinel through the legacy HTTP Data Collector API (retired by Microsoft in September 2026): JSON
 * arrays signed with the workspace key (SharedKey HMAC-SHA256), posted to /api/logs; 200 is delivered.
 */
import { createHmac } from "node:crypto";
import type { SentinelTargetConfig } from "../config/notify-schema.js";
import type { HttpClient } from "../util/http-get.js";
import type { NotifierContext } from "./notifier.js";
import { outcomeOfStatus } from "./notifier.js";
import { oversize, postParts } from "./post-parts.js";
import { SecretError } from "./secrets.js";
import type { SentinelSender } from "./sentinel-logs-ingestion.js";
import { TIME_FIELD, dataCollectorRecord, packRecords, sentinelRecord } from "./sentinel-record.js";

export const DATA_COLLECTOR_API_VERSION = "2016-04-01";

/** "Maximum of 30 MB per post to Azure Monitor Data Collector API" (decimal, to stay under either reading). */
export const DATA_COLLECTOR_MAX_BYTES = 30_000_000;

/** The resource the signature covers, whatever the URL's host (another cloud, a test receiver). */
const RESOURCE = "/api/logs";
const CONTENT_TYPE = "application/json";
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * The Authorization header of one post, as the Data Collector API documents it: base64 of the HMAC-SHA256, under
 * the base64-decoded workspace key, of "POST\n<content-length>\napplication/json\nx-ms-date:<date>\n/api/logs".
 */
export function sharedKeyAuthorization(
  workspaceId: string,
  key: Buffer,
  contentLength: number,
  date: string,
): string {
  const toSign = `POST\n${contentLength}\n${CONTENT_TYPE}\nx-ms-date:${date}\n${RESOURCE}`;
  const signature = createHmac("sha256", key).update(toSign, "utf8").digest("base64");
  return `SharedKey ${workspaceId}:${signature}`;
}

export function createDataCollectorSender(
  name: string,
  cfg: SentinelTargetConfig,
  ctx: NotifierContext,
  client: HttpClient,
): SentinelSender {
  const field = `notify.${name}`;
  const workspaceId = cfg.workspaceId;
  if (workspaceId === undefined) {
    throw new SecretError(`${field}.workspaceId`, "is required with api: data-collector");
  }
  // It becomes a host name (and part of the signature): a workspace id is a GUID.
  if (!/^[A-Za-z0-9-]{1,64}$/.test(workspaceId)) {
    throw new SecretError(`${field}.workspaceId`, "must be the workspace id (a GUID)");
  }
  if (cfg.sharedKey === undefined) {
    throw new SecretError(`${field}.sharedKey`, "is required with api: data-collector");
  }
  const key = workspaceKey(ctx.secret(cfg.sharedKey, `${field}.sharedKey`), `${field}.sharedKey`);

  const url = new URL(cfg.dataCollectorUrl ?? `https://${workspaceId}.ods.opinsights.azure.com/`);
  if (!url.pathname.endsWith(RESOURCE)) url.pathname = `${url.pathname.replace(/\/+$/, "")}${RESOURCE}`;
  url.search = "";
  url.searchParams.set("api-version", DATA_COLLECTOR_API_VERSION);
  const what = `sentinel ${name} (${url.host})`;

  return {
    async send(batch, endsAt) {
      const packed = packRecords(
        batch,
        (n) => dataCollectorRecord(sentinelRecord(n, ctx.publicUrl)),
        DATA_COLLECTOR_MAX_BYTES,
      );
      if ("tooLarge" in packed) {
        const limit = `the Data Collector API's ${DATA_COLLECTOR_MAX_BYTES}-byte limit per post`;
        return oversize(what, "record", packed.tooLarge, packed.bytes, limit);
      }
      return postParts(packed.chunks, "part", async (chunk, label) => {
        const timeoutMs = Math.floor(endsAt - performance.now());
        if (timeoutMs <= 0) {
          return {
            kind: "failed",
            error: `${what}: no time left within ${cfg.timeoutMs} ms to send ${label}`,
          };
        }
        // Signed per post: the date is part of the signature and Azure refuses a stale one.
        const date = ctx.now().toUTCString();
        const res = await client.request(url, {
          method: "POST",
          body: chunk.body,
          headers: {
            authorization: sharedKeyAuthorization(workspaceId, key, chunk.body.length, date),
            "content-type": CONTENT_TYPE,
            "log-type": cfg.logType,
            "x-ms-date": date,
            "time-generated-field": TIME_FIELD,
          },
          timeoutMs,
          maxBytes: MAX_ANSWER_BYTES,
        });
        return res.kind === "error"
          ? { kind: "failed", error: `${what}: ${label}: ${res.error}` }
          : outcomeOfStatus(`${what}: ${label}`, res.status, res.headers, res.body, ctx.now());
      });
    },
  };
}

/** The workspace key (primary or secondary) is base64; a value that is not is a configuration error. */
function workspaceKey(value: string, field: string): Buffer {
  const t = value.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(t) || t.length % 4 !== 0) {
    throw new SecretError(field, "is not a base64 workspace key");
  }
  return Buffer.from(t, "base64");
}
