/**
 * @module checks/expiry
 * "Expires within the threshold" (days AND fraction of lifetime, SPEC §1) and renewal detection:
 * events 68 installed-certificate-expiring, 19 renewal-not-installed, 99 certificate-expiring-not-renewed.
 */
import type { CertificateSummary } from "../domain/certificate.js";
import type { Endpoint } from "../domain/endpoint.js";
import type { Finding } from "../domain/finding.js";
import { certificateCoversHost, normalizeHost } from "../pki/hostname.js";
import type { Thresholds } from "./context.js";
import { endpointFinding } from "./finding-helpers.js";

const DAY_MS = 86_400_000;

export interface Validity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface ExpiryFacts {
  readonly daysLeft: number;
  readonly lifetimeDays: number;
  readonly fractionLeft: number;
}

export function expiryFacts(c: Validity, now: Date): ExpiryFacts {
  const left = c.notAfter.getTime() - now.getTime();
  const lifetime = Math.max(1, c.notAfter.getTime() - c.notBefore.getTime());
  return {
    daysLeft: Math.floor((left / DAY_MS) * 10) / 10,
    lifetimeDays: Math.round(lifetime / DAY_MS),
    fractionLeft: Math.round((left / lifetime) * 1000) / 1000,
  };
}

/** Not yet expired, fewer days left than the threshold, and less than the fraction of its lifetime. */
export function expiresWithinThreshold(c: Validity, now: Date, t: Thresholds): boolean {
  const left = c.notAfter.getTime() - now.getTime();
  if (left <= 0) return false;
  const lifetime = Math.max(1, c.notAfter.getTime() - c.notBefore.getTime());
  return left < t.expiringSoonDays * DAY_MS && left / lifetime < t.expiringSoonFraction;
}

export const asValidity = (c: CertificateSummary): Validity => ({
  notBefore: new Date(c.notBefore),
  notAfter: new Date(c.notAfter),
});

/** A name as a renewal must repeat it: lower-case, no trailing dot (a wildcard stays a wildcard). */
function literalName(name: string): string {
  return normalizeHost(name);
}

/** Every DNS and IP subject alternative name of `c`, as `literalName` writes them. */
export function literalNames(c: CertificateSummary): string[] {
  return [...new Set([...c.dnsNames, ...c.ipAddresses].map(literalName))];
}

/** Newer than `cert` (issued no earlier, expires later) and valid now: a candidate to replace it. */
export function isNewerAndValid(k: CertificateSummary, cert: CertificateSummary, now: Date): boolean {
  if (k.sha256 === cert.sha256) return false;
  const v = asValidity(k);
  const old = asValidity(cert);
  return v.notAfter > old.notAfter && v.notBefore >= old.notBefore && v.notBefore <= now && v.notAfter > now;
}

/**
 * The newest known certificate that renews `cert`: newer, valid now, and listing every one of `names`
 * literally (a wildcard only renews the same wildcard; more names are fine). A certificate that merely
 * covers a name through a wildcard is not a renewal: it may serve another purpose, and installing it
 * would drop the names only the expiring certificate lists.
 */
export function renewalFor(
  cert: CertificateSummary,
  names: readonly string[],
  known: readonly CertificateSummary[],
  now: Date,
): CertificateSummary | null {
  if (names.length === 0) return null;
  let best: CertificateSummary | null = null;
  for (const k of known) {
    if (!isNewerAndValid(k, cert, now)) continue;
    const listed = new Set(literalNames(k));
    if (!names.every((n) => listed.has(literalName(n)))) continue;
    if (!best || isNewestFirst(k, best)) best = k;
  }
  return best;
}

/** The names a renewal of a served leaf must list: its SANs, or the host when it has none. */
export function namesToRenew(cert: CertificateSummary, host: string): string[] {
  const names = literalNames(cert);
  return names.length > 0 ? names : [literalName(host)];
}

/** At most this many other covering certificates are listed in an alert. */
export const MAX_OTHER_COVERING = 3;
/** …each with at most this many of its names. */
const MAX_LISTED_NAMES = 10;

