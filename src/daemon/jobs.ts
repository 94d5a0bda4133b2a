/**
 * @module daemon/jobs
 * The work itself, one unit at a time, shared by the in-process daemon (generation.ts) and the workers that share a
 * PostgreSQL store (src/work/): the scan targets (configured and managed), scanning one target, the domain checks,
 * pruning delivered notifications, the log of a CT run, and adding the hosts CT discovered as scan targets.
 */
import { scan, type ScanDeps } from "../app/scan.js";
import type { AppContext } from "../app/context.js";
import type { CtRunReport } from "../app/ct/run.js";
import { runDomains } from "../app/domains/run.js";
import { parseHostname, type ResolvedConfig } from "../config/schema.js";
import { rfc3339 } from "../domain/alert.js";
import { targetScope, type Target } from "../domain/endpoint.js";
import { followOutbox } from "../notify/deliver.js";
import type { ManagedEndpoint } from "../store/schedule-records.js";
import { Limiter } from "../util/concurrency.js";
import type { Clock } from "./clock.js";
import type { JsonLog } from "./json-log.js";
import { sharedRevocation } from "./shared-revocation.js";

/** The housekeeping job keys (scan jobs are their targets' scopes). */
export const DOMAINS_JOB = "domains";
export const PRUNE_JOB = "outbox:prune";
export const PRUNE_EVERY_MS = 6 * 3_600_000;
/** Delivered notifications are kept this long for `notify status`. */
const KEEP_DELIVERED_MS = 7 * 86_400_000;
/** Revocation answers (CRLs parsed, OCSP responses) are shared by the scans started within this window. */
const REVOCATION_WINDOW_MS = 5 * 60_000;
/** Hosts named in the warning about those left out (the count says how many in all). */
const SHOWN_LEFT_OUT = 5;

export interface ScheduledTarget {
  readonly target: Target;
  readonly origin: "config" | "managed";
  readonly intervalMinutes: number;
}

/** Every target to scan, by scope: the configured endpoints, then the managed ones the configuration does not name. */
export function scheduledTargets(
  config: ResolvedConfig,
  managed: readonly ManagedEndpoint[],
): Map<string, ScheduledTarget> {
  const fallback = config.schedule.scanIntervalMinutes;
  const out = new Map<string, ScheduledTarget>();
  for (const target of config.endpoints as readonly Target[]) {
    out.set(targetScope(target), {
      target,
      origin: "config",
      intervalMinutes: target.scanIntervalMinutes ?? fallback,
    });
  }
  // An endpoint in both the configuration and the store is the configuration's.
  for (const m of managed) {
    const scope = targetScope(m);
    if (out.has(scope)) continue;
    out.set(scope, {
      target: targetOf(m),
      origin: "managed",
      intervalMinutes: m.scanIntervalMinutes ?? fallback,
    });
  }
  return out;
}

export function targetOf(m: ManagedEndpoint): Target {
  return {
    host: m.host,
    port: m.port,
    ...(m.addresses ? { addresses: m.addresses } : {}),
    ...(m.serverName !== undefined ? { serverName: m.serverName } : {}),
    ...(m.scanIntervalMinutes !== undefined ? { scanIntervalMinutes: m.scanIntervalMinutes } : {}),
  };
}

/**
 * What every scan of one process shares, reading the files the configuration names (trust roots, allowed roots): a
 * configuration error surfaces here. One limiter for every probe of every scan (scan.concurrency connections at
 * most, however many targets run); revocation answers shared within a window.
 */
export async function prepareScanDeps(ctx: AppContext, log: JsonLog, clock: Clock): Promise<ScanDeps> {
  await ctx.allowedRoots();
  const probes = new Limiter(ctx.config.scan.concurrency);
  const factory = ctx.revocationFactory();
  return ctx.scanDeps({
    log: log.child({ component: "scan" }),
    probe: (endpoint, serverName) => probes.run(() => ctx.probe(endpoint, serverName)),
    revocation: factory ? sharedRevocation(factory, REVOCATION_WINDOW_MS, () => clock.now()) : undefined,
  });
}

