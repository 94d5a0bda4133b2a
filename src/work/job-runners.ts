/**
 * @module work/job-runners
 * What a worker does with each job it takes from a queue. Every job first takes its lease (a scan target's run, a
 * CT log, a housekeeping job): a job whose lease another worker holds is done at once (that worker is on it), and
 * a planned job whose target ran since it was planned is done too. The work itself is the daemon's own
 * (daemon/jobs.ts, app/ct/read-log.ts); its run is recorded in schedule_runs, which the planner reads.
 *
 * CT: the log is read from its stored position to its head under the log's lease, every batch fenced by it (a
 * worker that lost the lease commits nothing more; the new holder reads on from the last committed batch).
 */
import type { AppContext } from "../app/context.js";
import { IdentityClaims } from "../app/ct/identity-claims.js";
import { readLog, type LogTarget } from "../app/ct/read-log.js";
import { judgeNewestCertificates, type CtRunDeps } from "../app/ct/run.js";
import type { ScanDeps } from "../app/scan.js";
import type { Clock } from "../daemon/clock.js";
import {
  addDiscoveredHosts,
  checkDomains,
  DOMAINS_JOB,
  logCtRun,
  messageOf,
  pruneOutbox,
  scanTarget,
} from "../daemon/jobs.js";
import type { JsonLog } from "../daemon/json-log.js";
import { rfc3339 } from "../domain/alert.js";
import { targetScope, type Target } from "../domain/endpoint.js";
import type { CtBatchRecord } from "../store/ct-records.js";
import { LeaseLostError } from "../store/lease-store.js";
import type { Store } from "../store/store.js";
import type { Leases } from "./held-lease.js";
import { ctLease, housekeepingLease, scanLease } from "./planner.js";
import {
  CT_EXPIRY_JOB,
  ctRunKey,
  type CtJob,
  type HousekeepingJob,
  type JobOutcome,
  type ScanJob,
} from "./queues.js";

export interface JobEnv {
  readonly ctx: AppContext;
  readonly leases: Leases;
  readonly log: JsonLog;
  readonly clock: Clock;
  readonly scanDeps: ScanDeps;
  readonly observeScanDuration?: (seconds: number) => void;
  /** The CT logs followed, and what reading them needs (null: CT is not followed here). */
  readonly ctLogs: () => Promise<readonly LogTarget[]>;
  readonly ctDeps: () => Promise<CtRunDeps>;
  /** Asks for event 99 to be judged soon (after a CT job matched entries). */
  readonly judgeExpirySoon: () => Promise<void>;
}

export class JobRunners {
  readonly #env: JobEnv;
  /** One registry of CT identity claims for every log this worker reads at once (app/ct/identity-claims.ts). */
  readonly #claims = new IdentityClaims();
  /** Discovered hosts are added one CT job after the other. */
  #discovering: Promise<void> = Promise.resolve();

  constructor(env: JobEnv) {
    this.#env = env;
  }

  async scan(data: ScanJob): Promise<JobOutcome> {
    const { ctx, log } = this.#env;
    const target = `${data.target.host}:${data.target.port}`;
    return this.#underLease(
      scanLease(data.scope),
      data.scope,
      data,
      { component: "scan", target },
      async () => {
        log.info("scan started", { component: "scan", target, now: data.now === true });
        await scanTarget(ctx, this.#env.scanDeps, data.target, log, this.#env.observeScanDuration);
      },
    );
  }

