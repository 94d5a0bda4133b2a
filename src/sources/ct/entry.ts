/**
 * @module sources/ct/entry
 * Certificate Transparency entries, read without copying: RFC 6962 MerkleTreeLeaf and get-entries extra_data (§3, §4.6)
 * and Static CT API data tiles (c2sp.org/static-ct-api). Every malformation is a CtEntryError naming the byte.
 */

/** A malformed CT entry: the message says what is wrong and at which byte. */
export class CtEntryError extends Error {
  override name = "CtEntryError";
}

export type CtEntryType = "x509" | "precert";

export interface TimestampedEntry {
  /** ms since epoch */
  readonly timestamp: number;
  readonly type: CtEntryType;
  /** x509: the certificate DER. precert: the TBSCertificate DER (poison removed), as logged. Subarray, no copy. */
  readonly certOrTbs: Buffer;
  /** precert only: SHA-256 of the issuing CA's SubjectPublicKeyInfo (32 bytes). */
  readonly issuerKeyHash: Buffer | null;
  /** CtExtensions bytes. */
  readonly extensions: Buffer;
}

/** One TileLeaf of a Static CT data tile. */
export interface TileLeaf extends TimestampedEntry {
  /** The MerkleTreeLeaf bytes this entry hashes as: 0x00 0x00 followed by the TimestampedEntry bytes. */
  readonly merkleLeaf: Buffer;
  readonly precertificate: Buffer | null;
  /** SHA-256 fingerprints of the chain certificates (issuer first), fetched from `issuer/<hex>`. */
  readonly chainFingerprints: Buffer[];
  /** The leaf_index CtExtension value if present (static-ct-api requires it), else null. */
  readonly leafIndex: number | null;
}

/** The entries of a full data tile. */
export const TILE_WIDTH = 256;
/** SHA-256 output: issuer_key_hash and chain fingerprints. */
const HASH_SIZE = 32;
/** CtExtension type of `leaf_index` (static-ct-api): a 40-bit big-endian index. */
const LEAF_INDEX_EXTENSION = 0;

function asBuffer(data: unknown, what: string): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new CtEntryError(`${what}: expected bytes, got ${data === null ? "null" : typeof data}`);
}

/**
 * A bounded reader over [pos, end) of one buffer. `prefix` names where we are (an entry number) and
 * `base` is added to reported offsets, so that messages count bytes from the start of the whole input.
 */
class Reader {
  constructor(
    readonly b: Buffer,
    public pos: number,
    readonly end: number,
    readonly prefix: string,
    readonly base = 0,
  ) {}

  fail(what: string, at: number = this.pos): never {
    throw new CtEntryError(`${this.prefix}${what} (at byte ${this.base + at})`);
  }

