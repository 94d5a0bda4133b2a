/**
 * @module app/ct/log-consistency
 * The second stage of reading a log: is the new head consistent with the last one verified? The same size with
 * another root is a fork; a bigger head must be proven consistent (`get-sth-consistency`, or a proof from hash
 * tiles); a smaller one is stale (another replica) and is tried again later. Provable misbehaviour raises 102;
 * anything else is "try later", never an alert.
 */
import { hashesEqual } from "../../sources/ct/merkle.js";
import type { TreeHead } from "../../sources/ct/log-client.js";
import type { CtLogState } from "../../store/ct-records.js";
import { hex } from "./log-state.js";
import type { LogReading, Step } from "./log-reading.js";

/** The state with the head recorded, when the head is consistent with the verified one. */
export async function checkConsistency(
  reading: LogReading,
  head: TreeHead,
  state: CtLogState,
): Promise<Step<CtLogState>> {
  const client = reading.target.client;
  const verified: TreeHead = {
    size: state.verified.size,
    rootHash: Buffer.from(state.verified.rootHash, "hex"),
    timestamp: state.verified.timestamp,
  };
  if (head.size === verified.size && !hashesEqual(head.rootHash, verified.rootHash)) {
    const fork = {
      kind: "misbehaving",
      reason: "fork",
      error: `two signed trees of size ${head.size} with different roots`,
    } as const;
    const details = {
      treeSize: head.size,
      rootHash: hex(head.rootHash),
      previousRootHash: state.verified.rootHash,
    };
    return { ended: await reading.misbehaving(state, fork, details) };
  }
  if (head.size < verified.size) {
    const c = await client.verifyConsistency(head, verified);
    if (c.kind === "misbehaving") {
      return {
        ended: await reading.misbehaving(state, c, { treeSize: head.size, verifiedSize: verified.size }),
      };
    }
    const why = `the log served an older tree head (${head.size} < ${verified.size}); trying again later`;
    return { ended: await reading.tryLater(state, "stale", why, state.headSize) };
  }
  if (head.size > verified.size && verified.size > 0) {
    const c = await client.verifyConsistency(verified, head);
    if (c.kind === "misbehaving") {
      return {
        ended: await reading.misbehaving(state, c, { treeSize: head.size, verifiedSize: verified.size }),
      };
    }
    if (c.kind !== "ok") return { ended: await reading.tryLater(state, "unavailable", c.error, head.size) };
  }
  return {
    next: reading.withState(state, {
      headSize: Math.max(state.headSize, head.size),
      headTimestamp: head.timestamp,
    }),
  };
}
