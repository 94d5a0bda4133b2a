/**
 * @module cli/ct-progress
 * CT progress on stderr: on a terminal, one redrawn line with every log's progress (backfills take
 * hours); elsewhere nothing until the per-log summary lines.
 */
import type { LogProgress } from "../app/ct/read-log.js";
import type { LogReport } from "../app/ct/read-log.js";
import { terminalSafe } from "../util/terminal-safe.js";

export function ctProgressLine(stream: NodeJS.WriteStream): ((p: LogProgress) => void) | undefined {
  if (!stream.isTTY) return undefined;
  const logs = new Map<string, LogProgress>();
  let lastDraw = 0;
  return (p) => {
    logs.set(p.log, p);
    const now = Date.now();
    if (now - lastDraw < 100) return;
    lastDraw = now;
    let done = 0;
    let total = 0;
    for (const l of logs.values()) {
      done += l.position;
      total += l.size;
    }
    const pct = total === 0 ? 100 : Math.floor((done / total) * 1000) / 10;
    const width = 30;
    const filled = Math.round((pct / 100) * width);
    const line = `ct ${"█".repeat(filled)}${"░".repeat(width - filled)} ${pct}% ${p.backfill ? "backfill " : ""}${terminalSafe(p.log)} ${p.position.toLocaleString("en")}/${p.size.toLocaleString("en")}`;
    stream.write(`\r\x1b[2K${line.slice(0, (stream.columns || 80) - 1)}`);
  };
}

/**
 * One line per log: what was read, where it stands, how far behind, and why it stopped if it did. The log's
 * description (from a log list) and the error (a server's words) are outside text: escaped for the terminal.
 */
export function logSummaryLine(r: LogReport): string {
  const n = (x: number) => x.toLocaleString("en");
  const lag =
    r.lagEntries === 0
      ? "caught up"
      : `${n(r.lagEntries)} entries behind (${formatSeconds(r.lagSeconds)} behind)`;
  const what = `${n(r.entriesRead)} entries read, ${n(r.matched)} naming watched domains, ${n(r.entryErrors)} malformed`;
  const status = r.outcome === "ok" ? "" : ` — ${r.outcome}: ${r.error ?? ""}`;
  return terminalSafe(
    `ct: ${r.description}: ${what}; at ${n(r.position)} of ${n(r.headSize)}, ${lag}${status}`,
  );
}

function formatSeconds(s: number): string {
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} days`;
}
