/**
 * @module sources/ct/merkle.test
 * Merkle hashing against the RFC 6962 reference vectors, proofs round-tripped and tampered, and the frontier against full recomputation.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import {
  EMPTY_ROOT,
  Frontier,
  consistencyProof,
  inclusionProof,
  leafHash,
  nodeHash,
  rootFromInclusionProof,
  rootOf,
  verifyConsistency,
  verifyInclusion,
} from "./merkle.js";

const unhex = (s: string): Buffer => Buffer.from(s, "hex");
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

// The Certificate Transparency reference tree (RFC 6962 test vectors, as used by CT implementations).
const DATA = [
  "",
  "00",
  "10",
  "2021",
  "3031",
  "40414243",
  "5051525354555657",
  "606162636465666768696a6b6c6d6e6f",
].map(unhex);
const ROOTS = [
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];
const LEAVES = DATA.map(leafHash);

/** Flips one bit of one hash of a proof (a copy). */
function tamper(proof: readonly Buffer[], i: number): Buffer[] {
  return proof.map((p, j) => {
    if (j !== i) return p;
    const c = Buffer.from(p);
    c[7] = (c[7] as number) ^ 0x10;
    return c;
  });
}

const many = (n: number): Buffer[] => Array.from({ length: n }, () => leafHash(randomBytes(8)));

describe("merkle: RFC 6962 reference tree", () => {
  it("the empty root and the roots of sizes 1..8 match the published values", () => {
    assert.equal(hex(EMPTY_ROOT), ROOTS[0]);
    assert.equal(hex(rootOf([])), ROOTS[0]);
    for (let n = 1; n <= 8; n++) assert.equal(hex(rootOf(LEAVES, n)), ROOTS[n], `size ${n}`);
  });

  it("leaf hash is SHA-256(0x00 || d) and node hash SHA-256(0x01 || l || r)", () => {
    assert.equal(hex(leafHash(Buffer.alloc(0))), ROOTS[1]);
    assert.equal(hex(nodeHash(LEAVES[0] as Buffer, LEAVES[1] as Buffer)), ROOTS[2]);
  });

  it("the frontier gives every reference root as leaves are appended", () => {
    const f = Frontier.empty();
    assert.equal(hex(f.root()), ROOTS[0]);
    for (let n = 1; n <= 8; n++) {
      f.append(LEAVES[n - 1] as Buffer);
      assert.equal(f.size, n);
      assert.equal(hex(f.root()), ROOTS[n]);
    }
  });

  it("matches the published inclusion proofs", () => {
    const p0 = inclusionProof(LEAVES, 0, 8).map(hex);
    assert.deepEqual(p0, [
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]);
    const p5 = inclusionProof(LEAVES, 5, 8).map(hex);
    assert.deepEqual(p5, [
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]);
    assert.ok(verifyInclusion(LEAVES[5] as Buffer, 5, 8, p5.map(unhex), unhex(ROOTS[8] as string)));
  });

  it("matches the published consistency proofs (1→8 and 2→5)", () => {
    const p18 = consistencyProof(LEAVES, 1, 8);
    assert.deepEqual(p18.map(hex), inclusionProof(LEAVES, 0, 8).map(hex));
    const p25 = consistencyProof(LEAVES, 2, 5);
    assert.deepEqual(p25.map(hex), [
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ]);
    const r = (n: number): Buffer => unhex(ROOTS[n] as string);
    assert.ok(verifyConsistency(1, 8, r(1), r(8), p18));
    assert.ok(verifyConsistency(2, 5, r(2), r(5), p25));
    assert.ok(!verifyConsistency(2, 5, r(3), r(5), p25));
    assert.ok(!verifyConsistency(2, 5, r(2), r(6), p25));
  });
});

