/**
 * @module sources/ct/checkpoint
 * Static CT API checkpoints: strict parsing of C2SP signed notes and tlog-checkpoint bodies, and verification
 * of the log's RFC6962NoteSignature (key ID, timestamp, TreeHeadSignature) with the log key.
 */
import { createHash } from "node:crypto";
import { HASH_SIZE } from "./merkle.js";
import { verifyTreeHeadSignature, type LogKey, type TreeHead } from "./tree-head.js";

/** Largest note accepted by default: room for the 16 signatures the note spec requires, post-quantum ones included. */
export const MAX_CHECKPOINT_BYTES = 128 * 1024;

/** The signature type byte of RFC 6962 TreeHeadSignature notes (c2sp.org/signed-note). */
export const RFC6962_NOTE_SIGNATURE_TYPE = 0x05;

const EM_DASH_SPACE = "\u2014 ";

export interface NoteSignature {
  /** The key name of the signature line. */
  name: string;
  /** The first 4 bytes of the decoded signature. */
  keyId: Buffer;
  /** The rest of the decoded signature. */
  signature: Buffer;
}

export interface SignedNote {
  /** The signed text, final newline included. */
  text: string;
  signatures: NoteSignature[];
}

/** A checkpoint body (c2sp.org/tlog-checkpoint). */
export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Buffer;
  /** Extension lines, in order (none for RFC 6962-signed checkpoints). */
  extensions: string[];
}

export type CheckpointResult =
  | { kind: "ok"; checkpoint: Checkpoint; head: TreeHead }
  /** The note or its body does not follow the specifications. */
  | { kind: "malformed"; error: string }
  /** The origin line is not the expected one. */
  | { kind: "origin"; error: string }
  /** No signature by the log key, or one that does not verify. */
  | { kind: "signature"; error: string };

export interface VerifyCheckpointOptions {
  key: LogKey;
  /** The origin line required (unchecked when absent). */
  origin?: string;
  /** Largest note accepted (default {@link MAX_CHECKPOINT_BYTES}). */
  maxBytes?: number;
  /**
   * Accept extension lines (default false: static-ct-api forbids them with RFC 6962 signatures, which do not
   * cover them).
   */
  allowExtensions?: boolean;
}

/** Key ID of an RFC6962NoteSignature: SHA-256(name || 0x0A || 0x05 || LogID)[:4]. */
export function rfc6962NoteKeyId(name: string, logId: Uint8Array): Buffer {
  return createHash("sha256")
    .update(Buffer.from(`${name}\n`, "utf8"))
    .update(Buffer.from([RFC6962_NOTE_SIGNATURE_TYPE]))
    .update(logId)
    .digest()
    .subarray(0, 4);
}

