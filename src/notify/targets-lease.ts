/**
 * @module notify/targets-lease
 * How long a claimed outbox batch stays leased to its sender. The sender renews the lease every third of it while
 * the send is in flight (notify/deliver.ts), so the lease need not outlast the send: it is short, so that the rows
 * of a sender that crashed are free again within seconds — well inside the CLI's default 30 s drain.
 */
import type { NotifyTargetConfig } from "../config/notify-schema.js";

/** The longest lease: a crashed sender's rows wait at most this long. */
export const MAX_LEASE_MS = 15_000;

/** The target's timeout + 5 s (a send of one request seldom needs a renewal), at most MAX_LEASE_MS. */
export function leaseMsFor(cfg: Pick<NotifyTargetConfig, "timeoutMs">): number {
  return Math.min(cfg.timeoutMs + 5000, MAX_LEASE_MS);
}
