/**
 * @module checks/context
 * What pure TLS checks are given besides the observation: the clock, thresholds, trust and the
 * certificates known elsewhere for the same host. No I/O happens behind any of it.
 */
import type { CertificateSummary } from "../domain/certificate.js";
import type { TrustStore } from "../pki/trust-store.js";

export interface Thresholds {
  readonly expiringSoonDays: number;
  readonly expiringSoonFraction: number;
  readonly minRsaBits: number;
  readonly minEcBits: number;
  readonly minHstsMaxAge: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  expiringSoonDays: 30,
  expiringSoonFraction: 0.33,
  minRsaBits: 2048,
  minEcBits: 256,
  minHstsMaxAge: 15_552_000,
};

export interface TlsCheckContext {
  readonly now: Date;
  readonly thresholds: Thresholds;
  readonly trust: TrustStore;
  /**
   * Certificates known to cover the endpoint's host besides the one it serves: served by other
   * endpoints of the same host (this run or before) or seen in CT.
   */
  readonly knownCertificates: readonly CertificateSummary[];
}
