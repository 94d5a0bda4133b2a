/**
 * @module daemon/shared-revocation
 * The daemon scans one target at a time, but a CRL is shared by thousands of certificates: one gatherer per
 * scan would download (from the store's cache) and parse a large CRL again for each target. Scans started within
 * one window share a gatherer, so each CRL is parsed and each OCSP question asked once per window; a new window
 * starts a fresh one, so answers are never older than the window and memory is freed.
 */
import type { RevocationGatherer } from "../app/scan.js";

export function sharedRevocation(
  factory: () => RevocationGatherer,
  windowMs: number,
  now: () => number,
): () => RevocationGatherer {
  let current: { gatherer: RevocationGatherer; since: number } | null = null;
  return () => {
    const t = now();
    if (current === null || t - current.since >= windowMs || t < current.since) {
      current = { gatherer: factory(), since: t };
    }
    return current.gatherer;
  };
}
