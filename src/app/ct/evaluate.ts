/**
 * @module app/ct/evaluate
 * The path of a matched entry, top to bottom: is it new (its CT identity, claimed in log order before any
 * await), its chain (issuer key, root), the inventory and root baseline, then the checks (25, 20, 29).
 * History (backfill) is recorded, never alerted.
 */
import type { AlertDraft } from "../../alerts/reconcile.js";
import { checkCaa, type CaaPolicySeen } from "../../checks/caa.js";
import { checkLoggedCertificate, type LoggedCertificate } from "../../checks/ct-certificate.js";
import { loggedLookalikeFinding } from "../../checks/lookalike.js";
import { rfc3339 } from "../../domain/alert.js";
import type { CertificateSummary } from "../../domain/certificate.js";
import type { Finding } from "../../domain/finding.js";
import type { CaaIdentifierTable } from "../../pki/ca-identifiers.js";
import { parseCertificate, sha256Hex, type ParsedCertificate } from "../../pki/certificate.js";
import type { TrustStore } from "../../pki/trust-store.js";
import type { CaaPolicyResult } from "../../sources/dns/caa.js";
import { parseExtraData } from "../../sources/ct/entry.js";
import type { Fetched } from "../../sources/ct/log-client.js";
import { identityOfTbs } from "../../sources/ct/tbs.js";
import type { CtEntryError, CtInventoryRecord, CtRootRecord } from "../../store/ct-records.js";
import type { CertificateRecord, Store } from "../../store/store.js";
import { IdentityClaims } from "./identity-claims.js";
import type { MatchedEntry } from "./logged-entry.js";

export interface EvaluateDeps {
  readonly store: Store;
  readonly trust: TrustStore;
  readonly caaTable: CaaIdentifierTable;
  /** The relevant CAA record set of a name (cached by the caller). */
  readonly caaPolicy: (name: string) => Promise<CaaPolicyResult>;
  readonly allowedRoots: ReadonlySet<string>;
  readonly draft: (f: Finding) => AlertDraft;
  readonly logLine: (message: string) => void;
  /**
   * The identities claimed by the batches in flight of this run, shared by every log read at the same
   * time; absent, a batch only deduplicates within itself (and against the store).
   */
  readonly claims?: IdentityClaims;
}

export interface LogRef {
  readonly id: string;
  readonly description: string;
  /** Static CT: `issuer/<fingerprint>`; absent for RFC 6962 (chains come in extra_data). */
  readonly issuer?: (fingerprint: Buffer) => Promise<Fetched<Buffer>>;
}

export interface EvaluatedBatch {
  readonly certificates: CertificateRecord[];
  readonly inventory: CtInventoryRecord[];
  readonly roots: CtRootRecord[];
  readonly findings: AlertDraft[];
  readonly entryErrors: CtEntryError[];
  /** Drops this batch's identity claims: call once its transaction has committed, or failed. */
  readonly release: () => void;
}

interface Resolved {
  readonly m: MatchedEntry;
  readonly record: CertificateRecord;
  readonly identity: string;
  readonly issuerKeySha256: string | null;
  readonly root: { spkiSha256: string; subject: string } | null;
}

/** Parsed chain certificates by SHA-256: the same intermediates come back entry after entry. */
const chainCache = new Map<string, ParsedCertificate | null>();
const CHAIN_CACHE_MAX = 2048;

function parsedChainCert(der: Uint8Array): ParsedCertificate | null {
  const sha = sha256Hex(der);
  const hit = chainCache.get(sha);
  if (hit !== undefined) return hit;
  const r = parseCertificate(der);
  const value = r.ok ? r.cert : null;
  if (chainCache.size >= CHAIN_CACHE_MAX) chainCache.delete(chainCache.keys().next().value as string);
  chainCache.set(sha, value);
  return value;
}

async function chainOf(
  m: MatchedEntry,
  log: LogRef,
): Promise<{ precertificate: Buffer | null; chain: Uint8Array[]; error: string | null }> {
  // A lookalike's certificate is not ours: its issuers and root are not needed.
  if (m.chain.kind === "fingerprints" && m.watchedNames.length === 0) {
    return { precertificate: m.chain.precertificate, chain: [], error: null };
  }
  if (m.chain.kind === "extra-data") {
    try {
      return { ...parseExtraData(m.entry.type, m.chain.extraData), error: null };
    } catch (e) {
      return { precertificate: null, chain: [], error: `extra_data: ${(e as Error).message}` };
    }
  }
  const chain: Uint8Array[] = [];
  for (const fp of m.chain.fingerprints) {
    if (log.issuer === undefined) break;
    const r = await log.issuer(fp);
    if (r.kind !== "ok")
      return {
        precertificate: m.chain.precertificate,
        chain,
        error: `issuer ${fp.toString("hex")}: ${r.error}`,
      };
    chain.push(r.value);
  }
  return { precertificate: m.chain.precertificate, chain, error: null };
}

