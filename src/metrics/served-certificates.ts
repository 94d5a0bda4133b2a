/**
 * @module metrics/served-certificates
 * From the endpoints' latest observations to the expiry series: per endpoint, the earliest notAfter of the chain
 * it served (blackbox_exporter's `probe_ssl_earliest_cert_expiry`), and the certificates themselves, soonest to
 * expire first, up to a cap (x509-certificate-exporter's `x509_cert_*`). Pure.
 */
import type { CertificateDates, ServedEndpoint } from "../store/metrics-queries.js";

export interface EndpointExpiry {
  /** `host:port` (`[v6]:port` for an IPv6 literal), as blackbox_exporter's `instance`. */
  readonly instance: string;
  readonly address: string;
  /** Unix seconds. */
  readonly earliestNotAfter: number;
}

export interface ServedCertificate extends CertificateDates {
  /** Unix seconds. */
  readonly notBeforeSeconds: number;
  readonly notAfterSeconds: number;
}

export function instanceOf(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function seconds(rfc3339: string): number | null {
  const ms = Date.parse(rfc3339);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}

/** The certificates with usable dates, by SHA-256. */
export function datedCertificates(rows: readonly CertificateDates[]): Map<string, ServedCertificate> {
  const out = new Map<string, ServedCertificate>();
  for (const r of rows) {
    const notBeforeSeconds = seconds(r.notBefore);
    const notAfterSeconds = seconds(r.notAfter);
    if (notBeforeSeconds === null || notAfterSeconds === null) continue;
    out.set(r.sha256, { ...r, notBeforeSeconds, notAfterSeconds });
  }
  return out;
}

/** One series per endpoint whose chain holds at least one known certificate. */
export function endpointExpiries(
  endpoints: readonly ServedEndpoint[],
  certificates: ReadonlyMap<string, ServedCertificate>,
): EndpointExpiry[] {
  const out: EndpointExpiry[] = [];
  for (const e of endpoints) {
    let earliest: number | null = null;
    for (const sha of e.chain) {
      const c = certificates.get(sha);
      if (c !== undefined && (earliest === null || c.notAfterSeconds < earliest))
        earliest = c.notAfterSeconds;
    }
    if (earliest === null) continue;
    out.push({ instance: instanceOf(e.host, e.port), address: e.address ?? "", earliestNotAfter: earliest });
  }
  return out;
}

/**
 * The distinct certificates the endpoints serve, soonest notAfter first (then by SHA-256), at most `max`: the
 * ones a dashboard needs first are kept when there are too many.
 */
export function soonestCertificates(
  endpoints: readonly ServedEndpoint[],
  certificates: ReadonlyMap<string, ServedCertificate>,
  max: number,
): { readonly shown: ServedCertificate[]; readonly truncated: boolean } {
  const served = new Map<string, ServedCertificate>();
  for (const e of endpoints) {
    for (const sha of e.chain) {
      const c = certificates.get(sha);
      if (c !== undefined) served.set(sha, c);
    }
  }
  const all = [...served.values()].sort(
    (a, b) =>
      a.notAfterSeconds - b.notAfterSeconds || (a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0),
  );
  return { shown: all.slice(0, max), truncated: all.length > max };
}

/** Longest serial converted to decimal: RFC 5280 allows 20 octets; a longer (hostile) one stays hex. */
const MAX_SERIAL_HEX = 64;

/**
 * The serial number in decimal, as x509-certificate-exporter writes it (Go's big.Int String). A value that is
 * not hex, or absurdly long, is returned as stored (the label bound applies after).
 */
export function serialDecimal(hex: string): string {
  if (hex.length === 0 || hex.length > MAX_SERIAL_HEX || !/^[0-9a-fA-F]+$/.test(hex)) return hex;
  return BigInt(`0x${hex}`).toString(10);
}
