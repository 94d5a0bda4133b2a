/**
 * @module app/ct/log-entries
 * The third stage of reading a log: its entries from the position up to the head — `get-entries` batches (servers
 * return fewer than asked; prefetched in order) or data tiles (partial, gzip). Each leaf is hashed, parsed and its
 * names matched (logged-entry.ts); a malformed entry is recorded with its index, its leaf still hashed, so nothing
 * is skipped. The batch (entry-batch.ts) commits as it fills.
 */
import type { TileLeaf } from "../../sources/ct/entry.js";
import { CtFetchError, type TreeHead } from "../../sources/ct/log-client.js";
import { hashesEqual, leafHash } from "../../sources/ct/merkle.js";
import { tiles } from "./data-tiles.js";
import type { EntryBatch } from "./entry-batch.js";
import { hex } from "./log-state.js";
import type { LogReading, LogReport } from "./log-reading.js";
import { isError, leafTimestamp, matchRfc6962Entry, matchTileLeaf } from "./logged-entry.js";

/** Reads and commits every entry below the head; the log's report. */
export async function readEntries(
  reading: LogReading,
  head: TreeHead,
  batch: EntryBatch,
): Promise<LogReport> {
  if (batch.position > head.size) {
    // Entries past this head were read from a newer one: this head is stale (another replica).
    const why = `the log served an older tree head (${head.size} < ${batch.position} entries read); trying again later`;
    return reading.tryLater(batch.state, "stale", why, batch.state.headSize);
  }
  if (batch.position === head.size) return nothingNew(reading, head, batch);

  const t = reading.target;
  try {
    if (t.client.protocol === "rfc6962") {
      for await (const entries of t.client.entries(batch.position, head.size)) {
        for (const raw of entries) {
          batch.take(
            leafHash(raw.leafInput),
            matchRfc6962Entry(raw, t.matchers),
            leafTimestamp(raw.leafInput),
          );
        }
        if (batch.due) {
          const r = await batch.commit();
          if (r !== null) return r;
        }
      }
    } else {
      for await (const tile of tiles(t.client, batch.position, head.size)) {
        if (tile.kind === "misbehaving")
          return await reading.misbehaving(batch.state, tile, { tile: tile.tile });
        if (tile.kind === "unavailable") return await batch.stopUnavailable(tile.error);
        for (let i = 0; i < tile.leaves.length; i++) {
          const index = tile.first + i;
          if (index < batch.position) continue;
          const leaf = tile.leaves[i] as TileLeaf;
          let v = matchTileLeaf(index, leaf, t.matchers);
          if (leaf.leafIndex !== null && leaf.leafIndex !== index && !isError(v)) {
            v = { index, error: `leaf_index extension says ${leaf.leafIndex}` };
          }
          batch.take(leafHash(leaf.merkleLeaf), v, leaf.timestamp);
        }
        if (batch.due) {
          const r = await batch.commit();
          if (r !== null) return r;
        }
      }
    }
  } catch (e) {
    if (e instanceof CtFetchError) {
      if (e.failure.kind === "misbehaving") return reading.misbehaving(batch.state, e.failure, {});
      return batch.stopUnavailable(e.failure.error);
    }
    throw e;
  }
  if (batch.pending > 0) {
    const r = await batch.commit();
    if (r !== null) return r;
  }
  return reading.report("ok", null, batch.state, head.size);
}

/** The head is where reading stopped: its root must be the one the entries read hash to, then it is verified. */
async function nothingNew(reading: LogReading, head: TreeHead, batch: EntryBatch): Promise<LogReport> {
  if (!hashesEqual(batch.frontier.root(), head.rootHash)) {
    const mismatch = {
      kind: "misbehaving",
      reason: "root-mismatch",
      error: `the entries read do not hash to the signed root of tree size ${head.size}`,
    } as const;
    const details = {
      treeSize: head.size,
      rootHash: hex(head.rootHash),
      computedRootHash: hex(batch.frontier.root()),
    };
    return reading.misbehaving(batch.state, mismatch, details);
  }
  const state = reading.withState(batch.state, {
    lastError: null,
    verified: { size: head.size, rootHash: hex(head.rootHash), timestamp: head.timestamp },
    verifiedFrontier: batch.state.frontier,
  });
  await reading.write(state, { logFindings: [] });
  return reading.report("ok", null, state, head.size);
}
