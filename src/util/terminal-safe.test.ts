import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { jsonAsciiControls, terminalSafe, terminalSafeJson } from "./terminal-safe.js";

/** Every character that must never reach a terminal raw. */
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/u;

describe("terminalSafe", () => {
  void it("writes ESC, BEL, OSC and CSI sequences as visible escapes", () => {
    assert.equal(terminalSafe("CN=\x1b[31mred\x1b]0;pwned\x07"), "CN=\\x1b[31mred\\x1b]0;pwned\\x07");
    assert.equal(terminalSafe("a\x9b2Jb"), "a\\x9b2Jb");
    assert.equal(terminalSafe("nul\x00 del\x7f c1\x80\x9f"), "nul\\x00 del\\x7f c1\\x80\\x9f");
  });

  void it("escapes CR, LF and TAB (one line, one table cell)", () => {
    assert.equal(terminalSafe("a\r\nb\tc"), "a\\r\\nb\\tc");
    assert.equal(terminalSafe("one\ntwo\r", { keepNewlines: true }), "one\ntwo\\r");
  });

  void it("escapes bidi overrides, isolates and other format characters", () => {
    assert.equal(terminalSafe("invoice\u202egpj.exe"), "invoice\\u202egpj.exe");
    assert.equal(
      terminalSafe("\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u200b\ufeff"),
      "\\u202a\\u202b\\u202c\\u202d\\u2066\\u2067\\u2068\\u2069\\u200e\\u200f\\u061c\\u200b\\ufeff",
    );
    assert.equal(terminalSafe("x\u2028y\u2029"), "x\\u2028y\\u2029");
    assert.equal(terminalSafe("tag\u{e0041}"), "tag\\u{e0041}");
    assert.equal(terminalSafe("lone \ud800"), "lone \\ud800");
  });

  void it("leaves printable text alone: Unicode letters, emoji, backslashes", () => {
    const s = "CN=Zürich Straße, O=例え 🙂, OU=a\\;b C:\\certs";
    assert.equal(terminalSafe(s), s);
    assert.ok(!RAW.test(terminalSafe("\x1b\x07\x9b\u202e\u2066")));
  });
});

describe("terminalSafeJson", () => {
  void it("escapes what JSON.stringify leaves raw, and parses back to the same value", () => {
    const value = { cn: "a\x1b[31m\x9b\x7f\u202e\u2028\u{e0041}b", n: 1 };
    assert.equal(JSON.stringify(value).includes("\x9b"), true);
    const safe = terminalSafeJson(value);
    assert.ok(!RAW.test(safe), safe);
    assert.match(safe, /\\u009b.*\\u007f.*\\u202e.*\\u2028.*\\udb40\\udc41/);
    assert.deepEqual(JSON.parse(safe), value);
  });

  void it("keeps indented JSON whitespace as it is", () => {
    const pretty = JSON.stringify({ a: "\x85" }, null, 2);
    assert.equal(jsonAsciiControls(pretty), '{\n  "a": "\\u0085"\n}');
  });
});
