/**
 * @module checks/expiry
 * "Expires within the threshold" (days AND fraction of lifetime, SPEC §1) and renewal detection:
 * events 68 installed-certificate-expiring, 19 renewal-not-installed, 99 certificate-expiring-not-renewed.
 */
import type { CertificateSummary } from "../domain/certificate.js";
import type { Endpoint } from "../domain/endpoint.js";
import type { Finding } from "../domain/finding.js";
import { certificateCoversHost } from "../pki/hostname.js";
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

/** The newest currently valid certificate covering `host` that outlives `cert`, if any is known. */
export function newerCertificateFor(
  cert: CertificateSummary,
  host: string,
  known: readonly CertificateSummary[],
  now: Date,
): CertificateSummary | null {
  let best: CertificateSummary | null = null;
  for (const k of known) {
    if (k.sha256 === cert.sha256) continue;
    const v = asValidity(k);
    if (v.notAfter <= new Date(cert.notAfter) || v.notBefore > now || v.notAfter <= now) continue;
    if (!certificateCoversHost({ ...k, commonNames: [], hasSanExtension: true }, host)) continue;
    if (!best || v.notAfter > new Date(best.notAfter)) best = k;
  }
  return best;
}

/** 68 always when the served leaf is expiring, plus 19 (renewal known) or 99 (none known). */
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
  const newer = newerCertificateFor(leaf, endpoint.host, known, now);
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
    findings.push(endpointFinding("certificate-expiring-not-renewed", endpoint, "cert", leaf, base));
  }
  return findings;
}
