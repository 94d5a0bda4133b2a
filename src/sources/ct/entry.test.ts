/**
 * @module sources/ct/entry.test
 * CT entry parsing against the local CT log: MerkleTreeLeaf and extra_data round trips, Static CT data tiles fetched
 * over HTTP (leaf hashes, precertificates, fingerprints, leaf_index), and malformed or fuzzed input as CtEntryError only.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  encodeMerkleTreeLeaf,
  leafIndexExtension,
  startCtLog,
  tilePath,
  type CtLog,
} from "../../../test/helpers/ct-log.js";
import { createRootCa, issueIntermediate, issueLeaf, type Issued } from "../../../test/helpers/pki.js";
import { issuePrecertPair, type PrecertPair } from "../../../test/helpers/precert.js";
import {
  CtEntryError,
  leafIndexOf,
  parseExtraData,
  parseMerkleTreeLeaf,
  splitDataTile,
  type CtEntryType,
} from "./entry.js";
import { leafHash } from "./merkle.js";

const sha256 = (b: Uint8Array): Buffer => createHash("sha256").update(b).digest();
const u24 = (n: number): Buffer => Buffer.from([(n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
const opaque24 = (d: Uint8Array): Buffer => Buffer.concat([u24(d.length), d]);

/** Asserts `fn` throws a CtEntryError whose message matches `pattern` (and names a byte). */
function throwsCt(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CtEntryError, `expected CtEntryError, got ${String(e)}`);
    assert.match(e.message, pattern);
    assert.match(e.message, /at byte \d+/);
    return true;
  });
}

/** Is `part` a view into `whole`'s memory (no copy)? */
function isViewOf(part: Buffer, whole: Buffer): boolean {
  return (
    part.buffer === whole.buffer &&
    part.byteOffset >= whole.byteOffset &&
    part.byteOffset + part.length <= whole.byteOffset + whole.length
  );
}

/** A small deterministic PRNG (mulberry32), so that a fuzz failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs `fn` on `count` mutants of `valid` (truncations, byte flips, overwritten length bytes): only CtEntryError may escape. */
function fuzz(valid: Buffer, count: number, seed: number, fn: (b: Buffer) => unknown): number {
  const rnd = prng(seed);
  let failures = 0;
  for (let i = 0; i < count; i++) {
    let m: Buffer;
    const kind = i % 3;
    if (kind === 0) {
      m = valid.subarray(0, Math.floor(rnd() * valid.length));
    } else {
      m = Buffer.from(valid);
      const flips = 1 + Math.floor(rnd() * 4);
      for (let k = 0; k < flips; k++) {
        // Bias half of the flips to the first 64 bytes, where the headers and lengths are.
        const at = Math.floor(rnd() * (rnd() < 0.5 ? Math.min(64, m.length) : m.length));
        m[at] = kind === 1 ? (m[at] as number) ^ (1 << Math.floor(rnd() * 8)) : Math.floor(rnd() * 256);
      }
    }
    try {
      fn(m);
    } catch (e) {
      if (!(e instanceof CtEntryError)) {
        assert.fail(`mutant ${i} (seed ${seed}) threw ${String(e)}: ${m.toString("hex")}`);
      }
      failures++;
    }
  }
  return failures;
}

let root: Issued;
let int: Issued;
let leaf: Issued;
let pair: PrecertPair;

before(async () => {
  root = await createRootCa();
  int = await issueIntermediate(root);
  leaf = await issueLeaf(int, { dnsNames: ["entry.test", "www.entry.test"] });
  pair = await issuePrecertPair(int, { dnsNames: ["pre.entry.test"] });
});

