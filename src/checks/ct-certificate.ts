/**
 * @module checks/ct-certificate
 * Events raised by one logged certificate naming a watched domain: 25 new-subdomain (a name the inventory
 * has never seen) and 20 different-root (a root not in the domain's baseline nor in allowedRoots).
 */
import type { CertificateSummary } from "../domain/certificate.js";
import type { Finding } from "../domain/finding.js";

/** A logged certificate, as the CT pipeline hands it to the checks. */
export interface LoggedCertificate {
  readonly summary: CertificateSummary;
  /** CT identity: precertificate and certificate share it; the key of certificate-keyed CT alerts. */
  readonly identity: string;
  readonly entryType: "x509" | "precert";
  readonly log: { readonly id: string; readonly description: string; readonly index: number };
  /** Entry timestamp, RFC 3339. */
  readonly loggedAt: string;
  readonly issuerKeySha256: string | null;
  readonly root: { readonly spkiSha256: string; readonly subject: string } | null;
  /** Its names under watched domains, each with the watched domain it falls under. */
  readonly watchedNames: readonly { readonly name: string; readonly domain: string }[];
}

export interface LoggedCertificateContext {
  /** Names already in the inventory (certificates served or logged, scanned hosts). */
  readonly knownNames: ReadonlySet<string>;
  /** Roots (hex SPKI SHA-256) seen per watched domain before this certificate. */
  readonly baseline: ReadonlyMap<string, ReadonlySet<string>>;
  /** Roots that never raise event 20 (config allowedRoots). */
  readonly allowedRoots: ReadonlySet<string>;
}

function logRef(c: LoggedCertificate): Record<string, unknown> {
  return {
    log: c.log.description,
    logId: c.log.id,
    index: c.log.index,
    entryType: c.entryType,
    loggedAt: c.loggedAt,
  };
}

/** 25 for every watched name never seen before (the watched domain itself is not a subdomain). */
export function newSubdomainFindings(c: LoggedCertificate, known: ReadonlySet<string>): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const { name, domain } of c.watchedNames) {
    if (name === domain || known.has(name) || seen.has(name)) continue;
    seen.add(name);
    out.push({
      event: "new-subdomain",
      key: name,
      subject: name,
      endpoint: null,
      certificate: c.summary,
      details: { name, watchedDomain: domain, wildcard: name.startsWith("*."), ...logRef(c) },
    });
  }
  return out;
}

/**
 * 20 when the certificate's root is new for a watched domain it names. A domain with no baseline yet and
 * no allowedRoots learns its first root without an alert (trust on first use): otherwise the first
 * certificate after `startAt: end` would always alert. Backfilling builds the baseline from history.
 */
export function differentRootFindings(c: LoggedCertificate, ctx: LoggedCertificateContext): Finding[] {
  const root = c.root;
  if (root === null || ctx.allowedRoots.has(root.spkiSha256)) return [];
  const domains = [...new Set(c.watchedNames.map((n) => n.domain))].sort();
  const newFor = domains.filter((d) => {
    const base = ctx.baseline.get(d);
    if (base === undefined || base.size === 0) return ctx.allowedRoots.size > 0;
    return !base.has(root.spkiSha256);
  });
  if (newFor.length === 0) return [];
  const first = c.watchedNames.find((n) => newFor.includes(n.domain));
  return [
    {
      event: "different-root",
      key: c.identity,
      subject: first?.name ?? c.summary.subject,
      endpoint: null,
      certificate: c.summary,
      details: {
        root: { subject: root.subject, spkiSha256: root.spkiSha256 },
        domains: newFor,
        baselineRoots: Object.fromEntries(newFor.map((d) => [d, [...(ctx.baseline.get(d) ?? [])].sort()])),
        allowedRoots: ctx.allowedRoots.size,
        issuerKeySha256: c.issuerKeySha256,
        ...logRef(c),
      },
    },
  ];
}

export function checkLoggedCertificate(c: LoggedCertificate, ctx: LoggedCertificateContext): Finding[] {
  return [...newSubdomainFindings(c, ctx.knownNames), ...differentRootFindings(c, ctx)];
}
