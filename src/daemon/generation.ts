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
import { scan, type ScanDeps } from "../app/scan.js";
import type { AppContext } from "../app/context.js";
import { followCt, type CtRunReport } from "../app/ct/run.js";
import { runDomains } from "../app/domains/run.js";
import { parseHostname } from "../config/schema.js";
import { rfc3339 } from "../domain/alert.js";
import { targetScope, type Target } from "../domain/endpoint.js";
import { followOutbox } from "../notify/deliver.js";
import type { ScanTargetStatus } from "../server/deps.js";
import type { ManagedEndpoint } from "../store/schedule-records.js";
import { Limiter } from "../util/concurrency.js";
import type { Clock } from "./clock.js";
import type { JsonLog } from "./json-log.js";
import { sharedRevocation } from "./shared-revocation.js";
import { Scheduler } from "./scheduler.js";

/** ± fraction of each interval, drawn per run: targets that started together drift apart. */
export const JITTER = 0.1;
/** The housekeeping job keys (scan jobs are their targets' scopes). */
export const DOMAINS_JOB = "domains";
export const PRUNE_JOB = "outbox:prune";
const PRUNE_EVERY_MS = 6 * 3_600_000;
/** Delivered notifications are kept this long for `notify status`. */
const KEEP_DELIVERED_MS = 7 * 86_400_000;
/** The outbox is looked at this often when idle. */
const OUTBOX_POLL_MS = 1000;
/** Revocation answers (CRLs parsed, OCSP responses) are shared by the scans started within this window. */
const REVOCATION_WINDOW_MS = 5 * 60_000;
/** Managed endpoints are read again this often (the API, or another process, may have changed them). */
const REFRESH_TARGETS_MS = 60_000;
/** Hosts CT discovery may add in all; beyond, they are logged and left out (a wildcard-heavy domain, say). */
export const MAX_DISCOVERED_HOSTS = 5000;

interface ScheduledTarget {
  readonly target: Target;
  readonly origin: "config" | "managed";
  readonly intervalMinutes: number;
}

export interface GenerationOptions {
  readonly ctx: AppContext;
  readonly log: JsonLog;
  readonly clock: Clock;
  readonly random?: () => number;
  /** Each target's scan duration, for /metrics. */
  readonly observeScanDuration?: (seconds: number) => void;
}

