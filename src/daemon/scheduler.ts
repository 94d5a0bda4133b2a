/**
 * @module daemon/scheduler
 * Runs keyed jobs on an interval with bounded concurrency: each scan target is a job (key = its scope), the
 * domain checks are another. The rules:
 *
 * - **Spread.** A job that never ran, or is overdue after a restart, starts at a random point within
 *   `min(interval, startSpreadMs)`: a thousand endpoints do not connect in the same second, and a long outage
 *   is caught up over a few minutes instead of in one burst.
 * - **Jitter.** After a run, the next is due at its start + interval × (1 ± `jitter`), drawn each time, so jobs
 *   that happened to line up drift apart instead of firing together forever; never before the run ended (a job
 *   slower than its interval runs back to back, never twice at once).
 * - **Resume.** `setJobs` takes each job's last start (kept in the store by the caller), so a restart keeps the
 *   rhythm: a job that ran ten minutes ago waits for the rest of its interval.
 * - **Bound.** At most `concurrency` jobs run at once; the most overdue go first.
 * - **Stop.** When the signal aborts no job starts; running ones get the signal (to stop at a safe point) and
 *   `run` resolves once they have finished.
 *
 * The clock is injected: tests move time by hand.
 */
import type { Clock } from "./clock.js";

export interface JobSpec {
  readonly key: string;
  readonly intervalMs: number;
}

export interface JobStatus {
  readonly key: string;
  readonly intervalMs: number;
  /** When it last started (ms since the epoch), from this process or the store; null when never. */
  readonly lastRunAt: number | null;
  readonly nextRunAt: number;
  readonly running: boolean;
}

export interface SchedulerOptions {
  readonly clock: Clock;
  readonly concurrency: number;
  /** ± this fraction of the interval, drawn per run (0.1: a 60-minute job runs every 54 to 66 minutes). */
  readonly jitter: number;
  /** Jobs never run, or overdue, start within min(interval, this). */
  readonly startSpreadMs: number;
  /** Uniform in [0, 1); Math.random by default. */
  readonly random?: () => number;
  /** Does the work. It gets the stop signal; a throw is passed to `onFinished` and the job is scheduled as usual. */
  readonly run: (key: string, signal: AbortSignal) => Promise<void>;
  /** After each run (to persist its start); errors here are reported to `onError` and ignored. */
  readonly onFinished?: (
    key: string,
    startedAt: number,
    durationMs: number,
    error: unknown,
  ) => void | Promise<void>;
  readonly onError?: (key: string, error: unknown) => void;
}

interface Job {
  spec: JobSpec;
  due: number;
  lastRunAt: number | null;
  running: boolean;
  /** runNow while it ran: run again as soon as it ends. */
  again: boolean;
}

/** The scheduler looks at the time at least this often, whatever it waits for (a clock that jumped, say). */
const MAX_WAIT_MS = 60_000;

export class Scheduler {
  readonly #o: SchedulerOptions;
  readonly #random: () => number;
  readonly #jobs = new Map<string, Job>();
  readonly #inflight = new Set<Promise<void>>();
  #active = 0;
  #wake = new AbortController();
  #running = false;

  constructor(o: SchedulerOptions) {
    this.#o = o;
    this.#random = o.random ?? Math.random;
  }

  /** True while `run` is looping (not yet asked to stop). */
  get running(): boolean {
    return this.#running;
  }