function rootOf(
  chain: readonly ParsedCertificate[],
  issuerDer: string,
  trust: TrustStore,
): { spkiSha256: string; subject: string } | null {
  const last = chain[chain.length - 1];
  if (last?.selfIssued === true) return { spkiSha256: last.spkiSha256, subject: last.subject };
  const anchor = trust.anchorsNamed(last === undefined ? issuerDer : last.issuerDer)[0];
  return anchor === undefined ? null : { spkiSha256: anchor.spkiSha256, subject: anchor.subject };
}

async function resolve(
  m: MatchedEntry,
  identity: string,
  log: LogRef,
  trust: TrustStore,
  errors: CtEntryError[],
): Promise<Resolved> {
  const { precertificate, chain, error } = await chainOf(m, log);
  if (error !== null) errors.push({ index: m.index, error });
  const der = m.entry.type === "x509" ? m.entry.certOrTbs : (precertificate ?? m.tbs);
  const f = m.fields;
  const summary: CertificateSummary = {
    sha256: sha256Hex(der),
    serialNumber: f.serialNumber,
    subject: f.subject,
    issuer: f.issuer,
    dnsNames: f.dnsNames,
    ipAddresses: f.ipAddresses,
    notBefore: rfc3339(f.notBefore),
    notAfter: rfc3339(f.notAfter),
  };
  const parsed = chain.map(parsedChainCert).filter((c): c is ParsedCertificate => c !== null);
  // A precertificate may be signed by a Precertificate Signing Certificate; the leaf names the real issuer.
  const issuerKeySha256 =
    m.entry.issuerKeyHash !== null ? m.entry.issuerKeyHash.toString("hex") : (parsed[0]?.spkiSha256 ?? null);
  return {
    m,
    record: { summary, der, identity, precertificate: m.entry.type === "precert" },
    identity,
    issuerKeySha256,
    root: rootOf(parsed, f.issuerDer, trust),
  };
}

async function caaFindings(
  r: Resolved,
  key: string,
  deps: EvaluateDeps,
  summary: CertificateSummary,
): Promise<Finding[]> {
  const policies: CaaPolicySeen[] = [];
  for (const { name } of r.m.watchedNames) {
    const p = await deps.caaPolicy(name);
    if (p.kind !== "ok") {
      // A CA could not have decided either: no alert on an unanswered question, but say so.
      deps.logLine(
        `ct: CAA lookup for ${name} (certificate ${summary.sha256.slice(0, 16)}…) inconclusive: ${p.error}`,
      );
      return [];
    }
    policies.push({ name, owner: p.owner, records: p.records });
  }
  const issuer = deps.caaTable.lookup({
    issuingCaKeySha256: r.issuerKeySha256,
    rootSpkiSha256: r.root?.spkiSha256 ?? null,
    issuerDn: summary.issuer,
  });
  return checkCaa({ certificate: summary, key, policies, issuer });
}

function logRefDetails(log: LogRef, r: Resolved): Record<string, unknown> {
  return {
    log: log.description,
    logId: log.id,
    index: r.m.index,
    entryType: r.m.entry.type,
    loggedAt: rfc3339(new Date(r.m.entry.timestamp)),
  };
}

/**
 * Evaluates the matched entries of one batch in log order. `isHistory(index)` is true for backfilled entries.
 * The caller calls `release()` on the result once the batch is committed (or has failed).
 */
