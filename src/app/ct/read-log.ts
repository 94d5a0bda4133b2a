/**
 * @module app/ct/read-log
 * Reads one log from its saved position to its current verified head, in stages: the head (log-head.ts), its
 * consistency with the last verified one (log-consistency.ts), the entries (log-entries.ts), each batch
 * evaluated and committed with the position and tree state in one transaction (entry-batch.ts). Any stage may
 * end the reading: "try later", or event 102 for a log caught misbehaving (log-reading.ts).
 */
import { EntryBatch } from "./entry-batch.js";
import { checkConsistency } from "./log-consistency.js";
import { readEntries } from "./log-entries.js";
import { readHead } from "./log-head.js";
import { LogReading, type LogReport, type LogTarget, type ReadLogDeps } from "./log-reading.js";

export type { LogProgress, LogReport, LogTarget, ReadLogDeps } from "./log-reading.js";

export async function readLog(t: LogTarget, deps: ReadLogDeps): Promise<LogReport> {
  const reading = new LogReading(t, deps);
  const started = await readHead(reading);
  if ("ended" in started) return started.ended;
  const { head } = started.next;
  const consistent = await checkConsistency(reading, head, started.next.state);
  if ("ended" in consistent) return consistent.ended;
  return readEntries(reading, head, new EntryBatch(reading, head, consistent.next));
}
