/**
 * @module checks/certificate
 * What is wrong with the served certificates themselves: 40 invalid-certificate, 31 self-signed,
 * 33 sha1-signature, 34 weak-key, 28 wildcard-certificate, 26 name-mismatch.
 */
import type { Endpoint } from "../domain/endpoint.js";
import type { Finding } from "../domain/finding.js";
import { isWeakHash } from "../pki/algorithms.js";
import { signedBy, summarize, type ParsedCertificate } from "../pki/certificate.js";
import { certificateCoversHost, isWildcardName } from "../pki/hostname.js";
import type { Thresholds } from "./context.js";
import { endpointFinding } from "./finding-helpers.js";

export function leafValidityFindings(endpoint: Endpoint, leaf: ParsedCertificate, now: Date): Finding[] {
  const cert = summarize(leaf);
  if (leaf.notAfter < now) {
    return [
      endpointFinding("invalid-certificate", endpoint, "endpoint+cert", cert, {
        reason: "expired",
        notAfter: cert.notAfter,
      }),
    ];
  }
  if (leaf.notBefore > now) {
    return [
      endpointFinding("invalid-certificate", endpoint, "endpoint+cert", cert, {
        reason: "not-yet-valid",
        notBefore: cert.notBefore,
      }),
    ];
  }
  return [];
}

export function isSelfSigned(c: ParsedCertificate): boolean {
  return c.selfIssued && signedBy(c, c);
}

export function selfSignedFindings(endpoint: Endpoint, leaf: ParsedCertificate): Finding[] {
  if (!isSelfSigned(leaf)) return [];
  return [
    endpointFinding("self-signed", endpoint, "endpoint+cert", summarize(leaf), { subject: leaf.subject }),
  ];
}

/**
 * 33 and 34 for the leaf and each CA certificate the server relies on (not the trust anchor, whose
 * self-signature nobody checks). `chain` is leaf first.
 */
export function algorithmFindings(
  endpoint: Endpoint,
  chain: readonly ParsedCertificate[],
  isAnchor: (c: ParsedCertificate) => boolean,
  t: Thresholds,
): Finding[] {
  const findings: Finding[] = [];
  for (const [i, c] of chain.entries()) {
    if (i > 0 && (isAnchor(c) || isSelfSigned(c))) continue;
    const role = i === 0 ? "leaf" : "intermediate";
    const summary = summarize(c);
    if (isWeakHash(c.signatureAlgorithm.hash)) {
      findings.push(
        endpointFinding("sha1-signature", endpoint, "cert", summary, {
          role,
          signatureAlgorithm: c.signatureAlgorithm.name,
          hash: c.signatureAlgorithm.hash,
        }),
      );
    }
    const weak = weakKeyReason(c, t);
    if (weak) findings.push(endpointFinding("weak-key", endpoint, "cert", summary, { role, ...weak }));
  }
  return findings;
}

export function weakKeyReason(
  c: ParsedCertificate,
  t: Thresholds,
): { keyType: string; bits: number | null; minimum: number | null; reason: string } | null {
  const { type, bits, curve } = c.publicKey;
  if (type === "dsa") return { keyType: "DSA", bits, minimum: null, reason: "DSA keys are deprecated" };
  if ((type === "rsa" || type === "rsa-pss") && (bits === null || bits < t.minRsaBits)) {
    return { keyType: "RSA", bits, minimum: t.minRsaBits, reason: `RSA key of ${bits ?? "unknown"} bits` };
  }
  if (type === "ec" && (bits === null || bits < t.minEcBits)) {
    return {
      keyType: `EC ${curve ?? "unknown curve"}`,
      bits,
      minimum: t.minEcBits,
      reason: `EC key of ${bits ?? "unknown"} bits`,
    };
  }
  return null;
}

export function wildcardFindings(endpoint: Endpoint, leaf: ParsedCertificate): Finding[] {
  const wildcards = leaf.dnsNames.filter(isWildcardName);
  if (wildcards.length === 0) return [];
  return [
    endpointFinding("wildcard-certificate", endpoint, "endpoint+cert", summarize(leaf), {
      wildcardNames: wildcards,
    }),
  ];
}

export function nameMismatchFindings(endpoint: Endpoint, leaf: ParsedCertificate): Finding[] {
  if (certificateCoversHost(leaf, endpoint.host)) return [];
  return [
    endpointFinding("name-mismatch", endpoint, "endpoint", summarize(leaf), {
      host: endpoint.host,
      dnsNames: leaf.dnsNames,
      ipAddresses: leaf.ipAddresses,
      ...(leaf.hasSanExtension
        ? {}
        : { commonNames: leaf.commonNames, note: "the certificate has no subjectAltName" }),
    }),
  ];
}
