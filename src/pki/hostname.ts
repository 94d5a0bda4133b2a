/**
 * @module pki/hostname
 * RFC 6125 name matching: does a certificate cover this host? One left-most wildcard label, IP
 * SANs for IP hosts, the subject CN only when the certificate has no SAN at all.
 */
import { isIP } from "node:net";
import { domainToASCII } from "node:url";
import { normalizeIpv6 } from "./certificate.js";

export interface NameSet {
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly commonNames: readonly string[];
  readonly hasSanExtension: boolean;
}

/** Lower-case A-label form without a trailing dot; IPv6 in canonical form. */
export function normalizeHost(host: string): string {
  const h = host
    .trim()
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "");
  if (isIP(h) === 6) return normalizeIpv6(h);
  if (isIP(h) === 4) return h;
  return domainToASCII(h.toLowerCase()) || h.toLowerCase();
}

/** Does the reference identity `pattern` (a dNSName SAN) match `host`? Both already normalised. */
export function dnsNameMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, "");
  if (p === host) return true;
  if (!p.startsWith("*.")) return false;
  const suffix = p.slice(1); // ".example.com"
  // The wildcard covers exactly one whole, non-empty label, and never a bare public-looking suffix.
  if (suffix.split(".").length < 3 || suffix.includes("*")) return false;
  if (!host.endsWith(suffix)) return false;
  const label = host.slice(0, host.length - suffix.length);
  return label.length > 0 && !label.includes(".");
}

export function certificateCoversHost(names: NameSet, rawHost: string): boolean {
  const host = normalizeHost(rawHost);
  if (isIP(host) !== 0) return names.ipAddresses.some((ip) => normalizeHost(ip) === host);
  const dns = names.hasSanExtension ? names.dnsNames : names.commonNames;
  return dns.some((p) => dnsNameMatches(p, host));
}

export function isWildcardName(name: string): boolean {
  return name.startsWith("*.");
}
