/**
 * @module auth/password.test
 * Cheap scrypt parameters except in the one test that proves the production parameters work (memory limit).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  dummyVerify,
  hashPassword,
  isPasswordHash,
  MAX_CONCURRENT_HASHES,
  MAX_QUEUED_HASHES,
  needsRehash,
  PasswordBusyError,
  PasswordPolicyError,
  PASSWORD_PARAMS,
  verifyPassword,
} from "./password.js";

const CHEAP = { ln: 4, r: 8, p: 1 };

void describe("password hashes", () => {
  void it("the production parameters hash and verify (OWASP: N=2^17, r=8, p=1, within scrypt's memory limit)", async () => {
    const stored = await hashPassword("correct horse battery staple");
    assert.match(stored, /^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.equal(await verifyPassword("correct horse battery staple", stored), true);
    assert.equal(needsRehash(stored), false);
  });

  void it("a wrong password fails; the right one passes; salts differ", async () => {
    const a = await hashPassword("s3cret-Pa55", CHEAP);
    const b = await hashPassword("s3cret-Pa55", CHEAP);
    assert.notEqual(a, b);
    assert.equal(await verifyPassword("s3cret-Pa55", a), true);
    assert.equal(await verifyPassword("s3cret-Pa55", b), true);
    assert.equal(await verifyPassword("s3cret-Pa56", a), false);
    assert.equal(await verifyPassword("S3cret-Pa55", a), false);
    assert.equal(await verifyPassword("s3cret-Pa55 ", a), false);
  });

  void it("a tampered hash or salt fails; a malformed stored hash never matches", async () => {
    const stored = await hashPassword("hunter2hunter2", CHEAP);
    const parts = stored.split("$"); // ["", "scrypt", params, salt, hash]
    const flip = (s: string) => (s[0] === "A" ? "B" : "A") + s.slice(1);
    const badHash = [...parts.slice(0, 4), flip(parts[4] ?? "")].join("$");
    const badSalt = [...parts.slice(0, 3), flip(parts[3] ?? ""), parts[4]].join("$");
    const badParams = stored.replace("ln=4", "ln=5");
    for (const s of [badHash, badSalt, badParams]) {
      assert.equal(isPasswordHash(s), true);
      assert.equal(await verifyPassword("hunter2hunter2", s), false, s);
    }
    const malformed = [
      "",
      "hunter2hunter2",
      "$scrypt$",
      stored.slice(0, -1),
      stored.replace("scrypt", "argon2id"),
    ];
    for (const s of malformed) assert.equal(isPasswordHash(s), false, s);
    // A malformed hash costs a full dummy verification at the production parameters: one case is enough.
    assert.equal(await verifyPassword("hunter2hunter2", stored.slice(0, -1)), false);
  });

  void it("refuses to run absurd parameters from a stored hash (memory bomb)", async () => {
    const stored = await hashPassword("pw", CHEAP);
    const bomb = stored.replace("ln=4,r=8", "ln=24,r=32");
    assert.equal(isPasswordHash(bomb), false);
    await assert.rejects(hashPassword("pw", { ln: 22, r: 8, p: 1 }), RangeError);
  });

  void it("normalizes Unicode (NFKC): a precomposed and a decomposed é are the same password", async () => {
    const stored = await hashPassword("caf\u00e9-2026", CHEAP);
    assert.equal(await verifyPassword("cafe\u0301-2026", stored), true);
  });

  void it("refuses an empty or over-long password, without echoing it", async () => {
    await assert.rejects(hashPassword("", CHEAP), PasswordPolicyError);
    const long = "x".repeat(1025);
    await assert.rejects(hashPassword(long, CHEAP), (e: unknown) => {
      assert.ok(e instanceof PasswordPolicyError);
      assert.ok(!e.message.includes("xxxx"), e.message);
      return true;
    });
    // 1024 bytes is fine; 513 two-byte characters are 1026 bytes.
    assert.ok(isPasswordHash(await hashPassword("x".repeat(1024), CHEAP)));
    await assert.rejects(hashPassword("é".repeat(513), CHEAP), PasswordPolicyError);
    const stored = await hashPassword("x".repeat(1024), CHEAP);
    assert.equal(await verifyPassword("", stored), false);
    assert.equal(await verifyPassword(`${"x".repeat(1024)}x`, stored), false);
  });

  void it("needsRehash when any parameter is below the current ones", async () => {
    const cheap = await hashPassword("pw", CHEAP);
    assert.equal(needsRehash(cheap), true);
    assert.equal(needsRehash(cheap, CHEAP), false);
    assert.equal(needsRehash(cheap, { ...CHEAP, p: 2 }), true);
    assert.equal(needsRehash(cheap, { ...CHEAP, r: 4 }), false);
    assert.equal(needsRehash("not a hash"), true);
    assert.deepEqual(PASSWORD_PARAMS, { ln: 17, r: 8, p: 1 });
  });

  void it("dummyVerify is always false", async () => {
    assert.equal(await dummyVerify("anything", CHEAP), false);
    assert.equal(await dummyVerify("", CHEAP), false);
  });

  void it("a burst beyond the queue is refused as busy, the rest complete", async () => {
    const n = MAX_CONCURRENT_HASHES + MAX_QUEUED_HASHES + 10;
    const results = await Promise.allSettled(Array.from({ length: n }, () => hashPassword("pw", CHEAP)));
    const busy = results.filter((r) => r.status === "rejected");
    assert.equal(busy.length, 10);
    for (const r of busy) assert.ok(r.reason instanceof PasswordBusyError);
    assert.ok(isPasswordHash(await hashPassword("pw", CHEAP)), "the gate is free again");
  });
});