/** Decodes canonical standard base64 (RFC 4648 §4, padded); null for anything else. */
export function strictBase64(s: string): Buffer | null {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return null;
  const b = Buffer.from(s, "base64");
  return b.toString("base64") === s ? b : null;
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Parses a signed note (c2sp.org/signed-note); a string says what is wrong. Signatures are not verified. */
export function parseSignedNote(
  note: Uint8Array | string,
  maxBytes = MAX_CHECKPOINT_BYTES,
): SignedNote | string {
  const size = typeof note === "string" ? Buffer.byteLength(note, "utf8") : note.length;
  if (size > maxBytes) return `the note is ${size} bytes, over the ${maxBytes}-byte limit`;
  let s: string;
  if (typeof note === "string") {
    s = note;
  } else {
    try {
      s = decoder.decode(note);
    } catch {
      return "the note is not valid UTF-8";
    }
  }
  // eslint-disable-next-line no-control-regex
  const control = /[\u0000-\u0009\u000b-\u001f]/.exec(s);
  if (control !== null) {
    return `the note contains the control character U+${control[0].charCodeAt(0).toString(16).padStart(4, "0")} at offset ${control.index}`;
  }
  if (!s.endsWith("\n")) return "the note does not end with a newline";
  const sep = s.lastIndexOf("\n\n");
  if (sep < 0) return "the note has no blank line before its signatures";
  const text = s.slice(0, sep + 1);
  const lines = s.slice(sep + 2, -1).split("\n");
  const signatures: NoteSignature[] = [];
  for (const [i, line] of lines.entries()) {
    const where = `signature line ${i + 1}`;
    if (!line.startsWith(EM_DASH_SPACE)) return `${where} does not start with "\u2014 "`;
    const parts = line.slice(EM_DASH_SPACE.length).split(" ");
    if (parts.length !== 2) return `${where} is not "\u2014 <name> <signature>"`;
    const [name, b64] = parts as [string, string];
    if (name === "" || /[\s+]/u.test(name)) return `${where} has an invalid key name ${JSON.stringify(name)}`;
    const sig = strictBase64(b64);
    if (sig === null) return `${where} has a signature that is not canonical base64`;
    if (sig.length < 5)
      return `${where} has a ${sig.length}-byte signature (key ID and signature need 5 or more)`;
    signatures.push({ name, keyId: sig.subarray(0, 4), signature: sig.subarray(4) });
  }
  return { text, signatures };
}

/** Parses a checkpoint body (the note text); a string says what is wrong. */
export function parseCheckpointText(text: string): Checkpoint | string {
  if (!text.endsWith("\n")) return "the checkpoint text does not end with a newline";
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3) return `a checkpoint has at least 3 lines, got ${lines.length}`;
  const empty = lines.findIndex((l) => l === "");
  if (empty >= 0) return `checkpoint line ${empty + 1} is empty`;
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText))
    return `the tree size ${JSON.stringify(sizeText)} is not a decimal number`;
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) return `the tree size ${sizeText} is too large`;
  const rootHash = strictBase64(rootText);
  if (rootHash === null) return "the root hash is not canonical base64";
  if (rootHash.length !== HASH_SIZE) return `the root hash is ${rootHash.length} bytes, not ${HASH_SIZE}`;
  return { origin, size, rootHash, extensions };
}

/**
 * Parses a checkpoint note and verifies the log's RFC6962NoteSignature: the key name must be the origin line,
 * the key ID derived from it and the log ID. Signatures by other keys are ignored; one by the log key that
 * does not verify rejects the note.
 */
export function verifyCheckpoint(note: Uint8Array | string, opts: VerifyCheckpointOptions): CheckpointResult {
  const parsed = parseSignedNote(note, opts.maxBytes ?? MAX_CHECKPOINT_BYTES);
  if (typeof parsed === "string") return { kind: "malformed", error: parsed };
  const cp = parseCheckpointText(parsed.text);
  if (typeof cp === "string") return { kind: "malformed", error: cp };
  if (opts.origin !== undefined && cp.origin !== opts.origin) {
    return {
      kind: "origin",
      error: `the checkpoint origin is ${JSON.stringify(cp.origin)}, expected ${JSON.stringify(opts.origin)}`,
    };
  }
  if (cp.extensions.length > 0 && opts.allowExtensions !== true) {
    return {
      kind: "malformed",
      error: `the checkpoint has ${cp.extensions.length} extension line(s), which an RFC 6962 signature does not cover`,
    };
  }
  const keyId = rfc6962NoteKeyId(cp.origin, opts.key.logId);
  let head: TreeHead | null = null;
  for (const sig of parsed.signatures) {
    if (sig.name !== cp.origin || !sig.keyId.equals(keyId)) continue;
    if (sig.signature.length < 8 + 4) {
      return { kind: "signature", error: `the log's note signature is only ${sig.signature.length} bytes` };
    }
    const ts = sig.signature.readBigUInt64BE(0);
    if (ts > BigInt(Number.MAX_SAFE_INTEGER)) {
      return { kind: "signature", error: `the signature timestamp ${ts} is out of range` };
    }
    const candidate: TreeHead = { size: cp.size, rootHash: cp.rootHash, timestamp: Number(ts) };
    const err = verifyTreeHeadSignature(candidate, sig.signature.subarray(8), opts.key);
    if (err !== null) return { kind: "signature", error: `checkpoint signature: ${err}` };
    head = candidate;
  }
  if (head === null) {
    return {
      kind: "signature",
      error: `no signature by the log key (name ${JSON.stringify(cp.origin)}, key ID ${keyId.toString("hex")})`,
    };
  }
  return { kind: "ok", checkpoint: cp, head };
}
