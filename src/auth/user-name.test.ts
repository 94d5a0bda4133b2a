/**
 * @module auth/user-name.test
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isUserName, parseUserName } from "./user-name.js";

void describe("user names", () => {
  void it("lower-cases a valid name, e-mail addresses included", () => {
    assert.deepEqual(parseUserName("Alice"), { ok: true, name: "alice" });
    assert.deepEqual(parseUserName("Ops.Team_1@Contoso-Corp.example"), {
      ok: true,
      name: "ops.team_1@contoso-corp.example",
    });
    assert.deepEqual(parseUserName("a"), { ok: true, name: "a" });
    assert.deepEqual(parseUserName("x".repeat(64)), { ok: true, name: "x".repeat(64) });
  });

  void it("refuses empty, too long and other characters", () => {
    for (const bad of [
      "",
      "x".repeat(65),
      "alice bob",
      "alice/..",
      "al:ce",
      "ålice",
      "alice\n",
      "<script>",
    ]) {
      const r = parseUserName(bad);
      assert.equal(r.ok, false, JSON.stringify(bad));
    }
  });

  void it("refuses a look-alike that lower-cases into ASCII (KELVIN SIGN)", () => {
    assert.equal("\u212Aate".toLowerCase(), "kate");
    assert.equal(parseUserName("\u212Aate").ok, false);
  });

  void it("isUserName accepts only the canonical form", () => {
    assert.equal(isUserName("alice"), true);
    assert.equal(isUserName("Alice"), false);
    assert.equal(isUserName(""), false);
  });
});