describe("parseMerkleTreeLeaf", () => {
  it("reads back an x509 leaf encoded by the local log, as views of the input", () => {
    const ts = 1_717_171_717_171;
    const ext = leafIndexExtension(1234);
    const input = encodeMerkleTreeLeaf(ts, { type: "x509", certDer: leaf.certDer }, ext);
    const e = parseMerkleTreeLeaf(input);
    assert.equal(e.timestamp, ts);
    assert.equal(e.type, "x509");
    assert.deepEqual(e.certOrTbs, Buffer.from(leaf.certDer));
    assert.equal(e.issuerKeyHash, null);
    assert.deepEqual(e.extensions, ext);
    assert.ok(isViewOf(e.certOrTbs, input), "certOrTbs is a subarray of the input");
    assert.ok(isViewOf(e.extensions, input));
    assert.equal(leafIndexOf(e.extensions), 1234);
  });

  it("reads back a precert leaf: TBS, issuer key hash, no extensions", () => {
    const input = encodeMerkleTreeLeaf(42, {
      type: "precert",
      issuerKeyHash: pair.issuerKeyHash,
      tbsDer: pair.loggedTbs,
    });
    const e = parseMerkleTreeLeaf(input);
    assert.equal(e.timestamp, 42);
    assert.equal(e.type, "precert");
    assert.deepEqual(e.certOrTbs, Buffer.from(pair.loggedTbs));
    assert.deepEqual(e.issuerKeyHash, Buffer.from(pair.issuerKeyHash));
    assert.equal(e.extensions.length, 0);
    assert.ok(e.issuerKeyHash !== null && isViewOf(e.issuerKeyHash, input));
    assert.equal(leafIndexOf(e.extensions), null);
  });

  it("accepts a plain Uint8Array and the largest timestamps a number holds exactly", () => {
    const ts = Number.MAX_SAFE_INTEGER;
    const input = encodeMerkleTreeLeaf(ts, { type: "x509", certDer: leaf.certDer });
    const e = parseMerkleTreeLeaf(new Uint8Array(input) as Buffer);
    assert.equal(e.timestamp, ts);
    assert.ok(Buffer.isBuffer(e.certOrTbs));
  });

  it("rejects malformed leaves with CtEntryError naming what and where", () => {
    const x509 = encodeMerkleTreeLeaf(1, { type: "x509", certDer: leaf.certDer });
    const pre = encodeMerkleTreeLeaf(1, {
      type: "precert",
      issuerKeyHash: pair.issuerKeyHash,
      tbsDer: pair.loggedTbs,
    });
    const patched = (b: Buffer, at: number, ...bytes: number[]): Buffer => {
      const c = Buffer.from(b);
      c.set(bytes, at);
      return c;
    };
    throwsCt(() => parseMerkleTreeLeaf(Buffer.alloc(0)), /version: needs 1 bytes, only 0 left \(at byte 0\)/);
    throwsCt(() => parseMerkleTreeLeaf(x509.subarray(0, 7)), /timestamp: needs 8 bytes, only 5 left/);
    throwsCt(() => parseMerkleTreeLeaf(x509.subarray(0, x509.length - 1)), /extensions.*length/);
    throwsCt(
      () => parseMerkleTreeLeaf(x509.subarray(0, 200)),
      /x509_entry.*declared length \d+ runs past the end/,
    );
    throwsCt(() => parseMerkleTreeLeaf(pre.subarray(0, 30)), /issuer_key_hash: needs 32 bytes/);
    throwsCt(() => parseMerkleTreeLeaf(patched(x509, 0, 1)), /unsupported version 1 \(.*\) \(at byte 0\)/);
    throwsCt(() => parseMerkleTreeLeaf(patched(x509, 1, 1)), /unsupported leaf_type 1 .*\(at byte 1\)/);
    throwsCt(() => parseMerkleTreeLeaf(patched(x509, 10, 0, 2)), /unknown entry_type 2 .*\(at byte 10\)/);
    throwsCt(
      () => parseMerkleTreeLeaf(patched(x509, 2, 0xff)),
      /timestamp .* exceeds 2\^53 ms \(at byte 2\)/,
    );
    throwsCt(
      () => parseMerkleTreeLeaf(Buffer.concat([x509, Buffer.from([0])])),
      new RegExp(`1 unexpected bytes after the entry \\(at byte ${x509.length}\\)`),
    );
    // A zero-length certificate (ASN.1Cert is opaque<1..2^24-1>).
    throwsCt(
      () => parseMerkleTreeLeaf(encodeMerkleTreeLeaf(1, { type: "x509", certDer: new Uint8Array(0) })),
      /x509_entry \(ASN.1Cert\): empty .*\(at byte 12\)/,
    );
    // Extensions length running past the end.
    throwsCt(
      () => parseMerkleTreeLeaf(patched(x509, x509.length - 2, 0, 9)),
      /extensions \(CtExtensions\): declared length 9 runs past the end \(0 bytes left\)/,
    );
    assert.throws(() => parseMerkleTreeLeaf(null as unknown as Buffer), CtEntryError);
  });

  it("fuzz: truncations and byte flips only ever throw CtEntryError", () => {
    const leaves = [
      encodeMerkleTreeLeaf(7, { type: "x509", certDer: leaf.certDer }, leafIndexExtension(7)),
      encodeMerkleTreeLeaf(8, { type: "precert", issuerKeyHash: pair.issuerKeyHash, tbsDer: pair.loggedTbs }),
    ];
    for (const [i, l] of leaves.entries()) {
      const failures = fuzz(l, 3000, 100 + i, (m) => parseMerkleTreeLeaf(m));
      assert.ok(failures > 1000, `only ${failures} mutants rejected`);
    }
  });
});

