/**
 * @module work/distributed-work
 * The daemon's work shared by every process on one PostgreSQL store (`certwatch worker`, and `certwatch serve`
 * unless --no-work): the planner sends jobs to pg-boss queues (planner.ts), each worker takes scan, CT and
 * housekeeping jobs up to its concurrency and runs them under leases (job-runners.ts), and delivers the outbox
 * beside them (claims lease rows with SKIP LOCKED, so two workers never send one row at once).
 *
 * Stop: no job is taken any more, jobs in progress get the shutdown bound to finish (pg-boss counts the ones still
 * running then as failed, to be retried by another worker), and every lease is given back so that the others take
 * over at once instead of after the lease time.
 */
import type { AppContext } from "../app/context.js";
import type { LogTarget } from "../app/ct/read-log.js";
import type { CtRunDeps } from "../app/ct/run.js";
import type { ScanDeps } from "../app/scan.js";
import type { Clock } from "../daemon/clock.js";
import { OUTBOX_POLL_MS } from "../daemon/generation.js";
import { deliverOutbox, messageOf, prepareScanDeps } from "../daemon/jobs.js";
import type { JsonLog } from "../daemon/json-log.js";
import type { WorkRunner } from "../daemon/work-runner.js";
import { targetScope } from "../domain/endpoint.js";
import { storeUrl } from "../app/context.js";
import type { ScanTargetStatus } from "../server/deps.js";
import { openBoss, type OpenBoss } from "./boss.js";
import { Leases } from "./held-lease.js";
import { JobRunners } from "./job-runners.js";
import { Dispatcher } from "./dispatcher.js";
import { Planner } from "./planner.js";
import {
  CT_EXPIRY_JOB,
  CT_QUEUE,
  HOUSEKEEPING_QUEUE,
  SCAN_QUEUE,
  scanExpireSeconds,
  type CtJob,
  type HousekeepingJob,
  type JobOutcome,
  type ScanJob,
  type WorkKind,
} from "./queues.js";

const WORKER_LEASE_PREFIX = "worker:";
const workerLease = (id: string): string => `${WORKER_LEASE_PREFIX}${id}`;
/** pg-boss looks for jobs whose worker vanished this often (a backstop: leases notice sooner). */
const MAINTENANCE_SECONDS = 60;

export interface DistributedWorkOptions {
  readonly ctx: AppContext;
  readonly log: JsonLog;
  readonly clock: Clock;
  readonly workerId: string;
  /** Run jobs (a worker, or serve); false: serve --no-work (the API's view and "scan now" only). */
  readonly work: boolean;
  /** Keep the scan schedule's view for the API. */
  readonly view: boolean;
  readonly observeScanDuration?: (seconds: number) => void;
  /** A job taken from a queue ended (`certwatch_worker_jobs_total`). */
  readonly observeJob?: (queue: WorkKind, outcome: JobOutcome) => void;
}

export class DistributedWork implements WorkRunner {
  readonly ctx: AppContext;
  readonly #o: DistributedWorkOptions;
  readonly #scanDeps: ScanDeps;
  readonly #abort = new AbortController();
  readonly #tasks: Promise<void>[] = [];
  readonly #dispatchers: Pick<Dispatcher<object>, "run" | "settle" | "wake">[] = [];
  #liveWorkers = 1;
  #logCount = 0;
  #boss: OpenBoss | null = null;
  #leases: Leases | null = null;
  #planner: Planner | null = null;
  #runners: JobRunners | null = null;
  #ctDeps: Promise<CtRunDeps> | undefined;
  #ctLogs: { at: number; logs: Promise<readonly LogTarget[]> } | undefined;
  #selectLogs: (() => Promise<LogTarget[]>) | undefined;
  #started = false;

  private constructor(o: DistributedWorkOptions, scanDeps: ScanDeps) {
    this.ctx = o.ctx;
    this.#o = o;
    this.#scanDeps = scanDeps;
  }