  /**
   * Schedules exactly these jobs. A job already known keeps its next run (unless its interval changed: then it
   * is due at its last start + the new interval); a new job starts from `lastRuns` (ms since the epoch) or within
   * the start spread; a job left out is dropped (a run in progress finishes).
   */
  setJobs(specs: readonly JobSpec[], lastRuns: ReadonlyMap<string, number> = new Map()): void {
    const now = this.#o.clock.now();
    const keep = new Set<string>();
    for (const spec of specs) {
      keep.add(spec.key);
      const known = this.#jobs.get(spec.key);
      if (known && known.spec.intervalMs === spec.intervalMs) continue;
      const lastRunAt = known?.lastRunAt ?? lastRuns.get(spec.key) ?? null;
      const job: Job = known ?? { spec, due: 0, lastRunAt, running: false, again: false };
      job.spec = spec;
      job.due = this.#firstDue(spec.intervalMs, lastRunAt, now);
      this.#jobs.set(spec.key, job);
    }
    for (const key of [...this.#jobs.keys()]) if (!keep.has(key)) this.#jobs.delete(key);
    this.#wakeUp();
  }

  /** Runs the job as soon as a slot is free (again after the current run, when it is running). */
  runNow(key: string): boolean {
    const job = this.#jobs.get(key);
    if (!job) return false;
    if (job.running) job.again = true;
    else job.due = Math.min(job.due, this.#o.clock.now());
    this.#wakeUp();
    return true;
  }

  status(): JobStatus[] {
    return [...this.#jobs.values()].map((j) => ({
      key: j.spec.key,
      intervalMs: j.spec.intervalMs,
      lastRunAt: j.lastRunAt,
      nextRunAt: j.due,
      running: j.running,
    }));
  }

  /** Loops until `stop` aborts, then waits for the jobs running at that moment. */
  async run(stop: AbortSignal): Promise<void> {
    this.#running = !stop.aborted;
    const onStop = () => this.#wakeUp();
    stop.addEventListener("abort", onStop, { once: true });
    try {
      while (!stop.aborted) {
        this.#dispatch(stop);
        const wait = this.#nextWait();
        const wake = this.#wake.signal;
        if (!wake.aborted) await this.#o.clock.sleep(Math.min(wait, MAX_WAIT_MS), wake);
        if (this.#wake.signal.aborted) this.#wake = new AbortController();
      }
    } finally {
      this.#running = false;
      stop.removeEventListener("abort", onStop);
      while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
    }
  }

  #firstDue(intervalMs: number, lastRunAt: number | null, now: number): number {
    const spread = () => now + this.#random() * Math.min(intervalMs, this.#o.startSpreadMs);
    if (lastRunAt === null) return spread();
    const due = lastRunAt + this.#jittered(intervalMs);
    return due < now ? spread() : due;
  }

  #jittered(intervalMs: number): number {
    return intervalMs * (1 + this.#o.jitter * (2 * this.#random() - 1));
  }

  #dispatch(stop: AbortSignal): void {
    const now = this.#o.clock.now();
    const due = [...this.#jobs.values()]
      .filter((j) => !j.running && j.due <= now)
      .sort((a, b) => a.due - b.due);
    for (const job of due) {
      if (this.#active >= this.#o.concurrency || stop.aborted) break;
      this.#start(job, stop);
    }
  }

  /** How long until something may be started: the earliest due job, when a slot is free. */
  #nextWait(): number {
    if (this.#active >= this.#o.concurrency) return MAX_WAIT_MS; // a finishing job wakes the loop
    let earliest = Infinity;
    for (const j of this.#jobs.values()) if (!j.running && j.due < earliest) earliest = j.due;
    return Math.max(0, earliest - this.#o.clock.now());
  }

  #start(job: Job, stop: AbortSignal): void {
    const clock = this.#o.clock;
    job.running = true;
    this.#active++;
    const key = job.spec.key;
    const startedAt = clock.now();
    const p = (async () => {
      let error: unknown = null;
      try {
        await this.#o.run(key, stop);
      } catch (e) {
        error = e ?? new Error("job failed");
      }
      const finishedAt = clock.now();
      job.running = false;
      job.lastRunAt = startedAt;
      this.#active--;
      if (job.again) {
        job.again = false;
        job.due = finishedAt;
      } else {
        job.due = Math.max(startedAt + this.#jittered(job.spec.intervalMs), finishedAt);
      }
      try {
        await this.#o.onFinished?.(key, startedAt, finishedAt - startedAt, error);
      } catch (e) {
        this.#o.onError?.(key, e);
      }
      this.#wakeUp();
    })();
    this.#inflight.add(p);
    void p.finally(() => this.#inflight.delete(p));
  }

  #wakeUp(): void {
    this.#wake.abort();
  }
}