export async function evaluateMatches(
  matches: readonly MatchedEntry[],
  log: LogRef,
  isHistory: (index: number) => boolean,
  deps: EvaluateDeps,
): Promise<EvaluatedBatch> {
  const claims = deps.claims ?? new IdentityClaims();
  const batch = {};
  const claimed: string[] = [];
  const release = () => claims.release(batch, claimed);
  const out: EvaluatedBatch = {
    certificates: [],
    inventory: [],
    roots: [],
    findings: [],
    entryErrors: [],
    release,
  };
  if (matches.length === 0) return out;
  // Who evaluates each certificate is decided here, in log order and before any await: the first entry
  // of an identity in this batch, unless a batch of another log in flight has claimed it. A
  // precertificate and its certificate are one identity, so they can never both raise alerts, whatever
  // order the lookups below finish in.
  const identities = matches.map((m) => identityOfTbs(m.tbs));
  const evaluates = new Set<number>();
  const seen = new Set<string>();
  matches.forEach((m, i) => {
    const identity = identities[i] as string;
    if (m.watchedNames.length === 0 || seen.has(identity)) return;
    seen.add(identity);
    if (claims.claim(identity, batch)) {
      claimed.push(identity);
      evaluates.add(i);
    }
  });
  try {
    await evaluateClaimed({ matches, identities, evaluates, claimed }, log, isHistory, deps, out);
  } catch (e) {
    release();
    throw e;
  }
  return out;
}

interface Claimed {
  readonly matches: readonly MatchedEntry[];
  readonly identities: readonly string[];
  /** Positions (in `matches`) of the entries this batch evaluates. */
  readonly evaluates: ReadonlySet<number>;
  readonly claimed: readonly string[];
}

async function evaluateClaimed(
  c: Claimed,
  log: LogRef,
  isHistory: (index: number) => boolean,
  deps: EvaluateDeps,
  out: EvaluatedBatch,
): Promise<void> {
  const resolved: Resolved[] = [];
  for (const [i, m] of c.matches.entries())
    resolved.push(await resolve(m, c.identities[i] as string, log, deps.trust, out.entryErrors));

  // Asked after claiming: a batch that committed an identity released its claim only after its commit.
  const known = await deps.store.knownCtIdentities(c.claimed);
  const names = new Set(resolved.flatMap((r) => r.m.watchedNames.map((n) => n.name)));
  const knownNames = new Set(await deps.store.knownNames([...names]));
  const domains = [...new Set(resolved.flatMap((r) => r.m.watchedNames.map((n) => n.domain)))];
  const baseline = await deps.store.rootBaseline(domains);

  for (const [i, r] of resolved.entries()) {
    out.certificates.push(r.record);
    if (!isHistory(r.m.index)) {
      const where = logRefDetails(log, r);
      for (const l of r.m.lookalikes)
        out.findings.push(deps.draft(loggedLookalikeFinding(l, r.record.summary, where)));
    }
    // Seen before (in the store, earlier in this batch, or by a batch of another log in flight): the
    // precertificate of this certificate, or the same certificate logged elsewhere. Nothing new to say.
    if (!c.evaluates.has(i) || known.has(r.identity)) continue;
    const entryDomains = [...new Set(r.m.watchedNames.map((n) => n.domain))];
    out.inventory.push({
      identity: r.identity,
      sha256: r.record.summary.sha256,
      logId: log.id,
      index: r.m.index,
      entryType: r.m.entry.type,
      loggedAt: r.m.entry.timestamp,
      issuerKeySha256: r.issuerKeySha256,
      rootSpkiSha256: r.root?.spkiSha256 ?? null,
      rootSubject: r.root?.subject ?? null,
      domains: entryDomains,
    });
    if (!isHistory(r.m.index)) {
      const logged: LoggedCertificate = {
        summary: r.record.summary,
        identity: r.identity,
        entryType: r.m.entry.type,
        log: { id: log.id, description: log.description, index: r.m.index },
        loggedAt: rfc3339(new Date(r.m.entry.timestamp)),
        issuerKeySha256: r.issuerKeySha256,
        root: r.root,
        watchedNames: r.m.watchedNames,
      };
      const findings = [
        ...checkLoggedCertificate(logged, { knownNames, baseline, allowedRoots: deps.allowedRoots }),
        ...(await caaFindings(r, r.identity, deps, r.record.summary)),
      ];
      out.findings.push(...findings.map(deps.draft));
    }
    for (const n of r.m.watchedNames) knownNames.add(n.name);
    if (r.root !== null) {
      for (const domain of entryDomains) {
        const set = baseline.get(domain) ?? new Set<string>();
        if (!set.has(r.root.spkiSha256)) {
          set.add(r.root.spkiSha256);
          baseline.set(domain, set);
          out.roots.push({ domain, rootSpkiSha256: r.root.spkiSha256, rootSubject: r.root.subject });
        }
      }
    }
  }
}
