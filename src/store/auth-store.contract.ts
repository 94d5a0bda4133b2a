/**
 * @module store/auth-store.contract
 * The authentication part of the store contract: users (and the last admin), API tokens, sessions and the audit
 * log, which never holds a secret. Register with `authStoreContract(name, makeStore)`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hashPassword } from "../auth/password.js";
import { hashSessionId, newSession, SESSION_POLICY, sessionState } from "../auth/session.js";
import { generateApiToken, parseApiToken, tokenSecretMatches, tokenState } from "../auth/tokens.js";
import type { AuditActor, AuditContext, AuthStore, NewUser } from "./auth-records.js";
import { AuthStoreError, isInvited, MAX_ID_TOKEN_HINT } from "./auth-records.js";
import { at, T0 } from "./contract-fixtures.js";
import type { Store } from "./store.js";

const CHEAP = { ln: 4, r: 8, p: 1 };
const SYSTEM: AuditActor = { kind: "system" };
const ctx = (when: Date, actor: AuditActor = SYSTEM, ip: string | null = null): AuditContext => ({
  actor,
  at: when,
  ip,
});
const local = (name: string, role: NewUser["role"], passwordHash: string | null = null): NewUser => ({
  name,
  role,
  passwordHash,
});

function refusedWith(code: AuthStoreError["code"]) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof AuthStoreError, String(e));
    assert.equal(e.code, code);
    return true;
  };
}

export function authStoreContract(name: string, makeStore: () => Promise<Store>): void {
  async function withAuth(fn: (auth: AuthStore) => Promise<void>): Promise<void> {
    const store = await makeStore();
    try {
      await fn(store.auth);
    } finally {
      await store.close();
    }
  }

  void describe(`Auth store contract: ${name}`, () => {
    void it("creates users, finds them by name or OIDC identity, lists them without password hashes", () =>
      withAuth(async (auth) => {
        const hash = await hashPassword("correct horse", CHEAP);
        await auth.createUser(local("alice", "admin", hash), ctx(T0));
        const oidc = { issuer: "https://idp.contoso.test", subject: "248289761001" };
        await auth.createUser(
          { name: "bob@contoso.com", role: "viewer", passwordHash: null, oidc },
          ctx(at(1)),
        );

        const alice = await auth.getUser("alice");
        assert.deepEqual(alice, {
          name: "alice",
          role: "admin",
          oidc: null,
          hasPassword: true,
          passwordHash: hash,
          createdAt: "2026-11-25T10:00:00Z",
          disabled: false,
        });
        assert.equal((await auth.getUserByOidc(oidc))?.name, "bob@contoso.com");
        assert.equal(await auth.getUserByOidc({ ...oidc, subject: "other" }), undefined);
        assert.equal(await auth.getUser("carol"), undefined);

        const users = await auth.listUsers();
        assert.deepEqual(
          users.map((u) => [u.name, u.role, u.hasPassword, u.oidc?.subject ?? null]),
          [
            ["alice", "admin", true, null],
            ["bob@contoso.com", "viewer", false, "248289761001"],
          ],
        );
        for (const u of users) assert.ok(!("passwordHash" in u), "listUsers carries no hash");
        assert.ok(!JSON.stringify(users).includes("$scrypt$"));
      }));

    void it("refuses a taken name or OIDC identity, and changes nothing then", () =>
      withAuth(async (auth) => {
        const oidc = { issuer: "https://idp.contoso.test", subject: "s1" };
        await auth.createUser({ ...local("alice", "admin"), oidc }, ctx(T0));
        await assert.rejects(
          auth.createUser(local("alice", "viewer"), ctx(at(1))),
          refusedWith("USER_EXISTS"),
        );
        await assert.rejects(
          auth.createUser({ ...local("alice2", "viewer"), oidc }, ctx(at(1))),
          refusedWith("USER_EXISTS"),
        );
        assert.equal((await auth.getUser("alice"))?.role, "admin");
        assert.equal(await auth.getUser("alice2"), undefined);
        assert.deepEqual(
          (await auth.listAudit()).map((e) => e.action),
          ["user.create"],
        );
      }));

    void it("updates role, password and disabled, auditing each; a new password or disabling ends sessions", () =>
      withAuth(async (auth) => {
        await auth.createUser(local("root", "admin"), ctx(T0));
        await auth.createUser(local("alice", "viewer", await hashPassword("old", CHEAP)), ctx(T0));
        const admin: AuditActor = { kind: "user", name: "root" };
        const login = async () => {
          const s = newSession(at(1));
          await auth.createSession({ ...s, userName: "alice", ip: null, userAgent: null });
          return s.idHash;
        };
        const [s1, s2] = [await login(), await login()];

        assert.equal(
          await auth.updateUser("alice", { role: "operator" }, ctx(at(2), admin, "192.0.2.1")),
          true,
        );
        assert.equal((await auth.getUser("alice"))?.role, "operator");
        assert.ok(
          (await auth.getSession(s1)) !== undefined,
          "a role change keeps sessions (roles are read per request)",
        );

        const newHash = await hashPassword("new", CHEAP);
        assert.equal(await auth.updateUser("alice", { passwordHash: newHash }, ctx(at(3), admin)), true);
        assert.equal((await auth.getUser("alice"))?.passwordHash, newHash);
        assert.equal(await auth.getSession(s1), undefined);
        assert.equal(await auth.getSession(s2), undefined);

        await login();
        assert.equal(await auth.updateUser("alice", { disabled: true }, ctx(at(4), admin)), true);
        assert.equal((await auth.getUser("alice"))?.disabled, true);
        assert.equal(await auth.deleteUserSessions("alice"), 0, "disabling ended the session");
        assert.equal(await auth.updateUser("nobody", { disabled: true }, ctx(at(5), admin)), false);

        const entries = await auth.listAudit({ action: "user.update" });
        assert.deepEqual(
          entries.map((e) => [e.at.toISOString(), e.actor, e.target, e.details, e.ip]),
          [
            ["2026-11-25T10:04:00.000Z", admin, "alice", { disabled: true, sessionsEnded: 1 }, null],
            ["2026-11-25T10:03:00.000Z", admin, "alice", { passwordChanged: true, sessionsEnded: 2 }, null],
            [
              "2026-11-25T10:02:00.000Z",
              admin,
              "alice",
              { role: "operator", previousRole: "viewer" },
              "192.0.2.1",
            ],
          ],
        );
      }));

    void it("keeps an enabled admin: the last one cannot be demoted, disabled or deleted", () =>
      withAuth(async (auth) => {
        await auth.createUser(local("root", "admin"), ctx(T0));
        await auth.createUser(local("spare", "admin"), ctx(T0));
        await auth.updateUser("spare", { disabled: true }, ctx(at(1)));
        const before = (await auth.listAudit()).length;
        for (const attempt of [
          () => auth.updateUser("root", { role: "operator" }, ctx(at(2))),
          () => auth.updateUser("root", { disabled: true }, ctx(at(2))),
          () => auth.deleteUser("root", ctx(at(2))),
        ]) {
          await assert.rejects(attempt(), refusedWith("LAST_ADMIN"));
        }
        assert.deepEqual(await auth.getUser("root").then((u) => [u?.role, u?.disabled]), ["admin", false]);
        assert.equal((await auth.listAudit()).length, before, "a refused change writes no audit entry");

        await auth.updateUser("spare", { disabled: false }, ctx(at(3)));
        assert.equal(await auth.updateUser("root", { role: "viewer" }, ctx(at(4))), true);
        await assert.rejects(auth.deleteUser("spare", ctx(at(5))), refusedWith("LAST_ADMIN"));
        assert.equal(
          await auth.updateUser("root", { disabled: true }, ctx(at(6))),
          true,
          "not an admin any more",
        );
      }));

    void it("links an invited user to an identity once, with the role of the claims; refuses anyone else", () =>
      withAuth(async (auth) => {
        const idp = "https://idp.contoso.test";
        await auth.createUser(local("root", "admin", await hashPassword("pw", CHEAP)), ctx(T0));
        await auth.createUser(local("ann", "viewer"), ctx(T0));
        await auth.createUser(local("pat", "viewer", await hashPassword("pw", CHEAP)), ctx(T0));
        await auth.createUser(local("dora", "viewer"), ctx(T0));
        await auth.updateUser("dora", { disabled: true }, ctx(T0));
        await auth.createUser(
          { ...local("sam", "viewer"), oidc: { issuer: idp, subject: "s-sam" } },
          ctx(T0),
        );
        assert.ok(isInvited((await auth.getUser("ann")) ?? { hasPassword: true, oidc: null }));
        const before = (await auth.listAudit()).length;

        const ann = { issuer: idp, subject: "s-ann" };
        assert.equal(await auth.linkOidc("ann", ann, ctx(at(1)), "operator"), "linked");
        const linked = await auth.getUser("ann");
        assert.deepEqual([linked?.oidc, linked?.role, linked?.passwordHash], [ann, "operator", null]);
        assert.equal((await auth.getUserByOidc(ann))?.name, "ann");
        assert.deepEqual(
          (await auth.listAudit()).slice(0, 2).map((e) => [e.action, e.target, e.details]),
          [
            ["user.update", "ann", { role: "operator", previousRole: "viewer" }],
            ["user.link-sso", "ann", { issuer: idp, subject: "s-ann" }],
          ],
        );
        const afterLink = (await auth.listAudit()).length;
        assert.equal(afterLink, before + 2);

        // Not invited any more, a password user, a disabled one, nobody, an identity that is someone else's.
        const other = { issuer: idp, subject: "s-other" };
        assert.equal(await auth.linkOidc("ann", other, ctx(at(2))), "not_invited");
        assert.equal(await auth.linkOidc("ann", ann, ctx(at(2))), "not_invited");
        assert.equal(await auth.linkOidc("pat", other, ctx(at(2))), "not_invited");
        assert.equal(await auth.linkOidc("dora", other, ctx(at(2))), "disabled");
        assert.equal(await auth.linkOidc("ghost", other, ctx(at(2))), "no_such_user");
        assert.equal(
          await auth.linkOidc("dora", { issuer: idp, subject: "s-sam" }, ctx(at(2))),
          "identity_taken",
        );
        assert.deepEqual(await auth.getUser("ann").then((u) => u?.oidc), ann);
        for (const n of ["pat", "dora"]) assert.equal((await auth.getUser(n))?.oidc, null);
        assert.equal((await auth.listAudit()).length, afterLink, "a refused link writes no audit entry");
      }));

    void it("links an invitation once when two sign-ins race for it", () =>
      withAuth(async (auth) => {
        await auth.createUser(local("ann", "viewer"), ctx(T0));
        const idp = "https://idp.contoso.test";
        const results = await Promise.all(
          ["s-1", "s-2", "s-3", "s-4"].map((subject) =>
            auth.linkOidc("ann", { issuer: idp, subject }, ctx(at(1)), "operator"),
          ),
        );
        assert.deepEqual([...results].sort(), ["linked", "not_invited", "not_invited", "not_invited"]);
        const winner = ["s-1", "s-2", "s-3", "s-4"][results.indexOf("linked")];
        assert.deepEqual((await auth.getUser("ann"))?.oidc, { issuer: idp, subject: winner });
        assert.equal((await auth.listAudit({ action: "user.link-sso" })).length, 1);
      }));

    void it("does not link an invited last admin whose claims would demote it", () =>
      withAuth(async (auth) => {
        await auth.createUser(local("boss", "admin"), ctx(T0));
        const id = { issuer: "https://idp.contoso.test", subject: "s-boss" };
        await assert.rejects(auth.linkOidc("boss", id, ctx(at(1)), "viewer"), refusedWith("LAST_ADMIN"));
        assert.equal((await auth.getUser("boss"))?.oidc, null, "still invited");
        assert.equal(await auth.linkOidc("boss", id, ctx(at(2)), "admin"), "linked");
        assert.deepEqual(
          (await auth.listAudit()).map((e) => e.action),
          ["user.link-sso", "user.create"],
          "the same role: no user.update",
        );
      }));

    void it("removes a password (ending sessions), but keeps an admin someone can sign in as", () =>
      withAuth(async (auth) => {
        const hash = await hashPassword("pw", CHEAP);
        await auth.createUser(local("root", "admin", hash), ctx(T0));
        await auth.createUser(local("invited", "admin"), ctx(T0));
        await auth.createUser(local("alice", "viewer", hash), ctx(T0));
        const s = newSession(T0);
        await auth.createSession({ ...s, userName: "alice", ip: null, userAgent: null });
        assert.equal(await auth.updateUser("alice", { passwordHash: null }, ctx(at(1))), true);
        const alice = await auth.getUser("alice");
        assert.ok(alice !== undefined && isInvited(alice) && !alice.disabled);
        assert.equal(await auth.getSession(s.idHash), undefined);
        const [entry] = await auth.listAudit({ action: "user.update" });
        assert.deepEqual(entry?.details, { passwordRemoved: true, sessionsEnded: 1 });

        // An invited admin does not count: nobody may be able to become it.
        await assert.rejects(
          auth.updateUser("root", { passwordHash: null }, ctx(at(2))),
          refusedWith("LAST_ADMIN"),
        );
        assert.equal((await auth.getUser("root"))?.passwordHash, hash);
        await auth.createUser(
          { ...local("sso-admin", "admin"), oidc: { issuer: "https://idp.contoso.test", subject: "s-a" } },
          ctx(at(3)),
        );
        assert.equal(await auth.updateUser("root", { passwordHash: null }, ctx(at(4))), true);
        // A linked admin still signs in by single sign-on without a password.
        assert.equal(await auth.updateUser("sso-admin", { passwordHash: null }, ctx(at(5))), true);
      }));

    void it("deletes a user with its tokens and sessions; the audit log keeps the history", () =>
      withAuth(async (auth) => {
        await auth.createUser(local("root", "admin"), ctx(T0));
        await auth.createUser(local("alice", "operator"), ctx(T0));
        const t = generateApiToken();
        await auth.createApiToken(
          {
            id: t.id,
            userName: "alice",
            name: "ci",
            secretHash: t.secretHash,
            createdAt: T0,
            expiresAt: null,
          },
          ctx(T0, { kind: "user", name: "alice" }),
        );
        const s = newSession(T0);
        await auth.createSession({ ...s, userName: "alice", ip: "192.0.2.1", userAgent: "test" });

        assert.equal(await auth.deleteUser("alice", ctx(at(1))), true);
        assert.equal(await auth.deleteUser("alice", ctx(at(1))), false);
        assert.equal(await auth.getUser("alice"), undefined);
        assert.equal(await auth.getApiToken(t.id), undefined);
        assert.equal(await auth.getSession(s.idHash), undefined);
        const [last] = await auth.listAudit({ limit: 1 });
        assert.equal(last?.action, "user.delete");
        assert.deepEqual(last?.details, { role: "operator", sessionsEnded: 1, tokensDeleted: 1 });
        assert.deepEqual(
          (await auth.listAudit({ actor: "alice" })).map((e) => e.action),
          ["token.create"],
        );
      }));

    void it("API tokens: stored as a hash, listed without it, used, expired at the instant, revoked once", () =>
      withAuth(async (auth) => {
        await auth.createUser(local("alice", "operator"), ctx(T0));
        const t = generateApiToken();
        const expires = at(60);
        await auth.createApiToken(
          {
            id: t.id,
            userName: "alice",
            name: "grafana",
            secretHash: t.secretHash,
            createdAt: T0,
            expiresAt: expires,
          },
          ctx(T0, { kind: "user", name: "alice" }, "192.0.2.9"),
        );
        const stored = await auth.getApiToken(t.id);
        assert.ok(stored !== undefined);
        assert.equal(stored.secretHash, t.secretHash);
        assert.equal(stored.expiresAt, "2026-11-25T11:00:00Z");
        const parsed = parseApiToken(t.token);
        assert.ok(parsed !== undefined && tokenSecretMatches(parsed, stored.secretHash));
        const forged = parseApiToken(generateApiToken().token);
        assert.ok(forged !== undefined && !tokenSecretMatches(forged, stored.secretHash));
        assert.equal(tokenState(stored, at(59)), "active");
        assert.equal(tokenState(stored, expires), "expired");

        await auth.touchApiToken(t.id, at(5));
        const [listed, ...rest] = await auth.listApiTokens("alice");
        assert.equal(rest.length, 0);
        assert.deepEqual(listed, {
          id: t.id,
          userName: "alice",
          name: "grafana",
          createdAt: "2026-11-25T10:00:00Z",
          lastUsedAt: "2026-11-25T10:05:00Z",
          expiresAt: "2026-11-25T11:00:00Z",
          revokedAt: null,
        });
        assert.deepEqual(await auth.listApiTokens("bob"), []);

        assert.equal(await auth.revokeApiToken(t.id, ctx(at(10), { kind: "user", name: "alice" })), true);
        assert.equal(await auth.revokeApiToken(t.id, ctx(at(11))), false);
        assert.equal(await auth.revokeApiToken("nosuchid00", ctx(at(11))), false);
        const revoked = await auth.getApiToken(t.id);
        assert.equal(revoked?.revokedAt, "2026-11-25T10:10:00Z");
        assert.ok(revoked !== undefined && tokenState(revoked, at(20)) === "revoked");
        assert.deepEqual(
          (await auth.listAudit()).map((e) => [e.action, e.target, e.details]),
          [
            ["token.revoke", t.id, { user: "alice", name: "grafana" }],
            ["token.create", t.id, { user: "alice", name: "grafana", expiresAt: "2026-11-25T11:00:00Z" }],
            ["user.create", "alice", { role: "operator", hasPassword: false, sso: false, invited: true }],
          ],
        );
      }));

    void it("refuses a token for an unknown user and a taken token id", () =>
      withAuth(async (auth) => {
        await auth.createUser(local("alice", "viewer"), ctx(T0));
        const t = generateApiToken();
        const row = {
          id: t.id,
          userName: "alice",
          name: "a",
          secretHash: t.secretHash,
          createdAt: T0,
          expiresAt: null,
        };
        await assert.rejects(
          auth.createApiToken({ ...row, userName: "ghost" }, ctx(T0)),
          refusedWith("NO_SUCH_USER"),
        );
        await auth.createApiToken(row, ctx(T0));
        await assert.rejects(
          auth.createApiToken({ ...row, name: "b" }, ctx(T0)),
          refusedWith("TOKEN_EXISTS"),
        );
        assert.equal((await auth.listApiTokens()).length, 1);
      }));

    void it("sessions: found by the hash of the cookie, touched forward only, expired and pruned at the exact boundaries", () =>
      withAuth(async (auth) => {
        await auth.createUser(local("alice", "viewer"), ctx(T0));
        const s = newSession(T0);
        await auth.createSession({ ...s, userName: "alice", ip: "2001:db8::7", userAgent: "x".repeat(1000) });
        const key = hashSessionId(s.id);
        assert.ok(key !== undefined);
        const stored = await auth.getSession(key);
        assert.ok(stored !== undefined);
        assert.equal(stored.userAgent?.length, 256);
        assert.equal(stored.csrfHash, s.csrfHash);
        assert.ok(!JSON.stringify(stored).includes(s.id) && !JSON.stringify(stored).includes(s.csrfToken));
        assert.equal(stored.expiresAt, "2026-11-25T22:00:00Z");
        assert.equal(await auth.getSession(hashSessionId(newSession(T0).id) ?? ""), undefined);

        await auth.touchSession(key, at(20));
        await auth.touchSession(key, at(10)); // a slower request finishing later
        const touched = await auth.getSession(key);
        assert.equal(touched?.lastSeenAt, "2026-11-25T10:20:00Z");
        const times = (r: typeof touched) => ({
          createdAt: new Date(r?.createdAt ?? ""),
          lastSeenAt: new Date(r?.lastSeenAt ?? ""),
          expiresAt: new Date(r?.expiresAt ?? ""),
        });
        assert.equal(sessionState(times(touched), new Date(at(50).getTime() - 1)), "active");
        assert.equal(sessionState(times(touched), at(50)), "idle-expired");

        const idle = (now: Date) => new Date(now.getTime() - SESSION_POLICY.idleMs);
        assert.equal(
          await auth.pruneSessions(
            new Date(at(50).getTime() - 1000),
            idle(new Date(at(50).getTime() - 1000)),
          ),
          0,
        );
        assert.equal(await auth.pruneSessions(at(50), idle(at(50))), 1);
        assert.equal(await auth.getSession(key), undefined);

        const late = newSession(T0);
        await auth.createSession({ ...late, userName: "alice", ip: null, userAgent: null });
        await auth.touchSession(late.idHash, at(12 * 60 - 1));
        assert.equal(await auth.pruneSessions(at(12 * 60 - 1), idle(at(12 * 60 - 1))), 0);
        assert.equal(
          await auth.pruneSessions(at(12 * 60), idle(at(12 * 60))),
          1,
          "the absolute end, however active",
        );

        const other = newSession(T0);
        await auth.createSession({ ...other, userName: "alice", ip: null, userAgent: null });
        assert.equal(await auth.deleteSession(other.idHash), true);
        assert.equal(await auth.deleteSession(other.idHash), false);
        await assert.rejects(
          auth.createSession({ ...newSession(T0), userName: "ghost", ip: null, userAgent: null }),
        );
      }));

    void it("sessions: how each was started, and a single sign-on's ID token kept only when it fits", () =>
      withAuth(async (auth) => {
        await auth.createUser(local("alice", "viewer"), ctx(T0));
        const base = { userName: "alice", ip: null, userAgent: null };
        const password = newSession(T0);
        await auth.createSession({ ...password, ...base });
        const sso = newSession(T0);
        await auth.createSession({ ...sso, ...base, method: "oidc", idTokenHint: "eyJh.eyJz.sig" });
        const huge = newSession(T0);
        const tooLong = "x".repeat(MAX_ID_TOKEN_HINT + 1);
        await auth.createSession({ ...huge, ...base, method: "oidc", idTokenHint: tooLong });
        const read = async (idHash: string) => {
          const r = await auth.getSession(idHash);
          return r === undefined ? undefined : { method: r.method, idTokenHint: r.idTokenHint };
        };
        assert.deepEqual(await read(password.idHash), { method: "password", idTokenHint: null });
        assert.deepEqual(await read(sso.idHash), { method: "oidc", idTokenHint: "eyJh.eyJz.sig" });
        assert.deepEqual(await read(huge.idHash), { method: "oidc", idTokenHint: null });
        assert.equal(await auth.deleteSession(sso.idHash), true);
        assert.equal(await auth.getSession(sso.idHash), undefined);
      }));

    void it("the audit log: newest first, paged by id, filtered by action and by actor (their tokens too)", () =>
      withAuth(async (auth) => {
        const alice: AuditActor = { kind: "user", name: "alice" };
        const aliceToken: AuditActor = { kind: "token", name: "alice", tokenId: "abcdefghij" };
        const alice2: AuditActor = { kind: "user", name: "alice2" };
        const ids: number[] = [];
        for (const [i, actor] of [alice, aliceToken, alice2, SYSTEM, alice].entries()) {
          ids.push(
            await auth.appendAudit(ctx(at(i), actor, "192.0.2.1"), {
              action: i % 2 === 0 ? "alert.acknowledge" : "login.success",
              target: `t${i}`,
              details: { note: `n${i}`, ids: ["a", "b"], count: i, flag: true, none: null },
            }),
          );
        }
        const all = await auth.listAudit();
        assert.deepEqual(
          all.map((e) => e.id),
          [...ids].reverse(),
        );
        assert.deepEqual(all[0]?.details, { note: "n4", ids: ["a", "b"], count: 4, flag: true, none: null });
        assert.deepEqual(all[3]?.actor, aliceToken);
        assert.deepEqual(all[1]?.actor, SYSTEM);
        const page = await auth.listAudit({ before: ids[3] ?? 0, limit: 2 });
        assert.deepEqual(
          page.map((e) => e.target),
          ["t2", "t1"],
        );
        assert.deepEqual(
          (await auth.listAudit({ actor: "alice" })).map((e) => e.target),
          ["t4", "t1", "t0"],
        );
        assert.deepEqual(
          (await auth.listAudit({ action: "login.success" })).map((e) => e.target),
          ["t3", "t1"],
        );
      }));

    void it("the audit log refuses secrets, by type and at run time, and stores nothing then", () =>
      withAuth(async (auth) => {
        const token = generateApiToken().token;
        const hash = await hashPassword("pw", CHEAP);
        const session = newSession(T0);
        const append = (details: Record<string, unknown>) =>
          auth.appendAudit(ctx(T0), { action: "user.update", target: "alice", details: details as never });
        for (const details of [
          { password: "hunter2" },
          { newPassword: "hunter2" },
          { apiKey: "k" },
          { sessionId: session.id },
          { csrfToken: session.csrfToken },
          { note: `here is my token ${token}` },
          { note: hash },
          { header: "Bearer abc.def" },
          { list: ["fine", token] },
          { nested: { password: "hunter2" } },
          { nested: { ok: 1 } },
          { n: Number.NaN },
        ]) {
          await assert.rejects(
            append(details),
            refusedWith("AUDIT_DETAILS_REFUSED"),
            JSON.stringify(details),
          );
        }
        assert.deepEqual(await auth.listAudit(), []);
        // Flags and counts under a secret's name are fine; long text is cut.
        await append({ passwordChanged: true, sessionsEnded: 3, note: "y".repeat(5000) });
        const [entry] = await auth.listAudit();
        assert.equal(entry?.details["passwordChanged"], true);
        assert.equal((entry?.details["note"] as string).length, 1001);

        // The types refuse the obvious keys before anything runs.
        const typed = () =>
          auth.appendAudit(ctx(T0), {
            action: "user.update",
            target: "alice",
            // @ts-expect-error a password is never an audit detail
            details: { password: "hunter2" },
          });
        await assert.rejects(typed(), refusedWith("AUDIT_DETAILS_REFUSED"));
        const nested = () =>
          auth.appendAudit(ctx(T0), {
            action: "user.update",
            target: "alice",
            // @ts-expect-error nothing nested
            details: { nested: { a: 1 } },
          });
        await assert.rejects(nested(), refusedWith("AUDIT_DETAILS_REFUSED"));
      }));

    void it("after a whole flow, no secret is anywhere in the audit log", () =>
      withAuth(async (auth) => {
        const hash = await hashPassword("correct horse", CHEAP);
        const t = generateApiToken();
        const s = newSession(T0);
        const alice: AuditActor = { kind: "user", name: "alice" };
        await auth.createUser(local("alice", "admin", hash), ctx(T0));
        await auth.createApiToken(
          {
            id: t.id,
            userName: "alice",
            name: "ci",
            secretHash: t.secretHash,
            createdAt: T0,
            expiresAt: null,
          },
          ctx(T0, alice),
        );
        await auth.createSession({ ...s, userName: "alice", ip: "192.0.2.1", userAgent: "test" });
        await auth.appendAudit(ctx(T0, alice, "192.0.2.1"), {
          action: "login.success",
          target: "alice",
          details: { method: "password" },
        });
        await auth.updateUser("alice", { passwordHash: await hashPassword("new", CHEAP) }, ctx(at(1), alice));
        await auth.revokeApiToken(t.id, ctx(at(2), alice));
        const log = JSON.stringify(await auth.listAudit());
        for (const secret of [
          hash,
          "$scrypt$",
          t.token,
          t.token.slice(14),
          t.secretHash,
          s.id,
          s.idHash,
          s.csrfToken,
          s.csrfHash,
        ]) {
          assert.ok(!log.includes(secret), `the audit log contains ${secret.slice(0, 12)}…`);
        }
        assert.equal((await auth.listAudit()).length, 5);
      }));
  });
}
