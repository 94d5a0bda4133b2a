/**
 * @module app/scan
 * The TLS health scan use case: resolve every target, probe every address, check what was served,
 * and reconcile the findings of each target in one store transaction. Callable from the CLI, the
 * daemon or a worker: every outside dependency comes in through `ScanDeps`.
 */
import { isIP } from "node:net";
import { draftFromFinding, type AlertChange } from "../alerts/reconcile.js";
import type { CertificateSummary } from "../domain/certificate.js";
import { targetScope, type Endpoint, type Target } from "../domain/endpoint.js";
import type { Severity } from "../events.js";
import type { Thresholds } from "../checks/context.js";
import { checkTlsObservation } from "../checks/tls.js";
import { asValidity, expiresWithinThreshold, namesToRenew, renewalFor } from "../checks/expiry.js";
import { revocationFindings } from "../checks/revocation.js";
import {
  parseHashedCertificate,
  sha256Hex,
  summarize,
  type ParsedCertificate,
  type ParseResult,
} from "../pki/certificate.js";
import { buildChain, type ChainResult } from "../pki/chain.js";
import type { CertRevocationEvidence } from "../sources/revocation/evidence.js";
import type { TrustStore } from "../pki/trust-store.js";
import type { TlsObservation } from "../sources/tls/observation.js";
import type { CertificateRecord, ObservationRecord, Store } from "../store/store.js";
import { Limiter, mapLimit } from "../util/concurrency.js";
import { silentLogger, silentProgress, type Logger, type Progress } from "./progress.js";

export type AddressLookup =
  | { readonly kind: "ok"; readonly addresses: readonly string[] }
  | { readonly kind: string; readonly error: string };

/** Revocation evidence for a path; one gatherer per run so shared CRLs/OCSP answers are fetched once. */
export interface RevocationGatherer {
  evidenceFor(
    path: readonly ParsedCertificate[],
    staple: Uint8Array | null,
  ): Promise<CertRevocationEvidence[]>;
}

export interface ScanDeps {
  readonly store: Store;
  readonly resolveAddresses: (host: string) => Promise<AddressLookup>;
  readonly probe: (endpoint: Endpoint, serverName: string | null) => Promise<TlsObservation>;
  readonly trust: TrustStore;
  readonly now: () => Date;
  /** Makes the revocation gatherer of one run; absent when revocation checking is off. */
  readonly revocation?: () => RevocationGatherer;
  readonly progress?: Progress;
  readonly log?: Logger;
}

export interface ScanOptions {
  readonly targets: readonly Target[];
  readonly concurrency: number;
  readonly thresholds: Thresholds;
  readonly severityOverrides?: Readonly<Record<string, Severity>>;
}

export interface ScanReport {
  readonly scopes: readonly string[];
  readonly endpoints: number;
  readonly outcomes: Readonly<Record<TlsObservation["kind"], number>>;
  readonly changes: readonly AlertChange[];
  readonly durationMs: number;
}

export async function scan(deps: ScanDeps, opts: ScanOptions): Promise<ScanReport> {
  const started = performance.now();
  const progress = deps.progress ?? silentProgress;
  const jobs = await resolveTargets(deps, opts);
  const run: RunState = {
    deps,
    opts,
    log: deps.log ?? silentLogger,
    revocation: deps.revocation?.() ?? null,
    parse: boundedParser(PARSE_CACHE_SIZE),
    changes: [],
    outcomes: { served: 0, "no-certificate": 0, unreachable: 0 },
    deferred: [],
  };
  // Probes run through one limiter; hosts are checked and recorded as soon as all their endpoints
  // are probed, so memory holds the hosts in flight, not the whole run.
  const probes = new Limiter(opts.concurrency);
  progress.start("scanning", jobs.length);
  await mapLimit([...groupByHost(jobs).values()], opts.concurrency, async (hostJobs) => {
    const observed = await Promise.all(
      hostJobs.map(async (job) => {
        const obs = job.observation ?? (await probes.run(() => deps.probe(job.endpoint, job.serverName)));
        progress.tick(`${job.endpoint.host}:${job.endpoint.port}`);
        return { target: job.target, obs };
      }),
    );
    await checkAndRecordHost(run, observed, false);
  });
  // Hosts whose expiring certificate had no known renewal are judged last, when every certificate
  // this run saw is in the inventory: a renewal served by another host (one listing more names, say)
  // then counts, and a wildcard served elsewhere is named as a hint, whatever the order of the probes.
  for (const observed of run.deferred) await checkAndRecordHost(run, observed, true);
  progress.done();
  return {
    scopes: opts.targets.map(targetScope),
    endpoints: jobs.length,
    outcomes: run.outcomes,
    changes: run.changes,
    durationMs: Math.round(performance.now() - started),
  };
}

