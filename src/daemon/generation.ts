/**
 * @module daemon/generation
 * Everything the daemon runs for one configuration: the scan scheduler (one job per target: the configured
 * endpoints and the managed ones in the store), the housekeeping scheduler (the domain checks, pruning delivered
 * notifications), the CT follower and the outbox follower. A reload stops one generation and starts the next
 * with the new configuration; the stop signal reaches every loop, and each stops at a safe point:
 *
 * - a scan in progress finishes (its probes have timeouts) and records its run, or never starts;
 * - the CT follower stops between requests: every batch is committed with its log position in one transaction,
 *   so what was read past the last commit is read again next time;
 * - the outbox follower claims nothing more; a send in flight completes, or its rows stay pending (and their
 *   lease ends within seconds);
 * - a domain check in progress is left unrecorded when the bound runs out (it runs again at the next start).
 */
import type { ScanDeps } from "../app/scan.js";
import type { AppContext } from "../app/context.js";
import { followCt, type CtRunReport } from "../app/ct/run.js";
import { rfc3339 } from "../domain/alert.js";
import { targetScope } from "../domain/endpoint.js";
import type { ScanTargetStatus } from "../server/deps.js";
import type { Clock } from "./clock.js";
import {
  addDiscoveredHosts,
  checkDomains,
  deliverOutbox,
  DOMAINS_JOB,
  logCtRun,
  messageOf,
  prepareScanDeps,
  PRUNE_EVERY_MS,
  PRUNE_JOB,
  pruneOutbox,
  scanTarget,
  scheduledTargets,
  type ScheduledTarget,
} from "./jobs.js";
import type { JsonLog } from "./json-log.js";
import { Scheduler } from "./scheduler.js";
import type { WorkRunner } from "./work-runner.js";

export { DOMAINS_JOB, PRUNE_JOB } from "./jobs.js";

/** ± fraction of each interval, drawn per run: targets that started together drift apart. */
export const JITTER = 0.1;
/** The outbox is looked at this often when idle. */
export const OUTBOX_POLL_MS = 1000;
/** Managed endpoints are read again this often (the API, or another process, may have changed them). */
const REFRESH_TARGETS_MS = 60_000;

export interface GenerationOptions {
  readonly ctx: AppContext;
  readonly log: JsonLog;
  readonly clock: Clock;
  readonly random?: () => number;
  /** Each target's scan duration, for /metrics. */
  readonly observeScanDuration?: (seconds: number) => void;
}

export class Generation implements WorkRunner {
  readonly ctx: AppContext;
  readonly #log: JsonLog;
  readonly #clock: Clock;
  readonly #abort = new AbortController();
  readonly #tasks: Promise<void>[] = [];
  readonly #scans: Scheduler;
  readonly #housekeeping: Scheduler;
  readonly #scanDeps: ScanDeps;
  readonly #observeScan: (seconds: number) => void;
  #targets = new Map<string, ScheduledTarget>();
  #discovering: Promise<void> = Promise.resolve();
  #started = false;

