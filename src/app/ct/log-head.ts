/**
 * @module app/ct/log-head
 * The first stage of reading a log: its current signed head (`get-sth` or the checkpoint, signature checked by
 * the client), and where reading starts — the saved state, or for a log never read before its head (`startAt:
 * end`, the compact range there proven) or 0 (`beginning`: entries below the head are history).
 */
import type { TreeHead } from "../../sources/ct/log-client.js";
import type { CtLogState } from "../../store/ct-records.js";
import { emptyState, stateAt } from "./log-state.js";
import type { LogReading, Step } from "./log-reading.js";

export interface Started {
  readonly head: TreeHead;
  readonly state: CtLogState;
}

export async function readHead(reading: LogReading): Promise<Step<Started>> {
  const { target: t, deps, log: d } = reading;
  const previous = await deps.store.getCtLogState(d.logId);
  const headResult = await t.client.head();
  if (headResult.kind === "misbehaving") {
    return {
      ended:
        previous === undefined
          ? await reading.misbehavingNew(headResult, {})
          : await reading.misbehaving(previous, headResult, {}),
    };
  }
  if (headResult.kind !== "ok") {
    if (previous === undefined)
      return { ended: reading.report("unavailable", headResult.error, undefined, 0) };
    return { ended: await reading.tryLater(previous, "unavailable", headResult.error, previous.headSize) };
  }
  const head = headResult.value;
  if (previous !== undefined) return { next: { head, state: previous } };

  let state: CtLogState;
  if (deps.startAt === "end") {
    const f = await t.client.frontierAt(head);
    if (f.kind === "misbehaving") return { ended: await reading.misbehavingNew(f, { treeSize: head.size }) };
    if (f.kind !== "ok") return { ended: reading.report("unavailable", f.error, undefined, head.size) };
    state = { ...stateAt(d, head, f.value, deps.now()), backfillUntil: head.size };
  } else {
    state = { ...emptyState(d, deps.now(), head.size), headSize: head.size, headTimestamp: head.timestamp };
  }
  // The log's position exists from now on, and an old 102 for it (raised before it was ever read) resolves.
  await reading.write(state, { logFindings: [] });
  return { next: { head, state } };
}
