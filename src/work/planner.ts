/**
 * @module work/planner
 * Turns the schedule into jobs. Every worker runs the tick (every work.plannerSeconds), but only the holder of the
 * `planner` lease plans: it reads the targets (certwatch.yaml's and the managed ones), the last runs and the leases
 * held, and sends a job for every scan target, CT log and housekeeping job due within the next tick (with its start
 * time), skipping what is running. If it dies, another worker takes the lease within its time and plans on; a job
 * sent twice in a handover is queued once (one waiting job per key). The API's view of the schedule (serve) is
 * computed from the same reads.
 */
import type PgBoss from "pg-boss";
import type { AppContext } from "../app/context.js";
import type { LogTarget } from "../app/ct/read-log.js";
import type { Clock } from "../daemon/clock.js";
import {
  DOMAINS_JOB,
  messageOf,
  PRUNE_EVERY_MS,
  PRUNE_JOB,
  scheduledTargets,
  type ScheduledTarget,
} from "../daemon/jobs.js";
import type { JsonLog } from "../daemon/json-log.js";
import { rfc3339 } from "../domain/alert.js";
import type { ScanTargetStatus } from "../server/deps.js";
import type { ScheduleRun } from "../store/schedule-records.js";
import { dueAt } from "./due.js";
import type { HeldLease, Leases } from "./held-lease.js";
import {
  CT_EXPIRY_JOB,
  CT_QUEUE,
  ctRunKey,
  HOUSEKEEPING_QUEUE,
  LONG_JOB_EXPIRE_SECONDS,
  SCAN_QUEUE,
  scanExpireSeconds,
  type CtJob,
  type HousekeepingJob,
  type HousekeepingName,
  type ScanJob,
} from "./queues.js";

export const PLANNER_LEASE = "planner";
export const scanLease = (scope: string): string => `scan:${scope}`;
export const ctLease = (logId: string): string => `ct:${logId}`;
export const housekeepingLease = (job: string): string => `job:${job}`;
/** Event 99 over the inventory is judged at least this often. */
const CT_EXPIRY_EVERY_MS = 3_600_000;
/** The planner says what it sent at most this often. */
const TALLY_EVERY_MS = 60_000;
/** Jobs sent in one statement. */
const INSERT_CHUNK = 1000;
/** Retries after a job's handler failed (a store error, say); its lease decides the rest. */
const RETRY_LIMIT = 2;
const RETRY_DELAY_SECONDS = 10;

export interface PlannerOptions {
  readonly ctx: AppContext;
  readonly boss: PgBoss;
  readonly leases: Leases;
  readonly log: JsonLog;
  readonly clock: Clock;
  /** The CT logs this configuration follows. */
  readonly ctLogs: () => Promise<readonly LogTarget[]>;
  readonly tickMs: number;
  /** Take part in planning (workers); false: only keep the view (serve --no-work). */
  readonly plan: boolean;
  /** Keep the schedule's view for the API (serve). */
  readonly view: boolean;
  /** Jobs were sent (this worker's own dispatchers look at once). */
  readonly onSent?: () => void;
}

export class Planner {
  readonly #o: PlannerOptions;
  #lease: HeldLease | null = null;
  /** What this planner sent, per key: for which last run, and when (not sent again for the same run meanwhile). */
  readonly #sent = new Map<string, { basis: string | null; at: number }>();
  #view: ScanTargetStatus[] = [];
  readonly #counts = new Map<string, number>();
  #loggedAt = 0;
  #targets = new Map<string, ScheduledTarget>();

  constructor(o: PlannerOptions) {
    this.#o = o;
  }

  /** The scan targets as last read, with their last and next runs (serve's API). */
  get view(): ScanTargetStatus[] {
    return this.#view;
  }

  /** A target of the schedule as last read (the API's "scan now"). */
  target(scope: string): ScheduledTarget | undefined {
    return this.#targets.get(scope);
  }

