/**
 * @module sources/ct/rfc6962-client.test
 * The RFC 6962 client against the local log: verified heads, entries in order across short and many batches,
 * faults (truncation, 429, 500s, silence), frontiers for many sizes, and consistency with a rewritten log.
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
  underFaults,
  value,
} from "../../../test/helpers/ct-client-kit.js";
import { createServer, type Server, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { startCtLog, type CtLog, type CtLogOptions } from "../../../test/helpers/ct-log.js";
import { CtFetchError, type RawEntry } from "./log-client.js";
import { Frontier } from "./merkle.js";
import type { PoliteHttpOptions } from "./polite-http.js";
import {
  createRfc6962Client,
  scanEntries,
  type Rfc6962ClientOptions,
  type Rfc6962LogClient,
} from "./rfc6962-client.js";

const FAST: PoliteHttpOptions = { ...FAST_POLITENESS, maxRetryAfterMs: 2000 };

function clientFor(log: CtLog, opts: Partial<Rfc6962ClientOptions> = {}): Rfc6962LogClient {
  return createRfc6962Client({
    url: log.url,
    publicKey: log.publicKeyDer,
    timeoutMs: 2000,
    politeness: FAST,
    ...opts,
  });
}

async function startWith(n: number, opts: CtLogOptions = {}): Promise<CtLog> {
  const log = await startCtLog({ autoPublish: false, ...opts });
  for (let i = 0; i < n; i++) log.addRaw(leaf(i), Buffer.from(`extra-${i}`));
  log.publish();
  return log;
}

async function collect(it: AsyncIterable<RawEntry[]>): Promise<RawEntry[][]> {
  const out: RawEntry[][] = [];
  for await (const b of it) out.push(b);
  return out;
}

function assertEntries(batches: RawEntry[][], start: number, end: number): void {
  const all = batches.flat();
  assert.equal(all.length, end - start);
  all.forEach((e, i) => {
    assert.equal(e.index, start + i);
    assert.deepEqual(e.leafInput, leaf(start + i));
    assert.deepEqual(e.extraData, Buffer.from(`extra-${start + i}`));
  });
}

describe("RFC 6962 client", () => {
  let log: CtLog;
  before(async () => {
    log = await startWith(1000, { maxBatch: 7 });
  });
  after(() => log.close());

  it("fetches and verifies the head", async () => {
    const c = clientFor(log);
    await assertReadsPublishedHead(c, log, 1000);
    assert.equal(c.protocol, "rfc6962");
    c.close();
  });

  it("reports a bad STH signature as misbehaviour", async () => {
    const c = clientFor(log);
    const r = await underFaults(log, { badSthSignature: true }, () => c.head());
    c.close();
    assert.equal(r.kind, "misbehaving");
    assert.equal(r.kind === "misbehaving" && r.reason, "sth-signature");
  });

  it("reads entries when the log returns fewer than asked", async () => {
    const c = clientFor(log, { batchSize: 32 });
    const batches = await collect(c.entries(3, 203));
    assertEntries(batches, 3, 203);
    assert.ok(batches.every((b) => b.length <= 32));
    c.close();
  });

  it("reads entries across many batches, in order, with prefetch", async () => {
    const c = clientFor(log, { batchSize: 5, prefetch: 6, politeness: { ...FAST, concurrency: 3 } });
    const batches = await collect(c.entries(0, 1000));
    assertEntries(batches, 0, 1000);
    assert.equal(batches.length, 200);
    assert.equal(c.stats.retries, 0);
    assert.deepEqual(await collect(c.entries(10, 10)), []);
    assert.throws(() => c.entries(5, 4), RangeError);
    c.close();
  });

  it("stops cleanly when the consumer stops early", async () => {
    const c = clientFor(log, { batchSize: 7 });
    let seen = 0;
    for await (const b of c.entries(0, 1000)) {
      seen += b.length;
      if (seen >= 21) break;
    }
    assert.equal(seen, 21);
    c.close();
  });

  it("throws unavailable on truncated answers, without yielding a partial batch", async () => {
    const c = clientFor(log, { batchSize: 7, prefetch: 1 });
    const got: RawEntry[][] = [];
    let caught: unknown;
    try {
      for await (const b of c.entries(0, 100)) {
        got.push(b);
        if (got.length === 2) log.faults = { truncateEntries: true };
      }
    } catch (e) {
      caught = e;
    } finally {
      log.faults = {};
    }
    assert.ok(caught instanceof CtFetchError, String(caught));
    assert.equal(caught.failure.kind, "unavailable");
    assert.match(caught.failure.error, /before the end of the body/);
    // Whatever was yielded is complete and in order.
    assert.ok(got.length >= 2);
    assertEntries(got, 0, got.flat().length);
    assert.ok(got.every((b) => b.length === 7));
    c.close();
  });

  it("waits for a 429's Retry-After and succeeds", async () => {
    const waits: number[] = [];
    const c = clientFor(log, {
      politeness: {
        ...FAST,
        // Record the wait instead of spending it (polite-http's own tests sleep for real).
        sleep: (ms) => {
          waits.push(ms);
          return new Promise((resolve) => setTimeout(resolve, 10));
        },
      },
    });
    log.faults = { failNext: { count: 1, status: 429, retryAfter: "1", path: "get-sth" } };
    try {
      assert.equal(value(await c.head()).size, 1000);
    } finally {
      log.faults = {};
    }
    // The pause is counted from when the 429 arrived: what is left of the second when the retry waits.
    assert.equal(waits.length, 1, `one wait: ${JSON.stringify(waits)}`);
    assert.ok(waits[0]! > 900 && waits[0]! <= 1000, `waited the second asked: ${waits[0]} ms`);
    const { requests, retries, throttled } = c.stats;
    assert.deepEqual({ requests, retries, throttled }, { requests: 2, retries: 1, throttled: 1 });
    c.close();
  });

  it("retries 500s, then reports the log unavailable", async () => {
    const c = clientFor(log);
    log.faults = { failNext: { count: 10, status: 500 } };
    try {
      const r = await c.head();
      assert.equal(r.kind, "unavailable");
      assert.match(r.kind === "unavailable" ? r.error : "", /HTTP 500/);
      assert.equal(c.stats.requests, 3);
    } finally {
      log.faults = {};
    }
    // Recovered once the 500s stop (the remaining failNext count was cleared).
    assert.equal(value(await c.head()).size, 1000);
    c.close();
  });

  it("times out on a server that never answers", async () => {
    const sockets = new Set<Socket>();
    const server: Server = createServer((s) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    const c = createRfc6962Client({
      url: `http://127.0.0.1:${port}/`,
      publicKey: log.publicKeyDer,
      timeoutMs: 100,
      politeness: { ...FAST, maxRetries: 1 },
    });
    try {
      const t0 = Date.now();
      const r = await c.head();
      assert.equal(r.kind, "unavailable");
      assert.match(r.kind === "unavailable" ? r.error : "", /within 100 ms/);
      assert.ok(Date.now() - t0 < 1500);
    } finally {
      c.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("reports malformed get-entries answers as unavailable after retries", async () => {
    const c = clientFor(log);
    // A 200 whose body is not JSON.
    log.faults = { failNext: { count: 3, status: 200, path: "get-entries" } };
    let caught: unknown;
    try {
      await collect(c.entries(0, 10));
    } catch (e) {
      caught = e;
    } finally {
      log.faults = {};
    }
    assert.ok(caught instanceof CtFetchError);
    assert.equal(caught.failure.kind, "unavailable");
    assert.match(caught.failure.error, /not JSON/);
    assert.equal(c.stats.requests, 3);
    c.close();
  });

  it("reports a head whose root the entries do not produce as misbehaviour", async () => {
    const c = clientFor(log);
    const r = await underFaults(log, { wrongRoot: true }, async () => c.frontierAt(value(await c.head())));
    c.close();
    assert.equal(r.kind, "misbehaving");
    assert.equal(r.kind === "misbehaving" && r.reason, "proof");
  });
});

describe("get-entries fast path", () => {
  const entries = [0, 1, 2].map((i) => ({
    // "////++++" first: the escaped variant below has something to escape.
    leaf_input: Buffer.concat([
      Buffer.from([0xff, 0xff, 0xff, 0xfb, 0xef, 0xbe]),
      Buffer.from(`leaf ${i}`),
    ]).toString("base64"),
    extra_data: i === 1 ? "" : Buffer.from(`extra ${i}`).toString("base64"),
  }));
  const compact = Buffer.from(JSON.stringify({ entries }));

  it("reads the compact layout logs send", () => {
    const got = scanEntries(compact, 10)?.map((e) => ({
      index: e.index,
      leafInput: e.leafInput,
      extraData: e.extraData,
    }));
    assert.deepEqual(
      got,
      entries.map((e, i) => ({
        index: 10 + i,
        leafInput: Buffer.from(e.leaf_input, "base64"),
        extraData: Buffer.from(e.extra_data, "base64"),
      })),
    );
    assert.deepEqual(scanEntries(Buffer.from('{"entries":[]}\n'), 0), []);
  });

  it("leaves every other layout to JSON.parse", () => {
    const variants = [
      JSON.stringify({ entries }, null, 1),
      JSON.stringify({
        entries: entries.map((e) => ({ extra_data: e.extra_data, leaf_input: e.leaf_input })),
      }),
      compact.toString().replaceAll("/", "\\/"),
      compact.toString() + "x",
      compact.toString().slice(0, -1),
      compact.toString().replace('"}', '","more":1}'),
      compact.toString().replace(entries[0]?.leaf_input ?? "", "not base64!"),
      "",
    ];
    for (const v of variants) assert.equal(scanEntries(Buffer.from(v), 0), null, v.slice(0, 60));
  });
});

describe("RFC 6962 frontiers and consistency", () => {
  let log: CtLog;
  before(async () => {
    log = await startWith(65536 + 3);
  });
  after(() => log.close());

  it("builds the frontier at many sizes, equal to one computed from every leaf", async () => {
    const c = clientFor(log);
    await assertFrontiersFromEveryLeaf(c, log, FRONTIER_SIZES);
    c.close();
  });

  it("steps back when the last leaf's hash occurs earlier in the log", async () => {
    const dup = await startCtLog();
    try {
      for (const s of ["a", "b", "c", "a", "a"]) dup.addRaw(Buffer.from(s));
      const c = clientFor(dup);
      const f = value(await c.frontierAt(value(await c.head())));
      const leaves = Array.from({ length: 5 }, (_, i) => dup.leafHashAt(i));
      assert.deepEqual(f.toJSON(), Frontier.of(leaves).toJSON());
      c.close();
    } finally {
      await dup.close();
    }
  });

  it("verifies consistency between heads", async () => {
    const c = clientFor(log);
    await assertConsistentBetween(c, log, [
      [1, 2],
      [3, 7],
      [255, 256],
      [256, 257],
      [1000, 65539],
      [65539, 65539],
      [0, 5],
    ]);
    const lie = { ...headOf(log, 7), rootHash: log.rootAt(8) };
    const r = await c.verifyConsistency(lie, headOf(log, 1000));
    assert.equal(r.kind === "misbehaving" && r.reason, "consistency");
    c.close();
  });

  it("catches a rewritten log", async () => {
    const small = await startWith(20);
    try {
      const c = clientFor(small);
      const { older: before, newer: after } = await headsAroundRewrite(c, small);
      assert.equal(after.size, 21);
      const r = await c.verifyConsistency(before, after);
      assert.equal(r.kind, "misbehaving");
      assert.equal(r.kind === "misbehaving" && r.reason, "consistency");
      // Same size, different root: no request needed to see it.
      const same = await c.verifyConsistency(before, { ...before, rootHash: small.rootAt(20) });
      assert.equal(same.kind === "misbehaving" && same.reason, "consistency");
      c.close();
    } finally {
      await small.close();
    }
  });
});
