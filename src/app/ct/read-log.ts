/**
 * @module app/ct/read-log
 * Reads one log from its saved position to its current verified head: bootstrap, consistency, download,
 * Merkle verification, and one store transaction per batch (alerts + position + tree state together).
 */
import type { AlertChange } from "../../alerts/reconcile.js";
import { rfc3339 } from "../../domain/alert.js";
import type { Finding } from "../../domain/finding.js";
import type { TileLeaf } from "../../sources/ct/entry.js";
import type { CtLogDescriptor } from "../../sources/ct/log-list.js";
import {
  CtFetchError,
  type CtMisbehaviour,
  type Rfc6962Client,
  type StaticCtClient,
  type TreeHead,
} from "../../sources/ct/log-client.js";
import { Frontier, hashesEqual, leafHash } from "../../sources/ct/merkle.js";
import type { CtEntryError, CtLogState } from "../../store/ct-records.js";
import { ctLogScope } from "../../store/ct-records.js";
import { tiles } from "./data-tiles.js";
import { evaluateMatches, type EvaluateDeps, type EvaluatedBatch, type LogRef } from "./evaluate.js";
import { emptyState, hex, stateAt } from "./log-state.js";
import {
  isError,
  leafTimestamp,
  matchRfc6962Entry,
  matchTileLeaf,
  type EntryMatchers,
  type EntryVerdict,
  type MatchedEntry,
} from "./logged-entry.js";

export interface ReadLogDeps extends EvaluateDeps {
  readonly startAt: "end" | "beginning";
  readonly now: () => Date;
  /** Entries per store transaction. */
  readonly commitEvery: number;
  readonly progress?: (p: LogProgress) => void;
}

export interface LogProgress {
  readonly log: string;
  readonly position: number;
  readonly size: number;
  readonly backfill: boolean;
}

export interface LogTarget {
  readonly descriptor: CtLogDescriptor;
  readonly client: Rfc6962Client | StaticCtClient;
  /** Watched domains, and the lookalike index when there is one. */
  readonly matchers: EntryMatchers;
}

export interface LogReport {
  readonly logId: string;
  readonly description: string;
  readonly url: string;
  readonly protocol: "rfc6962" | "static-ct";
  /** ok: caught up with a verified head; unavailable: try later; misbehaving: event 102 raised. */
  readonly outcome: "ok" | "unavailable" | "misbehaving";
  readonly error: string | null;
  readonly entriesRead: number;
  readonly matched: number;
  readonly entryErrors: number;
  readonly headSize: number;
  readonly position: number;
  /** Entries between the position and the newest head, and how old the newest processed entry is then. */
  readonly lagEntries: number;
  readonly lagSeconds: number;
  readonly changes: AlertChange[];
}

function misbehavingFinding(
  d: CtLogDescriptor,
  m: CtMisbehaviour,
  details: Record<string, unknown>,
): Finding {
  return {
    event: "ct-log-misbehaving",
    key: d.logId,
    subject: d.description,
    endpoint: null,
    certificate: null,
    details: { reason: m.reason, error: m.error, log: d.description, logId: d.logId, url: d.url, ...details },
  };
}

/** Mutable progress of one read. */
class Cursor {
  position: number;
  frontier: Frontier;
  lastEntryTimestamp: number | null;
  constructor(readonly state: CtLogState) {
    this.position = state.position;
    this.frontier = Frontier.fromJSON(state.frontier);
    this.lastEntryTimestamp = state.lastEntryTimestamp;
  }
}

