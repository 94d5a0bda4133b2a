/**
 * @module daemon/json-log
 * The daemon's log: one JSON object per line on stderr, `{"time","level","msg",...fields}`, for journald,
 * Docker and log shippers. Outside text (CT names, server errors) is a JSON string value, so it can forge no
 * line; characters a terminal acts on (C1 controls, bidi overrides) are written as `\uXXXX` escapes besides.
 * Secrets are never passed in: callers log names and counts, never credentials.
 */
import type { Logger } from "../app/progress.js";
import { terminalSafeJson } from "../util/terminal-safe.js";

export type LogLevel = "debug" | "info" | "warn" | "error";

export type LogFields = Readonly<Record<string, unknown>>;

export interface JsonLog extends Logger {
  error(message: string, fields?: LogFields): void;
  /** A free-form line from an adapter written for the CLI ("warning: …" is logged at level warn). */
  line(message: string): void;
  /** A log whose every line carries these fields too (e.g. `{ component: "ct" }`). */
  child(fields: LogFields): JsonLog;
}

/** Field names that must not appear in a line: they are the record's own. */
const RESERVED = new Set(["time", "level", "msg"]);

export function jsonLog(
  write: (line: string) => void,
  now: () => Date = () => new Date(),
  base: LogFields = {},
): JsonLog {
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    const record: Record<string, unknown> = { time: now().toISOString(), level, msg };
    for (const [k, v] of Object.entries({ ...base, ...fields })) {
      record[RESERVED.has(k) ? `field.${k}` : k] = v instanceof Error ? v.message : v;
    }
    let text: string;
    try {
      text = terminalSafeJson(record);
    } catch {
      // A field that does not serialise (a cycle, a BigInt) must not lose the line.
      text = terminalSafeJson({ time: record.time, level, msg, fieldsError: "unserialisable fields" });
    }
    write(`${text}\n`);
  };
  return {
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    line: (m) => {
      const warning = /^warning: /i.exec(m);
      emit(warning ? "warn" : "info", warning ? m.slice(warning[0].length) : m);
    },
    child: (fields) => jsonLog(write, now, { ...base, ...fields }),
  };
}

/** The daemon's log on the process's stderr. */
export function stderrJsonLog(stderr: NodeJS.WritableStream): JsonLog {
  return jsonLog((line) => {
    stderr.write(line);
  });
}