  /** Reads what the configuration names (trust roots, allowed roots): a configuration error surfaces here. */
  static async prepare(o: DistributedWorkOptions): Promise<DistributedWork> {
    return new DistributedWork(o, await prepareScanDeps(o.ctx, o.log, o.clock));
  }

  get running(): boolean {
    return this.#started && !this.#abort.signal.aborted;
  }

  async start(): Promise<void> {
    const { ctx, log, clock } = this.#o;
    const work = ctx.config.work;
    const signal = this.#abort.signal;
    const boss = await openBoss(storeUrl(ctx.config), {
      work: this.#o.work,
      maintenanceSeconds: MAINTENANCE_SECONDS,
      onError: (e) => log.warn("job queue error", { component: "queue", error: e.message }),
    });
    this.#boss = boss;
    const leases = new Leases({
      store: ctx.store.leases,
      workerId: this.#o.workerId,
      ttlMs: work.leaseSeconds * 1000,
      clock,
      log: log.child({ component: "lease" }),
    });
    this.#leases = leases;
    this.#selectLogs = ctx.ctTargets(signal);
    const ctLogs = () => this.#followedLogs();
    const planner = new Planner({
      ctx,
      boss: boss.boss,
      leases,
      log,
      clock,
      ctLogs,
      tickMs: work.plannerSeconds * 1000,
      plan: this.#o.work,
      view: this.#o.view,
      onSent: () => {
        for (const d of this.#dispatchers) d.wake();
      },
    });
    this.#planner = planner;
    if (this.#o.work) {
      const runners = new JobRunners({
        ctx,
        leases,
        log,
        clock,
        scanDeps: this.#scanDeps,
        ...(this.#o.observeScanDuration ? { observeScanDuration: this.#o.observeScanDuration } : {}),
        ctLogs,
        ctDeps: () =>
          (this.#ctDeps ??= ctx.ctDeps({ logLine: (m) => log.child({ component: "ct" }).line(m) })),
        judgeExpirySoon: () =>
          this.#sendNow(HOUSEKEEPING_QUEUE, CT_EXPIRY_JOB, { job: CT_EXPIRY_JOB, basis: null, now: true }),
      });
      this.#runners = runners;
      // Present among the workers while alive: the others count it for their share of the CT logs.
      await leases.take(workerLease(this.#o.workerId));
      const pollMs = work.pollSeconds * 1000;
      const observeJob = this.#o.observeJob;
      const dispatch = <T extends object>(
        queue: string,
        kind: WorkKind,
        capacity: () => number,
        run: (d: T) => Promise<JobOutcome>,
      ) => {
        const counted = async (d: T): Promise<void> => {
          let outcome: JobOutcome = "failed"; // unless the run says otherwise (a throw fails the job in pg-boss too)
          try {
            outcome = await run(d);
          } finally {
            observeJob?.(kind, outcome);
          }
        };
        this.#dispatchers.push(
          new Dispatcher<T>({ boss: boss.boss, queue, capacity, pollMs, run: counted, log, clock }),
        );
      };
      dispatch<ScanJob>(
        SCAN_QUEUE,
        "scan",
        () => ctx.config.scan.concurrency,
        (d) => runners.scan(d),
      );
      if (ctx.watched.size > 0) {
        void ctLogs(); // how many logs there are: this worker's share of them
        dispatch<CtJob>(
          CT_QUEUE,
          "ct",
          () => this.#ctShare(),
          (d) => runners.ct(d),
        );
      } else log.info("no watched domain: CT logs are not followed (see domains)", { component: "ct" });
      dispatch<HousekeepingJob>(
        HOUSEKEEPING_QUEUE,
        "housekeeping",
        () => 2,
        (d) => runners.housekeeping(d),
      );
      for (const d of this.#dispatchers) this.#tasks.push(d.run(signal));
      this.#tasks.push(this.#countWorkers(signal), deliverOutbox(ctx, OUTBOX_POLL_MS, signal, log));
    }
    // The API's view of the schedule is there before the process says it started.
    if (this.#o.view) await planner.tick().catch(() => undefined);
    this.#started = true;
    this.#tasks.push(planner.run(signal));
    log.info(this.#o.work ? "working" : "serving without working: the workers do the work", {
      component: "queue",
      scanConcurrency: this.#o.work ? ctx.config.scan.concurrency : 0,
    });
  }

  async stop(boundMs: number, hurry?: AbortSignal): Promise<boolean> {
    // No job is taken from now on; those running get the bound, then count as failed (retried elsewhere).
    this.#abort.abort();
    const settled = await Promise.all(this.#dispatchers.map((d) => d.settle(boundMs, hurry)));
    const finished = settled.every(Boolean);
    if (finished) await Promise.allSettled([...this.#tasks, this.#runners?.settled()]);
    // The others take over at once instead of after the lease time (work cut off by the bound is fenced or redone).
    await this.#leases?.releaseAll().catch(() => undefined);
    await this.#boss
      ?.stop(1000)
      .catch((e: unknown) =>
        this.#o.log.warn("the job queue did not stop cleanly", { component: "queue", error: messageOf(e) }),
      );
    return finished;
  }

  async scanNow(host: string, port: number): Promise<boolean> {
    const planner = this.#planner;
    if (planner === null) return false;
    const scope = targetScope({ host, port });
    if (planner.target(scope) === undefined) await planner.tick();
    const t = planner.target(scope);
    if (t === undefined) return false;
    const data: ScanJob = { scope, target: t.target, basis: null, now: true };
    await this.#sendNow(SCAN_QUEUE, scope, data, scanExpireSeconds(this.ctx.config));
    return true;
  }

  leasesHeld(): Readonly<Record<string, number>> {
    return this.#leases?.heldByKind() ?? {};
  }

  targets(): ScanTargetStatus[] {
    return this.#planner?.view ?? [];
  }

  async refreshTargets(): Promise<void> {
    await this.#planner?.tick();
  }

  /** A job to run as soon as a worker is free, beside the planned one (its own key: one such job waits at most). */
  async #sendNow(queue: string, key: string, data: object, expireInSeconds = 6 * 3600): Promise<void> {
    await this.#boss?.boss.send(queue, data, { singletonKey: `now:${key}`, expireInSeconds, retryLimit: 2 });
  }

  /**
   * How many CT logs this worker reads at once: its share of the logs followed among the workers alive (so that the
   * first worker up does not take them all), at most ct.logConcurrency.
   */
  #ctShare(): number {
    const share = Math.ceil(this.#logCount / Math.max(1, this.#liveWorkers));
    return Math.max(1, Math.min(this.ctx.config.ct.logConcurrency, share));
  }

  /** Counts the workers alive (their presence leases) every planner tick. */
  async #countWorkers(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const held = await this.ctx.store.leases.listHeld();
        this.#liveWorkers = held.filter((l) => l.name.startsWith(WORKER_LEASE_PREFIX)).length;
      } catch (e) {
        this.#o.log.warn("could not count the workers", { component: "lease", error: messageOf(e) });
      }
      await this.#o.clock.sleep(this.ctx.config.work.plannerSeconds * 1000, signal);
    }
  }

  /** The logs followed: the log list read again every ct.logListRefreshMinutes; an unreadable one keeps the last. */
  #followedLogs(): Promise<readonly LogTarget[]> {
    const now = this.#o.clock.now();
    const refreshMs = this.ctx.config.ct.logListRefreshMinutes * 60_000;
    const cached = this.#ctLogs;
    if (cached !== undefined && now - cached.at < refreshMs) return cached.logs;
    const select = this.#selectLogs;
    if (select === undefined) return Promise.resolve([]);
    const logs = select()
      .then((l) => {
        this.#logCount = l.length;
        return l;
      })
      .catch((e: unknown) => {
        this.#o.log.error("the CT logs to follow could not be read", {
          component: "ct",
          error: messageOf(e),
        });
        this.#ctLogs = undefined; // asked again at the next tick
        return cached?.logs ?? [];
      });
    this.#ctLogs = { at: now, logs };
    return logs;
  }
}
