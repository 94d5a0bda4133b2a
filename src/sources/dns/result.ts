/**
 * @module sources/dns/result
 * What a DNS question can come back with: a discriminated result, never an exception, for every outcome.
 */

/** Why a name did not resolve. `nxdomain` and `nodata` are answers; the others mean "we could not tell". */
export type DnsFailureKind = "nxdomain" | "nodata" | "servfail" | "timeout" | "refused" | "error";

export interface DnsFailure {
  readonly kind: DnsFailureKind;
  /** Says which name, which query type, and what went wrong, for a person. */
  readonly error: string;
}

export type DnsResult<T extends object> = ({ readonly kind: "ok" } & T) | DnsFailure;

export interface CaaRecord {
  /** The flags octet; bit 7 (128) is "issuer critical". */
  readonly flags: number;
  readonly critical: boolean;
  /** Lower-cased property tag: issue, issuewild, iodef, or any other. */
  readonly tag: string;
  readonly value: string;
}

export interface MxRecord {
  readonly priority: number;
  /** Host name; "" for a null MX (RFC 7505). */
  readonly exchange: string;
}

/** A and AAAA addresses of one host: IPv4 first, then IPv6, without duplicates. */
export type AddressResult = DnsResult<{ readonly addresses: readonly string[] }>;
export type CnameResult = DnsResult<{ readonly target: string }>;
export type CaaResult = DnsResult<{ readonly records: readonly CaaRecord[] }>;
export type NsResult = DnsResult<{ readonly hosts: readonly string[] }>;
export type MxResult = DnsResult<{ readonly exchanges: readonly MxRecord[] }>;
