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
import { Planner } from "./planner.js";
import {
  CT_EXPIRY_JOB,
  CT_QUEUE,
  HOUSEKEEPING_QUEUE,
  SCAN_QUEUE,
  scanExpireSeconds,
  type CtJob,
  type HousekeepingJob,
  type ScanJob,
} from "./queues.js";

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
}

export class DistributedWork implements WorkRunner {
  readonly ctx: AppContext;
  readonly #o: DistributedWorkOptions;
  readonly #scanDeps: ScanDeps;
  readonly #abort = new AbortController();
  readonly #tasks: Promise<void>[] = [];
  readonly #inflight = new Set<Promise<void>>();
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
      await this.#work<ScanJob>(SCAN_QUEUE, ctx.config.scan.concurrency, (d) => runners.scan(d));
      if (ctx.watched.size > 0)
        await this.#work<CtJob>(CT_QUEUE, ctx.config.ct.logConcurrency, (d) => runners.ct(d));
      else log.info("no watched domain: CT logs are not followed (see domains)", { component: "ct" });
      await this.#work<HousekeepingJob>(HOUSEKEEPING_QUEUE, 2, (d) => runners.housekeeping(d));
      this.#tasks.push(deliverOutbox(ctx, OUTBOX_POLL_MS, signal, log));
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
    this.#abort.abort();
    const done = (async () => {
      // No job is taken from now on; those running get the bound, then count as failed (retried elsewhere).
      await this.#boss
        ?.stop(boundMs)
        .catch((e: unknown) =>
          this.#o.log.warn("the job queue did not stop cleanly", { component: "queue", error: messageOf(e) }),
        );
      await Promise.allSettled([...this.#tasks, ...this.#inflight, this.#runners?.settled()]);
      await this.#leases?.releaseAll();
      return true;
    })();
    const timer = new AbortController();
    const cut = () => timer.abort();
    hurry?.addEventListener("abort", cut, { once: true });
    // pg-boss's own wait is the bound; a little more for the leases to be given back.
    const late = this.#o.clock.sleep(hurry?.aborted ? 0 : boundMs + 2000, timer.signal).then(() => false);
    const finished = await Promise.race([done, late]);
    timer.abort();
    hurry?.removeEventListener("abort", cut);
    if (!finished) await this.#leases?.releaseAll().catch(() => undefined);
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

  /** `concurrency` pollers on the queue, one job each: a slow job holds back no other. */
  async #work<T extends object>(
    queue: string,
    concurrency: number,
    run: (data: T) => Promise<void>,
  ): Promise<void> {
    const boss = this.#boss?.boss;
    if (boss === undefined) return;
    const options = { batchSize: 1, pollingIntervalSeconds: this.ctx.config.work.pollSeconds };
    for (let i = 0; i < concurrency; i++) {
      await boss.work<T>(queue, options, async ([job]) => {
        if (job === undefined) return;
        const p = run(job.data);
        this.#inflight.add(p);
        try {
          await p;
        } finally {
          this.#inflight.delete(p);
        }
      });
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
    const logs = select().catch((e: unknown) => {
      this.#o.log.error("the CT logs to follow could not be read", { component: "ct", error: messageOf(e) });
      this.#ctLogs = undefined; // asked again at the next tick
      return cached?.logs ?? [];
    });
    this.#ctLogs = { at: now, logs };
    return logs;
  }
}