/** Scans one target (reconciling exactly its scope, as `certwatch scan` does per target) and logs the outcome. */
export async function scanTarget(
  ctx: AppContext,
  deps: ScanDeps,
  target: Target,
  log: JsonLog,
  observeSeconds: (seconds: number) => void = () => undefined,
): Promise<void> {
  const report = await scan(deps, ctx.scanOptions([target]));
  observeSeconds(report.durationMs / 1000);
  const count = (kind: string) => report.changes.filter((c) => c.kind === kind).length;
  log.info("scanned", {
    component: "scan",
    target: `${target.host}:${target.port}`,
    endpoints: report.endpoints,
    ...report.outcomes,
    opened: count("opened") + count("reopened"),
    resolved: count("resolved"),
    durationMs: report.durationMs,
  });
}

/** The takeover and lookalike checks, once. */
export async function checkDomains(ctx: AppContext, parent: JsonLog): Promise<void> {
  const log = parent.child({ component: "domains" });
  const d = await ctx.domains({ logLine: (m) => log.line(m) });
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

/**
 * Housekeeping: forgets delivered notifications older than a week, and scan observations older than
 * schedule.keepObservationsDays (one per address per scan: at 100,000 endpoints they would grow ~1.5 GB a day).
 */
export async function pruneOutbox(ctx: AppContext, nowMs: number, log: JsonLog): Promise<void> {
  const pruned = await ctx.store.pruneOutbox(new Date(nowMs - KEEP_DELIVERED_MS));
  if (pruned > 0) log.info("delivered notifications pruned", { component: "delivery", pruned });
  const days = ctx.config.schedule.keepObservationsDays;
  const observations = await ctx.store.pruneObservations(new Date(nowMs - days * 86_400_000));
  if (observations > 0) log.info("old scan observations pruned", { component: "scan", observations, days });
}

/**
 * Logs a CT run (logs unavailable or misbehaving, what was read and raised) and returns the hosts it raised
 * new-subdomain for: the hosts CT discovered.
 */
export function logCtRun(report: CtRunReport, log: JsonLog): string[] {
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
  return raised.filter((ch) => ch.alert.name === "new-subdomain").map((ch) => ch.alert.subject);
}

/**
 * Hosts first seen in CT under a watched domain become managed scan targets on port 443 (schedule.scanDiscoveredHosts).
 * `scheduled` says whether a scope is a target already. Returns how many were added. The managed endpoints are
 * bounded by schedule.maxManagedEndpoints, as when the API adds one: hosts past it are left out, in one warning
 * per batch (a wildcard-heavy domain must not flood the log with a line per name).
 */
export async function addDiscoveredHosts(
  ctx: AppContext,
  names: readonly string[],
  scheduled: (scope: string) => boolean,
  nowMs: number,
  log: JsonLog,
): Promise<number> {
  const store = ctx.store.schedule;
  const max = ctx.config.schedule.maxManagedEndpoints;
  let known = (await store.listManagedEndpoints()).length;
  let added = 0;
  const leftOut: string[] = [];
  for (const name of new Set(names)) {
    // A wildcard names no host to connect to; the name must be one certwatch would accept in its config.
    const host = parseHostname(name);
    if (name.startsWith("*.") || !("value" in host)) continue;
    if (scheduled(targetScope({ host: host.value, port: 443 }))) continue;
    if (known >= max) {
      leftOut.push(host.value);
      continue;
    }
    const ok = await store.addManagedEndpointIfAbsent({
      host: host.value,
      port: 443,
      origin: "ct",
      createdAt: rfc3339(new Date(nowMs)),
      createdBy: null,
    });
    if (ok) {
      added++;
      known++;
      log.info("discovered host added to the scan targets", { host: host.value, port: 443 });
    }
  }
  if (leftOut.length > 0) {
    log.warn("discovered hosts not scanned: schedule.maxManagedEndpoints reached", {
      leftOut: leftOut.length,
      hosts: leftOut.slice(0, SHOWN_LEFT_OUT),
      max,
    });
  }
  return added;
}

/** Delivers the outbox until `signal` aborts (nothing to do without a delivery target). */
export async function deliverOutbox(
  ctx: AppContext,
  pollMs: number,
  signal: AbortSignal,
  log: JsonLog,
): Promise<void> {
  if (ctx.notifiers.length === 0) return;
  try {
    await followOutbox(ctx.deliveryDeps(), pollMs, signal);
  } catch (e) {
    if (!signal.aborted) log.error("delivery stopped", { component: "delivery", error: messageOf(e) });
  }
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
