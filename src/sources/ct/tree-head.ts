/**
 * @module sources/ct/tree-head
 * Signed tree heads of RFC 6962: the TreeHead value, the TreeHeadSignature bytes, DigitallySigned parsing
 * and verification (SHA-256 with ECDSA or RSA) against a log key given as SubjectPublicKeyInfo DER.
 */
import { createHash, createPublicKey, verify, type KeyObject } from "node:crypto";
import { HASH_SIZE } from "./merkle.js";

/** A tree head: `size` leaves whose Merkle Tree Hash is `rootHash`, signed at `timestamp` (ms since the epoch). */
export interface TreeHead {
  size: number;
  rootHash: Buffer;
  timestamp: number;
}

/** HashAlgorithm and SignatureAlgorithm of RFC 5246 §7.4.1.4.1 that CT uses. */
export const HASH_SHA256 = 4;
export const SIG_RSA = 1;
export const SIG_ECDSA = 3;

/** A parsed DigitallySigned (RFC 5246 §4.7). */
export interface DigitallySigned {
  hashAlgorithm: number;
  signatureAlgorithm: number;
  signature: Buffer;
}

/** A log's public key, ready to verify. */
export interface LogKey {
  readonly key: KeyObject;
  /** SHA-256 of the SubjectPublicKeyInfo DER (RFC 6962 §3.2). */
  readonly logId: Buffer;
  readonly spki: Buffer;
}

/** Reads a log key from its SubjectPublicKeyInfo DER (the log list's base64 `key`, decoded). Throws when unusable. */
export function logKeyFromSpki(spki: Uint8Array): LogKey {
  const der = Buffer.from(spki);
  const key = createPublicKey({ key: der, format: "der", type: "spki" });
  const type = key.asymmetricKeyType;
  if (type !== "ec" && type !== "rsa") throw new TypeError(`unsupported CT log key type ${String(type)}`);
  return { key, logId: createHash("sha256").update(der).digest(), spki: der };
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

/** The bytes a tree head signature covers: TreeHeadSignature of RFC 6962 §3.5 (v1, tree_hash). */
export function treeHeadSignatureInput(head: TreeHead): Buffer {
  return Buffer.concat([Buffer.from([0, 1]), u64(head.timestamp), u64(head.size), head.rootHash]);
}

/** Parses a DigitallySigned that must fill `b` exactly; a string says what is wrong. */
export function parseDigitallySigned(b: Uint8Array): DigitallySigned | string {
  if (b.length < 4) return `a DigitallySigned is at least 4 bytes, got ${b.length}`;
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  const len = buf.readUInt16BE(2);
  if (len !== buf.length - 4) return `the signature declares ${len} bytes but ${buf.length - 4} follow`;
  return {
    hashAlgorithm: buf[0] as number,
    signatureAlgorithm: buf[1] as number,
    signature: buf.subarray(4),
  };
}

/** Checks the shape of a tree head (safe integers, a 32-byte root); a string says what is wrong. */
export function treeHeadError(head: TreeHead): string | null {
  if (!Number.isSafeInteger(head.size) || head.size < 0) return `tree size ${head.size} is not a valid size`;
  if (!Number.isSafeInteger(head.timestamp) || head.timestamp < 0) {
    return `timestamp ${head.timestamp} is not a valid time`;
  }
  if (head.rootHash.length !== HASH_SIZE) return `the root hash is ${head.rootHash.length} bytes, not 32`;
  return null;
}

/**
 * Verifies `digitallySigned` (the STH's `tree_head_signature`) over `head` with the log key. null when it
 * verifies; otherwise why not.
 */
export function verifyTreeHeadSignature(
  head: TreeHead,
  digitallySigned: Uint8Array,
  key: KeyObject | LogKey,
): string | null {
  const k = "key" in key ? key.key : key;
  const shape = treeHeadError(head);
  if (shape !== null) return shape;
  const ds = parseDigitallySigned(digitallySigned);
  if (typeof ds === "string") return ds;
  if (ds.hashAlgorithm !== HASH_SHA256) return `hash algorithm ${ds.hashAlgorithm} is not SHA-256 (4)`;
  const want = k.asymmetricKeyType === "ec" ? SIG_ECDSA : k.asymmetricKeyType === "rsa" ? SIG_RSA : null;
  if (want === null) return `unsupported log key type ${String(k.asymmetricKeyType)}`;
  if (ds.signatureAlgorithm !== want) {
    return `signature algorithm ${ds.signatureAlgorithm} does not match the ${String(k.asymmetricKeyType)} log key (${want})`;
  }
  let ok: boolean;
  try {
    ok = verify("sha256", treeHeadSignatureInput(head), k, ds.signature);
  } catch (e) {
    return `the signature does not parse: ${e instanceof Error ? e.message : String(e)}`;
  }
  return ok ? null : "the tree head signature does not verify with the log key";
}