/** Parse results kept for the certificates seen most recently (intermediates recur; leaves rarely). */
const PARSE_CACHE_SIZE = 4096;

interface RunState {
  readonly deps: ScanDeps;
  readonly opts: ScanOptions;
  readonly log: Logger;
  readonly revocation: RevocationGatherer | null;
  readonly parse: (der: Uint8Array) => ParseResult;
  readonly changes: AlertChange[];
  readonly outcomes: Record<TlsObservation["kind"], number>;
  readonly deferred: (readonly { target: Target; obs: TlsObservation }[])[];
}

/** Checks every endpoint of one host (19 compares them) and records each of its targets. */
async function checkAndRecordHost(
  run: RunState,
  observed: readonly { target: Target; obs: TlsObservation }[],
  final: boolean,
): Promise<void> {
  const { deps, opts } = run;
  const now = deps.now();
  const chains = new Map<TlsObservation, ParseResult[]>();
  const paths = new Map<TlsObservation, ChainResult>();
  const servedHere: CertificateSummary[] = [];
  for (const { obs } of observed) {
    if (obs.kind !== "served") continue;
    const chain = obs.chain.map(run.parse);
    chains.set(obs, chain);
    const [leaf, ...rest] = chain;
    if (!leaf?.ok) continue;
    servedHere.push(summarize(leaf.cert));
    const others = rest.flatMap((r) => (r.ok ? [r.cert] : []));
    paths.set(obs, buildChain(leaf.cert, others, deps.trust, now));
  }
  const byTarget = new Map<Target, TlsObservation[]>();
  for (const { target, obs } of observed) byTarget.set(target, [...(byTarget.get(target) ?? []), obs]);
  const knownFor = new Map<Target, CertificateSummary[]>();
  for (const target of byTarget.keys()) {
    knownFor.set(target, [...servedHere, ...(await deps.store.certificatesForName(target.host))]);
  }
  if (!final && servedHere.some((leaf) => awaitsRenewal(leaf, knownFor, now, opts))) {
    run.deferred.push(observed);
    return;
  }

  const revocation = new Map<TlsObservation, CertRevocationEvidence[]>();
  if (run.revocation) {
    const gatherer = run.revocation;
    await Promise.all(
      [...paths].map(async ([obs, built]) => {
        const staple = obs.kind === "served" ? obs.ocspStaple : null;
        revocation.set(obs, await gatherer.evidenceFor(built.path, staple));
      }),
    );
  }

  for (const [target, list] of byTarget) {
    const known = knownFor.get(target) ?? servedHere;
    const ctx = { now, thresholds: opts.thresholds, trust: deps.trust, knownCertificates: known };
    const findings = list.flatMap((o) => [
      ...checkTlsObservation(o, chains.get(o) ?? [], ctx, paths.get(o)),
      ...revocationFindings(o.endpoint, revocation.get(o) ?? [], now),
    ]);
    for (const o of list) run.outcomes[o.kind]++;
    try {
      const result = await deps.store.recordRun({
        scope: targetScope(target),
        now,
        certificates: certificateRecords(list, chains),
        observations: list.map((o) => observationRecord(o, chains.get(o) ?? [])),
        findings: findings.map((f) => draftFromFinding(f, opts.severityOverrides)),
      });
      run.changes.push(...result);
    } catch (e) {
      run.log.warn("could not record scan results", {
        target: `${target.host}:${target.port}`,
        error: (e as Error).message,
      });
      throw e;
    }
  }
}

/** An expiring served leaf for which no newer certificate is known yet (a 99 that may become a 19). */
function awaitsRenewal(
  leaf: CertificateSummary,
  knownFor: ReadonlyMap<Target, readonly CertificateSummary[]>,
  now: Date,
  opts: ScanOptions,
): boolean {
  if (!expiresWithinThreshold(asValidity(leaf), now, opts.thresholds)) return false;
  return [...knownFor].some(
    ([target, known]) => renewalFor(leaf, namesToRenew(leaf, target.host), known, now) === null,
  );
}

