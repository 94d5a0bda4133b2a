/**
 * @module sources/revocation/ocsp-signature
 * Verifies a signature over DER data given its AlgorithmIdentifier and a public key, by Node's OpenSSL.
 */
import "reflect-metadata";
import { constants, verify, type KeyObject } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import { RsaSaPssParams } from "@peculiar/asn1-rsa";
import type { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import { RSASSA_PSS_OID, signatureAlgorithm, type SignatureHash } from "../../pki/algorithms.js";

export type SignatureCheck = "valid" | "invalid" | { readonly unsupported: string };

const NODE_HASH: Partial<Record<NonNullable<SignatureHash>, string>> = {
  MD5: "md5",
  "SHA-1": "sha1",
  "SHA-224": "sha224",
  "SHA-256": "sha256",
  "SHA-384": "sha384",
  "SHA-512": "sha512",
};

/** The key type a signature algorithm needs, so an EC key never "verifies" an RSA-labelled signature. */
function keyTypesFor(oid: string, name: string): readonly string[] {
  if (oid === RSASSA_PSS_OID) return ["rsa", "rsa-pss"];
  if (oid.startsWith("1.2.840.113549.1.1.") || oid === "1.3.14.3.2.29") return ["rsa"];
  if (oid.startsWith("1.2.840.10045.4.")) return ["ec"];
  if (name === "Ed25519") return ["ed25519"];
  if (name === "Ed448") return ["ed448"];
  return [];
}

export function checkSignature(
  alg: AlgorithmIdentifier,
  data: Uint8Array,
  signature: Uint8Array,
  key: KeyObject,
): SignatureCheck {
  try {
    let pss: RsaSaPssParams | undefined;
    if (alg.algorithm === RSASSA_PSS_OID) {
      pss = alg.parameters ? AsnConvert.parse(alg.parameters, RsaSaPssParams) : new RsaSaPssParams();
    }
    const sa = signatureAlgorithm(alg.algorithm, pss?.hashAlgorithm.algorithm);
    const types = keyTypesFor(alg.algorithm, sa.name);
    if (types.length === 0) return { unsupported: `unsupported signature algorithm ${sa.name}` };
    if (!types.includes(key.asymmetricKeyType ?? "")) {
      return {
        unsupported: `a ${key.asymmetricKeyType ?? "unknown"} key cannot make a ${sa.name} signature`,
      };
    }
    const eddsa = sa.name === "Ed25519" || sa.name === "Ed448";
    const hash = sa.hash === null ? undefined : NODE_HASH[sa.hash];
    if (!eddsa && hash === undefined) return { unsupported: `unsupported signature hash in ${sa.name}` };
    const verifyKey = pss
      ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: pss.saltLength }
      : { key, dsaEncoding: "der" as const };
    return verify(eddsa ? null : (hash ?? null), data, verifyKey, signature) ? "valid" : "invalid";
  } catch {
    // OpenSSL errors on malformed signatures or keys mean the signature does not verify.
    return "invalid";
  }
}
