/**
 * @module pki/algorithms
 * Names of the signature and key algorithms found in certificates, by OID, and which are weak.
 */

export type SignatureHash =
  "MD2" | "MD4" | "MD5" | "SHA-1" | "SHA-224" | "SHA-256" | "SHA-384" | "SHA-512" | null;

export interface SignatureAlgorithm {
  readonly oid: string;
  /** Human name, e.g. "sha256WithRSAEncryption"; the OID when unknown. */
  readonly name: string;
  /** Hash used by the signature; null for Ed25519/Ed448 or unknown algorithms. */
  readonly hash: SignatureHash;
}

const SIGNATURE_ALGORITHMS: Record<string, [string, SignatureHash]> = {
  "1.2.840.113549.1.1.2": ["md2WithRSAEncryption", "MD2"],
  "1.2.840.113549.1.1.3": ["md4WithRSAEncryption", "MD4"],
  "1.2.840.113549.1.1.4": ["md5WithRSAEncryption", "MD5"],
  "1.2.840.113549.1.1.5": ["sha1WithRSAEncryption", "SHA-1"],
  "1.3.14.3.2.29": ["sha1WithRSASignature", "SHA-1"],
  "1.2.840.113549.1.1.14": ["sha224WithRSAEncryption", "SHA-224"],
  "1.2.840.113549.1.1.11": ["sha256WithRSAEncryption", "SHA-256"],
  "1.2.840.113549.1.1.12": ["sha384WithRSAEncryption", "SHA-384"],
  "1.2.840.113549.1.1.13": ["sha512WithRSAEncryption", "SHA-512"],
  "1.2.840.10045.4.1": ["ecdsa-with-SHA1", "SHA-1"],
  "1.2.840.10045.4.3.1": ["ecdsa-with-SHA224", "SHA-224"],
  "1.2.840.10045.4.3.2": ["ecdsa-with-SHA256", "SHA-256"],
  "1.2.840.10045.4.3.3": ["ecdsa-with-SHA384", "SHA-384"],
  "1.2.840.10045.4.3.4": ["ecdsa-with-SHA512", "SHA-512"],
  "1.2.840.10040.4.3": ["dsa-with-sha1", "SHA-1"],
  "2.16.840.1.101.3.4.3.1": ["dsa-with-sha224", "SHA-224"],
  "2.16.840.1.101.3.4.3.2": ["dsa-with-sha256", "SHA-256"],
  "1.3.101.112": ["Ed25519", null],
  "1.3.101.113": ["Ed448", null],
};

const HASH_OIDS: Record<string, SignatureHash> = {
  "1.3.14.3.2.26": "SHA-1",
  "2.16.840.1.101.3.4.2.4": "SHA-224",
  "2.16.840.1.101.3.4.2.1": "SHA-256",
  "2.16.840.1.101.3.4.2.2": "SHA-384",
  "2.16.840.1.101.3.4.2.3": "SHA-512",
};

export const RSASSA_PSS_OID = "1.2.840.113549.1.1.10";

/** `pssHashOid` is the hash OID from RSASSA-PSS parameters (default SHA-1 per RFC 4055). */
export function signatureAlgorithm(oid: string, pssHashOid?: string): SignatureAlgorithm {
  if (oid === RSASSA_PSS_OID) {
    const hash = pssHashOid === undefined ? "SHA-1" : (HASH_OIDS[pssHashOid] ?? null);
    return { oid, name: `rsassa-pss${hash ? `-${hash}` : ""}`, hash };
  }
  const known = SIGNATURE_ALGORITHMS[oid];
  return known ? { oid, name: known[0], hash: known[1] } : { oid, name: oid, hash: null };
}

/** Hashes no longer collision resistant: a signature over them can be forged. */
export function isWeakHash(h: SignatureHash): boolean {
  return h === "MD2" || h === "MD4" || h === "MD5" || h === "SHA-1";
}

export type PublicKeyType = "rsa" | "rsa-pss" | "ec" | "dsa" | "ed25519" | "ed448" | "unknown";

export interface PublicKeyInfo {
  readonly type: PublicKeyType;
  /** Modulus size for RSA/DSA, curve size for EC; null when unknown. */
  readonly bits: number | null;
  /** EC named curve, e.g. "prime256v1". */
  readonly curve: string | null;
}

const CURVE_BITS: Record<string, number> = {
  prime192v1: 192,
  secp224r1: 224,
  prime256v1: 256,
  secp256k1: 256,
  secp384r1: 384,
  secp521r1: 521,
  brainpoolP256r1: 256,
  brainpoolP384r1: 384,
  brainpoolP512r1: 512,
};

export function curveBits(curve: string): number | null {
  return CURVE_BITS[curve] ?? null;
}