  async housekeeping(data: HousekeepingJob): Promise<JobOutcome> {
    const { ctx, log, clock } = this.#env;
    return this.#underLease(housekeepingLease(data.job), data.job, data, { job: data.job }, async () => {
      if (data.job === DOMAINS_JOB) await checkDomains(ctx, log);
      else if (data.job === CT_EXPIRY_JOB) {
        const changes = await judgeNewestCertificates(await this.#env.ctDeps());
        const raised = changes.filter((c) => c.kind === "opened" || c.kind === "reopened").length;
        const resolved = changes.filter((c) => c.kind === "resolved").length;
        if (raised + resolved > 0) log.info("expiry judged", { component: "ct", raised, resolved });
      } else await pruneOutbox(ctx, clock.now(), log);
    });
  }

  async ct(data: CtJob): Promise<JobOutcome> {
    const { ctx, clock } = this.#env;
    const log = this.#env.log.child({ component: "ct" });
    const target = (await this.#env.ctLogs()).find((l) => l.descriptor.logId === data.logId);
    if (target === undefined) {
      log.info("CT job done: the log is no longer followed", { logId: data.logId });
      return "skipped";
    }
    const d = target.descriptor;
    const lease = await this.#env.leases.take(ctLease(d.logId));
    if (lease === null) return "skipped"; // another worker reads it now
    const startedAt = clock.now();
    let error: unknown = null;
    try {
      const base = await this.#env.ctDeps();
      const deps: CtRunDeps = {
        ...base,
        store: fenced(base.store, { lease: lease.name, holder: lease.holder }),
        claims: this.#claims,
        progress: (p) =>
          log.info("ct batch committed", { log: p.log, logId: d.logId, position: p.position, size: p.size }),
      };
      const report = await readLog(target, deps);
      const hosts = logCtRun({ logs: [report], changes: report.changes }, log);
      if (ctx.config.schedule.scanDiscoveredHosts && hosts.length > 0) this.#addDiscovered(hosts, log);
      if (report.matched > 0) await this.#env.judgeExpirySoon();
    } catch (e) {
      if (e instanceof LeaseLostError) {
        // Paused or cut off past the lease: the new holder reads on from the last batch committed.
        log.warn("lost the log's lease; its new holder reads on", { log: d.description, logId: d.logId });
        return "failed";
      }
      error = e;
      log.error("reading the log failed; trying again at the next poll", {
        log: d.description,
        error: messageOf(e),
      });
    } finally {
      await lease.release();
    }
    await this.#record(ctRunKey(d.logId), startedAt, error);
    return error === null ? "completed" : "failed";
  }

  /** Waits for the discovered hosts being added (a stopping worker). */
  settled(): Promise<void> {
    return this.#discovering;
  }

  /**
   * Runs `work` under the lease `name` unless another worker holds it, or the job was planned for a last run that
   * is no longer the last (someone ran it since); records the run (key `runKey`) after. Says how the job ended.
   */
  async #underLease(
    name: string,
    runKey: string,
    data: { readonly basis: string | null; readonly now?: boolean },
    fields: Record<string, unknown>,
    work: () => Promise<void>,
  ): Promise<JobOutcome> {
    const { ctx, log, clock } = this.#env;
    const lease = await this.#env.leases.take(name);
    if (lease === null) {
      log.info("job done: another worker runs it now", { ...fields, lease: name });
      return "skipped";
    }
    const startedAt = clock.now();
    let error: unknown = null;
    try {
      if (data.now !== true) {
        const last = (await ctx.store.schedule.lastRun(runKey))?.at ?? null;
        if (last !== data.basis) {
          log.info("job done: it ran since it was planned", { ...fields, lastRunAt: last });
          return "skipped";
        }
      }
      await work();
    } catch (e) {
      error = e;
      log.error("job failed", { ...fields, job: runKey, error: messageOf(e) });
    } finally {
      await lease.release();
    }
    await this.#record(runKey, startedAt, error);
    return error === null ? "completed" : "failed";
  }

  async #record(job: string, startedAt: number, error: unknown): Promise<void> {
    const { ctx, clock, log } = this.#env;
    try {
      await ctx.store.schedule.recordScheduleRun({
        job,
        at: rfc3339(new Date(startedAt)),
        durationMs: clock.now() - startedAt,
        error: error === null ? null : messageOf(error),
      });
    } catch (e) {
      log.warn("could not save the run", { job, error: messageOf(e) });
    }
  }

  #addDiscovered(hosts: readonly string[], log: JsonLog): void {
    const { ctx, clock } = this.#env;
    const configured = new Set((ctx.config.endpoints as readonly Target[]).map((t) => targetScope(t)));
    this.#discovering = this.#discovering
      .then(async () => {
        await addDiscoveredHosts(ctx, hosts, (scope) => configured.has(scope), clock.now(), log);
      })
      .catch((e: unknown) => log.warn("could not add discovered hosts", { error: messageOf(e) }));
  }
}

/** The store with every CT batch fenced by the log's lease (ct-records.ts `fence`). */
function fenced(store: Store, fence: NonNullable<CtBatchRecord["fence"]>): Store {
  return new Proxy(store, {
    get(target, property) {
      if (property === "recordCtBatch") {
        return (batch: CtBatchRecord) => target.recordCtBatch({ ...batch, fence });
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
