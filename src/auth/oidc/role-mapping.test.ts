/**
 * @module auth/oidc/role-mapping.test
 * The provider's claims to a local role and user name: the highest mapped value wins, a default or a refusal
 * otherwise, nested and dotted claim names, hostile values, and names used as they are or not at all.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { claimAt, claimValues, mapRole, userNameFromClaims, type RoleMapping } from "./role-mapping.js";

const mapping: RoleMapping = {
  roleClaim: "groups",
  roles: { "cw-admins": "admin", secops: "operator", staff: "viewer" },
  defaultRole: "none",
};

void describe("mapRole", () => {
  void it("gives the highest role any value maps to, whatever the order", () => {
    assert.equal(mapRole({ groups: ["staff"] }, mapping), "viewer");
    assert.equal(mapRole({ groups: ["staff", "secops"] }, mapping), "operator");
    assert.equal(mapRole({ groups: ["cw-admins", "staff", "secops"] }, mapping), "admin");
    assert.equal(mapRole({ groups: ["secops", "cw-admins"] }, mapping), "admin");
    assert.equal(mapRole({ groups: "secops" }, mapping), "operator", "a single string is one value");
  });

  void it("refuses (null) without a mapped value when the default is none, else gives the default", () => {
    for (const claims of [
      {},
      { groups: [] },
      { groups: ["contractors"] },
      { groups: 42 },
      { groups: null },
    ]) {
      assert.equal(mapRole(claims, mapping), null, JSON.stringify(claims));
      assert.equal(mapRole(claims, { ...mapping, defaultRole: "viewer" }), "viewer");
    }
    // The default is for the unmapped only: a mapped value decides, even below the default.
    assert.equal(mapRole({ groups: ["staff"] }, { ...mapping, defaultRole: "operator" }), "viewer");
  });

  void it("matches values exactly: no case folding, no prototype keys, no non-strings", () => {
    assert.equal(mapRole({ groups: ["CW-Admins", "Staff "] }, mapping), null);
    assert.equal(mapRole({ groups: ["__proto__", "toString", "constructor"] }, mapping), null);
    assert.equal(mapRole({ groups: [{ "cw-admins": true }, ["cw-admins"], 1] }, mapping), null);
  });

  void it("reads a dotted path when no claim has that exact name, and the exact name first", () => {
    const keycloak = { ...mapping, roleClaim: "realm_access.roles" };
    assert.equal(mapRole({ realm_access: { roles: ["secops"] } }, keycloak), "operator");
    assert.equal(
      mapRole({ "realm_access.roles": ["staff"], realm_access: { roles: ["cw-admins"] } }, keycloak),
      "viewer",
    );
    const auth0 = { ...mapping, roleClaim: "https://contoso.com/roles" };
    assert.equal(mapRole({ "https://contoso.com/roles": ["cw-admins"] }, auth0), "admin");
  });
});

void describe("claims", () => {
  void it("claimAt walks own properties of plain objects only", () => {
    assert.equal(claimAt({ a: { b: { c: "x" } } }, "a.b.c"), "x");
    assert.equal(claimAt({ a: ["x"] }, "a.0"), undefined);
    assert.equal(claimAt({ a: {} }, "a.constructor"), undefined);
    assert.equal(claimAt({ a: { b: 1 } }, "a.b.c.d"), undefined);
  });

  void it("claimValues keeps the strings of a list and caps how many", () => {
    assert.deepEqual(claimValues({ g: ["a", 1, null, "b"] }, "g"), ["a", "b"]);
    const many = Array.from({ length: 5000 }, (_, i) => `g${i}`);
    assert.equal(claimValues({ g: many }, "g").length, 1000);
  });
});

void describe("userNameFromClaims", () => {
  void it("takes preferred_username, else email, lower-cased", () => {
    assert.deepEqual(userNameFromClaims({ preferred_username: "Alice", email: "a@contoso.com" }), {
      ok: true,
      name: "alice",
      claim: "preferred_username",
    });
    assert.deepEqual(userNameFromClaims({ email: "Dave@Contoso.com", email_verified: true }), {
      ok: true,
      name: "dave@contoso.com",
      claim: "email",
    });
  });

  void it("takes email only when the provider says it is verified", () => {
    for (const verified of [false, "true", undefined]) {
      const claims = {
        email: "admin@contoso.com",
        ...(verified !== undefined && { email_verified: verified }),
      };
      assert.deepEqual(userNameFromClaims(claims), { ok: false, claim: "preferred_username or email" });
      assert.deepEqual(userNameFromClaims(claims, "email"), { ok: false, claim: "email" });
    }
    assert.equal(userNameFromClaims({ email: "a@contoso.com", email_verified: true }, "email").ok, true);
  });

  void it("takes only the configured claim when one is set", () => {
    assert.deepEqual(userNameFromClaims({ preferred_username: "alice", upn: "a.b@contoso.com" }, "upn"), {
      ok: true,
      name: "a.b@contoso.com",
      claim: "upn",
    });
    assert.deepEqual(userNameFromClaims({ preferred_username: "alice" }, "upn"), { ok: false, claim: "upn" });
  });

  void it("never rewrites an unusable name into a valid one", () => {
    for (const v of ["Alice Smith", "bob/admin", "Ｒoot", "a".repeat(65), "élodie"]) {
      assert.equal(userNameFromClaims({ preferred_username: v }).ok, false, v);
    }
    assert.deepEqual(userNameFromClaims({ sub: "x" }), { ok: false, claim: "preferred_username or email" });
  });
});
