/**
 * @module checks/ct-expiry
 * Event 99 from the inventory: a watched name whose newest known certificate (logged or served) expires
 * within the threshold with no newer certificate covering it. A precertificate and its certificate count once.
 */
import type { CertificateSummary } from "../domain/certificate.js";
import type { Finding } from "../domain/finding.js";
import type { InventoryCertificate } from "../store/store.js";
import type { Thresholds } from "./context.js";
import { asValidity, expiresWithinThreshold, expiryFacts, newerCertificateFor } from "./expiry.js";

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
    const notRenewed = cert.dnsNames
      .filter((n) => isWatched(n))
      .filter((n) => newerCertificateFor(cert, n, distinct, now) === null);
    const first = notRenewed[0];
    if (first === undefined) continue;
    out.push({
      event: "certificate-expiring-not-renewed",
      key: cert.sha256,
      subject: first,
      endpoint: null,
      certificate: cert,
      details: {
        notAfter: cert.notAfter,
        ...expiryFacts(validity, now),
        thresholdDays: t.expiringSoonDays,
        thresholdFraction: t.expiringSoonFraction,
        namesNotRenewed: notRenewed,
        seenIn: "inventory",
      },
    });
  }
  return out;
}
