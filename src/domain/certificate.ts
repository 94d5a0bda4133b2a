/**
 * @module domain/certificate
 * The certificate as alerts, the store and the SIEMs see it (a summary, not the DER).
 */

export interface CertificateSummary {
  /** Lower-case hex SHA-256 of the DER. */
  readonly sha256: string;
  /** Lower-case hex, no separators. */
  readonly serialNumber: string;
  readonly subject: string;
  readonly issuer: string;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  /** RFC 3339 UTC. */
  readonly notBefore: string;
  readonly notAfter: string;
}