describe("parseExtraData", () => {
  it("reads x509 chains and PrecertChainEntries", () => {
    const chain = [int.certDer, root.certDer];
    const x = parseExtraData("x509", Buffer.concat([u24(0), Buffer.alloc(0)]));
    assert.deepEqual(x, { precertificate: null, chain: [] });
    const x2 = parseExtraData("x509", opaque24(Buffer.concat(chain.map(opaque24))));
    assert.deepEqual(
      x2.chain,
      chain.map((c) => Buffer.from(c)),
    );
    const pre = Buffer.concat([opaque24(pair.precertDer), opaque24(Buffer.concat(chain.map(opaque24)))]);
    const p = parseExtraData("precert", pre);
    assert.deepEqual(p.precertificate, Buffer.from(pair.precertDer));
    assert.deepEqual(
      p.chain,
      chain.map((c) => Buffer.from(c)),
    );
    assert.ok(p.precertificate !== null && isViewOf(p.precertificate, pre));
  });

  it("reads get-entries answers of the local log", async () => {
    const log = await startCtLog();
    try {
      log.addX509(leaf.certDer, [int.certDer, root.certDer]);
      log.addPrecert(pair.loggedTbs, pair.issuerKeyHash, [int.certDer], { precertificate: pair.precertDer });
      log.addX509(leaf.certDer);
      const r = await fetch(`${log.url}ct/v1/get-entries?start=0&end=2`);
      const body = (await r.json()) as { entries: { leaf_input: string; extra_data: string }[] };
      const got = body.entries.map((e) => {
        const entry = parseMerkleTreeLeaf(Buffer.from(e.leaf_input, "base64"));
        return { entry, extra: parseExtraData(entry.type, Buffer.from(e.extra_data, "base64")) };
      });
      assert.deepEqual(
        got.map((g) => [g.entry.type, g.extra.precertificate?.length ?? null, g.extra.chain.length]),
        [
          ["x509", null, 2],
          ["precert", pair.precertDer.length, 1],
          ["x509", null, 0],
        ],
      );
      assert.deepEqual(got[0]?.extra.chain[1], Buffer.from(root.certDer));
      assert.deepEqual(got[1]?.extra.precertificate, Buffer.from(pair.precertDer));
      assert.deepEqual(got[1]?.entry.certOrTbs, Buffer.from(pair.loggedTbs));
    } finally {
      await log.close();
    }
  });

  it("rejects malformed extra_data with CtEntryError", () => {
    const chain = opaque24(Buffer.concat([opaque24(int.certDer), opaque24(root.certDer)]));
    throwsCt(() => parseExtraData("x509", Buffer.alloc(2)), /certificate_chain length: needs 3 bytes/);
    throwsCt(
      () => parseExtraData("x509", chain.subarray(0, chain.length - 1)),
      /certificate_chain: declared length \d+ runs past the end/,
    );
    throwsCt(
      () => parseExtraData("x509", Buffer.concat([chain, Buffer.from([1, 2])])),
      new RegExp(`2 unexpected bytes after the chain \\(at byte ${chain.length}\\)`),
    );
    // An empty certificate inside the chain, and a certificate running past the chain's end.
    throwsCt(
      () => parseExtraData("x509", opaque24(Buffer.concat([opaque24(int.certDer), u24(0)]))),
      new RegExp(`certificate_chain\\[1\\]: empty .*\\(at byte ${3 + 3 + int.certDer.length}\\)`),
    );
    throwsCt(
      () => parseExtraData("x509", opaque24(Buffer.concat([u24(int.certDer.length + 1), int.certDer]))),
      /certificate_chain\[0\]: declared length \d+ runs past the end .*\(at byte 3\)/,
    );
    throwsCt(() => parseExtraData("precert", u24(0)), /pre_certificate: empty/);
    throwsCt(
      () => parseExtraData("precert", opaque24(pair.precertDer)),
      /precertificate_chain length: needs 3/,
    );
    assert.throws(() => parseExtraData("other" as CtEntryType, chain), CtEntryError);
  });

  it("fuzz: only CtEntryError", () => {
    const chain = opaque24(Buffer.concat([opaque24(int.certDer), opaque24(root.certDer)]));
    fuzz(chain, 2000, 7, (m) => parseExtraData("x509", m));
    fuzz(Buffer.concat([opaque24(pair.precertDer), chain]), 2000, 8, (m) => parseExtraData("precert", m));
  });
});

