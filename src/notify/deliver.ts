/**
 * @module notify/deliver
 * The delivery worker: drains the outbox target by target — claim a batch under a lease, send it, mark it delivered
 * on success or schedule the next attempt — until the outbox is empty or the deadline comes. The CLI drains before
 * it exits; `ct` follow mode (and the daemon) calls followOutbox.
 *
 * Leases: a claim leases its rows for a short time (leaseMsFor: the target's timeout + 5 s, at most 15 s) and the
 * sender renews the lease every third of it while the send is in flight, so a live sender never loses its rows
 * however long the send takes, and the rows of a crashed one are free again within seconds — before the CLI's
 * drain gives up, which waits for a lease that ends before its deadline (and says so). At-least-once: the rows a
 * crashed sender held are sent again with the same notification ids.
 *
 * Concurrency: a target with `concurrency` > 1 (webhooks: one request per notification) has that many sends in
 * flight, each claiming its own rows; a failure still pauses the whole target. Order between notifications (even
 * of one alert) is then not guaranteed.
 */
import type { OutboxItem, Store } from "../store/store.js";
import type { BackoffPolicy } from "./backoff.js";
import { retryDelayMs } from "./backoff.js";
import type { Notifier, SendOutcome } from "./notifier.js";

export type OutboxStore = Pick<
  Store,
  "claimOutbox" | "renewOutbox" | "completeOutbox" | "failOutbox" | "outboxStatus" | "outboxNextAttempt"
>;

/** Most sends in flight for one target, whatever its notifier asks. */
export const MAX_TARGET_CONCURRENCY = 32;

export interface DeliveryDeps {
  readonly store: OutboxStore;
  readonly notifiers: readonly Notifier[];
  readonly now: () => Date;
  readonly backoff: BackoffPolicy;
  /** Lease on claimed rows, per target (leaseMsFor); renewed every third of it while a send is in flight. */
  readonly leaseMs: (notifier: Notifier) => number;
  /** Resolves after `ms`, or rejects once `signal` aborts. */
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
  /** Stop claiming (and waiting) at this time; sends in flight finish. */
  readonly deadline: Date;
  /** Stops claiming and waiting (sends in flight finish): the drain then resolves with what it did. */
  readonly signal?: AbortSignal;
}

/** Deliver what is due, waiting for back-offs and leases that end before the deadline. Never throws for a target's failure. */
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

/** The follow-mode loop: drain, then look again every `pollMs`, until the signal aborts (then it resolves). */
export async function followOutbox(deps: DeliveryDeps, pollMs: number, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    await drainOutbox(deps, { deadline: new Date(deps.now().getTime() + pollMs), signal });
    if (!(await pause(deps, pollMs, signal))) return;
  }
}

/** Sleep `ms`; false when the signal aborted (the caller stops). */
async function pause(deps: DeliveryDeps, ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (aborted(signal)) return false;
  try {
    await deps.sleep(ms, signal);
  } catch (e) {
    if (aborted(signal)) return false;
    throw e;
  }
  return !aborted(signal);
}

/** A function, so that TypeScript does not narrow `aborted` across the await. */
function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** What the sends of one target share. */
interface TargetRun {
  readonly report: Mutable<TargetDrainReport>;
  /** No claim before this time (ms): a failure pauses the whole target. */
  pauseUntil: number;
  /** The pause ends after the deadline: every lane stops. */
  stopped: boolean;
  /** Lanes with a send in flight. */
  sending: number;
}

async function drainTarget(
  deps: DeliveryDeps,
  notifier: Notifier,
  opts: DrainOptions,
): Promise<TargetDrainReport> {
  const run: TargetRun = {
    report: { target: notifier.target, delivered: 0, failedAttempts: 0, pending: 0, lastError: null },
    pauseUntil: 0,
    stopped: false,
    sending: 0,
  };
  const lanes = Math.max(1, Math.min(MAX_TARGET_CONCURRENCY, Math.floor(notifier.concurrency ?? 1)));
  await Promise.all(Array.from({ length: lanes }, () => lane(deps, notifier, opts, run)));
  return run.report;
}

