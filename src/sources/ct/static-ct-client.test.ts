/**
 * @module sources/ct/static-ct-client.test
 * The Static CT API client against the local log: verified checkpoints, frontiers and consistency from hash
 * tiles for many sizes, corrupt tiles, partial and gzipped data tiles with full-tile fallback, and issuers.
 */
import assert from "node:assert/strict";
import {
  assertConsistentBetween,
  assertFrontiersFromEveryLeaf,
  assertReadsPublishedHead,
  FAST_POLITENESS,
  FRONTIER_SIZES,
  headOf,
  headsAroundRewrite,
  leaf,
  reason,
  underFaults,
  value,
} from "../../../test/helpers/ct-client-kit.js";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { startCtLog, tilePath as helperTilePath, type CtLog } from "../../../test/helpers/ct-log.js";
import {
  createStaticCtClient,
  defaultOrigin,
  tilePath,
  type StaticCtClientOptions,
  type StaticCtLogClient,
} from "./static-ct-client.js";

const FAST = FAST_POLITENESS;

function clientFor(log: CtLog, opts: Partial<StaticCtClientOptions> = {}): StaticCtLogClient {
  return createStaticCtClient({
    monitoringUrl: log.url,
    publicKey: log.publicKeyDer,
    timeoutMs: 2000,
    politeness: FAST,
    ...opts,
  });
}

/** The TileLeaf of an addRaw entry: the leaf without its first two bytes, and no chain. */
const tileLeaf = (i: number): Buffer => Buffer.concat([leaf(i).subarray(2), Buffer.alloc(2)]);

async function startWith(n: number, gzip = false): Promise<CtLog> {
  const log = await startCtLog({ autoPublish: false, staticApi: { gzip } });
  for (let i = 0; i < n; i++) log.addRaw(leaf(i));
  log.publish();
  return log;
}

describe("tile paths and origins", () => {
  it("agrees with the local log", () => {
    for (const [l, n, w] of [
      [0, 0, 256],
      [1, 5, 3],
      [2, 1234067, 255],
    ] as const) {
      assert.equal(tilePath(l, n, w), helperTilePath(l, n, w));
    }
    assert.equal(tilePath("data", 1000, 17), "tile/data/x001/000.p/17");
  });
  it("derives the origin from the monitoring URL", () => {
    assert.equal(defaultOrigin("https://ct.example.com/2025h1/"), "ct.example.com/2025h1");
    assert.equal(defaultOrigin("http://127.0.0.1:8080/"), "127.0.0.1:8080");
    assert.equal(defaultOrigin("https://ct.example.com"), "ct.example.com");
  });
});

