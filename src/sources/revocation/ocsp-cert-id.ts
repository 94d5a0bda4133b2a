/**
 * @module sources/revocation/ocsp-cert-id
 * The OCSP CertID of a certificate (issuer name hash, issuer key hash, serial) and hash-aware matching.
 */
import "reflect-metadata";
import { createHash } from "node:crypto";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier, Certificate } from "@peculiar/asn1-x509";
import { CertID } from "@peculiar/asn1-ocsp";
import type { ParsedCertificate } from "../../pki/certificate.js";

/** CertID hash algorithms by OID, as Node digest names. */
const CERT_ID_HASHES: Record<string, string> = {
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.4": "sha224",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
};

export const SHA1_OID = "1.3.14.3.2.26";

/** The parts of an issuer a CertID hashes: its subject Name DER and its public key bits. */
interface IssuerParts {
  readonly nameDer: Uint8Array;
  readonly keyBits: Uint8Array;
}

function issuerParts(issuer: ParsedCertificate): IssuerParts {
  const tbs = AsnConvert.parse(issuer.der, Certificate).tbsCertificate;
  return {
    nameDer: new Uint8Array(AsnConvert.serialize(tbs.subject)),
    keyBits: new Uint8Array(tbs.subjectPublicKeyInfo.subjectPublicKey),
  };
}

/** Serial number INTEGER content octets exactly as the certificate encodes them. */
function serialBytes(cert: ParsedCertificate): Uint8Array {
  return new Uint8Array(AsnConvert.parse(cert.der, Certificate).tbsCertificate.serialNumber);
}

const digest = (alg: string, data: Uint8Array): Buffer => createHash(alg).update(data).digest();

/** SHA-1 of the issuer's public key bits: also how a ResponderID byKey names a key. */
export function keyHashSha1(cert: ParsedCertificate): Buffer {
  return digest("sha1", issuerParts(cert).keyBits);
}

/** The CertID for `leaf` issued by `issuer`; SHA-1 by default, which every responder understands. */
export function certIdFor(leaf: ParsedCertificate, issuer: ParsedCertificate, hashOid = SHA1_OID): CertID {
  const alg = CERT_ID_HASHES[hashOid];
  if (alg === undefined) throw new Error(`unsupported CertID hash algorithm ${hashOid}`);
  const parts = issuerParts(issuer);
  return new CertID({
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: hashOid, parameters: null }),
    issuerNameHash: new OctetString(digest(alg, parts.nameDer)),
    issuerKeyHash: new OctetString(digest(alg, parts.keyBits)),
    serialNumber: serialBytes(leaf).slice().buffer,
  });
}

/** INTEGER content octets without redundant leading zero bytes, hex. */
function integerHex(b: ArrayBuffer | Uint8Array): string {
  return Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b))
    .toString("hex")
    .replace(/^(00)+(?=.)/, "");
}

const sameBytes = (a: ArrayBuffer | Uint8Array, b: ArrayBuffer | Uint8Array): boolean =>
  Buffer.from(a instanceof Uint8Array ? a : new Uint8Array(a)).equals(
    Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)),
  );

/**
 * A matcher for CertIDs naming `leaf` under `issuer`. The hashes are recomputed with each CertID's own
 * algorithm (responders may answer with SHA-256 CertIDs); unknown algorithms never match.
 */
export function certIdMatcher(leaf: ParsedCertificate, issuer: ParsedCertificate): (id: CertID) => boolean {
  const parts = issuerParts(issuer);
  const serial = integerHex(serialBytes(leaf));
  const cache = new Map<string, { name: Buffer; key: Buffer }>();
  return (id) => {
    const alg = CERT_ID_HASHES[id.hashAlgorithm.algorithm];
    if (alg === undefined || integerHex(id.serialNumber) !== serial) return false;
    let hashes = cache.get(alg);
    if (!hashes) {
      hashes = { name: digest(alg, parts.nameDer), key: digest(alg, parts.keyBits) };
      cache.set(alg, hashes);
    }
    return sameBytes(id.issuerNameHash.buffer, hashes.name) && sameBytes(id.issuerKeyHash.buffer, hashes.key);
  };
}
