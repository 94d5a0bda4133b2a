/**
 * @module notify/deliver
 * The delivery worker: drains the outbox target by target — claim a batch under a lease, send it, mark it delivered
 * on success or schedule the next attempt — until the outbox is empty or the deadline comes. The CLI drains before
 * it exits; the daemon (next release) calls followOutbox. At-least-once: a crash mid-send leaves the rows leased, and
 * once the lease ends they are sent again with the same notification ids.
 */
import type { Store } from "../store/store.js";
import type { BackoffPolicy } from "./backoff.js";
import { retryDelayMs } from "./backoff.js";
import type { OutboxItem } from "../store/store.js";
import type { Notifier, SendOutcome } from "./notifier.js";

export type OutboxStore = Pick<
  Store,
  "claimOutbox" | "completeOutbox" | "failOutbox" | "outboxStatus" | "outboxNextAttempt"
>;

export interface DeliveryDeps {
  readonly store: OutboxStore;
  readonly notifiers: readonly Notifier[];
  readonly now: () => Date;
  readonly backoff: BackoffPolicy;
  /** Lease on claimed rows, per target (default 4 × its timeout + 5 s): longer than any send can take. */
  readonly leaseMs: (notifier: Notifier) => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly log: (message: string) => void;
  readonly random?: () => number;
}

export interface TargetDrainReport {
  readonly target: string;
  readonly delivered: number;
  /** Failed sends (each counts the notifications of its batch once). */
  readonly failedAttempts: number;
  /** Undelivered at the end. */
  readonly pending: number;
  readonly lastError: string | null;
}

export interface DrainReport {
  readonly targets: readonly TargetDrainReport[];
}

export interface DrainOptions {
  /** Stop claiming (and waiting) at this time; a send in flight finishes. */
  readonly deadline: Date;
  readonly signal?: AbortSignal;
}

/** Deliver what is due, waiting for back-offs that end before the deadline. Never throws for a target's failure. */
export async function drainOutbox(deps: DeliveryDeps, opts: DrainOptions): Promise<DrainReport> {
  const reports = await Promise.all(deps.notifiers.map((n) => drainTarget(deps, n, opts)));
  const status = new Map((await deps.store.outboxStatus()).map((s) => [s.target, s]));
  return {
    targets: reports.map((r) => ({
      ...r,
      pending: status.get(r.target)?.pending ?? 0,
      lastError: r.lastError ?? status.get(r.target)?.lastError ?? null,
    })),
  };
}

/** The daemon's loop: drain, then look again every `pollMs`, until the signal aborts. */
export async function followOutbox(deps: DeliveryDeps, pollMs: number, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    await drainOutbox(deps, { deadline: new Date(deps.now().getTime() + pollMs), signal });
    await deps.sleep(pollMs, signal);
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

async function drainTarget(
  deps: DeliveryDeps,
  notifier: Notifier,
  opts: DrainOptions,
): Promise<TargetDrainReport> {
  const report: Mutable<TargetDrainReport> = {
    target: notifier.target,
    delivered: 0,
    failedAttempts: 0,
    pending: 0,
    lastError: null,
  };
  const lease = deps.leaseMs(notifier);
  const batchSize = Math.max(1, notifier.maxBatch);
  for (;;) {
    if (opts.signal?.aborted === true) break;
    const now = deps.now();
    if (now >= opts.deadline) break;
    const items = await deps.store.claimOutbox(
      notifier.target,
      batchSize,
      now,
      new Date(now.getTime() + lease),
    );
    if (items.length === 0) {
      // Nothing due: wait for the next back-off or lease to end if it ends before the deadline.
      const next = await deps.store.outboxNextAttempt(notifier.target);
      if (next === null) break;
      const wait = Date.parse(next) - deps.now().getTime();
      if (deps.now().getTime() + wait >= opts.deadline.getTime()) break;
      await deps.sleep(Math.max(1, wait), opts.signal);
      continue;
    }
    const sent = await sendIsolating(notifier, items);
    if (sent.delivered.length > 0) {
      await deps.store.completeOutbox(
        sent.delivered.map((i) => i.rowId),
        deps.now(),
      );
      report.delivered += sent.delivered.length;
    }
    const { failed: rest, outcome } = sent;
    if (rest.length === 0 || outcome === null) continue;
    const ids = rest.map((i) => i.rowId);
    const attempts = Math.max(...rest.map((i) => i.attempts)) + 1;
    const delay = retryDelayMs(deps.backoff, attempts, outcome, deps.random);
    await deps.store.failOutbox(ids, outcome.error, new Date(deps.now().getTime() + delay));
    report.failedAttempts += 1;
    report.lastError = outcome.error;
    deps.log(
      `notify ${notifier.target}: ${rest.length} notification${rest.length === 1 ? "" : "s"} not delivered (attempt ${attempts}): ${outcome.error}; next try in ${formatDelay(delay)}`,
    );
    // A failing target is left alone for the delay — every other row would fail the same way (and a 429 asks
    // for exactly that) — and given up for this drain when the delay ends after the deadline.
    if (deps.now().getTime() + delay >= opts.deadline.getTime()) break;
    await deps.sleep(delay, opts.signal);
  }
  return report;
}

type Failed = Extract<SendOutcome, { kind: "failed" }>;

interface Sent {
  readonly delivered: OutboxItem[];
  readonly failed: OutboxItem[];
  /** Why `failed` failed (null when nothing did). */
  readonly outcome: Failed | null;
}

/**
 * Send a batch; when the target refuses it permanently, split it in halves to find the notification it refuses
 * (one over the target's size cap, say), so that one bad row cannot hold back every batch behind it. A target
 * that refuses both halves refuses everything (a revoked token): the batch fails as a whole, after three requests.
 */
async function sendIsolating(notifier: Notifier, items: readonly OutboxItem[]): Promise<Sent> {
  const outcome = await notifier.send(items.map((i) => i.notification));
  if (outcome.kind === "delivered") return { delivered: [...items], failed: [], outcome: null };
  if (outcome.permanent !== true || items.length === 1) return { delivered: [], failed: [...items], outcome };
  const mid = Math.ceil(items.length / 2);
  const left = items.slice(0, mid);
  const right = items.slice(mid);
  const l = await notifier.send(left.map((i) => i.notification));
  if (l.kind === "delivered") {
    const r = await sendIsolating(notifier, right);
    return { delivered: [...left, ...r.delivered], failed: r.failed, outcome: r.outcome };
  }
  const r = await notifier.send(right.map((i) => i.notification));
  if (r.kind !== "delivered") return { delivered: [], failed: [...items], outcome };
  if (l.permanent !== true) return { delivered: [...right], failed: [...left], outcome: l };
  const again = await sendIsolating(notifier, left);
  return { delivered: [...again.delivered, ...right], failed: again.failed, outcome: again.outcome };
}

function formatDelay(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${Math.round(ms / 100) / 10} s`;
  return `${Math.round(ms / 60_000)} min`;
}
