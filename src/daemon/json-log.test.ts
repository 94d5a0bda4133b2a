/**
 * @module daemon/json-log.test
 * The daemon's log lines: one JSON object per line, outside text unable to forge a line or act on a terminal.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { jsonLog } from "./json-log.js";

describe("JSON log", () => {
  const at = new Date("2026-12-01T10:00:00.000Z");
  const capture = () => {
    const lines: string[] = [];
    return {
      lines,
      log: jsonLog(
        (l) => lines.push(l),
        () => at,
      ),
    };
  };

  it("writes time, level, message and fields; a child adds its fields to every line", () => {
    const { lines, log } = capture();
    log.child({ component: "scan" }).info("scanned", { target: "a.test:443", opened: 1 });
    log.error("job failed", { error: new Error("store locked") });
    assert.deepEqual(
      lines.map((l) => JSON.parse(l) as unknown),
      [
        {
          time: at.toISOString(),
          level: "info",
          msg: "scanned",
          component: "scan",
          target: "a.test:443",
          opened: 1,
        },
        { time: at.toISOString(), level: "error", msg: "job failed", error: "store locked" },
      ],
    );
  });

  it("keeps hostile text inside its string: no forged line, no raw control or bidi character", () => {
    const { lines, log } = capture();
    const name = 'evil.contoso.com\n{"level":"info","msg":"fake"}\u001b]0;pwned\u0007\u202egpj.exe\u009b';
    log.warn("log unavailable", { log: name, msg: "a field named like the message", time: "x" });
    assert.equal(lines.length, 1);
    const text = lines[0] ?? "";
    assert.equal(text.split("\n").length, 2, "one line, ended by its newline");
    const body = text.slice(0, -1);
    assert.doesNotMatch(body, /[\p{Cc}\p{Cf}]/u, "controls and format characters are \\u escapes");
    const parsed = JSON.parse(text) as Record<string, unknown>;
    assert.equal(parsed.log, name, "the value itself is kept");
    assert.equal(parsed.msg, "log unavailable");
    assert.equal(parsed["field.msg"], "a field named like the message");
    assert.equal(parsed.time, at.toISOString());
  });

  it('logs lines written for the CLI, "warning: …" at level warn', () => {
    const { lines, log } = capture();
    log.line("warning: ct.logList: unreadable");
    log.line("ct: now following Test log");
    assert.deepEqual(
      lines.map((l) => {
        const p = JSON.parse(l) as { level: string; msg: string };
        return [p.level, p.msg];
      }),
      [
        ["warn", "ct.logList: unreadable"],
        ["info", "ct: now following Test log"],
      ],
    );
  });

  it("never loses a line to a field that does not serialise", () => {
    const { lines, log } = capture();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    log.info("odd", { cyclic, big: 1n });
    assert.deepEqual(JSON.parse(lines[0] ?? ""), {
      time: at.toISOString(),
      level: "info",
      msg: "odd",
      fieldsError: "unserialisable fields",
    });
  });
});
