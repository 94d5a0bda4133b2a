/**
 * @module test/helpers/ct-log.test
 * The local CT log, checked over HTTP: signed tree heads, entries rebuilding the signed root, batch caps, consistency proofs and every fault.
 */
import assert from "node:assert/strict";
import { createHash, createPublicKey, verify } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Der } from "../../src/pki/der.js";
import { Frontier, leafHash, verifyConsistency, verifyInclusion } from "../../src/sources/ct/merkle.js";
import { startCtLog, tileIndexPath, tilePath, treeHeadSignatureInput, type CtLog } from "./ct-log.js";
import { createRootCa, issueIntermediate, issueLeaf, type Issued } from "./pki.js";

interface Sth {
  tree_size: number;
  timestamp: number;
  sha256_root_hash: string;
  tree_head_signature: string;
}
interface Entries {
  entries: { leaf_input: string; extra_data: string }[];
}

const unb64 = (s: string): Buffer => Buffer.from(s, "base64");

async function getJson<T>(url: string): Promise<T> {
  const r = await fetch(url);
  assert.equal(r.status, 200, `${url}: ${r.status}`);
  return (await r.json()) as T;
}

/** Verifies the STH signature as a client would, from the log list's base64 key. */
function sthVerifies(sth: Sth, keyB64: string): boolean {
  const ds = unb64(sth.tree_head_signature);
  if (ds[0] !== 4 || ds[1] !== 3 || ds.readUInt16BE(2) !== ds.length - 4) return false;
  const key = createPublicKey({ key: unb64(keyB64), format: "der", type: "spki" });
  const input = treeHeadSignatureInput(sth.timestamp, sth.tree_size, unb64(sth.sha256_root_hash));
  return verify("sha256", input, key, ds.subarray(4));
}

const u24 = (b: Buffer, at: number): number => b.readUIntBE(at, 3);

/** An independent reading of a MerkleTreeLeaf (RFC 6962 §3.4). */
function parseLeaf(b: Buffer): {
  timestamp: number;
  type: number;
  cert: Buffer;
  issuerKeyHash?: Buffer;
  extensions: Buffer;
} {
  assert.equal(b[0], 0, "version v1");
  assert.equal(b[1], 0, "timestamped_entry");
  const timestamp = Number(b.readBigUInt64BE(2));
  const type = b.readUInt16BE(10);
  let p = 12;
  let issuerKeyHash: Buffer | undefined;
  if (type === 1) {
    issuerKeyHash = b.subarray(p, p + 32);
    p += 32;
  }
  const n = u24(b, p);
  const cert = b.subarray(p + 3, p + 3 + n);
  p += 3 + n;
  const extLen = b.readUInt16BE(p);
  const extensions = b.subarray(p + 2, p + 2 + extLen);
  assert.equal(p + 2 + extLen, b.length, "nothing after the extensions");
  return issuerKeyHash === undefined
    ? { timestamp, type, cert, extensions }
    : { timestamp, type, cert, issuerKeyHash, extensions };
}

function parseChain(b: Buffer, at = 0): { certs: Buffer[]; end: number } {
  const total = u24(b, at);
  const certs: Buffer[] = [];
  let p = at + 3;
  const end = p + total;
  while (p < end) {
    const n = u24(b, p);
    certs.push(b.subarray(p + 3, p + 3 + n));
    p += 3 + n;
  }
  assert.equal(p, end);
  return { certs, end };
}

/** The TBSCertificate element (header included) of a certificate. */
function tbsOf(certDer: Uint8Array): Buffer {
  const b = Buffer.from(certDer);
  const d = new Der(b);
  d.whole(0, b.length, 0x30, "Certificate");
  const start = d.vs;
  d.expect(start, d.ve, 0x30, "TBSCertificate");
  return b.subarray(start, d.ve);
}

async function allEntries(log: CtLog, size: number): Promise<Entries["entries"]> {
  const out: Entries["entries"] = [];
  while (out.length < size) {
    const body = await getJson<Entries>(`${log.url}ct/v1/get-entries?start=${out.length}&end=${size - 1}`);
    assert.ok(body.entries.length > 0 && body.entries.length <= log.maxBatch);
    out.push(...body.entries);
  }
  return out;
}

