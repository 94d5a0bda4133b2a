/**
 * @module app/ct/entry-batch
 * The last stage of reading a log: the entries read since the last commit, and their commit. Every leaf is
 * hashed into the compact range as it comes; the matching entries are evaluated as one batch (evaluate.ts), and
 * the batch, the new position and the compact range are written in one transaction (every `commitEvery` entries
 * and at the head). At the head the computed root must equal the signed one: then the head becomes the verified
 * state; if not, the log is misbehaving and its position rolls back to the last verified head.
 */
import type { TreeHead } from "../../sources/ct/log-client.js";
import { Frontier, hashesEqual } from "../../sources/ct/merkle.js";
import type { CtEntryError, CtLogState } from "../../store/ct-records.js";
import { evaluateMatches, type EvaluatedBatch, type LogRef } from "./evaluate.js";
import { hex } from "./log-state.js";
import type { LogReading, LogReport } from "./log-reading.js";
import { isError, type EntryVerdict, type MatchedEntry } from "./logged-entry.js";

export class EntryBatch {
  /** The saved state: as of the last commit. */
  state: CtLogState;
  /** The next entry to read, and the compact range of every leaf before it. */
  position: number;
  readonly frontier: Frontier;
  private lastEntryTimestamp: number | null;
  private matches: MatchedEntry[] = [];
  private errors: CtEntryError[] = [];
  /** Entries taken since the last commit. */
  pending = 0;
  private readonly logRef: LogRef;

  constructor(
    private readonly reading: LogReading,
    private readonly head: TreeHead,
    state: CtLogState,
  ) {
    this.state = state;
    this.position = state.position;
    this.frontier = Frontier.fromJSON(state.frontier);
    this.lastEntryTimestamp = state.lastEntryTimestamp;
    const { client, descriptor: d } = reading.target;
    this.logRef =
      client.protocol === "static-ct"
        ? { id: d.logId, description: d.description, issuer: (fp) => client.issuer(fp) }
        : { id: d.logId, description: d.description };
  }

  /** Whether the batch is due for its commit: large enough, or the head reached. */
  get due(): boolean {
    return this.pending >= this.reading.deps.commitEvery || this.position === this.head.size;
  }

  /** The entry at `position`: its leaf hash into the compact range, its verdict kept if it matched or failed. */
  take(merkleLeafHash: Buffer, v: EntryVerdict, timestamp: number | null): void {
    const r = this.reading;
    this.frontier.append(merkleLeafHash);
    r.entriesRead++;
    this.pending++;
    this.position++;
    if (timestamp !== null) this.lastEntryTimestamp = timestamp;
    if (v === null) return;
    if (isError(v)) {
      r.entryErrors++;
      this.errors.push(v);
      r.deps.logLine(`ct: ${r.log.description} entry ${v.index}: ${v.error}`);
    } else {
      r.matched++;
      this.matches.push(v);
    }
  }

  /** Evaluates and commits the pending entries with the position reached; at the head, judges the log. */
  async commit(): Promise<LogReport | null> {
    const { release, ...evaluated } = await evaluateMatches(
      this.matches,
      this.logRef,
      (i) => i < this.state.backfillUntil,
      this.reading.deps,
    );
    // The batch's identity claims last until its transaction has committed (or failed): then the store
    // answers for them.
    try {
      return await this.write(evaluated);
    } finally {
      release();
    }
  }

  /** The log cannot be read on: commit what was read, save why, try later. */
  async stopUnavailable(error: string): Promise<LogReport> {
    const r = this.pending > 0 ? await this.commit() : null;
    if (r !== null) return r;
    this.state = this.reading.withState(this.state, { lastError: `unavailable: ${error}` });
    await this.reading.write(this.state);
    return this.reading.report("unavailable", error, this.state, this.head.size);
  }

  private async write(evaluated: Omit<EvaluatedBatch, "release">): Promise<LogReport | null> {
    const { reading, head } = this;
    const atHead = this.position === head.size;
    const batch = { ...evaluated, entryErrors: [...this.errors, ...evaluated.entryErrors] };
    this.matches = [];
    this.errors = [];
    this.pending = 0;
    if (atHead && !hashesEqual(this.frontier.root(), head.rootHash)) {
      const mismatch = {
        kind: "misbehaving",
        reason: "root-mismatch",
        error: `entries ${this.state.verified.size}..${head.size - 1} do not hash to the signed root of tree size ${head.size}`,
      } as const;
      const details = {
        treeSize: head.size,
        rootHash: hex(head.rootHash),
        computedRootHash: hex(this.frontier.root()),
      };
      return reading.misbehaving(this.state, mismatch, details, batch);
    }
    const frontier = this.frontier.toJSON();
    this.state = reading.withState(this.state, {
      position: this.position,
      frontier,
      lastEntryTimestamp: this.lastEntryTimestamp,
      lastError: null,
      ...(atHead
        ? {
            verified: { size: head.size, rootHash: hex(head.rootHash), timestamp: head.timestamp },
            verifiedFrontier: frontier,
          }
        : {}),
    });
    await reading.write(this.state, atHead ? { ...batch, logFindings: [] } : batch);
    reading.deps.progress?.({
      log: reading.log.description,
      position: this.position,
      size: head.size,
      backfill: this.position <= this.state.backfillUntil,
    });
    return null;
  }
}