describe("merkle: proofs in every tree shape", () => {
  const leaves = many(70);

  it("every inclusion proof verifies, and a tampered one, a wrong index or size does not", () => {
    for (let n = 1; n <= 40; n++) {
      const root = rootOf(leaves, n);
      for (let i = 0; i < n; i++) {
        const leaf = leaves[i] as Buffer;
        const proof = inclusionProof(leaves, i, n);
        assert.ok(verifyInclusion(leaf, i, n, proof, root), `${i} in ${n}`);
        for (let t = 0; t < proof.length; t++)
          assert.ok(!verifyInclusion(leaf, i, n, tamper(proof, t), root));
        if (n > 1) assert.ok(!verifyInclusion(leaf, (i + 1) % n, n, proof, root));
        assert.ok(!verifyInclusion(leaf, i, n + 1, proof, rootOf(leaves, n + 1)));
        assert.ok(!verifyInclusion(leaves[n] as Buffer, i, n, proof, root));
        assert.ok(!verifyInclusion(leaf, i, n, [...proof, root], root));
        if (proof.length > 0) assert.ok(!verifyInclusion(leaf, i, n, proof.slice(0, -1), root));
      }
    }
    assert.equal(rootFromInclusionProof(leaves[0] as Buffer, 3, 3, []), null);
  });

  it("every consistency proof verifies, and tampered, truncated, extended or misplaced ones do not", () => {
    for (let n = 1; n <= 40; n++) {
      const rn = rootOf(leaves, n);
      for (let m = 0; m <= n; m++) {
        const rm = rootOf(leaves, m);
        const proof = consistencyProof(leaves, m, n);
        assert.ok(verifyConsistency(m, n, rm, rn, proof), `${m}→${n}`);
        if (m === 0 || m === n) {
          assert.equal(proof.length, 0);
          if (m === n) assert.ok(!verifyConsistency(m, n, rm, rootOf(leaves, n + 1), proof));
          continue;
        }
        for (let t = 0; t < proof.length; t++) assert.ok(!verifyConsistency(m, n, rm, rn, tamper(proof, t)));
        assert.ok(!verifyConsistency(m, n, rm, rn, proof.slice(0, -1)), `${m}→${n} truncated`);
        assert.ok(!verifyConsistency(m, n, rm, rn, [...proof, rn]), `${m}→${n} extended`);
        assert.ok(!verifyConsistency(m, n, rm, rn, []));
        assert.ok(!verifyConsistency(m, n + 1, rm, rootOf(leaves, n + 1), proof));
        assert.ok(!verifyConsistency(n, m, rn, rm, proof));
        // A log that rewrote one leaf below the first size cannot prove consistency with the old head.
        const forked = leaves.slice(0, n);
        forked[m - 1] = leafHash(Buffer.from("forged"));
        const forkedProof = consistencyProof(forked, m, n);
        assert.ok(!verifyConsistency(m, n, rm, rootOf(forked, n), forkedProof));
      }
    }
  });

  it("rejects proofs with hashes of the wrong length and nonsense sizes", () => {
    const proof = consistencyProof(leaves, 3, 7);
    const short = proof.map((p, i) => (i === 0 ? p.subarray(1) : p));
    assert.ok(!verifyConsistency(3, 7, rootOf(leaves, 3), rootOf(leaves, 7), short));
    assert.ok(!verifyConsistency(-1, 7, rootOf(leaves, 3), rootOf(leaves, 7), proof));
    assert.ok(!verifyConsistency(3.5, 7, rootOf(leaves, 3), rootOf(leaves, 7), proof));
    assert.ok(!verifyInclusion(leaves[0] as Buffer, -1, 7, inclusionProof(leaves, 0, 7), rootOf(leaves, 7)));
    assert.throws(() => inclusionProof(leaves, 7, 7), RangeError);
    assert.throws(() => consistencyProof(leaves, 8, 7), RangeError);
    assert.throws(() => rootOf(leaves, 71), RangeError);
  });
});

describe("merkle: frontier", () => {
  it("agrees with full recomputation at every size of random trees", () => {
    for (const total of [1, 2, 3, 31, 32, 33, 257, 1000]) {
      const leaves = many(total);
      const f = Frontier.empty();
      for (let n = 1; n <= total; n++) {
        f.append(leaves[n - 1] as Buffer);
        if (n <= 64 || n % 97 === 0 || n === total)
          assert.equal(hex(f.root()), hex(rootOf(leaves, n)), `${n}`);
      }
      assert.equal(f.hashes.length, total.toString(2).replaceAll("0", "").length);
      assert.equal(hex(Frontier.of(leaves).root()), hex(rootOf(leaves)));
    }
  });

  it("round-trips through JSON and resumes where it stopped", () => {
    const leaves = many(300);
    const f = Frontier.of(leaves, 123);
    const stored = JSON.stringify(f);
    const g = Frontier.fromJSON(JSON.parse(stored));
    assert.equal(g.size, 123);
    assert.equal(hex(g.root()), hex(rootOf(leaves, 123)));
    for (let i = 123; i < 300; i++) g.append(leaves[i] as Buffer);
    assert.equal(hex(g.root()), hex(rootOf(leaves)));
    // The stored copy did not move.
    assert.equal(hex(f.root()), hex(rootOf(leaves, 123)));
    const c = f.clone();
    c.appendData(Buffer.from("x"));
    assert.equal(f.size, 123);
    assert.equal(c.size, 124);
    assert.deepEqual(Frontier.fromJSON({ size: 0, hashes: [] }).root(), EMPTY_ROOT);
  });

  it("refuses malformed stored state", () => {
    const good = Frontier.of(many(5)).toJSON();
    assert.throws(() => Frontier.fromJSON(null), TypeError);
    assert.throws(() => Frontier.fromJSON({ ...good, size: 7 }), TypeError);
    assert.throws(() => Frontier.fromJSON({ ...good, size: -1 }), TypeError);
    assert.throws(() => Frontier.fromJSON({ size: 5, hashes: ["zz", good.hashes[1]] }), TypeError);
    assert.throws(() => Frontier.fromJSON({ size: 5, hashes: [good.hashes[0], "ab"] }), TypeError);
    assert.throws(() => Frontier.empty().append(Buffer.alloc(31)), RangeError);
  });

  it("handles sizes beyond 2^32 in proof arithmetic (no 32-bit shifts)", () => {
    // A valid proof for a huge tree cannot be built here, but shape checks must not wrap around.
    assert.equal(rootFromInclusionProof(LEAVES[0] as Buffer, 2 ** 33, 2 ** 33 + 1, []), null);
    assert.ok(!verifyConsistency(2 ** 32, 2 ** 33, EMPTY_ROOT, EMPTY_ROOT, []));
  });
});
