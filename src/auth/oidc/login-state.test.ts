/**
 * @module auth/oidc/login-state.test
 * The sealed login cookie: it opens with the key it was sealed with until its deadline, and not at all when
 * altered, truncated, sealed with another client secret, or malformed; it does not show what it holds.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LOGIN_STATE_TTL_MS, loginStateKey, openLoginState, sealLoginState } from "./login-state.js";

const state = {
  state: "s".repeat(43),
  nonce: "n".repeat(43),
  codeVerifier: "v_-.~".repeat(10),
  expiresAt: 1_000_000 + LOGIN_STATE_TTL_MS,
};
const key = loginStateKey("the-client-secret");

void describe("login state cookie", () => {
  void it("opens to what was sealed, before its deadline only", () => {
    const sealed = sealLoginState(state, key);
    assert.match(sealed, /^[A-Za-z0-9_-]+$/);
    assert.ok(sealed.length < 400, `${sealed.length} characters`);
    for (const secret of [state.state, state.nonce, state.codeVerifier]) assert.ok(!sealed.includes(secret));
    assert.deepEqual(openLoginState(sealed, key, 1_000_000), { ok: true, value: state });
    assert.deepEqual(openLoginState(sealed, key, state.expiresAt - 1), { ok: true, value: state });
    assert.deepEqual(openLoginState(sealed, key, state.expiresAt), { ok: false, reason: "expired" });
    assert.deepEqual(openLoginState(sealed, key, NaN), { ok: false, reason: "expired" });
  });

  void it("two seals of one state differ (a fresh IV each time)", () => {
    assert.notEqual(sealLoginState(state, key), sealLoginState(state, key));
  });

  void it("refuses anything altered, cut, sealed with another secret, or not one at all", () => {
    const sealed = sealLoginState(state, key);
    const raw = Buffer.from(sealed, "base64url");
    const flipped = Buffer.from(raw);
    flipped[20] = (flipped[20] ?? 0) ^ 1;
    for (const bad of [
      flipped.toString("base64url"),
      sealed.slice(0, -2),
      raw.subarray(0, 20).toString("base64url"),
      "",
      "not base64 at all!",
      "A".repeat(5000),
    ]) {
      assert.deepEqual(
        openLoginState(bad, key, 1_000_000),
        { ok: false, reason: "invalid" },
        bad.slice(0, 40),
      );
    }
    assert.deepEqual(openLoginState(sealed, loginStateKey("another-secret"), 1_000_000), {
      ok: false,
      reason: "invalid",
    });
  });

  void it("refuses a well-sealed value whose fields are not what a sign-in makes", () => {
    for (const odd of [
      { ...state, state: "short" },
      { ...state, nonce: "has space ".repeat(5) },
      { ...state, codeVerifier: "x".repeat(300) },
    ]) {
      assert.deepEqual(openLoginState(sealLoginState(odd, key), key, 1_000_000), {
        ok: false,
        reason: "invalid",
      });
    }
  });
});
