/**
 * @module notify/backoff
 * When to try a failed delivery again: exponential back-off with jitter, never earlier than the target's
 * Retry-After, and the longest delay for a refusal that retrying soon will not fix.
 */
import type { SendOutcome } from "./notifier.js";

export interface BackoffPolicy {
  /** Delay after the first failure. */
  readonly baseMs: number;
  /** Longest delay (also the delay after a permanent refusal). */
  readonly maxMs: number;
}

/**
 * Delay before attempt `attempts + 1` (attempts = failures so far, counting this one): base × 2^(attempts-1), capped,
 * with "equal jitter" (half fixed, half random) so that many rows failing together do not retry together.
 */
export function retryDelayMs(
  policy: BackoffPolicy,
  attempts: number,
  failure: Extract<SendOutcome, { kind: "failed" }>,
  random: () => number = Math.random,
): number {
  if (failure.permanent === true) return policy.maxMs;
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(30, Math.max(0, attempts - 1)));
  const jittered = exp / 2 + (exp / 2) * random();
  const floor = failure.retryAfterMs ?? 0;
  return Math.min(Math.max(jittered, floor), Math.max(policy.maxMs, floor));
}
