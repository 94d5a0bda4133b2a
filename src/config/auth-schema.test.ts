/**
 * @module config/auth-schema.test
 * The `auth:` block: its defaults are the auth core's session policy, its bounds are enforced, and
 * sessionPolicyOf turns it into what the API enforces.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SESSION_POLICY } from "../auth/session.js";
import { sessionPolicyOf } from "./auth-schema.js";
import { ConfigError, parseConfig } from "./load.js";

void describe("config auth:", () => {
  void it("defaults to the auth core's policy (30 minutes idle, 12 hours at most)", () => {
    const config = parseConfig("domains: [contoso.com]\n", "certwatch.yaml");
    assert.deepEqual(config.auth, { sessionIdleMinutes: 30, sessionMaxHours: 12 });
    assert.deepEqual(sessionPolicyOf(config.auth), SESSION_POLICY);
  });

  void it("sets the idle and absolute limits", () => {
    const config = parseConfig("auth: { sessionIdleMinutes: 15, sessionMaxHours: 8 }\n", "certwatch.yaml");
    assert.deepEqual(sessionPolicyOf(config.auth), {
      idleMs: 15 * 60_000,
      absoluteMs: 8 * 3_600_000,
      touchEveryMs: SESSION_POLICY.touchEveryMs,
    });
  });

  void it("refuses values out of range and unknown keys, naming the field", () => {
    for (const [yaml, field] of [
      ["auth: { sessionIdleMinutes: 0 }", "auth.sessionIdleMinutes"],
      ["auth: { sessionMaxHours: 1000 }", "auth.sessionMaxHours"],
      ["auth: { sessionIdleMinute: 5 }", "auth"],
    ] as const) {
      assert.throws(
        () => parseConfig(`${yaml}\n`, "certwatch.yaml"),
        (e: unknown) => e instanceof ConfigError && e.message.includes(field),
        yaml,
      );
    }
  });
});