  need(n: number, what: string): void {
    if (n > this.end - this.pos) {
      this.fail(`${what}: needs ${n} bytes, only ${this.end - this.pos} left`);
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.b[this.pos++] as number;
  }

  u16(what: string): number {
    this.need(2, what);
    const b = this.b;
    const p = this.pos;
    this.pos = p + 2;
    return ((b[p] as number) << 8) | (b[p + 1] as number);
  }

  u24(what: string): number {
    this.need(3, what);
    const b = this.b;
    const p = this.pos;
    this.pos = p + 3;
    return ((b[p] as number) << 16) | ((b[p + 1] as number) << 8) | (b[p + 2] as number);
  }

  /** uint64 milliseconds; beyond 2^53 is not a time any log will produce. */
  timestamp(): number {
    const at = this.pos;
    this.need(8, "timestamp");
    const b = this.b;
    const hi = b.readUInt32BE(at);
    const lo = b.readUInt32BE(at + 4);
    if (hi > 0x1fffff) this.fail(`timestamp 0x${b.toString("hex", at, at + 8)} exceeds 2^53 ms`, at);
    this.pos = at + 8;
    return hi * 0x1_0000_0000 + lo;
  }

  bytes(n: number, what: string): Buffer {
    this.need(n, what);
    const s = this.pos;
    this.pos = s + n;
    return this.b.subarray(s, s + n);
  }

  /** opaque<lo..2^24-1> */
  opaque24(what: string, min: number): Buffer {
    const at = this.pos;
    const n = this.u24(`${what} length`);
    if (n < min) this.fail(`${what}: empty (at least ${min} byte${min === 1 ? "" : "s"} required)`, at);
    if (n > this.end - this.pos) {
      this.fail(`${what}: declared length ${n} runs past the end (${this.end - this.pos} bytes left)`, at);
    }
    return this.bytes(n, what);
  }

  /** opaque<0..2^16-1> */
  opaque16(what: string): Buffer {
    const at = this.pos;
    const n = this.u16(`${what} length`);
    if (n > this.end - this.pos) {
      this.fail(`${what}: declared length ${n} runs past the end (${this.end - this.pos} bytes left)`, at);
    }
    return this.bytes(n, what);
  }
}

/** Reads one TimestampedEntry (RFC 6962 §3.4) at `r.pos`. */
function readTimestampedEntry(r: Reader): TimestampedEntry {
  const timestamp = r.timestamp();
  const typeAt = r.pos;
  const entryType = r.u16("entry_type");
  let type: CtEntryType;
  let issuerKeyHash: Buffer | null = null;
  let certOrTbs: Buffer;
  if (entryType === 0) {
    type = "x509";
    certOrTbs = r.opaque24("x509_entry (ASN.1Cert)", 1);
  } else if (entryType === 1) {
    type = "precert";
    issuerKeyHash = r.bytes(HASH_SIZE, "issuer_key_hash");
    certOrTbs = r.opaque24("tbs_certificate", 1);
  } else {
    return r.fail(`unknown entry_type ${entryType} (0 x509_entry and 1 precert_entry are defined)`, typeAt);
  }
  const extensions = r.opaque16("extensions (CtExtensions)");
  return { timestamp, type, certOrTbs, issuerKeyHash, extensions };
}

/** MerkleTreeLeaf (version 0, leaf type 0 timestamped_entry) → its TimestampedEntry. Throws CtEntryError. */
export function parseMerkleTreeLeaf(leafInput: Buffer): TimestampedEntry {
  const b = asBuffer(leafInput, "MerkleTreeLeaf");
  const r = new Reader(b, 0, b.length, "MerkleTreeLeaf: ");
  const version = r.u8("version");
  if (version !== 0) r.fail(`unsupported version ${version} (only v1 = 0 is defined)`, 0);
  const leafType = r.u8("leaf_type");
  if (leafType !== 0) r.fail(`unsupported leaf_type ${leafType} (only timestamped_entry = 0 is defined)`, 1);
  const entry = readTimestampedEntry(r);
  if (r.pos !== b.length) r.fail(`${b.length - r.pos} unexpected bytes after the entry`);
  return entry;
}

/** One ASN.1Cert list: `ASN.1Cert chain<0..2^24-1>` (each certificate opaque<1..2^24-1>). */
function readChain(r: Reader, what: string): Buffer[] {
  const at = r.pos;
  const n = r.u24(`${what} length`);
  if (n > r.end - r.pos) {
    r.fail(`${what}: declared length ${n} runs past the end (${r.end - r.pos} bytes left)`, at);
  }
  const inner = new Reader(r.b, r.pos, r.pos + n, r.prefix, r.base);
  const chain: Buffer[] = [];
  while (inner.pos < inner.end) chain.push(inner.opaque24(`${what}[${chain.length}]`, 1));
  r.pos = inner.end;
  return chain;
}

/**
 * extra_data of get-entries: x509 → chain (ASN.1Cert list); precert → PrecertChainEntry (pre_certificate +
 * chain). Throws CtEntryError.
 */
export function parseExtraData(
  type: CtEntryType,
  extraData: Buffer,
): { precertificate: Buffer | null; chain: Buffer[] } {
  const b = asBuffer(extraData, "extra_data");
  if (type !== "x509" && type !== "precert") {
    throw new CtEntryError(`extra_data: unknown entry type ${String(type)}`);
  }
  const r = new Reader(b, 0, b.length, `extra_data (${type}): `);
  const precertificate = type === "precert" ? r.opaque24("pre_certificate", 1) : null;
  const chain = readChain(r, type === "precert" ? "precertificate_chain" : "certificate_chain");
  if (r.pos !== b.length) r.fail(`${b.length - r.pos} unexpected bytes after the chain`);
  return { precertificate, chain };
}

/**
 * The `leaf_index` CtExtension (static-ct-api) in CtExtensions bytes, or null when there is none. The
 * extensions are `Extension extensions<0..2^16-1>` without their length prefix, as in
 * `TimestampedEntry.extensions`. Throws CtEntryError when they are malformed or hold more than one leaf_index.
 */
export function leafIndexOf(extensions: Buffer): number | null {
  const b = asBuffer(extensions, "CtExtensions");
  return readLeafIndex(new Reader(b, 0, b.length, "CtExtensions: "));
}

/** The leaf_index among the CtExtensions in [r.pos, r.end), read in place (no subarray). */
function readLeafIndex(r: Reader): number | null {
  let index: number | null = null;
  while (r.pos < r.end) {
    const start = r.pos;
    const type = r.u8("extension_type");
    const n = r.u16("extension_data length");
    if (n > r.end - r.pos) {
      r.fail(
        `extension ${type} data: declared length ${n} runs past the end (${r.end - r.pos} bytes left)`,
        start + 1,
      );
    }
    const data = r.pos;
    r.pos += n;
    if (type !== LEAF_INDEX_EXTENSION) continue;
    if (index !== null) r.fail("leaf_index appears twice", start);
    if (n !== 5) r.fail(`leaf_index must be 5 bytes, found ${n}`, start);
    index = r.b.readUIntBE(data, 5);
  }
  return index;
}

interface RawTileLeaf {
  entry: TimestampedEntry;
  /** [start, end) of the TimestampedEntry in the tile. */
  start: number;
  end: number;
  precertificate: Buffer | null;
  chainFingerprints: Buffer[];
  leafIndex: number | null;
}

/**
 * Splits a data tile (full = 256 entries, or partial) into its TileLeafs. `count` is the number of entries
 * the tile must hold: fewer or trailing bytes → CtEntryError naming the entry number and byte offset.
 * The merkleLeaf buffers share one allocation per tile; everything else is a subarray of `tile`.
 */
export function splitDataTile(tile: Buffer, count: number): TileLeaf[] {
  const b = asBuffer(tile, "data tile");
  if (!Number.isInteger(count) || count < 1 || count > TILE_WIDTH) {
    throw new CtEntryError(`data tile: entry count must be an integer from 1 to ${TILE_WIDTH}, got ${count}`);
  }
  const raw: RawTileLeaf[] = [];
  let pos = 0;
  let leafBytes = 0;
  for (let i = 0; i < count; i++) {
    const r = new Reader(b, pos, b.length, `data tile entry ${i}: `);
    if (pos === b.length) {
      r.fail(`tile ends after ${i} of ${count} entries (${b.length} bytes)`);
    }
    const start = pos;
    const entry = readTimestampedEntry(r);
    const end = r.pos;
    const precertificate = entry.type === "precert" ? r.opaque24("pre_certificate", 1) : null;
    const fpAt = r.pos;
    const fps = r.opaque16("certificate_chain (fingerprints)");
    if (fps.length % HASH_SIZE !== 0) {
      r.fail(`certificate_chain length ${fps.length} is not a multiple of ${HASH_SIZE}`, fpAt);
    }
    const chainFingerprints: Buffer[] = [];
    for (let k = 0; k < fps.length; k += HASH_SIZE) chainFingerprints.push(fps.subarray(k, k + HASH_SIZE));
    const leafIndex =
      entry.extensions.length === 0
        ? null
        : readLeafIndex(new Reader(b, end - entry.extensions.length, end, r.prefix));
    raw.push({ entry, start, end, precertificate, chainFingerprints, leafIndex });
    leafBytes += 2 + end - start;
    pos = r.pos;
  }
  if (pos !== b.length) {
    throw new CtEntryError(
      `data tile: ${b.length - pos} unexpected bytes after entry ${count - 1} of ${count} (at byte ${pos})`,
    );
  }

  // One allocation for every MerkleTreeLeaf of the tile: 0x00 (v1), 0x00 (timestamped_entry), the entry.
  const leaves = Buffer.allocUnsafe(leafBytes);
  const out: TileLeaf[] = new Array<TileLeaf>(count);
  let q = 0;
  for (let i = 0; i < count; i++) {
    const x = raw[i] as RawTileLeaf;
    const s = q;
    leaves[q++] = 0;
    leaves[q++] = 0;
    q += b.copy(leaves, q, x.start, x.end);
    const e = x.entry;
    out[i] = {
      timestamp: e.timestamp,
      type: e.type,
      certOrTbs: e.certOrTbs,
      issuerKeyHash: e.issuerKeyHash,
      extensions: e.extensions,
      merkleLeaf: leaves.subarray(s, q),
      precertificate: x.precertificate,
      chainFingerprints: x.chainFingerprints,
      leafIndex: x.leafIndex,
    };
  }
  return out;
}