/** One send in flight at a time: claim, send under a renewed lease, complete or back off; again until done. */
async function lane(
  deps: DeliveryDeps,
  notifier: Notifier,
  opts: DrainOptions,
  run: TargetRun,
): Promise<void> {
  const leaseMs = deps.leaseMs(notifier);
  const batchSize = Math.max(1, notifier.maxBatch);
  const deadline = opts.deadline.getTime();
  for (;;) {
    if (run.stopped || opts.signal?.aborted === true) return;
    const now = deps.now();
    if (now.getTime() >= deadline) return;
    if (run.pauseUntil > now.getTime()) {
      if (!(await pause(deps, run.pauseUntil - now.getTime(), opts.signal))) return;
      continue;
    }
    const items = await deps.store.claimOutbox(
      notifier.target,
      batchSize,
      now,
      new Date(now.getTime() + leaseMs),
    );
    if (items.length === 0) {
      // The other lanes claim again when their sends end: the last one alone waits for what is not due yet.
      if (run.sending > 0) return;
      const next = await deps.store.outboxNextAttempt(notifier.target);
      if (next === null) return;
      const wait = Date.parse(next.at) - deps.now().getTime();
      if (deps.now().getTime() + wait >= deadline) return;
      if (next.leased) {
        deps.log(
          `notify ${notifier.target}: waiting ${formatDelay(wait)} for notifications leased by another sender (one still sending, or one that stopped) until ${next.at}`,
        );
      }
      if (!(await pause(deps, Math.max(1, wait), opts.signal))) return;
      continue;
    }
    run.sending++;
    let sent: Sent;
    let lease: string;
    try {
      ({ result: sent, lease } = await underLease(deps, notifier, items, leaseMs, () =>
        sendIsolating(notifier, items),
      ));
    } finally {
      run.sending--;
    }
    if (sent.delivered.length > 0) {
      await deps.store.completeOutbox(
        sent.delivered.map((i) => i.rowId),
        deps.now(),
      );
      run.report.delivered += sent.delivered.length;
    }
    const { failed: rest, outcome } = sent;
    if (rest.length === 0 || outcome === null) continue;
    const ids = rest.map((i) => i.rowId);
    const attempts = Math.max(...rest.map((i) => i.attempts)) + 1;
    const delay = retryDelayMs(deps.backoff, attempts, outcome, deps.random);
    const retryAt = deps.now().getTime() + delay;
    await deps.store.failOutbox(ids, outcome.error, new Date(retryAt), lease);
    run.report.failedAttempts += 1;
    run.report.lastError = outcome.error;
    deps.log(
      `notify ${notifier.target}: ${rest.length} notification${rest.length === 1 ? "" : "s"} not delivered (attempt ${attempts}): ${outcome.error}; next try in ${formatDelay(delay)}`,
    );
    // A failing target is left alone for the delay — every other row would fail the same way (and a 429 asks
    // for exactly that) — and given up for this drain when the delay ends after the deadline.
    run.pauseUntil = Math.max(run.pauseUntil, retryAt);
    if (retryAt >= deadline) run.stopped = true;
  }
}

/**
 * Run `send` while renewing the lease of `items` every third of `leaseMs`, so that no other sender takes the rows
 * however long the send lasts. Returns the send's result and the lease as last renewed (failOutbox names it).
 */
async function underLease<T>(
  deps: DeliveryDeps,
  notifier: Notifier,
  items: readonly OutboxItem[],
  leaseMs: number,
  send: () => Promise<T>,
): Promise<{ result: T; lease: string }> {
  let lease = items[0]?.lease ?? "";
  const ids = items.map((i) => i.rowId);
  const stop = new AbortController();
  const heartbeat = (async () => {
    let warned = false;
    while (await pause(deps, leaseMs / 3, stop.signal)) {
      try {
        const r = await deps.store.renewOutbox(ids, lease, new Date(deps.now().getTime() + leaseMs));
        lease = r.lease;
        if (r.held < ids.length && !warned) {
          warned = true;
          deps.log(
            `notify ${notifier.target}: the lease of ${ids.length - r.held} notification(s) in flight was lost (this process stalled past it); another sender may send them too`,
          );
        }
      } catch (e) {
        // A busy or failing store: the send goes on; the next beat tries again before the lease ends.
        deps.log(
          `notify ${notifier.target}: could not renew a lease: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
    }
  })();
  let result: T;
  try {
    result = await send();
  } finally {
    stop.abort();
    // A renewal in flight ends first: `lease` is then the value the rows hold.
    await heartbeat;
  }
  return { result, lease };
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
