/**
 * @module app/ct/run
 * The CT use case: read every followed log up to its current head (a few logs at a time), then judge the
 * newest certificate of every watched name (event 99). `followCt` repeats it for the daemon.
 */
import type { AlertChange } from "../../alerts/reconcile.js";
import type { Thresholds } from "../../checks/context.js";
import { newestCertificateFindings } from "../../checks/ct-expiry.js";
import type { WatchedDomains } from "../../domain/watched-domains.js";
import { CT_EXPIRY_SCOPE } from "../../store/ct-records.js";
import { mapLimit } from "../../util/concurrency.js";
import { IdentityClaims } from "./identity-claims.js";
import { readLog, type LogReport, type LogTarget, type ReadLogDeps } from "./read-log.js";

export interface CtRunDeps extends ReadLogDeps {
  readonly watched: WatchedDomains;
  readonly thresholds: Thresholds;
  readonly logConcurrency: number;
}

export interface CtRunReport {
  readonly logs: LogReport[];
  /** Every alert change of the run, entries and log health and expiry. */
  readonly changes: AlertChange[];
}

/**
 * Reads every log, then judges the newest certificates (event 99). `judge` lets follow mode skip that scan
 * of the inventory when nothing new was logged and little time has passed.
 */
export async function runCtOnce(
  targets: readonly LogTarget[],
  deps: CtRunDeps,
  judge: (logs: readonly LogReport[]) => boolean = () => true,
): Promise<CtRunReport> {
  // One registry of identity claims for the logs read at once: a certificate logged in two of them (or its
  // precertificate in one, itself in the other) is evaluated by one batch only.
  const claims = deps.claims ?? new IdentityClaims();
  const logs = await mapLimit(targets, deps.logConcurrency, (t) => readLog(t, { ...deps, claims }));
  const changes = logs.flatMap((l) => l.changes);
  if (judge(logs)) changes.push(...(await judgeNewestCertificates(deps)));
  return { logs, changes };
}

/** Follow mode judges expiry at least this often even when the logs bring nothing for the watched names. */
const JUDGE_EVERY_MS = 3_600_000;

/** Event 99 over the inventory: one full reconcile of scope `ct:expiry`, so renewed certificates resolve. */
export async function judgeNewestCertificates(deps: CtRunDeps): Promise<AlertChange[]> {
  if (deps.watched.size === 0) return [];
  const certs = await deps.store.certificatesUnder(deps.watched.list);
  const now = deps.now();
  const findings = newestCertificateFindings(
    certs,
    (n) => deps.watched.domainOf(n) !== null,
    now,
    deps.thresholds,
  );
  return deps.store.recordRun({
    scope: CT_EXPIRY_SCOPE,
    now,
    certificates: [],
    observations: [],
    findings: findings.map(deps.draft),
  });
}

export interface FollowOptions {
  readonly pollMs: number;
  readonly refreshLogsMs: number;
  /** The current selection of logs (the log list is downloaded again every `refreshLogsMs`). */
  readonly targets: () => Promise<LogTarget[]>;
  readonly onRun?: (report: CtRunReport) => void;
  readonly signal: AbortSignal;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Follow mode, for the daemon: read, wait, read again; pick up list changes; stop on `signal`. */
export async function followCt(deps: CtRunDeps, o: FollowOptions): Promise<void> {
  let targets = await o.targets();
  let refreshedAt = Date.now();
  let judgedAt = 0;
  while (!o.signal.aborted) {
    if (Date.now() - refreshedAt >= o.refreshLogsMs) {
      targets = await o.targets();
      refreshedAt = Date.now();
    }
    const report = await runCtOnce(targets, deps, (logs) => {
      const due = logs.some((l) => l.matched > 0) || Date.now() - judgedAt >= JUDGE_EVERY_MS;
      if (due) judgedAt = Date.now();
      return due;
    });
    o.onRun?.(report);
    if (o.signal.aborted) break;
    await o.sleep(o.pollMs, o.signal);
  }
}