function groupByHost(jobs: readonly EndpointJob[]): Map<string, EndpointJob[]> {
  const groups = new Map<string, EndpointJob[]>();
  for (const j of jobs) {
    const host = j.target.host.toLowerCase();
    groups.set(host, [...(groups.get(host) ?? []), j]);
  }
  return groups;
}

function boundedParser(max: number): (der: Uint8Array) => ParseResult {
  const cache = new Map<string, ParseResult>();
  return (der) => {
    const sha = sha256Hex(der);
    let r = cache.get(sha);
    if (r) {
      cache.delete(sha); // re-inserted below: most recently used last
    } else {
      r = parseHashedCertificate(der, sha);
      if (cache.size >= max) cache.delete(cache.keys().next().value as string);
    }
    cache.set(sha, r);
    return r;
  };
}

interface EndpointJob {
  readonly target: Target;
  readonly endpoint: Endpoint;
  readonly serverName: string | null;
  /** Set when the target could not be resolved: nothing to probe. */
  readonly observation?: TlsObservation;
}

async function resolveTargets(deps: ScanDeps, opts: ScanOptions): Promise<EndpointJob[]> {
  const perTarget = await mapLimit(opts.targets, opts.concurrency, async (target): Promise<EndpointJob[]> => {
    const ipHost = isIpLiteral(target.host);
    const serverName = target.serverName ?? (ipHost ? null : target.host);
    const started = performance.now();
    const lookup: AddressLookup = target.addresses
      ? { kind: "ok", addresses: target.addresses }
      : ipHost
        ? { kind: "ok", addresses: [target.host] }
        : await lookupAddresses(deps, target.host);
    if (lookup.kind === "ok" && "addresses" in lookup && lookup.addresses.length > 0) {
      return lookup.addresses.map((address) => ({
        target,
        serverName,
        endpoint: { host: target.host, port: target.port, address },
      }));
    }
    const endpoint = { host: target.host, port: target.port, address: null };
    const error = "error" in lookup ? lookup.error : "the name has no A or AAAA record";
    return [
      {
        target,
        serverName,
        endpoint,
        observation: {
          kind: "unreachable",
          endpoint,
          reason: "dns",
          error,
          durationMs: Math.round(performance.now() - started),
        },
      },
    ];
  });
  return perTarget.flat();
}

/** A resolver that throws instead of answering is reported like any DNS failure, never a crash. */
async function lookupAddresses(deps: ScanDeps, host: string): Promise<AddressLookup> {
  try {
    return await deps.resolveAddresses(host);
  } catch (e) {
    return {
      kind: "error",
      error: `resolving ${host} failed: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
}

function isIpLiteral(host: string): boolean {
  return isIP(host) !== 0;
}

function certificateRecords(
  list: readonly TlsObservation[],
  chains: ReadonlyMap<TlsObservation, ParseResult[]>,
): CertificateRecord[] {
  const out = new Map<string, CertificateRecord>();
  for (const o of list) {
    for (const r of chains.get(o) ?? []) {
      if (r.ok && !out.has(r.cert.sha256))
        out.set(r.cert.sha256, { summary: summarize(r.cert), der: r.cert.der });
    }
  }
  return [...out.values()];
}

function observationRecord(o: TlsObservation, chain: readonly ParseResult[]): ObservationRecord {
  switch (o.kind) {
    case "served":
      return {
        endpoint: o.endpoint,
        outcome: o.kind,
        protocol: o.protocol,
        chain: chain.map((r) => (r.ok ? r.cert.sha256 : r.sha256)),
        details: {
          cipher: o.cipher,
          durationMs: o.durationMs,
          http: o.http.kind === "response" ? { status: o.http.status, hsts: o.http.hsts } : o.http,
          legacyProtocols: o.legacy.accepted,
          ocspStapled: o.ocspStaple !== null,
          ...(o.chainTooLarge ? { chainTooLarge: o.chainTooLarge } : {}),
        },
      };
    default:
      return {
        endpoint: o.endpoint,
        outcome: o.kind,
        protocol: null,
        chain: [],
        details: {
          reason: o.reason,
          error: o.error,
          durationMs: o.durationMs,
          ...(o.kind === "no-certificate" && o.chainTooLarge ? { chainTooLarge: o.chainTooLarge } : {}),
        },
      };
  }
}
