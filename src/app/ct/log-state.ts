/**
 * @module app/ct/log-state
 * The saved state of a log the monitor starts following: at 0 (backfill) or at a proven head.
 */
import { rfc3339 } from "../../domain/alert.js";
import type { CtLogDescriptor } from "../../sources/ct/log-list.js";
import type { TreeHead } from "../../sources/ct/log-client.js";
import { Frontier } from "../../sources/ct/merkle.js";
import type { CtLogState } from "../../store/ct-records.js";

export const hex = (b: Buffer): string => b.toString("hex");

export function emptyState(d: CtLogDescriptor, now: Date, backfillUntil: number): CtLogState {
  const empty = Frontier.empty();
  return {
    logId: d.logId,
    url: d.url,
    protocol: d.protocol,
    position: 0,
    frontier: empty.toJSON(),
    verified: { size: 0, rootHash: hex(empty.root()), timestamp: 0 },
    verifiedFrontier: empty.toJSON(),
    backfillUntil,
    headSize: 0,
    headTimestamp: null,
    lastEntryTimestamp: null,
    lastError: null,
    updatedAt: rfc3339(now),
  };
}

export function stateAt(d: CtLogDescriptor, head: TreeHead, f: Frontier, now: Date): CtLogState {
  return {
    ...emptyState(d, now, head.size),
    position: head.size,
    frontier: f.toJSON(),
    verified: { size: head.size, rootHash: hex(head.rootHash), timestamp: head.timestamp },
    verifiedFrontier: f.toJSON(),
    headSize: head.size,
    headTimestamp: head.timestamp,
  };
}
