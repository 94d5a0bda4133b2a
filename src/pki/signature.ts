/**
 * @module pki/signature
 * Verifies a signature over DER data (a TBSCertList, an OCSP ResponseData) with Node's OpenSSL, given
 * the signature algorithm; the key must be of the algorithm's type.
 */
import { constants, verify, type KeyObject } from "node:crypto";
import { RSASSA_PSS_OID, type SignatureAlgorithm, type SignatureHash } from "./algorithms.js";

export type SignatureCheck = "valid" | "invalid" | { readonly unsupported: string };

export interface PssParams {
  readonly hash: SignatureHash;
  readonly mgf1Hash: SignatureHash;
  readonly saltLength: number;
}

const NODE_DIGEST: Readonly<Record<string, string>> = {
  MD5: "md5",
  "SHA-1": "sha1",
  "SHA-224": "sha224",
  "SHA-256": "sha256",
  "SHA-384": "sha384",
  "SHA-512": "sha512",
};

type Family = "rsa" | "rsa-pss" | "ecdsa" | "dsa" | "ed25519" | "ed448";

const KEY_TYPES: Readonly<Record<Family, readonly string[]>> = {
  rsa: ["rsa"],
  "rsa-pss": ["rsa", "rsa-pss"],
  ecdsa: ["ec"],
  dsa: ["dsa"],
  ed25519: ["ed25519"],
  ed448: ["ed448"],
};

function family(oid: string): Family | null {
  if (oid === RSASSA_PSS_OID) return "rsa-pss";
  if (oid.startsWith("1.2.840.113549.1.1.") || oid === "1.3.14.3.2.29") return "rsa";
  if (oid.startsWith("1.2.840.10045.4.")) return "ecdsa";
  if (oid === "1.2.840.10040.4.3" || oid === "2.16.840.1.101.3.4.3.1" || oid === "2.16.840.1.101.3.4.3.2") {
    return "dsa";
  }
  if (oid === "1.3.101.112") return "ed25519";
  if (oid === "1.3.101.113") return "ed448";
  return null;
}

/** `pss` is required for RSASSA-PSS (its parameters); ignored otherwise. */
export function verifySignature(
  alg: SignatureAlgorithm,
  pss: PssParams | null,
  data: Uint8Array,
  signature: Uint8Array,
  key: KeyObject,
): SignatureCheck {
  const fam = family(alg.oid);
  if (fam === null) return { unsupported: `unsupported signature algorithm ${alg.name}` };
  if (!KEY_TYPES[fam].includes(key.asymmetricKeyType ?? "")) {
    return { unsupported: `a ${key.asymmetricKeyType ?? "unknown"} key cannot make a ${alg.name} signature` };
  }
  try {
    if (fam === "ed25519" || fam === "ed448") return verify(null, data, key, signature) ? "valid" : "invalid";
    const digest = NODE_DIGEST[alg.hash ?? ""];
    if (digest === undefined) return { unsupported: `unsupported signature hash in ${alg.name}` };
    if (fam === "rsa-pss") {
      // Node's verify uses the signature hash for MGF1 too.
      if (pss === null || pss.mgf1Hash !== pss.hash)
        return { unsupported: "RSASSA-PSS with a different MGF1 hash" };
      const pssKey = { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: pss.saltLength };
      return verify(digest, data, pssKey, signature) ? "valid" : "invalid";
    }
    const opts =
      fam === "rsa" ? { key, padding: constants.RSA_PKCS1_PADDING } : { key, dsaEncoding: "der" as const };
    return verify(digest, data, opts, signature) ? "valid" : "invalid";
  } catch {
    // OpenSSL errors on malformed signatures or keys mean the signature does not verify.
    return "invalid";
  }
}