  private constructor(o: GenerationOptions, scanDeps: ScanDeps) {
    this.ctx = o.ctx;
    this.#log = o.log;
    this.#clock = o.clock;
    this.#scanDeps = scanDeps;
    this.#observeScan = o.observeScanDuration ?? (() => undefined);
    const spread = o.ctx.config.schedule.startSpreadSeconds * 1000;
    const common = {
      clock: o.clock,
      jitter: JITTER,
      startSpreadMs: spread,
      ...(o.random ? { random: o.random } : {}),
      onFinished: (key: string, startedAt: number, durationMs: number, error: unknown) =>
        this.#finished(key, startedAt, durationMs, error),
      onError: (key: string, e: unknown) =>
        this.#log.warn("could not save the run", { job: key, error: messageOf(e) }),
    };
    this.#scans = new Scheduler({
      ...common,
      concurrency: o.ctx.config.scan.concurrency,
      run: (key) => this.#scanTarget(key),
    });
    this.#housekeeping = new Scheduler({
      ...common,
      concurrency: 2,
      run: (key) =>
        key === DOMAINS_JOB
          ? checkDomains(this.ctx, this.#log)
          : pruneOutbox(this.ctx, this.#clock.now(), this.#log),
    });
  }

  /**
   * Builds what every scan shares, reading the files the configuration names (trust roots, allowed roots): a
   * configuration error surfaces here, before anything stops or starts.
   */
  static async prepare(o: GenerationOptions): Promise<Generation> {
    return new Generation(o, await prepareScanDeps(o.ctx, o.log, o.clock));
  }

  get running(): boolean {
    return this.#started && this.#scans.running && !this.#abort.signal.aborted;
  }

  /** Schedules the targets and the housekeeping (resuming from the store's last runs) and starts every loop. */
  async start(): Promise<void> {
    const signal = this.#abort.signal;
    const schedule = this.ctx.config.schedule;
    const lastRuns = await this.#lastRuns();
    await this.#loadTargets(lastRuns);
    this.#logSchedule();
    this.#housekeeping.setJobs(
      [
        { key: DOMAINS_JOB, intervalMs: schedule.domainsIntervalHours * 3_600_000 },
        { key: PRUNE_JOB, intervalMs: PRUNE_EVERY_MS },
      ],
      lastRuns,
    );
    this.#started = true;
    this.#tasks.push(
      this.#scans.run(signal),
      this.#housekeeping.run(signal),
      this.#followCt(signal),
      this.#followOutbox(signal),
      this.#refreshLoop(signal),
    );
  }

  /** Reads the managed endpoints again and reschedules what changed. */
  async refreshTargets(): Promise<void> {
    await this.#loadTargets(await this.#lastRuns());
  }

  scanNow(host: string, port: number): boolean {
    return this.#scans.runNow(targetScope({ host, port }));
  }

  targets(): ScanTargetStatus[] {
    const jobs = new Map(this.#scans.status().map((s) => [s.key, s]));
    return [...this.#targets].map(([scope, t]) => {
      const job = jobs.get(scope);
      return {
        scope,
        host: t.target.host,
        port: t.target.port,
        origin: t.origin,
        intervalMinutes: t.intervalMinutes,
        lastRunAt: job?.lastRunAt == null ? null : rfc3339(new Date(job.lastRunAt)),
        nextRunAt: job ? rfc3339(new Date(job.nextRunAt)) : null,
        running: job?.running ?? false,
      };
    });
  }

  /**
   * Stops every loop at its next safe point and waits for them, at most `boundMs`. False when the bound ran out
   * (something is still running: the caller must not close what it uses). `hurry` cuts the bound short.
   */
  async stop(boundMs: number, hurry?: AbortSignal): Promise<boolean> {
    this.#abort.abort();
    const all = Promise.allSettled([...this.#tasks, this.#discovering]).then(() => true);
    const timer = new AbortController();
    const cut = () => timer.abort();
    hurry?.addEventListener("abort", cut, { once: true });
    const late = this.#clock.sleep(hurry?.aborted ? 0 : boundMs, timer.signal).then(() => false);
    const finished = await Promise.race([all, late]);
    timer.abort();
    hurry?.removeEventListener("abort", cut);
    return finished;
  }

  /** What the scan schedule looks like at start: how many targets resume from a stored last run, the next run. */
  #logSchedule(): void {
    const jobs = this.#scans.status();
    // A loop, not Math.min(...): tens of thousands of targets would exceed the argument limit.
    const next = jobs.reduce((min, j) => Math.min(min, j.nextRunAt), Infinity);
    this.#log.info("scans scheduled", {
      component: "scan",
      targets: jobs.length,
      resumed: jobs.filter((j) => j.lastRunAt !== null).length,
      nextRunAt: Number.isFinite(next) ? rfc3339(new Date(next)) : null,
    });
  }

  async #lastRuns(): Promise<Map<string, number>> {
    const runs = await this.ctx.store.schedule.lastRuns();
    const out = new Map<string, number>();
    for (const [job, run] of runs) {
      const at = Date.parse(run.at);
      if (Number.isFinite(at)) out.set(job, at);
    }
    return out;
  }

  async #loadTargets(lastRuns: ReadonlyMap<string, number>): Promise<void> {
    const next = scheduledTargets(this.ctx.config, await this.ctx.store.schedule.listManagedEndpoints());
    this.#targets = next;
    this.#scans.setJobs(
      [...next].map(([key, t]) => ({ key, intervalMs: t.intervalMinutes * 60_000 })),
      lastRuns,
    );
    // Targets no longer scheduled: their last runs would only accumulate. Their alerts stay as they were.
    const gone = [...lastRuns.keys()].filter((job) => job.startsWith("tls:") && !next.has(job));
    if (gone.length > 0) await this.ctx.store.schedule.forgetScheduleRuns(gone);
  }

  async #finished(key: string, startedAt: number, durationMs: number, error: unknown): Promise<void> {
    if (error !== null) this.#log.error("job failed", { job: key, error: messageOf(error) });
    await this.ctx.store.schedule.recordScheduleRun({
      job: key,
      at: rfc3339(new Date(startedAt)),
      durationMs,
      error: error === null ? null : messageOf(error),
    });
  }

  async #scanTarget(scope: string): Promise<void> {
    const scheduled = this.#targets.get(scope);
    if (!scheduled) return; // dropped by a refresh after it was due
    await scanTarget(this.ctx, this.#scanDeps, scheduled.target, this.#log, this.#observeScan);
  }

  async #followCt(signal: AbortSignal): Promise<void> {
    const log = this.#log.child({ component: "ct" });
    if (this.ctx.watched.size === 0) {
      log.info("no watched domain: CT logs are not followed (see domains)");
      return;
    }
    const c = this.ctx.config.ct;
    try {
      const deps = await this.ctx.ctDeps({ logLine: (m) => log.line(m) });
      const targets = this.ctx.ctTargets(signal);
      while (!signal.aborted) {
        try {
          await followCt(deps, {
            pollMs: c.pollSeconds * 1000,
            refreshLogsMs: c.logListRefreshMinutes * 60_000,
            targets,
            signal,
            sleep: (ms, s) => this.#clock.sleep(ms, s),
            onRun: (report) => this.#ctRun(report, log),
          });
        } catch (e) {
          if (signal.aborted) break;
          log.error("following CT failed; trying again", {
            error: messageOf(e),
            retryInSeconds: c.pollSeconds,
          });
          await this.#clock.sleep(c.pollSeconds * 1000, signal);
        }
      }
    } catch (e) {
      log.error("CT cannot be followed with this configuration", { error: messageOf(e) });
    }
  }

  #ctRun(report: CtRunReport, log: JsonLog): void {
    const hosts = logCtRun(report, log);
    if (this.ctx.config.schedule.scanDiscoveredHosts && hosts.length > 0) {
      this.#discovering = this.#discovering
        .then(() => this.#addDiscovered(hosts, log))
        .catch((e: unknown) => log.warn("could not add discovered hosts", { error: messageOf(e) }));
    }
  }

  /** Hosts first seen in CT under a watched domain become managed scan targets on port 443. */
  async #addDiscovered(names: readonly string[], log: JsonLog): Promise<void> {
    const added = await addDiscoveredHosts(
      this.ctx,
      names,
      (scope) => this.#targets.has(scope),
      this.#clock.now(),
      log,
    );
    if (added > 0 && !this.#abort.signal.aborted) await this.refreshTargets();
  }

  async #refreshLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.#clock.sleep(REFRESH_TARGETS_MS, signal);
      if (signal.aborted) break;
      try {
        await this.refreshTargets();
      } catch (e) {
        this.#log.warn("could not read the managed endpoints", { component: "scan", error: messageOf(e) });
      }
    }
  }

  #followOutbox(signal: AbortSignal): Promise<void> {
    return deliverOutbox(this.ctx, OUTBOX_POLL_MS, signal, this.#log);
  }
}