export interface OtherCoveringCertificate {
  readonly sha256: string;
  readonly notAfter: string;
  readonly names: readonly string[];
  /** How many names the certificate has in all (`names` is cut at a few). */
  readonly nameCount: number;
}

/**
 * Newer valid certificates that cover one of `names` (through a wildcard, or listing only some of
 * them) but do not renew `cert`: a hint for the person who must decide whether one of them replaces it.
 * Newest first, at most `MAX_OTHER_COVERING`.
 */
export function otherCoveringCertificates(
  cert: CertificateSummary,
  names: readonly string[],
  known: readonly CertificateSummary[],
  now: Date,
): OtherCoveringCertificate[] {
  const seen = new Set<string>();
  const found: CertificateSummary[] = [];
  for (const k of known) {
    if (seen.has(k.sha256) || !isNewerAndValid(k, cert, now)) continue;
    seen.add(k.sha256);
    const set = { ...k, commonNames: [], hasSanExtension: true };
    if (names.some((n) => certificateCoversHost(set, n) || literalNames(k).includes(literalName(n))))
      found.push(k);
  }
  return found
    .sort((a, b) => (isNewestFirst(a, b) ? -1 : 1))
    .slice(0, MAX_OTHER_COVERING)
    .map((k) => {
      const all = literalNames(k);
      return {
        sha256: k.sha256,
        notAfter: k.notAfter,
        names: all.slice(0, MAX_LISTED_NAMES),
        nameCount: all.length,
      };
    });
}

/** Later expiry first; the SHA-256 breaks ties so the choice never depends on input order. */
function isNewestFirst(a: CertificateSummary, b: CertificateSummary): boolean {
  const d = new Date(a.notAfter).getTime() - new Date(b.notAfter).getTime();
  return d !== 0 ? d > 0 : a.sha256 < b.sha256;
}

/** Details that point at certificates which cover the names without renewing them (empty when none). */
export function otherCoveringDetails(others: readonly OtherCoveringCertificate[]): Record<string, unknown> {
  if (others.length === 0) return {};
  return {
    otherCoveringCertificates: others,
    hint:
      "newer certificates cover some of these names without listing them all (a wildcard, or fewer names): " +
      "they are not counted as a renewal. If one is meant to replace this certificate, install it in its " +
      "place; otherwise renew this certificate with the same names.",
  };
}

/**
 * 68 always when the served leaf is expiring, plus 19 (a renewal is known: a newer certificate listing
 * the same names) or 99 (none is known; newer certificates that merely cover the host are named as a hint).
 */
export function expiryFindings(
  endpoint: Endpoint,
  leaf: CertificateSummary,
  known: readonly CertificateSummary[],
  now: Date,
  t: Thresholds,
): Finding[] {
  const validity = asValidity(leaf);
  if (!expiresWithinThreshold(validity, now, t)) return [];
  const facts = expiryFacts(validity, now);
  const base = {
    notAfter: leaf.notAfter,
    ...facts,
    thresholdDays: t.expiringSoonDays,
    thresholdFraction: t.expiringSoonFraction,
  };
  const findings = [endpointFinding("installed-certificate-expiring", endpoint, "endpoint+cert", leaf, base)];
  const names = namesToRenew(leaf, endpoint.host);
  const newer = renewalFor(leaf, names, known, now);
  if (newer) {
    findings.push(
      endpointFinding("renewal-not-installed", endpoint, "endpoint+cert", leaf, {
        ...base,
        newerCertificate: {
          sha256: newer.sha256,
          notBefore: newer.notBefore,
          notAfter: newer.notAfter,
          serialNumber: newer.serialNumber,
        },
      }),
    );
  } else {
    const others = otherCoveringCertificates(leaf, [...names, endpoint.host], known, now);
    findings.push(
      endpointFinding("certificate-expiring-not-renewed", endpoint, "cert", leaf, {
        ...base,
        ...otherCoveringDetails(others),
      }),
    );
  }
  return findings;
}
