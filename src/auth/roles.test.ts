/**
 * @module auth/roles.test
 * The whole permission table, written out cell by cell: a change to roles.ts must change this test too.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ACTIONS, can, isRole, minimumRole, roleAtLeast, ROLES } from "./roles.js";

const TABLE: Record<string, [viewer: boolean, operator: boolean, admin: boolean]> = {
  "alerts.read": [true, true, true],
  "tokens.own": [true, true, true],
  "alerts.triage": [false, true, true],
  "endpoints.manage": [false, true, true],
  "scan.now": [false, true, true],
  "delivery.test": [false, true, true],
  "users.manage": [false, false, true],
  "audit.read": [false, false, true],
};

void describe("roles", () => {
  void it("every action and role, as the table says", () => {
    assert.deepEqual([...ACTIONS].sort(), Object.keys(TABLE).sort());
    for (const action of ACTIONS) {
      ROLES.forEach((role, i) => {
        assert.equal(can(role, action), TABLE[action]?.[i], `${role} ${action}`);
      });
    }
  });

  void it("a higher role can do everything a lower one can", () => {
    for (const action of ACTIONS) {
      for (const lower of ROLES) {
        for (const higher of ROLES) {
          if (roleAtLeast(higher, lower) && can(lower, action))
            assert.ok(can(higher, action), `${higher} ${action}`);
        }
      }
      assert.ok(can(minimumRole(action), action));
    }
  });

  void it("unknown roles and actions are denied, never a throw", () => {
    assert.equal(can("root", "alerts.read"), false);
    assert.equal(can("", "alerts.read"), false);
    assert.equal(can("admin", "users.delete-everything"), false);
    assert.equal(can("admin", "toString"), false);
    assert.equal(can("admin", "__proto__"), false);
    assert.equal(isRole("Admin"), false);
    assert.equal(isRole("operator"), true);
  });
});
