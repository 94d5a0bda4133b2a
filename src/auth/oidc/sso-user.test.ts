/**
 * @module auth/oidc/sso-user.test
 * Which local user a verified identity becomes, on a real (SQLite) store: created at first sign-in with its mapped
 * role, found again by (issuer, subject) whatever its name claim says later, its role following the claims, and
 * refused when disabled, unmapped, unknown with provisioning off, unnamed, clashing with a local name, or when the
 * claims would demote the last admin. An invited user (no password, no identity) is linked by name at its first
 * sign-in, provisioning on or off, and only once.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { hashPassword } from "../password.js";
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
    const passwordHash = await hashPassword("root-pw", { ln: 4, r: 8, p: 1 });
    await store.auth.createUser({ name: "root", role: "admin", passwordHash }, ctx);
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

  void describe("invited users", () => {
    const off = { ...policy, autoProvision: false };
    let invites: Store;
    before(async () => {
      invites = await openStore("sqlite::memory:");
      const hash = await hashPassword("pw", { ln: 4, r: 8, p: 1 });
      await invites.auth.createUser({ name: "root", role: "admin", passwordHash: hash }, ctx);
      await invites.auth.createUser({ name: "pat", role: "viewer", passwordHash: hash }, ctx);
      for (const name of ["ivy", "dora", "nora"]) {
        await invites.auth.createUser({ name, role: "viewer", passwordHash: null }, ctx);
      }
      await invites.auth.updateUser("dora", { disabled: true }, ctx);
    });
    after(() => invites.close());

    void it("links the identity of that name with provisioning off, its role from the claims, audited", async () => {
      const r = await resolveSsoUser(
        invites.auth,
        id("s-ivy"),
        { preferred_username: "Ivy", groups: ["ops"] },
        off,
        ctx,
      );
      assert.deepEqual(r, {
        ok: true,
        user: { name: "ivy", role: "operator" },
        created: false,
        linked: true,
        previousRole: "viewer",
      });
      const ivy = await invites.auth.getUser("ivy");
      assert.deepEqual([ivy?.oidc, ivy?.role, ivy?.passwordHash], [id("s-ivy"), "operator", null]);
      assert.deepEqual(
        (await invites.auth.listAudit()).slice(0, 2).map((e) => [e.action, e.target, e.details]),
        [
          ["user.update", "ivy", { role: "operator", previousRole: "viewer" }],
          ["user.link-sso", "ivy", { issuer: ISSUER, subject: "s-ivy" }],
        ],
      );
      // Found by identity from now on, whatever its name claim says.
      const again = await resolveSsoUser(invites.auth, id("s-ivy"), { groups: ["ops"] }, off, ctx);
      assert.deepEqual(again, { ok: true, user: { name: "ivy", role: "operator" }, created: false });
    });

    void it("links only once: another identity of the same name is refused", async () => {
      const r = await resolveSsoUser(
        invites.auth,
        id("s-ivy-2"),
        { preferred_username: "ivy", groups: ["admins"] },
        policy,
        ctx,
      );
      assert.deepEqual(r, {
        ok: false,
        reason: "user_name_taken",
        userName: "ivy",
        detail: "a user named ivy exists and is not linked to it",
      });
      assert.deepEqual((await invites.auth.getUser("ivy"))?.oidc, id("s-ivy"));
    });

    void it("never links a password user by name, provisioning on or off", async () => {
      for (const p of [policy, off]) {
        const r = await resolveSsoUser(
          invites.auth,
          id("s-pat"),
          { preferred_username: "pat", groups: ["staff"] },
          p,
          ctx,
        );
        assert.equal(r.ok ? "signed in" : `${r.reason} ${r.userName}`, "user_name_taken pat");
      }
      assert.equal((await invites.auth.getUser("pat"))?.oidc, null);
    });

    void it("refuses a disabled invited user, and an unmapped identity, linking nothing", async () => {
      const dora = await resolveSsoUser(
        invites.auth,
        id("s-dora"),
        { preferred_username: "dora", groups: ["staff"] },
        off,
        ctx,
      );
      assert.equal(dora.ok ? "signed in" : `${dora.reason} ${dora.userName}`, "disabled dora");
      const nora = await resolveSsoUser(
        invites.auth,
        id("s-nora"),
        { preferred_username: "nora", groups: ["nobody"] },
        off,
        ctx,
      );
      assert.equal(nora.ok ? "signed in" : nora.reason, "no_role");
      for (const n of ["dora", "nora"]) assert.equal((await invites.auth.getUser(n))?.oidc, null);
      assert.equal(await invites.auth.getUserByOidc(id("s-dora")), undefined);
    });

    void it("of two sign-ins racing for one invitation, one is linked and the other refused", async () => {
      const claims = { preferred_username: "nora", groups: ["staff"] };
      const [a, b] = await Promise.all([
        resolveSsoUser(invites.auth, id("s-nora-1"), claims, off, ctx),
        resolveSsoUser(invites.auth, id("s-nora-2"), claims, off, ctx),
      ]);
      assert.deepEqual([a.ok, b.ok].sort(), [false, true]);
      const loser = a.ok ? b : a;
      assert.equal(loser.ok ? "signed in" : loser.reason, "user_name_taken");
      const winner = a.ok ? "s-nora-1" : "s-nora-2";
      assert.deepEqual((await invites.auth.getUser("nora"))?.oidc, id(winner));
    });
  });
});
