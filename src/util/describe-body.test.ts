/**
 * @module util/describe-body.test
 * Bodies are described without their bytes: hostile content types and bodies with terminal escapes leave no
 * trace of themselves in the description.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bodyKind, describeBody, safeContentType } from "./describe-body.js";

const b = (s: string | number[]): Buffer =>
  typeof s === "string" ? Buffer.from(s, "latin1") : Buffer.from(s);

describe("describeBody", () => {
  it("names the kind of a body from its first bytes", () => {
    assert.equal(bodyKind(b("")), "empty");
    assert.equal(bodyKind(b("\n  <!DOCTYPE html><html><body>log in</body></html>")), "looks like HTML");
    assert.equal(bodyKind(b("<html>\n<title>x</title>")), "looks like HTML");
    assert.equal(bodyKind(b("\xEF\xBB\xBF<?xml version='1.0'?><a/>")), "looks like XML");
    assert.equal(bodyKind(b('{"error":"nope"}')), "looks like JSON");
    assert.equal(bodyKind(b("-----BEGIN CERTIFICATE-----\nMIIB")), "looks like PEM");
    assert.equal(bodyKind(b("just some words\n")), "text");
    assert.equal(bodyKind(Buffer.from("déjà vu, ".repeat(60))), "text");
    assert.equal(bodyKind(b([0xde, 0xad, 0xbe, 0xef])), "binary");
    assert.equal(bodyKind(b([0x30, 0x82, 0x01, 0x00, 0x02])), "binary");
    assert.equal(bodyKind(b("text with an \x1b[31mescape")), "binary");
  });

  it("reduces the content type to harmless characters and cuts it short", () => {
    assert.equal(safeContentType("text/html; charset=utf-8"), "text/html; charset=utf-8");
    assert.equal(safeContentType(undefined), "none");
    assert.equal(safeContentType("text/html\x1b]0;pwned\x07"), "text/html??0;pwned?");
    assert.equal(safeContentType("a".repeat(200)), `${"a".repeat(64)}…`);
  });

  it("never contains the body's bytes", () => {
    const hostile = "<html><script>alert(1)</script>\x1b[2J\x1b]0;owned\x07 SECRET-TOKEN</html>";
    const d = describeBody("text/html", b(hostile));
    assert.equal(d, `content-type text/html, ${hostile.length} bytes, looks like HTML`);
    assert.doesNotMatch(d, /script|SECRET|pwned/);
    assert.ok(!d.includes("\x1b") && !d.includes("\x07"));
  });
});