describe("Static CT client", () => {
  let log: CtLog;
  before(async () => {
    log = await startWith(300);
  });
  after(() => log.close());

  it("fetches and verifies the checkpoint", async () => {
    const c = clientFor(log);
    await assertReadsPublishedHead(c, log, 300);
    assert.equal(c.protocol, "static-ct");
    assert.equal(c.origin, log.origin);
    c.close();
  });

  it("reports a bad checkpoint signature, a wrong origin and an unparseable note as misbehaviour", async () => {
    const c = clientFor(log);
    assert.equal(reason(await underFaults(log, { badSthSignature: true }, () => c.head())), "sth-signature");
    const other = clientFor(log, { origin: "example.com/another-log" });
    assert.equal(reason(await other.head()), "checkpoint-origin");
    const spaced = await startCtLog({ staticApi: { origin: "an origin with spaces" } });
    try {
      const s = clientFor(spaced, { origin: "an origin with spaces" });
      const r = await s.head();
      assert.equal(reason(r), "checkpoint");
      assert.match(r.kind === "misbehaving" ? r.error : "", /key name|is not/);
      assert.equal(s.stats.requests, 3, "asked again before blaming the log");
      s.close();
    } finally {
      await spaced.close();
    }
    c.close();
    other.close();
  });

  it("reports a root the tiles do not produce as misbehaviour", async () => {
    const c = clientFor(log);
    const r = await underFaults(log, { wrongRoot: true }, async () => c.frontierAt(value(await c.head())));
    c.close();
    assert.equal(reason(r), "hash-tile");
  });

  it("reports a corrupt hash tile as misbehaviour", async () => {
    const c = clientFor(log);
    log.faults = { corruptHashTile: true };
    try {
      assert.equal(reason(await c.frontierAt(headOf(log, 3))), "hash-tile");
      assert.equal(reason(await c.frontierAt(headOf(log))), "hash-tile");
    } finally {
      log.faults = {};
      c.close();
    }
  });

  it("fetches full and partial data tiles", async () => {
    const c = clientFor(log);
    const full = value(await c.dataTile(0, 256));
    assert.deepEqual(full, Buffer.concat(Array.from({ length: 256 }, (_, i) => tileLeaf(i))));
    const partial = value(await c.dataTile(1, 44));
    assert.deepEqual(partial, Buffer.concat(Array.from({ length: 44 }, (_, i) => tileLeaf(256 + i))));
    assert.ok(log.requests.includes("/tile/data/001.p/44"));
    assert.equal(reason(await c.dataTile(2, 256)), "unavailable");
    await assert.rejects(c.dataTile(0, 0), RangeError);
    c.close();
  });

  it("falls back to the full tile when the partial one is gone", async () => {
    const c = clientFor(log);
    log.faults = { failNext: { count: 1, status: 404, path: "/tile/data/000.p/10" } };
    try {
      const t = value(await c.dataTile(0, 10));
      // The whole tile: the caller reads the first 10 entries.
      assert.deepEqual(t, Buffer.concat(Array.from({ length: 256 }, (_, i) => tileLeaf(i))));
      assert.deepEqual(log.requests.slice(-2), ["/tile/data/000.p/10", "/tile/data/000"]);
    } finally {
      log.faults = {};
      c.close();
    }
  });

  it("reports truncated data tiles as unavailable", async () => {
    const c = clientFor(log);
    const r = await underFaults(log, { truncateEntries: true }, () => c.dataTile(0, 256));
    c.close();
    assert.equal(r.kind, "unavailable");
    assert.match(r.kind === "unavailable" ? r.error : "", /before the end/);
  });

  it("fetches issuers, checks their hash and caches them", async () => {
    const issuerDer = Buffer.from("an issuer certificate, DER in real life");
    const small = await startCtLog({ staticApi: {} });
    try {
      small.addX509(Buffer.from("a leaf"), [issuerDer]);
      const c = clientFor(small, { issuerCacheSize: 2 });
      const fp = createHash("sha256").update(issuerDer).digest();
      const [a, b] = await Promise.all([c.issuer(fp), c.issuer(fp)]);
      assert.deepEqual(value(a), issuerDer);
      assert.deepEqual(value(b), issuerDer);
      assert.deepEqual(value(await c.issuer(fp)), issuerDer);
      assert.equal(small.requests.filter((p) => p.startsWith("/issuer/")).length, 1, "fetched once");
      assert.equal(reason(await c.issuer(Buffer.alloc(32, 1))), "unavailable");
      // A body that is not the certificate named.
      small.faults = { failNext: { count: 1, status: 200, path: "/issuer/" } };
      const fp2 = createHash("sha256").update("another issuer").digest();
      assert.equal(reason(await c.issuer(fp2)), "issuer");
      await assert.rejects(c.issuer(Buffer.alloc(20)), RangeError);
      c.close();
    } finally {
      await small.close();
    }
  });

  it("reads gzip-encoded tiles", async () => {
    const gz = await startWith(300, true);
    try {
      const c = clientFor(gz);
      assert.deepEqual(
        value(await c.dataTile(1, 44)),
        Buffer.concat(Array.from({ length: 44 }, (_, i) => tileLeaf(256 + i))),
      );
      const head = value(await c.head());
      const f = value(await c.frontierAt(head));
      assert.deepEqual(f.root(), gz.sth.rootHash);
      c.close();
    } finally {
      await gz.close();
    }
  });
});

describe("Static CT frontiers and consistency", () => {
  let log: CtLog;
  before(async () => {
    log = await startWith(65536 + 3);
  });
  after(() => log.close());

  it("builds the frontier at many sizes from hash tiles, equal to one computed from every leaf", async () => {
    const c = clientFor(log);
    await assertFrontiersFromEveryLeaf(c, log, FRONTIER_SIZES);
    // The largest tree needs one partial tile at levels 0 and 2 and nothing else.
    const before = log.requests.length;
    value(await c.frontierAt(headOf(log)));
    assert.deepEqual(log.requests.slice(before).sort(), ["/tile/0/256.p/3", "/tile/2/000.p/1"]);
    c.close();
  });

  it("verifies consistency from hash tiles", async () => {
    const c = clientFor(log);
    await assertConsistentBetween(c, log, [
      [1, 2],
      [3, 7],
      [255, 256],
      [256, 257],
      [300, 1000],
      [1000, 65539],
      [65539, 65539],
      [0, 5],
    ]);
    const lie = { ...headOf(log, 7), rootHash: headOf(log, 8).rootHash };
    assert.equal(reason(await c.verifyConsistency(lie, headOf(log, 1000))), "consistency");
    c.close();
  });

  it("tells a corrupt tile apart from an inconsistent log", async () => {
    const c = clientFor(log);
    const r = await underFaults(log, { corruptHashTile: true }, () =>
      c.verifyConsistency(headOf(log, 3), headOf(log, 1000)),
    );
    c.close();
    assert.equal(reason(r), "hash-tile");
  });

  it("can skip the tile-based check", async () => {
    const c = clientFor(log, { consistencyFromTiles: false });
    const before = log.requests.length;
    const lie = { ...headOf(log, 7), rootHash: headOf(log, 8).rootHash };
    assert.equal((await c.verifyConsistency(lie, headOf(log, 1000))).kind, "ok");
    assert.equal(log.requests.length, before, "no request");
    c.close();
  });

  it("catches a rewritten log", async () => {
    const small = await startWith(300);
    try {
      const c = clientFor(small);
      const { older, newer } = await headsAroundRewrite(c, small);
      assert.equal(newer.size, 301);
      assert.equal(reason(await c.verifyConsistency(older, newer)), "consistency");
      c.close();
    } finally {
      await small.close();
    }
  });
});
