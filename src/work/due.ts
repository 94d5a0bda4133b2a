/**
 * @module work/due
 * When a job is due (pure: the clock and the draws come in). A job that ran is due at its last start + interval
 * ± 10 %, the jitter drawn from a hash of the job and that start, so that every planner draws the same. A job that
 * never ran, or is overdue by more than `graceMs` (the workers were stopped), is spread: it starts at a point drawn
 * within min(interval, schedule.startSpreadSeconds) from now, so a thousand targets do not connect in one second.
 */
import { createHash } from "node:crypto";
import { JITTER } from "../daemon/generation.js";

/** A number in [0, 1) drawn from the text: the same for every planner. */
export function draw(text: string): number {
  return createHash("sha256").update(text).digest().readUInt32BE(0) / 2 ** 32;
}

export interface DueInput {
  readonly key: string;
  readonly intervalMs: number;
  /** The last run's start (ms), null when never. */
  readonly lastRunAt: number | null;
  readonly now: number;
  readonly startSpreadMs: number;
  /** How far behind a job may be and still start at once (a planning round or two). */
  readonly graceMs: number;
}

export interface Due {
  /** When it should start (ms since the epoch). */
  readonly at: number;
  /** Never ran, or overdue: `at` is a point of the start spread, to be sent now with that start. */
  readonly spread: boolean;
}

export function dueAt(i: DueInput): Due {
  const spread = (salt: string): Due => ({
    at: i.now + draw(`${i.key}\n${salt}`) * Math.min(i.intervalMs, i.startSpreadMs),
    spread: true,
  });
  if (i.lastRunAt === null) return spread("never");
  const at = i.lastRunAt + i.intervalMs * (1 + JITTER * (2 * draw(`${i.key}\n${i.lastRunAt}`) - 1));
  return at >= i.now - i.graceMs ? { at, spread: false } : spread(`overdue ${i.lastRunAt}`);
}
