/**
 * @module auth/session.test
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import {
  csrfRequired,
  hashSessionId,
  newSession,
  SESSION_POLICY,
  sessionDeadline,
  sessionState,
  shouldTouch,
  verifyCsrf,
} from "./session.js";

const T0 = new Date("2026-11-25T10:00:00Z");
const plus = (ms: number) => new Date(T0.getTime() + ms);
const MIN = 60_000;

void describe("sessions", () => {
  void it("a new session: 32 random bytes of id and CSRF token, only their hashes for the store", () => {
    const s = newSession(T0);
    assert.match(s.id, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(s.id, "base64url").length, 32);
    assert.equal(s.idHash, createHash("sha256").update(s.id).digest("hex"));
    assert.equal(hashSessionId(s.id), s.idHash);
    assert.notEqual(s.csrfToken, s.id);
    assert.equal(s.csrfHash, createHash("sha256").update(s.csrfToken).digest("hex"));
    assert.deepEqual(s.createdAt, T0);
    assert.deepEqual(s.lastSeenAt, T0);
    assert.deepEqual(s.expiresAt, plus(SESSION_POLICY.absoluteMs));
    assert.notEqual(newSession(T0).id, s.id);
  });

  void it("hashSessionId refuses anything that is not a session id", () => {
    for (const bad of ["", "short", `${"a".repeat(43)};`, "a".repeat(44), "+".repeat(43)]) {
      assert.equal(hashSessionId(bad), undefined, bad);
    }
  });

  void it("idle expiry at the exact boundary, with the injected clock", () => {
    const policy = { idleMs: 30 * MIN, absoluteMs: 12 * 60 * MIN, touchEveryMs: MIN };
    const s = { createdAt: T0, lastSeenAt: plus(10 * MIN), expiresAt: plus(policy.absoluteMs) };
    assert.equal(sessionState(s, plus(40 * MIN - 1), policy), "active");
    assert.equal(sessionState(s, plus(40 * MIN), policy), "idle-expired");
    assert.deepEqual(sessionDeadline(s, policy), plus(40 * MIN));
  });

  void it("absolute expiry at the exact boundary, however recent the last request", () => {
    const policy = { idleMs: 30 * MIN, absoluteMs: 60 * MIN, touchEveryMs: MIN };
    const s = { createdAt: T0, lastSeenAt: plus(59 * MIN), expiresAt: plus(60 * MIN) };
    assert.equal(sessionState(s, plus(60 * MIN - 1), policy), "active");
    assert.equal(sessionState(s, plus(60 * MIN), policy), "expired");
    assert.deepEqual(sessionDeadline(s, policy), plus(60 * MIN));
  });

  void it("an unreadable time fails closed", () => {
    const bad = new Date("not a time");
    assert.equal(sessionState({ createdAt: T0, lastSeenAt: T0, expiresAt: bad }, T0), "expired");
    assert.equal(sessionState({ createdAt: T0, lastSeenAt: bad, expiresAt: plus(MIN) }, T0), "idle-expired");
  });

  void it("touches at most once a minute", () => {
    assert.equal(shouldTouch(T0, plus(MIN - 1)), false);
    assert.equal(shouldTouch(T0, plus(MIN)), true);
  });

  void it("CSRF: the session's own token passes; another session's, a tampered, a missing one fail", () => {
    const a = newSession(T0);
    const b = newSession(T0);
    assert.equal(verifyCsrf(a.csrfToken, a.csrfHash), true);
    assert.equal(verifyCsrf(b.csrfToken, a.csrfHash), false);
    assert.equal(verifyCsrf(a.id, a.csrfHash), false);
    const c = a.csrfToken[0] === "A" ? "B" : "A";
    assert.equal(verifyCsrf(c + a.csrfToken.slice(1), a.csrfHash), false);
    assert.equal(verifyCsrf(undefined, a.csrfHash), false);
    assert.equal(verifyCsrf("", a.csrfHash), false);
    assert.equal(verifyCsrf(a.csrfToken, "garbage"), false);
  });

  void it("CSRF is required for state-changing methods only", () => {
    for (const m of ["POST", "PUT", "PATCH", "DELETE", "post"]) assert.equal(csrfRequired(m), true, m);
    for (const m of ["GET", "HEAD", "OPTIONS", "get"]) assert.equal(csrfRequired(m), false, m);
  });
});
