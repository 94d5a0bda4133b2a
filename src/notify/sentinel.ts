/**
 * @module notify/sentinel
 * The Microsoft Sentinel target: batches of flat records (VulnerabilityID_d, EventName_s…) to a Log Analytics
 * workspace through the Logs Ingestion API (default) or the legacy HTTP Data Collector API.
 */
import type { SentinelTargetConfig } from "../config/notify-schema.js";
import { HttpClient } from "../util/http-get.js";
import type { Notifier, NotifierContext } from "./notifier.js";
import { batchGuard, withinDeadline } from "./notifier.js";
import { createDataCollectorSender } from "./sentinel-data-collector.js";
import { createLogsIngestionSender } from "./sentinel-logs-ingestion.js";

/** Records per send unless `batchSize` says otherwise (a few hundred records stay well under the 1 MB call). */
export const SENTINEL_DEFAULT_BATCH = 500;

export function createSentinelNotifier(
  name: string,
  cfg: SentinelTargetConfig,
  ctx: NotifierContext,
): Notifier {
  const client = new HttpClient({ ca: [...ctx.ca], userAgent: "certwatch" });
  let sender;
  try {
    sender =
      cfg.api === "data-collector"
        ? createDataCollectorSender(name, cfg, ctx, client)
        : createLogsIngestionSender(name, cfg, ctx, client);
  } catch (e) {
    client.destroy();
    throw e;
  }
  const maxBatch = cfg.batchSize ?? SENTINEL_DEFAULT_BATCH;
  const what = `sentinel ${name}`;

  return {
    target: name,
    type: "sentinel",
    maxBatch,
    async send(batch) {
      const refused = batchGuard(what, batch, maxBatch);
      if (refused !== null) return refused;
      // One deadline for the whole send (token, every part).
      return withinDeadline(what, cfg.timeoutMs, (endsAt) => sender.send(batch, endsAt));
    },
    close() {
      client.destroy();
      return Promise.resolve();
    },
  };
}
