/**
 * @module app/ct/log-reading
 * One reading of one log, shared by its stages (read-log.ts): what it is given, its counters and alert changes,
 * how it saves the log's state (one store transaction each time), and how it ends — a report, "try later", or
 * event 102 for a log caught misbehaving.
 */
import type { AlertChange } from "../../alerts/reconcile.js";
import { rfc3339 } from "../../domain/alert.js";
import type { Finding } from "../../domain/finding.js";
import type { CtLogDescriptor } from "../../sources/ct/log-list.js";
import type { CtMisbehaviour, Rfc6962Client, StaticCtClient } from "../../sources/ct/log-client.js";
import type { CtBatchRecord, CtLogState } from "../../store/ct-records.js";
import { ctLogScope } from "../../store/ct-records.js";
import type { EvaluateDeps } from "./evaluate.js";
import type { EntryMatchers } from "./logged-entry.js";

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

/** What a batch adds to the saved state: entries' certificates, inventory, alerts, the log's own health. */
export type BatchContents = Partial<Omit<CtBatchRecord, "now" | "state">>;

/** A stage either hands the reading on to the next one, or ends it with the log's report. */
export type Step<T> = { readonly ended: LogReport } | { readonly next: T };

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

export class LogReading {
  readonly changes: AlertChange[] = [];
  entriesRead = 0;
  matched = 0;
  entryErrors = 0;

  constructor(
    readonly target: LogTarget,
    readonly deps: ReadLogDeps,
  ) {}

  get log(): CtLogDescriptor {
    return this.target.descriptor;
  }

  report(
    outcome: LogReport["outcome"],
    error: string | null,
    state: CtLogState | undefined,
    headSize: number,
  ): LogReport {
    const d = this.log;
    const position = state?.position ?? 0;
    const lagEntries = Math.max(0, headSize - position);
    const last = state?.lastEntryTimestamp ?? null;
    const lagSeconds =
      lagEntries === 0 || last === null ? 0 : Math.max(0, (this.deps.now().getTime() - last) / 1000);
    return {
      logId: d.logId,
      description: d.description,
      url: d.url,
      protocol: d.protocol,
      outcome,
      error,
      entriesRead: this.entriesRead,
      matched: this.matched,
      entryErrors: this.entryErrors,
      headSize,
      position,
      lagEntries,
      lagSeconds: Math.round(lagSeconds),
      changes: this.changes,
    };
  }

  /** Saves the log's state, with what the batch adds, in one transaction. */
  async write(state: CtLogState, contents: BatchContents = {}): Promise<void> {
    const batch: CtBatchRecord = {
      now: this.deps.now(),
      state,
      certificates: [],
      inventory: [],
      roots: [],
      entryErrors: [],
      findings: [],
      ...contents,
    };
    this.changes.push(...(await this.deps.store.recordCtBatch(batch)));
  }

  withState(s: CtLogState, over: Partial<CtLogState>): CtLogState {
    return { ...s, ...over, updatedAt: rfc3339(this.deps.now()) };
  }

  /** Try later: the state is saved with why (`unavailable: …`, `stale: …`), the report says unavailable. */
  async tryLater(
    state: CtLogState,
    why: "unavailable" | "stale",
    error: string,
    headSize: number,
  ): Promise<LogReport> {
    await this.write(this.withState(state, { lastError: `${why}: ${error}` }));
    return this.report("unavailable", error, state, headSize);
  }

  /**
   * The log is caught misbehaving: 102 for it, and its position back to the last head our own leaves
   * reproduced — nothing after it is trusted until the log is consistent. `contents`: the batch read so far.
   */
  async misbehaving(
    s: CtLogState,
    m: CtMisbehaviour,
    details: Record<string, unknown>,
    contents: BatchContents = {},
  ): Promise<LogReport> {
    const d = this.log;
    this.deps.logLine(`ct: ${d.description} (${d.url}) is misbehaving: ${m.reason}: ${m.error}`);
    const reset = this.withState(s, {
      position: s.verified.size,
      frontier: s.verifiedFrontier,
      lastError: `misbehaving: ${m.reason}: ${m.error}`,
    });
    await this.write(reset, {
      ...contents,
      logFindings: [this.deps.draft(misbehavingFinding(d, m, details))],
    });
    return this.report("misbehaving", m.error, reset, s.headSize);
  }

  /** A log never followed yet that misbehaves: raise 102 without creating a position for it. */
  async misbehavingNew(m: CtMisbehaviour, details: Record<string, unknown>): Promise<LogReport> {
    const d = this.log;
    this.deps.logLine(`ct: ${d.description} (${d.url}) is misbehaving: ${m.reason}: ${m.error}`);
    const drafts = [this.deps.draft(misbehavingFinding(d, m, details))];
    const run = {
      scope: ctLogScope(d.logId),
      now: this.deps.now(),
      certificates: [],
      observations: [],
      findings: drafts,
    };
    this.changes.push(...(await this.deps.store.recordRun(run)));
    return this.report("misbehaving", m.error, undefined, 0);
  }
}