export async function readLog(t: LogTarget, deps: ReadLogDeps): Promise<LogReport> {
  const d = t.descriptor;
  const changes: AlertChange[] = [];
  let entriesRead = 0;
  let matchedCount = 0;
  let errorCount = 0;
  const report = (
    outcome: LogReport["outcome"],
    error: string | null,
    state: CtLogState | undefined,
    headSize: number,
  ): LogReport => {
    const position = state?.position ?? 0;
    const lagEntries = Math.max(0, headSize - position);
    const last = state?.lastEntryTimestamp ?? null;
    const lagSeconds =
      lagEntries === 0 || last === null ? 0 : Math.max(0, (deps.now().getTime() - last) / 1000);
    return {
      logId: d.logId,
      description: d.description,
      url: d.url,
      protocol: d.protocol,
      outcome,
      error,
      entriesRead,
      matched: matchedCount,
      entryErrors: errorCount,
      headSize,
      position,
      lagEntries,
      lagSeconds: Math.round(lagSeconds),
      changes,
    };
  };
  const write = async (
    state: CtLogState,
    extra: Partial<Parameters<typeof deps.store.recordCtBatch>[0]> = {},
  ): Promise<void> => {
    const batch = {
      now: deps.now(),
      state,
      certificates: [],
      inventory: [],
      roots: [],
      entryErrors: [],
      findings: [],
      ...extra,
    };
    changes.push(...(await deps.store.recordCtBatch(batch)));
  };
  const withState = (s: CtLogState, over: Partial<CtLogState>): CtLogState => ({
    ...s,
    ...over,
    updatedAt: rfc3339(deps.now()),
  });
  const flagMisbehaving = async (
    s: CtLogState,
    m: CtMisbehaviour,
    details: Record<string, unknown>,
    extra: Partial<Parameters<typeof deps.store.recordCtBatch>[0]> = {},
  ): Promise<LogReport> => {
    deps.logLine(`ct: ${d.description} (${d.url}) is misbehaving: ${m.reason}: ${m.error}`);
    // Back to the last head our own leaves reproduced: nothing after it is trusted until the log is consistent.
    const reset = withState(s, {
      position: s.verified.size,
      frontier: s.verifiedFrontier,
      lastError: `misbehaving: ${m.reason}: ${m.error}`,
    });
    await write(reset, { ...extra, logFindings: [deps.draft(misbehavingFinding(d, m, details))] });
    return report("misbehaving", m.error, reset, s.headSize);
  };

  /** A log never followed yet that misbehaves: raise 102 without creating a position for it. */
  const flagNew = async (m: CtMisbehaviour, details: Record<string, unknown>): Promise<LogReport> => {
    deps.logLine(`ct: ${d.description} (${d.url}) is misbehaving: ${m.reason}: ${m.error}`);
    const drafts = [deps.draft(misbehavingFinding(d, m, details))];
    const run = {
      scope: ctLogScope(d.logId),
      now: deps.now(),
      certificates: [],
      observations: [],
      findings: drafts,
    };
    changes.push(...(await deps.store.recordRun(run)));
    return report("misbehaving", m.error, undefined, 0);
  };

  const previous = await deps.store.getCtLogState(d.logId);
  const headResult = await t.client.head();
  if (headResult.kind !== "ok") {
    if (headResult.kind === "misbehaving") {
      return previous === undefined ? flagNew(headResult, {}) : flagMisbehaving(previous, headResult, {});
    }
    if (previous !== undefined)
      await write(withState(previous, { lastError: `unavailable: ${headResult.error}` }));
    return report("unavailable", headResult.error, previous, previous?.headSize ?? 0);
  }
  const head = headResult.value;

  let state: CtLogState;
  if (previous === undefined) {
    if (deps.startAt === "end") {
      const f = await t.client.frontierAt(head);
      if (f.kind === "misbehaving") return flagNew(f, { treeSize: head.size });
      if (f.kind !== "ok") return report("unavailable", f.error, undefined, head.size);
      state = { ...stateAt(d, head, f.value, deps.now()), backfillUntil: head.size };
    } else {
      state = { ...emptyState(d, deps.now(), head.size), headSize: head.size, headTimestamp: head.timestamp };
    }
    await write(state, { logFindings: [] });
  } else {
    state = previous;
  }

  // Is the new head consistent with what we verified before?
  const verified: TreeHead = {
    size: state.verified.size,
    rootHash: Buffer.from(state.verified.rootHash, "hex"),
    timestamp: state.verified.timestamp,
  };
  if (head.size === verified.size && !hashesEqual(head.rootHash, verified.rootHash)) {
    return flagMisbehaving(
      state,
      {
        kind: "misbehaving",
        reason: "fork",
        error: `two signed trees of size ${head.size} with different roots`,
      },
      { treeSize: head.size, rootHash: hex(head.rootHash), previousRootHash: state.verified.rootHash },
    );
  }
  if (head.size < verified.size) {
    const c = await t.client.verifyConsistency(head, verified);
    if (c.kind === "misbehaving")
      return flagMisbehaving(state, c, { treeSize: head.size, verifiedSize: verified.size });
    const why = `the log served an older tree head (${head.size} < ${verified.size}); trying again later`;
    await write(withState(state, { lastError: `stale: ${why}` }));
    return report("unavailable", why, state, state.headSize);
  }
  if (head.size > verified.size && verified.size > 0) {
    const c = await t.client.verifyConsistency(verified, head);
    if (c.kind === "misbehaving")
      return flagMisbehaving(state, c, { treeSize: head.size, verifiedSize: verified.size });
    if (c.kind !== "ok") {
      await write(withState(state, { lastError: `unavailable: ${c.error}` }));
      return report("unavailable", c.error, state, head.size);
    }
  }
  state = withState(state, { headSize: Math.max(state.headSize, head.size), headTimestamp: head.timestamp });

  const cursor = new Cursor(state);
  const logRef: LogRef =
    t.client.protocol === "static-ct"
      ? { id: d.logId, description: d.description, issuer: (fp) => (t.client as StaticCtClient).issuer(fp) }
      : { id: d.logId, description: d.description };
  let pendingMatches: MatchedEntry[] = [];
  let pendingErrors: CtEntryError[] = [];
  let pendingCount = 0;

  const take = (v: EntryVerdict, timestamp: number | null): void => {
    entriesRead++;
    pendingCount++;
    cursor.position++;
    if (timestamp !== null) cursor.lastEntryTimestamp = timestamp;
    if (v === null) return;
    if (isError(v)) {
      errorCount++;
      pendingErrors.push(v);
      deps.logLine(`ct: ${d.description} entry ${v.index}: ${v.error}`);
    } else {
      matchedCount++;
      pendingMatches.push(v);
    }
  };

  /** Commits the pending entries with the position reached; at the head, judges the log. */
  const flush = async (): Promise<LogReport | null> => {
    const { release, ...evaluated } = await evaluateMatches(
      pendingMatches,
      logRef,
      (i) => i < state.backfillUntil,
      deps,
    );
    // The batch's identity claims last until its transaction has committed (or failed): then the store
    // answers for them.
    try {
      return await commit(evaluated);
    } finally {
      release();
    }
  };

  const commit = async (evaluated: Omit<EvaluatedBatch, "release">): Promise<LogReport | null> => {
    const atHead = cursor.position === head.size;
    const entryErrors = [...pendingErrors, ...evaluated.entryErrors];
    const batch = { ...evaluated, entryErrors };
    pendingMatches = [];
    pendingErrors = [];
    pendingCount = 0;
    if (atHead && !hashesEqual(cursor.frontier.root(), head.rootHash)) {
      return flagMisbehaving(
        state,
        {
          kind: "misbehaving",
          reason: "root-mismatch",
          error: `entries ${state.verified.size}..${head.size - 1} do not hash to the signed root of tree size ${head.size}`,
        },
        { treeSize: head.size, rootHash: hex(head.rootHash), computedRootHash: hex(cursor.frontier.root()) },
        batch,
      );
    }
    const frontier = cursor.frontier.toJSON();
    state = withState(state, {
      position: cursor.position,
      frontier,
      lastEntryTimestamp: cursor.lastEntryTimestamp,
      lastError: null,
      ...(atHead
        ? {
            verified: { size: head.size, rootHash: hex(head.rootHash), timestamp: head.timestamp },
            verifiedFrontier: frontier,
          }
        : {}),
    });
    await write(state, atHead ? { ...batch, logFindings: [] } : batch);
    deps.progress?.({
      log: d.description,
      position: cursor.position,
      size: head.size,
      backfill: cursor.position <= state.backfillUntil,
    });
    return null;
  };

  const stopUnavailable = async (error: string): Promise<LogReport> => {
    const r = pendingCount > 0 ? await flush() : null;
    if (r !== null) return r;
    state = withState(state, { lastError: `unavailable: ${error}` });
    await write(state);
    return report("unavailable", error, state, head.size);
  };

  if (cursor.position > head.size) {
    // Entries past this head were read from a newer one: this head is stale (another replica).
    const why = `the log served an older tree head (${head.size} < ${cursor.position} entries read); trying again later`;
    await write(withState(state, { lastError: `stale: ${why}` }));
    return report("unavailable", why, state, state.headSize);
  }
  if (cursor.position === head.size) {
    if (!hashesEqual(cursor.frontier.root(), head.rootHash)) {
      return flagMisbehaving(
        state,
        {
          kind: "misbehaving",
          reason: "root-mismatch",
          error: `the entries read do not hash to the signed root of tree size ${head.size}`,
        },
        { treeSize: head.size, rootHash: hex(head.rootHash), computedRootHash: hex(cursor.frontier.root()) },
      );
    }
    state = withState(state, {
      lastError: null,
      verified: { size: head.size, rootHash: hex(head.rootHash), timestamp: head.timestamp },
      verifiedFrontier: state.frontier,
    });
    await write(state, { logFindings: [] });
    return report("ok", null, state, head.size);
  }

  try {
    if (t.client.protocol === "rfc6962") {
      for await (const batch of t.client.entries(cursor.position, head.size)) {
        for (const raw of batch) {
          cursor.frontier.append(leafHash(raw.leafInput));
          take(matchRfc6962Entry(raw, t.matchers), leafTimestamp(raw.leafInput));
        }
        if (pendingCount >= deps.commitEvery || cursor.position === head.size) {
          const r = await flush();
          if (r !== null) return r;
        }
      }
    } else {
      const client = t.client;
      for await (const tile of tiles(client, cursor.position, head.size)) {
        if (tile.kind === "misbehaving") return flagMisbehaving(state, tile, { tile: tile.tile });
        if (tile.kind === "unavailable") return await stopUnavailable(tile.error);
        for (let i = 0; i < tile.leaves.length; i++) {
          const index = tile.first + i;
          if (index < cursor.position) continue;
          const leaf = tile.leaves[i] as TileLeaf;
          cursor.frontier.append(leafHash(leaf.merkleLeaf));
          let v = matchTileLeaf(index, leaf, t.matchers);
          if (leaf.leafIndex !== null && leaf.leafIndex !== index && !isError(v)) {
            v = { index, error: `leaf_index extension says ${leaf.leafIndex}` };
          }
          take(v, leaf.timestamp);
        }
        if (pendingCount >= deps.commitEvery || cursor.position === head.size) {
          const r = await flush();
          if (r !== null) return r;
        }
      }
    }
  } catch (e) {
    if (e instanceof CtFetchError) {
      if (e.failure.kind === "misbehaving") return flagMisbehaving(state, e.failure, {});
      return stopUnavailable(e.failure.error);
    }
    throw e;
  }
  if (pendingCount > 0) {
    const r = await flush();
    if (r !== null) return r;
  }
  return report("ok", null, state, head.size);
}
