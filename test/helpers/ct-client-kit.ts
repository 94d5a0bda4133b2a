/**
 * @module test/helpers/ct-client-kit
 * What the CT client tests share: politeness that does not slow a test down, a distinct leaf per index,
 * unwrapping a Fetched result with a readable failure, heads of the local log at any size, and the
 * frontier and consistency checks both protocols must pass.
 */
import assert from "node:assert/strict";
import type { Fetched, LogClient } from "../../src/sources/ct/log-client.js";
import { Frontier } from "../../src/sources/ct/merkle.js";
import type { PoliteHttpOptions } from "../../src/sources/ct/polite-http.js";
import type { TreeHead } from "../../src/sources/ct/tree-head.js";
import type { CtLog, CtLogFaults } from "./ct-log.js";

/** No rate limit, short back-off, two retries. */
export const FAST_POLITENESS: PoliteHttpOptions = {
  requestsPerSecond: Infinity,
  baseDelayMs: 5,
  maxDelayMs: 20,
  maxRetries: 2,
};

/** The value of an "ok" result; any other kind fails the test with its error. */
export function value<T>(r: Fetched<T>): T {
  assert.equal(r.kind, "ok", r.kind !== "ok" ? `${r.kind}: ${r.error}` : "");
  return (r as { value: T }).value;
}

/** The misbehaviour reason of a result, or its kind. */
export function reason<T>(r: Fetched<T>): string {
  return r.kind === "misbehaving" ? r.reason : r.kind;
}

/** A distinct leaf per index. */
export const leaf = (i: number): Buffer => Buffer.from(`leaf-${i}`);

/** The client reads and verifies the head `log` published, of `size` entries. */
export async function assertReadsPublishedHead(c: LogClient, log: CtLog, size: number): Promise<void> {
  assert.deepEqual(value(await c.head()), { size, rootHash: log.sth.rootHash, timestamp: log.sth.timestamp });
}

/** Tree sizes either side of tile and subtree boundaries, up to a log of 65536 + 3 entries. */
export const FRONTIER_SIZES = [0, 1, 2, 3, 255, 256, 257, 1000, 65536 + 3];

const roots = new WeakMap<CtLog, Map<number, Buffer>>();

/** An (unsigned) head of `log` at `size`; roots are memoised, a large tree's take a while. */
export function headOf(log: CtLog, size = log.sth.treeSize): TreeHead {
  let m = roots.get(log);
  if (m === undefined) roots.set(log, (m = new Map<number, Buffer>()));
  let rootHash = m.get(size);
  if (rootHash === undefined) m.set(size, (rootHash = log.rootAt(size)));
  return { size, rootHash, timestamp: log.sth.timestamp };
}

/** The client's frontier at each size equals one computed from every leaf of `log`. */
export async function assertFrontiersFromEveryLeaf(
  c: LogClient,
  log: CtLog,
  sizes: readonly number[],
): Promise<void> {
  const leaves: Buffer[] = [];
  for (let i = 0; i < log.size; i++) leaves.push(log.leafHashAt(i));
  for (const size of sizes) {
    const f = value(await c.frontierAt(headOf(log, size)));
    assert.deepEqual(f.toJSON(), Frontier.of(leaves, size).toJSON(), `size ${size}`);
  }
}

/** The client finds `log`'s heads consistent for each pair of sizes. */
export async function assertConsistentBetween(
  c: LogClient,
  log: CtLog,
  pairs: readonly (readonly [number, number])[],
): Promise<void> {
  for (const [a, b] of pairs) {
    assert.equal((await c.verifyConsistency(headOf(log, a), headOf(log, b))).kind, "ok", `${a} → ${b}`);
  }
}

/**
 * The heads the client reads before and after `log` rewrites its fifth entry and appends one more (the
 * newer head is checked to be one larger): a history no consistent log could have.
 */
export async function headsAroundRewrite(
  c: LogClient,
  log: CtLog,
): Promise<{ older: TreeHead; newer: TreeHead }> {
  const older = value(await c.head());
  log.rewrite(4, Buffer.from("a different certificate"));
  log.addRaw(leaf(older.size));
  log.publish();
  const newer = value(await c.head());
  assert.equal(newer.size, older.size + 1);
  return { older, newer };
}

/** What `fn` returns while `log` has `faults`; the log is well-behaved again afterwards, however `fn` ends. */
export async function underFaults<T>(log: CtLog, faults: CtLogFaults, fn: () => Promise<T>): Promise<T> {
  log.faults = faults;
  try {
    return await fn();
  } finally {
    log.faults = {};
  }
}
