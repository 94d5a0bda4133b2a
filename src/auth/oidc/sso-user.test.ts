/**
 * @module auth/oidc/sso-user.test
 * Which local user a verified identity becomes, on a real (SQLite) store: created at first sign-in with its mapped
 * role, found again by (issuer, subject) whatever its name claim says later, its role following the claims, and
 * refused when disabled, unmapped, unknown with provisioning off, unnamed, clashing with a local name, or when the
 * claims would demote the last admin.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openStore } from "../../store/open.js";
import type { Store } from "../../store/store.js";
import { resolveSsoUser, type SsoUserPolicy } from "./sso-user.js";

const ISSUER = "https://idp.contoso.com";
const policy: SsoUserPolicy = {
  roleClaim: "groups",
  roles: { admins: "admin", ops: "operator", staff: "viewer" },
  defaultRole: "none",
  autoProvision: true,
};
const at = new Date("2026-11-25T10:00:00Z");
const ctx = { actor: { kind: "system" } as const, at, ip: "192.0.2.1" };
const id = (subject: string) => ({ issuer: ISSUER, subject });

void describe("resolveSsoUser", () => {
  let store: Store;
  before(async () => {
    store = await openStore("sqlite::memory:");
  });
  after(() => store.close());

  void it("creates the user at first sign-in, linked to the identity, without a password", async () => {
    const r = await resolveSsoUser(
      store.auth,
      id("s-ann"),
      { preferred_username: "Ann", groups: ["staff"] },
      policy,
      ctx,
    );
    assert.deepEqual(r, { ok: true, user: { name: "ann", role: "viewer" }, created: true });
    const ann = await store.auth.getUser("ann");
    assert.deepEqual(ann?.oidc, id("s-ann"));
    assert.equal(ann?.passwordHash, null);
    const [entry] = await store.auth.listAudit({ action: "user.create" });
    assert.deepEqual(entry?.details, { role: "viewer", hasPassword: false, sso: true });
  });

  void it("finds the user by identity, not by name, and moves the role with the claims", async () => {
    const renamed = { preferred_username: "ann.new", groups: ["staff", "ops"] };
    const r = await resolveSsoUser(store.auth, id("s-ann"), renamed, policy, ctx);
    assert.deepEqual(r, {
      ok: true,
      user: { name: "ann", role: "operator" },
      created: false,
      previousRole: "viewer",
    });
    assert.equal((await store.auth.getUser("ann"))?.role, "operator");
    const same = await resolveSsoUser(store.auth, id("s-ann"), renamed, policy, ctx);
    assert.deepEqual(same, { ok: true, user: { name: "ann", role: "operator" }, created: false });
  });

  void it("refuses an identity whose claims map to no role, linked or not, and creates nobody", async () => {
    const stranger = await resolveSsoUser(
      store.auth,
      id("s-zed"),
      { preferred_username: "zed", groups: ["x"] },
      policy,
      ctx,
    );
    assert.deepEqual(stranger, {
      ok: false,
      reason: "no_role",
      userName: null,
      detail: "no value of the groups claim maps to a role",
    });
    assert.equal(await store.auth.getUser("zed"), undefined);
    const ann = await resolveSsoUser(store.auth, id("s-ann"), { groups: [] }, policy, ctx);
    assert.equal(ann.ok ? "signed in" : `${ann.reason} ${ann.userName}`, "no_role ann");
    assert.equal((await store.auth.getUser("ann"))?.role, "operator", "a refusal changes nothing");
  });

  void it("refuses a disabled user even with a mapped role", async () => {
    await store.auth.updateUser("ann", { disabled: true }, ctx);
    const r = await resolveSsoUser(store.auth, id("s-ann"), { groups: ["admins"] }, policy, ctx);
    assert.equal(r.ok ? "signed in" : r.reason, "disabled");
    assert.equal((await store.auth.getUser("ann"))?.role, "operator");
  });

  void it("with provisioning off, only linked identities sign in", async () => {
    const off = { ...policy, autoProvision: false };
    const r = await resolveSsoUser(
      store.auth,
      id("s-new"),
      { preferred_username: "newbie", groups: ["staff"] },
      off,
      ctx,
    );
    assert.equal(r.ok ? "signed in" : r.reason, "not_provisioned");
    assert.equal(await store.auth.getUser("newbie"), undefined);
  });

  void it("never takes over a local user's name, and refuses a name it cannot use as it is", async () => {
    await store.auth.createUser({ name: "root", role: "admin", passwordHash: null }, ctx);
    const r = await resolveSsoUser(
      store.auth,
      id("s-evil"),
      { preferred_username: "ROOT", groups: ["admins"] },
      policy,
      ctx,
    );
    assert.deepEqual(r, {
      ok: false,
      reason: "user_name_taken",
      userName: "root",
      detail: "a user named root exists and is not linked to it",
    });
    assert.equal((await store.auth.getUser("root"))?.oidc, null);
    for (const claims of [
      { preferred_username: "Ann Smith", groups: ["staff"] },
      { sub: "x", groups: ["staff"] },
    ]) {
      const bad = await resolveSsoUser(store.auth, id("s-odd"), claims, policy, ctx);
      assert.equal(bad.ok ? "signed in" : bad.reason, "user_name_unusable");
    }
  });

  void it("refuses a sign-in whose claims would demote the last enabled admin", async () => {
    const boss = await resolveSsoUser(
      store.auth,
      id("s-boss"),
      { preferred_username: "boss", groups: ["admins"] },
      policy,
      ctx,
    );
    assert.equal(boss.ok && boss.user.role, "admin");
    await store.auth.updateUser("root", { disabled: true }, ctx);
    const demoted = await resolveSsoUser(store.auth, id("s-boss"), { groups: ["staff"] }, policy, ctx);
    assert.equal(demoted.ok ? "signed in" : demoted.reason, "last_admin");
    assert.equal((await store.auth.getUser("boss"))?.role, "admin");
  });
});
