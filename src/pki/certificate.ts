/**
 * @module pki/certificate
 * Parses a DER certificate once into the facts checks need (names, validity, keys, algorithms,
 * extensions). A certificate that cannot be parsed is a value, never an exception.
 */
import "reflect-metadata";
import { createHash, X509Certificate as NodeX509, type KeyObject } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import { RsaSaPssParams } from "@peculiar/asn1-rsa";
import {
  AuthorityInfoAccessSyntax,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  CRLDistributionPoints,
  ExtendedKeyUsage,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_cRLDistributionPoints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  id_pe_authorityInfoAccess,
  KeyUsage,
  KeyUsageFlags,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
} from "@peculiar/asn1-x509";
import { Name } from "@peculiar/x509";
import type { CertificateSummary } from "../domain/certificate.js";
import { rfc3339 } from "../domain/alert.js";
import { readCertificateFields, type CertificateFields } from "./certificate-der.js";
import { curveBits, RSASSA_PSS_OID, signatureAlgorithm, type PublicKeyInfo } from "./algorithms.js";

/** Everything checks need to know about one certificate, computed once per distinct DER. */
export interface ParsedCertificate extends Omit<CertificateFields, "spki"> {
  readonly der: Uint8Array;
  readonly sha256: string;
  readonly publicKey: PublicKeyInfo;
  /** Hex SHA-256 of the SubjectPublicKeyInfo DER (how CT, CAA tables and pins name a key). */
  readonly spkiSha256: string;
  /** Issuer name equals subject name. */
  readonly selfIssued: boolean;
  /** Node's view of the same DER, for signature verification. */
  readonly node: NodeX509;
}

export type ParseResult =
  | { readonly ok: true; readonly cert: ParsedCertificate }
  | { readonly ok: false; readonly sha256: string; readonly error: string };

export function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

const toHex = (b: ArrayBuffer | Uint8Array): string => Buffer.from(b as Uint8Array).toString("hex");

export function parseCertificate(der: Uint8Array): ParseResult {
  return parseHashedCertificate(der, sha256Hex(der));
}

/** For callers that already hashed the DER (to key a cache by it): the hash is not computed again. */
export function parseHashedCertificate(der: Uint8Array, sha256: string): ParseResult {
  try {
    return { ok: true, cert: parseFast(der, sha256) };
  } catch {
    // Not plain DER, or something the fast path leaves alone: the full ASN.1 parser decides.
  }
  try {
    return { ok: true, cert: parseFull(der, sha256) };
  } catch (e) {
    return { ok: false, sha256, error: `malformed certificate: ${(e as Error).message}` };
  }
}

/** The fast path (pki/certificate-der.ts); throws for anything it does not handle. */
export function parseFast(der: Uint8Array, sha256 = sha256Hex(der)): ParsedCertificate {
  const { spki, ...fields } = readCertificateFields(der);
  const node = new NodeX509(der);
  return {
    der,
    sha256,
    ...fields,
    publicKey: publicKeyInfo(node.publicKey),
    spkiSha256: sha256Hex(spki),
    selfIssued: fields.subjectDer === fields.issuerDer,
    node,
  };
}

