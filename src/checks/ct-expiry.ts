/**
 * @module checks/ct-expiry
 * Event 99 from the inventory: a certificate for watched names (logged or served) that expires within the
 * threshold while no newer certificate lists the same watched names (a wildcard renews only the same
 * wildcard). A precertificate and its certificate count once.
 */
import type { CertificateSummary } from "../domain/certificate.js";
import type { Finding } from "../domain/finding.js";
import type { InventoryCertificate } from "../store/store.js";
import type { Thresholds } from "./context.js";
import {
  asValidity,
  expiresWithinThreshold,
  expiryFacts,
  isNewerAndValid,
  literalNames,
  otherCoveringCertificates,
  otherCoveringDetails,
  renewalFor,
} from "./expiry.js";

/** One certificate per CT identity: the final certificate when known, else the precertificate. */
export function distinctCertificates(certs: readonly InventoryCertificate[]): CertificateSummary[] {
  const byIdentity = new Map<string, InventoryCertificate>();
  for (const c of certs) {
    const id = c.identity ?? c.summary.sha256;
    const prev = byIdentity.get(id);
    if (prev === undefined || (prev.precertificate && !c.precertificate)) byIdentity.set(id, c);
  }
  return [...byIdentity.values()].map((c) => c.summary);
}

export function newestCertificateFindings(
  certs: readonly InventoryCertificate[],
  isWatched: (name: string) => boolean,
  now: Date,
  t: Thresholds,
): Finding[] {
  const distinct = distinctCertificates(certs);
  const out: Finding[] = [];
  for (const cert of distinct) {
    const validity = asValidity(cert);
    if (!expiresWithinThreshold(validity, now, t)) continue;
    // Only the watched names must be renewed: the inventory holds certificates for watched names only,
    // so a renewal that moved the other names to a certificate of their own could never be seen.
    const names = literalNames(cert).filter((n) => isWatched(n));
    const first = names[0];
    if (first === undefined || renewalFor(cert, names, distinct, now) !== null) continue;
    const newer = distinct.filter((k) => isNewerAndValid(k, cert, now));
    const listedByNewer = new Set(newer.flatMap(literalNames));
    const notRenewed = names.filter((n) => !listedByNewer.has(n));
    out.push({
      event: "certificate-expiring-not-renewed",
      key: cert.sha256,
      subject: notRenewed[0] ?? first,
      endpoint: null,
      certificate: cert,
      details: {
        notAfter: cert.notAfter,
        ...expiryFacts(validity, now),
        thresholdDays: t.expiringSoonDays,
        thresholdFraction: t.expiringSoonFraction,
        namesNotRenewed: notRenewed,
        ...otherCoveringDetails(otherCoveringCertificates(cert, names, distinct, now)),
        seenIn: "inventory",
      },
    });
  }
  return out;
}