describe("splitDataTile (Static CT API)", () => {
  let log: CtLog;
  const chain = (): Uint8Array[] => [int.certDer, root.certDer];
  const N = 300;

  before(async () => {
    log = await startCtLog({ staticApi: {} });
    for (let i = 0; i < N; i++) {
      if (i % 3 === 1) {
        log.addPrecert(pair.loggedTbs, pair.issuerKeyHash, chain(), { precertificate: pair.precertDer });
      } else {
        log.addX509(leaf.certDer, i % 3 === 0 ? chain() : [], { timestamp: 1_700_000_000_000 + i });
      }
    }
  });
  after(() => log.close());

  async function getTile(path: string): Promise<Buffer> {
    const r = await fetch(`${log.url}${path}`);
    assert.equal(r.status, 200, path);
    return Buffer.from(await r.arrayBuffer());
  }

  it("splits a full and a partial tile into leaves that hash as the log's", async () => {
    const fps = chain().map(sha256);
    for (const [n, width] of [
      [0, 256],
      [1, N - 256],
    ] as const) {
      const tile = await getTile(tilePath("data", n, width));
      const leaves = splitDataTile(tile, width);
      assert.equal(leaves.length, width);
      for (const [j, l] of leaves.entries()) {
        const i = n * 256 + j;
        assert.deepEqual(leafHash(l.merkleLeaf), log.leafHashAt(i), `leaf hash of entry ${i}`);
        assert.deepEqual(parseMerkleTreeLeaf(l.merkleLeaf).certOrTbs, l.certOrTbs);
        assert.equal(l.leafIndex, i);
        assert.ok(isViewOf(l.certOrTbs, tile), "certOrTbs is a view of the tile");
        if (i % 3 === 1) {
          assert.equal(l.type, "precert");
          assert.deepEqual(l.certOrTbs, Buffer.from(pair.loggedTbs));
          assert.deepEqual(l.issuerKeyHash, Buffer.from(pair.issuerKeyHash));
          assert.deepEqual(l.precertificate, Buffer.from(pair.precertDer));
          assert.deepEqual(l.chainFingerprints, fps);
        } else {
          assert.equal(l.type, "x509");
          assert.equal(l.timestamp, 1_700_000_000_000 + i);
          assert.deepEqual(l.certOrTbs, Buffer.from(leaf.certDer));
          assert.equal(l.precertificate, null);
          assert.equal(l.issuerKeyHash, null);
          assert.deepEqual(l.chainFingerprints, i % 3 === 0 ? fps : []);
        }
      }
    }
  });

  it("names chain certificates by fingerprints the log serves at issuer/<hex>", async () => {
    const [l] = splitDataTile(await getTile(tilePath("data", 0, 1)), 1);
    assert.equal(l?.chainFingerprints.length, 2);
    for (const [k, fp] of (l?.chainFingerprints ?? []).entries()) {
      const der = await getTile(`issuer/${fp.toString("hex")}`);
      assert.deepEqual(der, Buffer.from(chain()[k] as Uint8Array));
      assert.deepEqual(sha256(der), fp);
    }
  });

  it("rejects short tiles, trailing bytes and bad counts with the entry number and offset", async () => {
    const tile = await getTile(tilePath("data", 0, 3));
    const end2 = findEnd(tile, 2);
    throwsCt(
      () => splitDataTile(tile.subarray(0, end2), 3),
      new RegExp(
        `data tile entry 2: tile ends after 2 of 3 entries \\(${end2} bytes\\) \\(at byte ${end2}\\)`,
      ),
    );
    throwsCt(
      () => splitDataTile(tile, 2),
      new RegExp(
        `data tile: ${tile.length - end2} unexpected bytes after entry 1 of 2 \\(at byte ${end2}\\)`,
      ),
    );
    throwsCt(
      () => splitDataTile(tile.subarray(0, tile.length - 1), 3),
      /data tile entry 2: certificate_chain \(fingerprints\)/,
    );
    throwsCt(
      () => splitDataTile(tile.subarray(0, 100), 3),
      /data tile entry 0: x509_entry \(ASN.1Cert\): declared length/,
    );
    assert.throws(() => splitDataTile(tile, 0), CtEntryError);
    assert.throws(() => splitDataTile(tile, 257), CtEntryError);
    assert.throws(() => splitDataTile(tile, 1.5), CtEntryError);
  });

  it("rejects fingerprint lists that are not whole hashes, and bad leaf_index extensions", () => {
    const base = encodeMerkleTreeLeaf(
      1,
      { type: "x509", certDer: leaf.certDer },
      leafIndexExtension(5),
    ).subarray(2);
    const fp = (n: number): Buffer => Buffer.concat([Buffer.from([n >> 8, n & 0xff]), Buffer.alloc(n)]);
    assert.equal(splitDataTile(Buffer.concat([base, fp(64)]), 1)[0]?.chainFingerprints.length, 2);
    throwsCt(
      () => splitDataTile(Buffer.concat([base, fp(33)]), 1),
      /certificate_chain length 33 is not a multiple of 32/,
    );
    const withExt = (ext: Buffer): Buffer =>
      Buffer.concat([
        encodeMerkleTreeLeaf(1, { type: "x509", certDer: leaf.certDer }, ext).subarray(2),
        fp(0),
      ]);
    throwsCt(
      () => splitDataTile(withExt(Buffer.concat([leafIndexExtension(1), leafIndexExtension(2)])), 1),
      /leaf_index appears twice/,
    );
    throwsCt(
      () => splitDataTile(withExt(Buffer.from([0, 0, 4, 1, 2, 3, 4])), 1),
      /leaf_index must be 5 bytes, found 4/,
    );
    throwsCt(
      () => splitDataTile(withExt(Buffer.from([0, 0, 9, 1])), 1),
      /extension 0 data: declared length 9 runs past the end/,
    );
    // Unknown extension types are skipped; a missing leaf_index is null.
    assert.equal(splitDataTile(withExt(Buffer.from([7, 0, 1, 9])), 1)[0]?.leafIndex, null);
    assert.equal(
      splitDataTile(withExt(Buffer.concat([Buffer.from([7, 0, 0]), leafIndexExtension(2 ** 40 - 1)])), 1)[0]
        ?.leafIndex,
      2 ** 40 - 1,
    );
  });

  it("fuzz: only CtEntryError", async () => {
    const tile = await getTile(tilePath("data", 0, 4));
    const failures = fuzz(tile, 3000, 99, (m) => splitDataTile(m, 4));
    assert.ok(failures > 1000);
  });
});

/** The byte after entry `count - 1` of a well-formed tile (an independent walk). */
function findEnd(tile: Buffer, count: number): number {
  let p = 0;
  for (let i = 0; i < count; i++) {
    const type = tile.readUInt16BE(p + 8);
    p += 10;
    if (type === 1) p += 32;
    p += 3 + tile.readUIntBE(p, 3);
    p += 2 + tile.readUInt16BE(p);
    if (type === 1) p += 3 + tile.readUIntBE(p, 3);
    p += 2 + tile.readUInt16BE(p);
  }
  return p;
}