/** The reference parser (@peculiar/asn1-x509): slower, handles every encoding quirk. */
export function parseFull(der: Uint8Array, sha256 = sha256Hex(der)): ParsedCertificate {
  const asn = AsnConvert.parse(der, Certificate);
  const node = new NodeX509(der);
  const tbs = asn.tbsCertificate;
  const ext = (oid: string) => tbs.extensions?.find((e) => e.extnID === oid);
  const parseExt = <T>(oid: string, type: new () => T): T | null => {
    const e = ext(oid);
    return e ? AsnConvert.parse(e.extnValue, type) : null;
  };

  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  const san = parseExt(id_ce_subjectAltName, SubjectAlternativeName);
  for (const g of san ?? []) {
    if (g.dNSName !== undefined) dnsNames.push(g.dNSName.toLowerCase());
    if (g.iPAddress !== undefined) ipAddresses.push(ipFromSan(g.iPAddress));
  }

  const subjectName = new Name(tbs.subject);
  const commonNames = subjectName
    .getField("CN")
    .map((cn) => cn.toLowerCase())
    .filter((cn) => cn !== "");

  const bc = parseExt(id_ce_basicConstraints, BasicConstraints);
  const ku = parseExt(id_ce_keyUsage, KeyUsage);
  const eku = parseExt(id_ce_extKeyUsage, ExtendedKeyUsage);
  const ski = parseExt(id_ce_subjectKeyIdentifier, SubjectKeyIdentifier);
  const aki = parseExt(id_ce_authorityKeyIdentifier, AuthorityKeyIdentifier);
  const aia = parseExt(id_pe_authorityInfoAccess, AuthorityInfoAccessSyntax);
  const cdp = parseExt(id_ce_cRLDistributionPoints, CRLDistributionPoints);

  const crlDistributionPoints: string[] = [];
  for (const dp of cdp ?? []) {
    for (const g of dp.distributionPoint?.fullName ?? []) {
      if (g.uniformResourceIdentifier !== undefined) crlDistributionPoints.push(g.uniformResourceIdentifier);
    }
  }
  const ocspUrls: string[] = [];
  const caIssuerUrls: string[] = [];
  for (const ad of aia ?? []) {
    const uri = ad.accessLocation.uniformResourceIdentifier;
    if (uri === undefined) continue;
    if (ad.accessMethod === "1.3.6.1.5.5.7.48.1") ocspUrls.push(uri);
    if (ad.accessMethod === "1.3.6.1.5.5.7.48.2") caIssuerUrls.push(uri);
  }

  const sigOid = asn.signatureAlgorithm.algorithm;
  let pssHash: string | undefined;
  if (sigOid === RSASSA_PSS_OID && asn.signatureAlgorithm.parameters) {
    pssHash = AsnConvert.parse(asn.signatureAlgorithm.parameters, RsaSaPssParams).hashAlgorithm.algorithm;
  }

  const subjectDer = toHex(AsnConvert.serialize(tbs.subject));
  const issuerDer = toHex(AsnConvert.serialize(tbs.issuer));
  return {
    der,
    sha256,
    serialNumber: toHex(tbs.serialNumber).replace(/^(00)+(?=.)/, ""),
    subject: subjectName.toString(),
    issuer: new Name(tbs.issuer).toString(),
    subjectDer,
    issuerDer,
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    dnsNames,
    ipAddresses,
    commonNames,
    hasSanExtension: san !== null,
    isCa: bc?.cA ?? false,
    pathLength: bc?.pathLenConstraint ?? null,
    keyCertSign: ku === null ? null : (ku.toNumber() & KeyUsageFlags.keyCertSign) !== 0,
    extendedKeyUsages: eku === null ? null : Array.from(eku, String),
    subjectKeyId: ski ? toHex(ski.buffer) : null,
    authorityKeyId: aki?.keyIdentifier ? toHex(aki.keyIdentifier.buffer) : null,
    signatureAlgorithm: signatureAlgorithm(sigOid, pssHash),
    publicKey: publicKeyInfo(node.publicKey),
    spkiSha256: sha256Hex(new Uint8Array(AsnConvert.serialize(tbs.subjectPublicKeyInfo))),
    crlDistributionPoints,
    ocspUrls,
    caIssuerUrls,
    selfIssued: subjectDer === issuerDer,
    node,
  };
}

function publicKeyInfo(key: KeyObject): PublicKeyInfo {
  const d = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case "rsa":
      return { type: "rsa", bits: d.modulusLength ?? null, curve: null };
    case "rsa-pss":
      return { type: "rsa-pss", bits: d.modulusLength ?? null, curve: null };
    case "dsa":
      return { type: "dsa", bits: d.modulusLength ?? null, curve: null };
    case "ec": {
      const curve = d.namedCurve ?? null;
      return { type: "ec", bits: curve === null ? null : curveBits(curve), curve };
    }
    case "ed25519":
      return { type: "ed25519", bits: 256, curve: null };
    case "ed448":
      return { type: "ed448", bits: 456, curve: null };
    default:
      return { type: "unknown", bits: null, curve: null };
  }
}

function ipFromSan(raw: string): string {
  // asn1-x509 renders the OCTET STRING of an iPAddress as a dotted/colon string already.
  return raw.includes(":") ? normalizeIpv6(raw) : raw;
}

export function normalizeIpv6(ip: string): string {
  const url = new URL(`http://[${ip}]/`);
  return url.hostname.slice(1, -1);
}

/** Does `issuer` carry the signature over `cert`? (Public-key verification, SHA-1/MD5 included.) */
export function signedBy(cert: ParsedCertificate, issuer: ParsedCertificate): boolean {
  try {
    return cert.node.verify(issuer.node.publicKey);
  } catch {
    return false;
  }
}

export function summarize(c: ParsedCertificate): CertificateSummary {
  return {
    sha256: c.sha256,
    serialNumber: c.serialNumber,
    subject: c.subject,
    issuer: c.issuer,
    dnsNames: c.dnsNames,
    ipAddresses: c.ipAddresses,
    notBefore: rfc3339(c.notBefore),
    notAfter: rfc3339(c.notAfter),
  };
}