describe("test/helpers/ct-log (RFC 6962)", () => {
  let log: CtLog;
  let root: Issued;
  let inter: Issued;
  const leaves: Issued[] = [];

  before(async () => {
    log = await startCtLog({ maxBatch: 7 });
    root = await createRootCa({ subject: "CN=CT Test Root" });
    inter = await issueIntermediate(root, { subject: "CN=CT Test Intermediate" });
    for (let i = 0; i < 5; i++) leaves.push(await issueLeaf(inter, { dnsNames: [`h${i}.example.test`] }));
  });
  after(() => log.close());

  it("serves a signed empty tree head before anything is logged", async () => {
    const sth = await getJson<Sth>(`${log.url}ct/v1/get-sth`);
    assert.equal(sth.tree_size, 0);
    assert.equal(
      unb64(sth.sha256_root_hash).toString("hex"),
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    assert.ok(sthVerifies(sth, log.publicKeyDer.toString("base64")));
    assert.deepEqual(log.logId, createHash("sha256").update(log.publicKeyDer).digest());
  });

  it("logs x509 and precert entries whose leaves rebuild the signed root, in capped batches", async () => {
    const ikh = createHash("sha256").update(Buffer.from(inter.cert.publicKey.rawData)).digest();
    for (let i = 0; i < 20; i++) {
      const leaf = leaves[i % leaves.length] as Issued;
      if (i % 3 === 2) {
        log.addPrecert(tbsOf(leaf.certDer), ikh, [inter.certDer, root.certDer], { timestamp: 1000 + i });
      } else {
        log.addX509(leaf.certDer, [inter.certDer, root.certDer], { timestamp: 1000 + i });
      }
    }
    const sth = await getJson<Sth>(`${log.url}ct/v1/get-sth`);
    assert.equal(sth.tree_size, 20);
    assert.ok(sthVerifies(sth, log.publicKeyDer.toString("base64")));

    const one = await getJson<Entries>(`${log.url}ct/v1/get-entries?start=0&end=19`);
    assert.equal(one.entries.length, 7, "the batch cap returns fewer than asked");
    const past = await getJson<Entries>(`${log.url}ct/v1/get-entries?start=18&end=100`);
    assert.equal(past.entries.length, 2, "end is clipped to the tree");

    const entries = await allEntries(log, 20);
    const f = Frontier.empty();
    entries.forEach((e, i) => {
      const input = unb64(e.leaf_input);
      f.append(leafHash(input));
      const leaf = parseLeaf(input);
      assert.equal(leaf.timestamp, 1000 + i);
      const issued = leaves[i % leaves.length] as Issued;
      const extra = unb64(e.extra_data);
      if (i % 3 === 2) {
        assert.equal(leaf.type, 1);
        assert.deepEqual(leaf.issuerKeyHash, ikh);
        assert.deepEqual(leaf.cert, tbsOf(issued.certDer));
        const pre = u24(extra, 0);
        const { certs, end } = parseChain(extra, 3 + pre);
        assert.equal(end, extra.length);
        assert.equal(certs.length, 2);
      } else {
        assert.equal(leaf.type, 0);
        assert.deepEqual(leaf.cert, Buffer.from(issued.certDer));
        const { certs, end } = parseChain(extra);
        assert.equal(end, extra.length);
        assert.deepEqual(certs[0], Buffer.from(inter.certDer));
      }
      assert.equal(leaf.extensions.length, 0);
    });
    assert.equal(f.root().toString("base64"), sth.sha256_root_hash);
  });

  it("proves consistency between its heads, and inclusion by hash", async () => {
    const r5 = log.rootAt(5);
    const sth = await getJson<Sth>(`${log.url}ct/v1/get-sth`);
    const { consistency } = await getJson<{ consistency: string[] }>(
      `${log.url}ct/v1/get-sth-consistency?first=5&second=${sth.tree_size}`,
    );
    assert.ok(verifyConsistency(5, sth.tree_size, r5, unb64(sth.sha256_root_hash), consistency.map(unb64)));
    const h = log.leafHashAt(9);
    const proof = await getJson<{ leaf_index: number; audit_path: string[] }>(
      `${log.url}ct/v1/get-proof-by-hash?hash=${encodeURIComponent(h.toString("base64"))}&tree_size=${sth.tree_size}`,
    );
    assert.equal(proof.leaf_index, 9);
    assert.ok(verifyInclusion(h, 9, sth.tree_size, proof.audit_path.map(unb64), unb64(sth.sha256_root_hash)));
    const bad = await fetch(`${log.url}ct/v1/get-sth-consistency?first=9&second=3`);
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
  });

  it("fault: a corrupted STH signature", async () => {
    log.faults = { badSthSignature: true };
    const sth = await getJson<Sth>(`${log.url}ct/v1/get-sth`);
    assert.ok(!sthVerifies(sth, log.publicKeyDer.toString("base64")));
    log.faults = {};
    assert.ok(
      sthVerifies(await getJson<Sth>(`${log.url}ct/v1/get-sth`), log.publicKeyDer.toString("base64")),
    );
  });

  it("fault: a signed root that the entries do not produce", async () => {
    log.faults = { wrongRoot: true };
    const sth = await getJson<Sth>(`${log.url}ct/v1/get-sth`);
    assert.ok(sthVerifies(sth, log.publicKeyDer.toString("base64")));
    assert.notEqual(sth.sha256_root_hash, log.rootAt(sth.tree_size).toString("base64"));
    log.faults = {};
  });

  it("fault: a rewritten history is not consistent with an earlier head", async () => {
    const before = await getJson<Sth>(`${log.url}ct/v1/get-sth`);
    log.addX509((leaves[0] as Issued).certDer);
    log.rewrite(3, (leaves[4] as Issued).certDer);
    const after = await getJson<Sth>(`${log.url}ct/v1/get-sth`);
    assert.ok(sthVerifies(after, log.publicKeyDer.toString("base64")));
    const { consistency } = await getJson<{ consistency: string[] }>(
      `${log.url}ct/v1/get-sth-consistency?first=${before.tree_size}&second=${after.tree_size}`,
    );
    assert.ok(
      !verifyConsistency(
        before.tree_size,
        after.tree_size,
        unb64(before.sha256_root_hash),
        unb64(after.sha256_root_hash),
        consistency.map(unb64),
      ),
    );
  });

  it("fault: a truncated get-entries body", async () => {
    log.faults = { truncateEntries: true };
    await assert.rejects(async () => {
      const r = await fetch(`${log.url}ct/v1/get-entries?start=0&end=3`);
      JSON.parse(await r.text());
    });
    log.faults = {};
    assert.equal((await getJson<Entries>(`${log.url}ct/v1/get-entries?start=0&end=3`)).entries.length, 4);
  });

  it("fault: 429 with Retry-After for the next requests, then normal service", async () => {
    log.faults = { failNext: { count: 2, retryAfter: "1", path: "get-entries" } };
    const sth = await fetch(`${log.url}ct/v1/get-sth`);
    assert.equal(sth.status, 200, "other paths are not limited");
    await sth.body?.cancel();
    for (let i = 0; i < 2; i++) {
      const r = await fetch(`${log.url}ct/v1/get-entries?start=0&end=0`);
      assert.equal(r.status, 429);
      assert.equal(r.headers.get("retry-after"), "1");
      await r.body?.cancel();
    }
    assert.equal((await getJson<Entries>(`${log.url}ct/v1/get-entries?start=0&end=0`)).entries.length, 1);
    assert.ok(log.requests.some((p) => p.startsWith("/ct/v1/get-entries")));
  });

  it("holds entries back until publish() when autoPublish is off, and logs raw leaves as given", async () => {
    const quiet = await startCtLog({ autoPublish: false });
    try {
      quiet.addRaw(Buffer.from("not a MerkleTreeLeaf"));
      const s0 = await getJson<Sth>(`${quiet.url}ct/v1/get-sth`);
      assert.equal(s0.tree_size, 0);
      quiet.publish();
      const s1 = await getJson<Sth>(`${quiet.url}ct/v1/get-sth`);
      assert.equal(s1.tree_size, 1);
      assert.ok(s1.timestamp > s0.timestamp);
      assert.equal(s1.sha256_root_hash, leafHash(Buffer.from("not a MerkleTreeLeaf")).toString("base64"));
    } finally {
      await quiet.close();
    }
  });
});

/** An independent reading of a Static CT API data tile: TileLeaf entries until the end. */
function parseDataTile(
  b: Buffer,
): { entry: Buffer; leafIndex: number; type: number; fingerprints: Buffer[] }[] {
  const out: { entry: Buffer; leafIndex: number; type: number; fingerprints: Buffer[] }[] = [];
  let p = 0;
  while (p < b.length) {
    const start = p;
    const type = b.readUInt16BE(p + 8);
    p += 10;
    if (type === 1) p += 32;
    p += 3 + u24(b, p);
    const extLen = b.readUInt16BE(p);
    const ext = b.subarray(p + 2, p + 2 + extLen);
    p += 2 + extLen;
    const entry = b.subarray(start, p);
    assert.equal(ext[0], 0, "leaf_index extension");
    assert.equal(ext.readUInt16BE(1), 5);
    const leafIndex = ext.readUIntBE(3, 5);
    if (type === 1) p += 3 + u24(b, p);
    const fpLen = b.readUInt16BE(p);
    p += 2;
    const fingerprints: Buffer[] = [];
    for (let i = 0; i < fpLen; i += 32) fingerprints.push(b.subarray(p + i, p + i + 32));
    p += fpLen;
    out.push({ entry, leafIndex, type, fingerprints });
  }
  assert.equal(p, b.length);
  return out;
}

/** Verifies a checkpoint as a client would: origin, key ID, RFC6962NoteSignature. */
function checkpointVerifies(
  text: string,
  origin: string,
  logId: Buffer,
  keyDer: Buffer,
): { size: number; root: Buffer } | null {
  const [body, sigs] = text.split("\n\n") as [string, string];
  const lines = body.split("\n");
  if (lines.length !== 3 || lines[0] !== origin) return null;
  const size = Number(lines[1]);
  const root = unb64(lines[2] as string);
  const keyId = createHash("sha256")
    .update(`${origin}\n`)
    .update(Buffer.from([5]))
    .update(logId)
    .digest()
    .subarray(0, 4);
  for (const line of sigs.trimEnd().split("\n")) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (m === null || m[1] !== origin) continue;
    const raw = unb64(m[2] as string);
    if (!raw.subarray(0, 4).equals(keyId)) continue;
    const timestamp = Number(raw.readBigUInt64BE(4));
    const ds = raw.subarray(12);
    if (ds[0] !== 4 || ds[1] !== 3 || ds.readUInt16BE(2) !== ds.length - 4) return null;
    const key = createPublicKey({ key: keyDer, format: "der", type: "spki" });
    const ok = verify("sha256", treeHeadSignatureInput(timestamp, size, root), key, ds.subarray(4));
    return ok ? { size, root } : null;
  }
  return null;
}