  /** Ticks until `signal` aborts; gives the planner lease back then. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.tick();
      } catch (e) {
        this.#o.log.warn("planning failed; trying again", { component: "planner", error: messageOf(e) });
      }
      await this.#o.clock.sleep(this.#o.tickMs, signal);
    }
    await this.#lease?.release();
    this.#lease = null;
  }

  /** One round: plan if this worker holds (or gets) the planner lease; refresh the API's view. */
  async tick(): Promise<void> {
    const planning = this.#o.plan && (await this.#holdLease());
    if (!planning && !this.#o.view) return;
    const store = this.#o.ctx.store;
    const now = this.#o.clock.now();
    const targets = scheduledTargets(this.#o.ctx.config, await store.schedule.listManagedEndpoints());
    const runs = await store.schedule.lastRuns();
    const held = new Set((await store.leases.listHeld()).map((l) => l.name));
    this.#targets = targets;
    const jobs: PgBoss.JobInsert[] = [];
    const view: ScanTargetStatus[] = [];
    const config = this.#o.ctx.config;
    const expire = scanExpireSeconds(config);
    for (const [scope, t] of targets) {
      const run = runs.get(scope);
      const intervalMs = t.intervalMinutes * 60_000;
      const due = this.#due(scope, intervalMs, run, now);
      const running = held.has(scanLease(scope));
      view.push({
        scope,
        host: t.target.host,
        port: t.target.port,
        origin: t.origin,
        intervalMinutes: t.intervalMinutes,
        lastRunAt: run?.at ?? null,
        nextRunAt: rfc3339(new Date(due.at)),
        running,
      });
      if (!planning || running || !this.#shouldSend(scope, run, due, now)) continue;
      const data: ScanJob = { scope, target: t.target, basis: run?.at ?? null };
      jobs.push(job(SCAN_QUEUE, scope, data, due.at, now, expire));
    }
    this.#view = view;
    if (!planning) return;

    // Targets no longer scheduled: their last runs would only accumulate. Their alerts stay as they were.
    const gone = [...runs.keys()].filter((k) => k.startsWith("tls:") && !targets.has(k));
    if (gone.length > 0) await store.schedule.forgetScheduleRuns(gone);

    const schedule = config.schedule;
    const housekeeping: [HousekeepingName, number][] = [
      [DOMAINS_JOB, schedule.domainsIntervalHours * 3_600_000],
      [PRUNE_JOB, PRUNE_EVERY_MS],
    ];
    if (this.#o.ctx.watched.size > 0) {
      housekeeping.push([CT_EXPIRY_JOB, CT_EXPIRY_EVERY_MS]);
      for (const log of await this.#o.ctLogs()) {
        const logId = log.descriptor.logId;
        const key = ctRunKey(logId);
        const run = runs.get(key);
        const pollMs = config.ct.pollSeconds * 1000;
        const last = run === undefined ? null : Date.parse(run.at);
        const at = last === null ? now : last + pollMs;
        if (held.has(ctLease(logId)) || !this.#shouldSend(key, run, { at, spread: false }, now)) continue;
        const data: CtJob = { logId };
        jobs.push(job(CT_QUEUE, logId, data, at, now, LONG_JOB_EXPIRE_SECONDS));
      }
    }
    for (const [name, intervalMs] of housekeeping) {
      const run = runs.get(name);
      const due = this.#due(name, intervalMs, run, now);
      if (held.has(housekeepingLease(name)) || !this.#shouldSend(name, run, due, now)) continue;
      const data: HousekeepingJob = { job: name, basis: run?.at ?? null };
      jobs.push(job(HOUSEKEEPING_QUEUE, name, data, due.at, now, LONG_JOB_EXPIRE_SECONDS));
    }
    for (let i = 0; i < jobs.length; i += INSERT_CHUNK)
      await this.#o.boss.insert(jobs.slice(i, i + INSERT_CHUNK));
    if (jobs.length > 0) this.#o.onSent?.();
    this.#tally(jobs, now);
  }

  /** A line a minute at most: how many jobs of each queue were sent (a job already waiting is not queued twice). */
  #tally(jobs: readonly PgBoss.JobInsert[], now: number): void {
    for (const j of jobs) this.#counts.set(j.name, (this.#counts.get(j.name) ?? 0) + 1);
    if (now - this.#loggedAt < TALLY_EVERY_MS || this.#counts.size === 0) return;
    this.#o.log.info("jobs sent", { component: "planner", ...Object.fromEntries(this.#counts) });
    this.#counts.clear();
    this.#loggedAt = now;
  }

  /** Holds the planner lease (taking it when free); false when another worker plans. */
  async #holdLease(): Promise<boolean> {
    if (this.#lease?.lost.aborted === true) {
      await this.#lease.release();
      this.#lease = null;
    }
    if (this.#lease === null) {
      // A few ticks long: a planner that stops is replaced within that time.
      const ttl = Math.max(this.#o.leases.ttlMs, 3 * this.#o.tickMs);
      this.#lease = await this.#o.leases.take(PLANNER_LEASE, ttl);
      if (this.#lease === null) {
        this.#sent.clear(); // another planner's sends are not known here
        return false;
      }
      this.#o.log.info("planning the work", { component: "planner" });
    }
    return true;
  }

  #due(key: string, intervalMs: number, run: ScheduleRun | undefined, now: number) {
    const last = run === undefined ? null : Date.parse(run.at);
    return dueAt({
      key,
      intervalMs,
      lastRunAt: last === null || Number.isNaN(last) ? null : last,
      now,
      startSpreadMs: this.#o.ctx.config.schedule.startSpreadSeconds * 1000,
      graceMs: 2 * this.#o.tickMs,
    });
  }

  /**
   * Due within the next tick (or spread), and not sent for this last run lately. "Lately" is a few ticks and lease
   * times, not an interval: a job whose worker died is sent again soon after its lease lapsed (a job still waiting
   * in the queue makes the new one a no-op: one waiting job per key).
   */
  #shouldSend(
    key: string,
    run: ScheduleRun | undefined,
    due: { at: number; spread: boolean },
    now: number,
  ): boolean {
    if (!due.spread && due.at > now + this.#o.tickMs) return false;
    const basis = run?.at ?? null;
    const sent = this.#sent.get(key);
    const resendMs = Math.max(4 * this.#o.tickMs, 2 * this.#o.leases.ttlMs);
    if (sent !== undefined && sent.basis === basis && now - sent.at < resendMs) return false;
    this.#sent.set(key, { basis, at: now });
    return true;
  }
}

function job(
  name: string,
  key: string,
  data: object,
  at: number,
  now: number,
  expireInSeconds: number,
): PgBoss.JobInsert {
  return {
    name,
    data,
    singletonKey: key,
    startAfter: new Date(Math.max(at, now)).toISOString(),
    expireInSeconds,
    retryLimit: RETRY_LIMIT,
    retryDelay: RETRY_DELAY_SECONDS,
  };
}
