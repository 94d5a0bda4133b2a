/**
 * @module notify/post-parts
 * Sending a batch that takes several requests: one part after the other, the first failure failing the batch.
 */
import type { Notification } from "./notification.js";
import type { SendOutcome } from "./notifier.js";

/**
 * The refusal of a batch holding one notification whose `thing` (record, event) alone is `bytes` long, over
 * `limit` (e.g. "the 1048576-byte limit of one request"): no part can carry it, so retrying will not help.
 */
export function oversize(
  what: string,
  thing: string,
  n: Notification,
  bytes: number,
  limit: string,
): SendOutcome {
  return {
    kind: "failed",
    permanent: true,
    error:
      `${what}: the ${thing} of alert ${n.alert.id} (notification ${n.id}, event ${n.alert.eventId}) is ` +
      `${bytes} bytes, over ${limit}`,
  };
}

/**
 * Posts each part in turn with its label ("the batch" when there is one part, else "<noun> i of N"). A failure
 * stops there and fails the whole batch, saying how many parts went through (the worker sends them all again;
 * the receivers dedupe by notification id).
 */
export async function postParts<T>(
  parts: readonly T[],
  noun: string,
  post: (part: T, label: string) => Promise<SendOutcome>,
): Promise<SendOutcome> {
  for (const [i, part] of parts.entries()) {
    const label = parts.length > 1 ? `${noun} ${i + 1} of ${parts.length}` : "the batch";
    const outcome = await post(part, label);
    if (outcome.kind === "failed") {
      const sent = i > 0 ? ` (${i} of ${parts.length} ${noun}s were delivered and will be sent again)` : "";
      return { ...outcome, error: `${outcome.error}${sent}` };
    }
  }
  return { kind: "delivered" };
}