async function getBytes(url: string): Promise<Buffer> {
  const r = await fetch(url);
  assert.equal(r.status, 200, `${url}: ${r.status}`);
  return Buffer.from(await r.arrayBuffer());
}

describe("test/helpers/ct-log (Static CT API)", () => {
  let log: CtLog;
  let gz: CtLog;
  let root: Issued;
  let inter: Issued;
  let leaf: Issued;
  const N = 600;

  before(async () => {
    log = await startCtLog({ staticApi: {} });
    gz = await startCtLog({ staticApi: { gzip: true, origin: "ct.example.test/2026h2" } });
    root = await createRootCa({ subject: "CN=CT Static Root" });
    inter = await issueIntermediate(root, { subject: "CN=CT Static Intermediate" });
    leaf = await issueLeaf(inter, { dnsNames: ["static.example.test"] });
    const ikh = createHash("sha256").update(Buffer.from(inter.cert.publicKey.rawData)).digest();
    for (const l of [log, gz]) {
      for (let i = 0; i < N; i++) {
        if (i % 5 === 4) l.addPrecert(tbsOf(leaf.certDer), ikh, [inter.certDer, root.certDer]);
        else l.addX509(leaf.certDer, [inter.certDer, root.certDer]);
      }
    }
  });
  after(async () => {
    await log.close();
    await gz.close();
  });

  it("serves a checkpoint signed as an RFC 6962 note signature", async () => {
    const text = await (await fetch(`${log.url}checkpoint`)).text();
    assert.equal(log.origin, new URL(log.url).host);
    const cp = checkpointVerifies(text, log.origin, log.logId, log.publicKeyDer);
    assert.ok(cp !== null);
    assert.equal(cp.size, N);
    assert.deepEqual(cp.root, log.rootAt(N));
    const gzText = await (await fetch(`${gz.url}checkpoint`)).text();
    assert.ok(gzText.startsWith("ct.example.test/2026h2\n600\n"));
    assert.ok(checkpointVerifies(gzText, "ct.example.test/2026h2", gz.logId, gz.publicKeyDer) !== null);
  });

  it("data tiles and level-0 tiles (full and partial) rebuild the checkpoint root", async () => {
    const f = Frontier.empty();
    for (const [n, w] of [
      [0, 256],
      [1, 256],
      [2, 88],
    ] as const) {
      const data = await getBytes(`${log.url}${tilePath("data", n, w)}`);
      const hashes = await getBytes(`${log.url}${tilePath(0, n, w)}`);
      assert.equal(hashes.length, 32 * w);
      const leaves = parseDataTile(data);
      assert.equal(leaves.length, w);
      leaves.forEach((l, i) => {
        const index = n * 256 + i;
        assert.equal(l.leafIndex, index);
        assert.equal(l.type, index % 5 === 4 ? 1 : 0);
        const h = leafHash(Buffer.concat([Buffer.from([0, 0]), l.entry]));
        assert.deepEqual(h, hashes.subarray(32 * i, 32 * i + 32));
        f.append(h);
        assert.equal(l.fingerprints.length, 2);
      });
    }
    assert.deepEqual(f.root(), log.rootAt(N));
    // Level 1: the partial tile of width 2 holds the roots of the two full level-0 tiles.
    const l1 = await getBytes(`${log.url}tile/1/000.p/2`);
    const t0 = await getBytes(`${log.url}tile/0/000`);
    const hs = Array.from({ length: 256 }, (_, i) => t0.subarray(32 * i, 32 * i + 32));
    assert.deepEqual(l1.subarray(0, 32), Frontier.of(hs).root());
  });

  it("serves issuers by fingerprint", async () => {
    const fp = createHash("sha256").update(inter.certDer).digest("hex");
    const r = await fetch(`${log.url}issuer/${fp}`);
    assert.equal(r.headers.get("content-type"), "application/pkix-cert");
    assert.deepEqual(Buffer.from(await r.arrayBuffer()), Buffer.from(inter.certDer));
    const missing = await fetch(`${log.url}issuer/${"0".repeat(64)}`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
  });

  it("refuses tiles that do not exist or are not canonically named", async () => {
    for (const p of [
      "tile/0/003",
      "tile/0/002",
      "tile/0/002.p/89",
      "tile/0/x000/000",
      "tile/0/000.p/0",
      "tile/0/00",
      "tile/6/000",
      "tile/1/000",
      "tile/data/002.p/256",
    ]) {
      const r = await fetch(`${log.url}${p}`);
      assert.equal(r.status, 404, p);
      await r.body?.cancel();
    }
    assert.equal(tileIndexPath(1234067), "x001/x234/067");
    assert.equal(tilePath("data", 5, 12), "tile/data/005.p/12");
  });

  it("gzip: data tiles come with Content-Encoding gzip and decode to the same bytes", async () => {
    const r = await fetch(`${gz.url}${tilePath("data", 0)}`);
    assert.equal(r.headers.get("content-encoding"), "gzip");
    const plain = parseDataTile(Buffer.from(await r.arrayBuffer()));
    assert.equal(plain.length, 256);
    assert.equal(plain[7]?.leafIndex, 7);
  });

  it("faults: bad checkpoint signature, wrong root, truncated data tile, corrupted hash tile", async () => {
    log.faults = { badSthSignature: true };
    let text = await (await fetch(`${log.url}checkpoint`)).text();
    assert.equal(checkpointVerifies(text, log.origin, log.logId, log.publicKeyDer), null);
    log.faults = { wrongRoot: true };
    text = await (await fetch(`${log.url}checkpoint`)).text();
    const cp = checkpointVerifies(text, log.origin, log.logId, log.publicKeyDer);
    assert.ok(cp !== null && !cp.root.equals(log.rootAt(N)));
    log.faults = { truncateEntries: true };
    await assert.rejects(async () => (await fetch(`${log.url}${tilePath("data", 0)}`)).arrayBuffer());
    log.faults = { corruptHashTile: true };
    const bad = await getBytes(`${log.url}${tilePath(0, 0)}`);
    assert.ok(!bad.subarray(0, 32).equals(log.leafHashAt(0)));
    log.faults = {};
    assert.ok((await getBytes(`${log.url}${tilePath(0, 0)}`)).subarray(0, 32).equals(log.leafHashAt(0)));
  });
});
