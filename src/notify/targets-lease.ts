/**
 * @module notify/targets-lease
 * How long a claimed outbox batch stays leased to its sender: longer than any send of that target can take, so
 * a live sender never loses its rows, and a crashed one gives them back soon.
 */
import type { NotifyTargetConfig } from "../config/notify-schema.js";

export function leaseMsFor(cfg: Pick<NotifyTargetConfig, "timeoutMs">): number {
  return 4 * cfg.timeoutMs + 5000;
}
