/**
 * @module app/scan
 * The TLS health scan use case: resolve every target, probe every address, check what was served,
 * and reconcile the findings of each target in one store transaction. Callable from the CLI, the
 * daemon or a worker: every outside dependency comes in through `ScanDeps`.
 */
import { draftFromFinding, type AlertChange } from "../alerts/reconcile.js";
import type { CertificateSummary } from "../domain/certificate.js";
import { targetScope, type Endpoint, type Target } from "../domain/endpoint.js";
import type { Severity } from "../events.js";
import type { Thresholds } from "../checks/context.js";
import { checkTlsObservation } from "../checks/tls.js";
import { revocationFindings } from "../checks/revocation.js";
import {
  parseCertificate,
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
import { mapLimit } from "../util/concurrency.js";
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

interface Probed {
  readonly target: Target;
  readonly observations: TlsObservation[];
}

export async function scan(deps: ScanDeps, opts: ScanOptions): Promise<ScanReport> {
  const started = performance.now();
  const progress = deps.progress ?? silentProgress;
  const log = deps.log ?? silentLogger;

  const endpoints = await resolveTargets(deps, opts);
  progress.start("scanning", endpoints.length);
  const observations = await mapLimit(endpoints, opts.concurrency, async (job) => {
    const obs = job.observation ?? (await deps.probe(job.endpoint, job.serverName));
    progress.tick(`${job.endpoint.host}:${job.endpoint.port}`);
    return { target: job.target, obs };
  });
  progress.done();

  const byTarget = new Map<Target, Probed>();
  for (const t of opts.targets) byTarget.set(t, { target: t, observations: [] });
  for (const { target, obs } of observations) byTarget.get(target)?.observations.push(obs);

  const parsed = new Map<string, ParseResult>();
  const parse = (der: Uint8Array): ParseResult => {
    const sha = sha256Hex(der);
    let r = parsed.get(sha);
    if (!r) {
      r = parseCertificate(der);
      parsed.set(sha, r);
    }
    return r;
  };
  const chains = new Map<TlsObservation, ParseResult[]>();
  const servedByHost = new Map<string, CertificateSummary[]>();
  for (const { obs } of observations) {
    if (obs.kind !== "served") continue;
    const chain = obs.chain.map(parse);
    chains.set(obs, chain);
    const leaf = chain[0];
    if (leaf?.ok) {
      const list = servedByHost.get(obs.endpoint.host) ?? [];
      list.push(summarize(leaf.cert));
      servedByHost.set(obs.endpoint.host, list);
    }
  }

  const paths = new Map<TlsObservation, ChainResult>();
  const runNow = deps.now();
  for (const [obs, chain] of chains) {
    const [leaf, ...rest] = chain;
    if (!leaf?.ok) continue;
    const others = rest.flatMap((r) => (r.ok ? [r.cert] : []));
    paths.set(obs, buildChain(leaf.cert, others, deps.trust, runNow));
  }
  const revocation = await gatherRevocation(deps, opts, paths, progress);

  const changes: AlertChange[] = [];
  const outcomes = { served: 0, "no-certificate": 0, unreachable: 0 };
  for (const { target, observations: list } of byTarget.values()) {
    const now = deps.now();
    const known = [
      ...(servedByHost.get(target.host) ?? []),
      ...(await deps.store.certificatesForName(target.host)),
    ];
    const ctx = { now, thresholds: opts.thresholds, trust: deps.trust, knownCertificates: known };
    const findings = list.flatMap((o) => [
      ...checkTlsObservation(o, chains.get(o) ?? [], ctx, paths.get(o)),
      ...revocationFindings(o.endpoint, revocation.get(o) ?? [], now),
    ]);
    for (const o of list) outcomes[o.kind]++;
    try {
      const result = await deps.store.recordRun({
        scope: targetScope(target),
        now,
        certificates: certificateRecords(list, chains),
        observations: list.map(observationRecord),
        findings: findings.map((f) => draftFromFinding(f, opts.severityOverrides)),
      });
      changes.push(...result);
    } catch (e) {
      log.warn("could not record scan results", {
        target: `${target.host}:${target.port}`,
        error: (e as Error).message,
      });
      throw e;
    }
  }
  return {
    scopes: opts.targets.map(targetScope),
    endpoints: endpoints.length,
    outcomes,
    changes,
    durationMs: Math.round(performance.now() - started),
  };
}

async function gatherRevocation(
  deps: ScanDeps,
  opts: ScanOptions,
  paths: ReadonlyMap<TlsObservation, ChainResult>,
  progress: Progress,
): Promise<Map<TlsObservation, CertRevocationEvidence[]>> {
  const out = new Map<TlsObservation, CertRevocationEvidence[]>();
  const gatherer = deps.revocation?.();
  if (!gatherer) return out;
  const jobs = [...paths];
  progress.start("revocation", jobs.length);
  await mapLimit(jobs, opts.concurrency, async ([obs, built]) => {
    const staple = obs.kind === "served" ? obs.ocspStaple : null;
    out.set(obs, await gatherer.evidenceFor(built.path, staple));
    progress.tick(`${obs.endpoint.host}:${obs.endpoint.port}`);
  });
  progress.done();
  return out;
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
    const serverName = target.serverName ?? (isIpLiteral(target.host) ? null : target.host);
    const started = performance.now();
    const lookup: AddressLookup = target.addresses
      ? { kind: "ok", addresses: target.addresses }
      : await deps.resolveAddresses(target.host);
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

function isIpLiteral(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(":");
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

function observationRecord(o: TlsObservation): ObservationRecord {
  switch (o.kind) {
    case "served":
      return {
        endpoint: o.endpoint,
        outcome: o.kind,
        protocol: o.protocol,
        chain: o.chain.map(sha256Hex),
        details: {
          cipher: o.cipher,
          durationMs: o.durationMs,
          http: o.http.kind === "response" ? { status: o.http.status, hsts: o.http.hsts } : o.http,
          legacyProtocols: o.legacy.accepted,
          ocspStapled: o.ocspStaple !== null,
        },
      };
    default:
      return {
        endpoint: o.endpoint,
        outcome: o.kind,
        protocol: null,
        chain: [],
        details: { reason: o.reason, error: o.error, durationMs: o.durationMs },
      };
  }
}
