/**
 * @module auth/tokens.test
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import {
  generateApiToken,
  hashTokenSecret,
  parseApiToken,
  redactSecrets,
  redactToken,
  tokenSecretMatches,
  tokenState,
  verifyApiToken,
} from "./tokens.js";

void describe("API tokens", () => {
  void it("have the format cw_<10 base32>_<43 base64url> and verify against their stored hash", () => {
    const t = generateApiToken();
    assert.match(t.token, /^cw_[a-z2-7]{10}_[A-Za-z0-9_-]{43}$/);
    assert.ok(t.token.startsWith(`cw_${t.id}_`));
    assert.match(t.secretHash, /^[0-9a-f]{64}$/);
    const parsed = parseApiToken(t.token);
    assert.equal(parsed?.id, t.id);
    assert.equal(verifyApiToken(t.token, t.secretHash), true);
    assert.notEqual(generateApiToken().token, t.token);
  });

  void it("the stored hash is SHA-256 of the 32 secret bytes", () => {
    const bytes = (n: number, fill: number) => Buffer.alloc(n, fill);
    let call = 0;
    const t = generateApiToken((n) => bytes(n, call++ === 0 ? 0 : 0xab));
    assert.equal(t.id, "aaaaaaaaaa");
    const secret = bytes(32, 0xab);
    assert.equal(t.token, `cw_aaaaaaaaaa_${secret.toString("base64url")}`);
    assert.equal(t.secretHash, createHash("sha256").update(secret).digest("hex"));
    assert.equal(hashTokenSecret(secret), t.secretHash);
  });

  void it("a tampered token fails: any changed character of the secret, another id's hash, a cut token", () => {
    const t = generateApiToken();
    const other = generateApiToken();
    for (let i = 14; i < t.token.length; i++) {
      const c = t.token[i] === "A" ? "B" : "A";
      const tampered = t.token.slice(0, i) + c + t.token.slice(i + 1);
      assert.equal(verifyApiToken(tampered, t.secretHash), false, `position ${i}`);
    }
    assert.equal(verifyApiToken(t.token, other.secretHash), false);
    assert.equal(verifyApiToken(t.token.slice(0, -1), t.secretHash), false);
    assert.equal(verifyApiToken(`${t.token}A`, t.secretHash), false);
    assert.equal(verifyApiToken(t.token, "not-hex"), false);
    assert.equal(verifyApiToken(t.token, t.secretHash.toUpperCase()), false);
  });

  void it("refuses the non-canonical spelling of the last secret character", () => {
    const t = generateApiToken((n) => Buffer.alloc(n, 0));
    // 32 zero bytes end in "A"; "B" differs only in the 2 padding bits Buffer would ignore.
    assert.ok(t.token.endsWith("A"));
    const alias = `${t.token.slice(0, -1)}B`;
    assert.equal(Buffer.from(alias.slice(14), "base64url").equals(Buffer.alloc(32, 0)), true);
    assert.equal(parseApiToken(alias), undefined);
  });

  void it("parses nothing else", () => {
    const t = generateApiToken();
    for (const bad of [
      "",
      "cw_",
      t.token.replace("cw_", "xx_"),
      t.token.toUpperCase(),
      ` ${t.token}`,
      "x".repeat(10_000),
    ]) {
      assert.equal(parseApiToken(bad), undefined, bad.slice(0, 40));
    }
    const parsed = parseApiToken(t.token);
    assert.ok(parsed !== undefined);
    assert.equal(tokenSecretMatches(parsed, t.secretHash), true);
  });

  void it("redaction keeps the id and drops the secret", () => {
    const t = generateApiToken();
    const secret = t.token.slice(14);
    assert.equal(redactToken(t.token), `cw_${t.id}_[redacted]`);
    assert.equal(redactToken("garbage"), "[redacted]");
    const line = `auth failed for Authorization: Bearer ${t.token}; again ${t.token}.`;
    const red = redactSecrets(line);
    assert.ok(!red.includes(secret), red);
    assert.equal(
      red,
      `auth failed for Authorization: Bearer cw_${t.id}_[redacted]; again cw_${t.id}_[redacted].`,
    );
  });

  void it("a stored token is active until revoked, or until the exact instant it expires", () => {
    const now = new Date("2026-11-25T10:00:00Z");
    assert.equal(tokenState({ expiresAt: null, revokedAt: null }, now), "active");
    assert.equal(tokenState({ expiresAt: "2026-11-25T10:00:01Z", revokedAt: null }, now), "active");
    assert.equal(tokenState({ expiresAt: "2026-11-25T10:00:00Z", revokedAt: null }, now), "expired");
    assert.equal(tokenState({ expiresAt: null, revokedAt: "2026-11-24T00:00:00Z" }, now), "revoked");
    assert.equal(tokenState({ expiresAt: "garbage", revokedAt: null }, now), "expired", "fails closed");
  });
});