export class Generation {
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
      run: (key) => (key === DOMAINS_JOB ? this.#checkDomains() : this.#pruneOutbox()),
    });
  }

  /**
   * Builds what every scan shares, reading the files the configuration names (trust roots, allowed roots): a
   * configuration error surfaces here, before anything stops or starts.
   */
  static async prepare(o: GenerationOptions): Promise<Generation> {
    const { ctx } = o;
    await ctx.allowedRoots();
    // One limiter for every probe of every scan: scan.concurrency connections at most, however many targets run.
    const probes = new Limiter(ctx.config.scan.concurrency);
    const factory = ctx.revocationFactory();
    const scanDeps = await ctx.scanDeps({
      log: o.log.child({ component: "scan" }),
      probe: (endpoint, serverName) => probes.run(() => ctx.probe(endpoint, serverName)),
      revocation: factory ? sharedRevocation(factory, REVOCATION_WINDOW_MS, () => o.clock.now()) : undefined,
    });
    return new Generation(o, scanDeps);
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
    const config = this.ctx.config;
    const fallback = config.schedule.scanIntervalMinutes;
    const next = new Map<string, ScheduledTarget>();
    for (const target of config.endpoints as readonly Target[]) {
      next.set(targetScope(target), {
        target,
        origin: "config",
        intervalMinutes: target.scanIntervalMinutes ?? fallback,
      });
    }
    // An endpoint in both the configuration and the store is the configuration's.
    for (const m of await this.ctx.store.schedule.listManagedEndpoints()) {
      const scope = targetScope(m);
      if (next.has(scope)) continue;
      next.set(scope, {
        target: targetOf(m),
        origin: "managed",
        intervalMinutes: m.scanIntervalMinutes ?? fallback,
      });
    }
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
    const { target } = scheduled;
    const report = await scan(this.#scanDeps, this.ctx.scanOptions([target]));
    this.#observeScan(report.durationMs / 1000);
    const count = (kind: string) => report.changes.filter((c) => c.kind === kind).length;
    this.#log.info("scanned", {
      component: "scan",
      target: `${target.host}:${target.port}`,
      endpoints: report.endpoints,
      ...report.outcomes,
      opened: count("opened") + count("reopened"),
      resolved: count("resolved"),
      durationMs: report.durationMs,
    });
  }

  async #checkDomains(): Promise<void> {
    const log = this.#log.child({ component: "domains" });
    const d = await this.ctx.domains({ logLine: (m) => log.line(m) });
    for (const w of d.warnings) log.warn(w);
    const report = await runDomains(d.deps, d.options);
    const l = report.lookalikes;
    log.info("domains checked", {
      takeoverNames: report.takeover.checked,
      dangling: report.takeover.findings.length,
      takeoverInconclusive: report.takeover.inconclusive.length,
      lookalikeCandidates: l.candidates,
      lookalikesRegistered: l.registered,
      lookalikesInconclusive: l.inconclusive,
      opened: report.changes.filter((c) => c.kind === "opened" || c.kind === "reopened").length,
      resolved: report.changes.filter((c) => c.kind === "resolved").length,
    });
  }

  async #pruneOutbox(): Promise<void> {
    const pruned = await this.ctx.store.pruneOutbox(new Date(this.#clock.now() - KEEP_DELIVERED_MS));
    if (pruned > 0) this.#log.info("delivered notifications pruned", { component: "delivery", pruned });
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
    for (const l of report.logs) {
      if (l.outcome !== "ok") {
        log.warn("log unavailable or misbehaving", {
          log: l.description,
          url: l.url,
          outcome: l.outcome,
          error: l.error,
        });
      }
    }
    const raised = report.changes.filter((ch) => ch.kind === "opened" || ch.kind === "reopened");
    const read = report.logs.reduce((n, l) => n + l.entriesRead, 0);
    if (read > 0 || raised.length > 0) {
      log.info("logs read", {
        logs: report.logs.length,
        entriesRead: read,
        matched: report.logs.reduce((n, l) => n + l.matched, 0),
        malformed: report.logs.reduce((n, l) => n + l.entryErrors, 0),
        raised: raised.length,
      });
    }
    if (this.ctx.config.schedule.scanDiscoveredHosts) {
      const hosts = raised.filter((ch) => ch.alert.name === "new-subdomain").map((ch) => ch.alert.subject);
      if (hosts.length > 0) {
        this.#discovering = this.#discovering
          .then(() => this.#addDiscovered(hosts, log))
          .catch((e: unknown) => log.warn("could not add discovered hosts", { error: messageOf(e) }));
      }
    }
  }

  /** Hosts first seen in CT under a watched domain become managed scan targets on port 443. */
  async #addDiscovered(names: readonly string[], log: JsonLog): Promise<void> {
    const store = this.ctx.store.schedule;
    let known = (await store.listManagedEndpoints()).length;
    let added = 0;
    for (const name of new Set(names)) {
      // A wildcard names no host to connect to; the name must be one certwatch would accept in its config.
      const host = parseHostname(name);
      if (name.startsWith("*.") || !("value" in host)) continue;
      if (this.#targets.has(targetScope({ host: host.value, port: 443 }))) continue;
      if (known >= MAX_DISCOVERED_HOSTS) {
        log.warn("discovered host not scanned: too many managed endpoints", {
          host: host.value,
          max: MAX_DISCOVERED_HOSTS,
        });
        continue;
      }
      const ok = await store.addManagedEndpointIfAbsent({
        host: host.value,
        port: 443,
        origin: "ct",
        createdAt: rfc3339(new Date(this.#clock.now())),
        createdBy: null,
      });
      if (ok) {
        added++;
        known++;
        log.info("discovered host added to the scan targets", { host: host.value, port: 443 });
      }
    }
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

  async #followOutbox(signal: AbortSignal): Promise<void> {
    if (this.ctx.notifiers.length === 0) return;
    try {
      await followOutbox(this.ctx.deliveryDeps(), OUTBOX_POLL_MS, signal);
    } catch (e) {
      if (!signal.aborted)
        this.#log.error("delivery stopped", { component: "delivery", error: messageOf(e) });
    }
  }
}

function targetOf(m: ManagedEndpoint): Target {
  return {
    host: m.host,
    port: m.port,
    ...(m.addresses ? { addresses: m.addresses } : {}),
    ...(m.serverName !== undefined ? { serverName: m.serverName } : {}),
    ...(m.scanIntervalMinutes !== undefined ? { scanIntervalMinutes: m.scanIntervalMinutes } : {}),
  };
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
