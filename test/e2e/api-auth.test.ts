/**
 * @module test/e2e/api-auth.test
 * Authentication and authorization of the REST API over real HTTP: login, cookies, CSRF, roles (401 vs 403),
 * session expiry on an injected clock, API tokens (shown once, revoked, expired), user management, login
 * throttling, the audit trail, uniform errors — and no secret in any answer.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseApiToken } from "../../src/auth/tokens.js";
import { sessionPolicyOf } from "../../src/config/auth-schema.js";
import { ApiServer, codeOf, type ApiAnswer, type ApiClient } from "../helpers/api-server.js";

const MIN = 60_000;
const PASSWORDS = {
  root: "root-Pa55word-correct horse",
  olive: "olive-operator-Secret!9",
  vic: "vic-viewer-passphrase-42",
};

async function signedIn(server: ApiServer, name: keyof typeof PASSWORDS): Promise<ApiClient> {
  const client = server.client();
  const a = await client.login(name, PASSWORDS[name]);
  assert.equal(a.status, 200, a.text);
  return client;
}

interface Created {
  token: string;
  id: string;
}

async function createToken(client: ApiClient, body: Record<string, unknown>): Promise<Created> {
  const a = await client.post("/tokens", body);
  assert.equal(a.status, 201, a.text);
  return a.json as Created;
}

void describe("REST API authentication over HTTP", () => {
  let server: ApiServer;
  const tokensSeen: string[] = [];

  before(async () => {
    server = await ApiServer.start({ start: new Date("2026-11-25T10:00:00Z") });
    await server.addUser("root", "admin", PASSWORDS.root);
    await server.addUser("olive", "operator", PASSWORDS.olive);
    await server.addUser("vic", "viewer", PASSWORDS.vic);
  });
  after(async () => {
    // The secrets scan runs over every answer every test got (so it runs last, here).
    try {
      const passwords = [...Object.values(PASSWORDS), "brand-new-password-1", "changed-password-2"];
      for (const { method, path, answer } of server.answers) {
        const where = `${method} ${path} (${answer.status})`;
        for (const p of passwords) assert.ok(!answer.text.includes(p), `${where} holds a password`);
        assert.ok(!answer.text.includes("$scrypt$"), `${where} holds a password hash`);
        for (const t of tokensSeen) {
          const creation = method === "POST" && path === "/tokens" && answer.status === 201;
          // The secret is base64url, which may hold "_" itself: take it as the token parser reads it.
          const secret = parseApiToken(t)?.secret.toString("base64url") ?? t;
          if (!(creation && (answer.json as Created).token === t)) {
            assert.ok(!answer.text.includes(secret), `${where} holds the secret of ${t.slice(0, 13)}`);
          }
        }
      }
      assert.ok(server.answers.length > 50, `${server.answers.length} answers scanned`);
    } finally {
      await server.close();
    }
  });

  void it("login sets an HttpOnly SameSite=Strict session cookie and a CSRF cookie; GET /session says who", async () => {
    const client = server.client();
    const a = await client.login("Root", PASSWORDS.root); // names are case-insensitive
    assert.equal(a.status, 200, a.text);
    const body = a.json as { user: { name: string; role: string }; csrfToken: string; expiresAt: string };
    assert.deepEqual(body.user, { name: "root", role: "admin" });
    assert.match(body.csrfToken, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(body.expiresAt, "2026-11-25T22:00:00Z");
    const cookies = a.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith("cw_session="));
    const csrf = cookies.find((c) => c.startsWith("cw_csrf="));
    assert.ok(session !== undefined && csrf !== undefined, cookies.join(" | "));
    assert.match(session, /; HttpOnly; SameSite=Strict$/);
    assert.match(session, /Path=\/; Max-Age=43200/);
    assert.doesNotMatch(session, /Secure/);
    assert.doesNotMatch(csrf, /HttpOnly/);
    assert.equal(csrf, `cw_csrf=${body.csrfToken}; Path=/; Max-Age=43200; SameSite=Strict`);
    assert.equal(a.headers.get("cache-control"), "no-store");

    const me = await client.get("/session");
    assert.equal(me.status, 200);
    assert.deepEqual(me.json, {
      user: { name: "root", role: "admin" },
      via: "session",
      csrfToken: body.csrfToken,
      expiresAt: "2026-11-25T22:00:00Z",
      idleTimeoutSeconds: 1800,
    });
  });

  void it("a wrong password, an unknown user and a disabled user get the same 401", async () => {
    await server.addUser("dora", "viewer", "dora-password-1");
    const admin = await signedIn(server, "root");
    assert.equal((await admin.patch("/users/dora", { disabled: true })).status, 200);
    const answers: ApiAnswer[] = [];
    for (const [name, password] of [
      ["vic", "not-vics-password"],
      ["nobody-here", "whatever-password"],
      ["dora", "dora-password-1"],
      ["bad name!", "whatever"],
    ] as const) {
      answers.push(await server.client().login(name, password));
    }
    for (const a of answers) {
      assert.equal(a.status, 401);
      assert.deepEqual(a.json, {
        error: { code: "INVALID_CREDENTIALS", message: "wrong user name or password" },
      });
      assert.deepEqual(a.headers.getSetCookie(), []);
    }
    const audit = await admin.get("/audit?action=session.login-failed");
    const items = (audit.json as { items: { target: string | null; details: Record<string, unknown> }[] })
      .items;
    assert.deepEqual(
      items.map((i) => [i.target, i.details.reason]),
      [
        [null, "unknown-user"],
        ["dora", "disabled"],
        [null, "unknown-user"],
        ["vic", "wrong-password"],
      ],
    );
  });

  void it("no credentials is 401, a role too low is 403, and the right role passes", async () => {
    const anonymous = server.client();
    const none = await anonymous.get("/users");
    assert.equal(none.status, 401);
    assert.equal(codeOf(none), "UNAUTHENTICATED");

    const viewer = await signedIn(server, "vic");
    const forbidden = await viewer.get("/users");
    assert.equal(forbidden.status, 403);
    assert.deepEqual(forbidden.json, {
      error: { code: "FORBIDDEN", message: "this needs the admin role (you are a viewer)" },
    });
    assert.equal((await viewer.get("/audit")).status, 403);
    const operator = await signedIn(server, "olive");
    assert.equal((await operator.get("/users")).status, 403);
    assert.equal((await (await signedIn(server, "root")).get("/users")).status, 200);

    const garbage = server.client();
    garbage.cookies.set("cw_session", "not-a-session");
    assert.equal(codeOf(await garbage.get("/session")), "UNAUTHENTICATED");
    const bearerJunk = server.client();
    bearerJunk.bearer = "cw_aaaaaaaaaa_notarealsecret";
    const junk = await bearerJunk.get("/session");
    assert.equal(junk.status, 401);
    assert.equal(codeOf(junk), "UNAUTHENTICATED");
  });

  void it("a state-changing request with the session cookie needs the session's CSRF token", async () => {
    const admin = await signedIn(server, "root");
    const body = { name: "csrf-victim", role: "viewer", password: "brand-new-password-1" };
    const missing = await admin.post("/users", body, { csrf: false });
    assert.equal(missing.status, 403);
    assert.equal(codeOf(missing), "CSRF_FAILED");
    const other = await signedIn(server, "olive");
    const wrong = await admin.post("/users", body, {
      csrf: false,
      headers: { "x-csrf-token": other.csrfToken ?? "" },
    });
    assert.equal(codeOf(wrong), "CSRF_FAILED");
    // CSRF is checked before the role: a forged request does not learn what the role allows.
    assert.equal(codeOf(await other.post("/users", body, { csrf: false })), "CSRF_FAILED");
    const before = (await admin.get("/users")).json as { items: { name: string }[] };
    assert.ok(!before.items.some((u) => u.name === "csrf-victim"), "nothing was created");
    const ok = await admin.post("/users", body);
    assert.equal(ok.status, 201, ok.text);
    // Reads need no CSRF token.
    assert.equal((await admin.get("/users", { csrf: false })).status, 200);
  });

  void it("a session ends after 30 idle minutes and after 12 hours however active", async () => {
    const idle = await signedIn(server, "vic");
    server.advance(29 * MIN);
    assert.equal((await idle.get("/session")).status, 200);
    server.advance(29 * MIN); // active 29 minutes ago: still in
    assert.equal((await idle.get("/session")).status, 200);
    server.advance(30 * MIN);
    const expired = await idle.get("/session");
    assert.equal(expired.status, 401);
    assert.equal(codeOf(expired), "SESSION_EXPIRED");
    assert.ok(expired.headers.getSetCookie().some((c) => /^cw_session=; Path=\/; Max-Age=0/.test(c)));
    assert.equal(idle.cookies.size, 0, "the cookies were deleted");

    const busy = await signedIn(server, "vic");
    for (let t = 0; t < 12 * 60; t += 20) {
      assert.equal((await busy.get("/session")).status, 200, `after ${t} minutes`);
      server.advance(20 * MIN);
    }
    assert.equal(codeOf(await busy.get("/session")), "SESSION_EXPIRED");
  });

  void it("logout ends the session: its cookie no longer works", async () => {
    const client = await signedIn(server, "olive");
    const saved = new Map(client.cookies);
    assert.equal(codeOf(await client.delete("/session", { csrf: false })), "CSRF_FAILED");
    const out = await client.delete("/session");
    assert.equal(out.status, 204);
    assert.equal(client.cookies.size, 0);
    for (const [k, v] of saved) client.cookies.set(k, v);
    assert.equal(codeOf(await client.get("/session")), "SESSION_EXPIRED");
  });

  void it("an API token is shown once, acts with its user's current role, and stops when revoked, expired or disabled", async () => {
    const olive = await signedIn(server, "olive");
    const created = await createToken(olive, { name: "ci" });
    tokensSeen.push(created.token);
    assert.match(created.token, /^cw_[a-z2-7]{10}_[A-Za-z0-9_-]{43}$/);
    assert.equal(created.token.slice(3, 13), created.id);

    const listed = await olive.get("/tokens");
    const items = (listed.json as { items: Record<string, unknown>[] }).items;
    assert.deepEqual(Object.keys(items[0] ?? {}).sort(), [
      "createdAt",
      "expiresAt",
      "id",
      "lastUsedAt",
      "name",
      "revokedAt",
      "userName",
    ]);

    const bot = server.client();
    bot.bearer = created.token;
    const me = await bot.get("/session");
    assert.deepEqual((me.json as { user: unknown; via: string }).user, { name: "olive", role: "operator" });
    // No CSRF token with a bearer token; the role still applies.
    assert.equal((await bot.get("/users")).status, 403);
    // A token cannot mint tokens.
    const mint = await bot.post("/tokens", { name: "successor" });
    assert.equal(mint.status, 403);
    assert.equal(codeOf(mint), "SESSION_REQUIRED");

    const admin = await signedIn(server, "root");
    assert.equal((await admin.patch("/users/olive", { role: "admin" })).status, 200);
    assert.equal((await bot.get("/users")).status, 200, "the promotion applies at once");
    assert.equal((await admin.patch("/users/olive", { role: "operator" })).status, 200);
    assert.equal((await bot.get("/users")).status, 403, "and the demotion");

    // Someone else's token is not found (not "forbidden": ids do not leak whose they are); the owner revokes it.
    const vic = await signedIn(server, "vic");
    assert.equal((await vic.delete(`/tokens/${created.id}`)).status, 404);
    assert.equal((await olive.delete(`/tokens/${created.id}`)).status, 204);
    const revoked = await bot.get("/session");
    assert.equal(revoked.status, 401);
    assert.equal(codeOf(revoked), "UNAUTHENTICATED");

    const short = await createToken(olive, { name: "short", expiresInDays: 1 });
    tokensSeen.push(short.token);
    bot.bearer = short.token;
    assert.equal((await bot.get("/session")).status, 200);
    server.advance(24 * 60 * MIN);
    assert.equal((await bot.get("/session")).status, 401, "expired at the instant");

    const third = await createToken(await signedIn(server, "olive"), { name: "third" });
    tokensSeen.push(third.token);
    bot.bearer = third.token;
    assert.equal((await bot.get("/session")).status, 200);
    const admin2 = await signedIn(server, "root"); // the first admin session idled out meanwhile
    assert.equal((await admin2.patch("/users/olive", { disabled: true })).status, 200);
    assert.equal((await bot.get("/session")).status, 401, "a disabled user's token is refused");
    assert.equal((await admin2.patch("/users/olive", { disabled: false })).status, 200);
    assert.equal((await bot.get("/session")).status, 200);
  });

  void it("admins see and revoke anyone's tokens; others only their own", async () => {
    const vic = await signedIn(server, "vic");
    const mine = await createToken(vic, { name: "grafana" });
    tokensSeen.push(mine.token);
    assert.equal((await vic.get("/tokens?all=true")).status, 403);
    assert.equal((await vic.get("/tokens?user=olive")).status, 403);
    assert.equal((await vic.post("/tokens", { name: "for-olive", user: "olive" })).status, 403);
    const admin = await signedIn(server, "root");
    const all = (await admin.get("/tokens?all=true")).json as { items: { id: string; userName: string }[] };
    assert.ok(all.items.some((t) => t.id === mine.id && t.userName === "vic"));
    server.advance(1000); // a later createdAt: the list is newest first
    const forVic = await createToken(admin, { name: "made-by-admin", user: "VIC" });
    tokensSeen.push(forVic.token);
    assert.equal((await admin.delete(`/tokens/${mine.id}`)).status, 204);
    assert.equal((await admin.delete(`/tokens/${mine.id}`)).status, 404);
    const left = (await vic.get("/tokens")).json as { items: { id: string; revokedAt: string | null }[] };
    assert.deepEqual(
      left.items.map((t) => [t.id, t.revokedAt !== null]),
      [
        [forVic.id, false],
        [mine.id, true],
      ],
    );
  });

  void it("user management: create, change role and password, disable, delete; never the last admin", async () => {
    const admin = await signedIn(server, "root");
    const created = await admin.post("/users", {
      name: "Newbie",
      role: "viewer",
      password: "brand-new-password-1",
    });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(Object.keys(created.json as object).sort(), [
      "createdAt",
      "disabled",
      "hasPassword",
      "name",
      "oidc",
      "role",
      "ssoPending",
    ]);
    assert.equal((created.json as { name: string }).name, "newbie");
    assert.equal(
      codeOf(await admin.post("/users", { name: "newbie", role: "viewer", password: "x" })),
      "USER_EXISTS",
    );
    assert.equal(
      codeOf(await admin.post("/users", { name: "no spaces", role: "viewer", password: "x" })),
      "VALIDATION_FAILED",
    );
    assert.equal(
      codeOf(await admin.post("/users", { name: "x", role: "superuser", password: "x" })),
      "VALIDATION_FAILED",
    );
    const tooLong = await admin.post("/users", { name: "long", role: "viewer", password: "é".repeat(600) });
    assert.equal(codeOf(tooLong), "PASSWORD_POLICY");

    const newbie = server.client();
    assert.equal((await newbie.login("newbie", "brand-new-password-1")).status, 200);
    assert.equal((await admin.patch("/users/newbie", { password: "changed-password-2" })).status, 200);
    assert.equal(codeOf(await newbie.get("/session")), "SESSION_EXPIRED", "a new password ends the sessions");
    assert.equal((await server.client().login("newbie", "brand-new-password-1")).status, 401);
    assert.equal((await server.client().login("newbie", "changed-password-2")).status, 200);

    assert.equal(codeOf(await admin.patch("/users/newbie", {})), "VALIDATION_FAILED");
    assert.equal(codeOf(await admin.patch("/users/ghost", { role: "admin" })), "NO_SUCH_USER");
    assert.equal(codeOf(await admin.patch("/users/root", { role: "viewer" })), "LAST_ADMIN");
    assert.equal(codeOf(await admin.delete("/users/root")), "LAST_ADMIN");
    assert.equal((await admin.delete("/users/newbie")).status, 204);
    assert.equal(codeOf(await admin.delete("/users/newbie")), "NO_SUCH_USER");
    const users = (await admin.get("/users")).json as { items: { name: string }[] };
    assert.ok(!users.items.some((u) => u.name === "newbie"));
    assert.ok(!JSON.stringify(users).includes("passwordHash"));
  });

  void it("every change is in the audit log, with who, from where and what", async () => {
    const admin = await signedIn(server, "root");
    const audit = (await admin.get("/audit?limit=1000")).json as {
      items: { action: string; actor: string; actorKind: string; ip: string | null; target: string | null }[];
    };
    const actions = new Set(audit.items.map((i) => i.action));
    for (const a of [
      "session.login",
      "session.login-failed",
      "session.logout",
      "user.create",
      "user.update",
      "user.delete",
      "token.create",
      "token.revoke",
    ]) {
      assert.ok(actions.has(a), `${a} in ${[...actions].join(", ")}`);
    }
    const deletion = audit.items.find((i) => i.action === "user.delete");
    assert.deepEqual(
      { actor: deletion?.actor, kind: deletion?.actorKind, target: deletion?.target, ip: deletion?.ip },
      { actor: "root", kind: "user", target: "newbie", ip: "127.0.0.1" },
    );
    const page = (await admin.get("/audit?limit=2")).json as { items: { id: number }[]; nextCursor: number };
    assert.equal(page.items.length, 2);
    const next = (await admin.get(`/audit?limit=2&before=${page.nextCursor}`)).json as {
      items: { id: number }[];
    };
    assert.ok((next.items[0]?.id ?? 0) < (page.items[1]?.id ?? 0));
    const vics = (await admin.get("/audit?actor=vic&limit=1000")).json as { items: { actor: string }[] };
    assert.ok(
      vics.items.length > 0 && vics.items.every((i) => i.actor === "vic" || i.actor.startsWith("vic/")),
    );
  });

  void it("errors are JSON with a stable code: unknown path, bad JSON, another media type, a huge body", async () => {
    const admin = await signedIn(server, "root");
    const unknown = await admin.get("/no-such-thing");
    assert.equal(unknown.status, 404);
    assert.equal(codeOf(unknown), "NOT_FOUND");
    assert.equal(unknown.headers.get("cache-control"), "no-store", "error answers are not cached either");
    assert.equal(codeOf(await admin.call("PUT", "/session")), "NOT_FOUND");
    const bad = await admin.call("POST", "/users", {
      raw: { contentType: "application/json", data: "{nope" },
    });
    assert.equal(bad.status, 400);
    assert.equal(codeOf(bad), "MALFORMED_JSON");
    const form = await server.client().call("POST", "/session", {
      raw: { contentType: "application/x-www-form-urlencoded", data: "name=root&password=x" },
    });
    assert.equal(form.status, 415);
    assert.equal(codeOf(form), "UNSUPPORTED_MEDIA_TYPE");
    const huge = await server.client().login("root", "x".repeat(100_000));
    assert.equal(huge.status, 413);
    assert.equal(codeOf(huge), "PAYLOAD_TOO_LARGE");
    const invalid = await server.client().call("POST", "/session", { body: { name: "root", password: 42 } });
    assert.equal(invalid.status, 400);
    assert.equal(codeOf(invalid), "VALIDATION_FAILED");
    assert.match((invalid.json as { error: { message: string } }).error.message, /^password: /);
  });

  void it("failed logins are throttled per user name (429 with Retry-After), before any password check", async () => {
    await server.addUser("target", "viewer", "target-password-1");
    const attacker = server.client();
    for (let i = 0; i < 5; i++) assert.equal((await attacker.login("target", `guess-${i}`)).status, 401);
    const locked = await attacker.login("target", "target-password-1");
    assert.equal(locked.status, 429);
    assert.equal(codeOf(locked), "RATE_LIMITED");
    assert.equal(locked.headers.get("retry-after"), "60");
    server.advance(30_000);
    assert.equal(
      (await server.client().login("TARGET", "target-password-1")).headers.get("retry-after"),
      "30",
    );
    server.advance(30_000);
    assert.equal((await server.client().login("target", "target-password-1")).status, 200);
    const admin = await signedIn(server, "root");
    const failures = (await admin.get("/audit?action=session.login-failed&limit=5")).json as {
      items: { details: { locked: boolean } }[];
    };
    assert.equal(failures.items[0]?.details.locked, true, "the failure that locked the name says so");
  });

  void it("failed logins are throttled per address too (20 in 15 minutes, whatever the names)", async () => {
    server.advance(24 * 60 * MIN); // a fresh day: earlier failures from 127.0.0.1 are forgotten
    const client = server.client();
    let status = 0;
    let n = 0;
    while (n < 30) {
      status = (await client.login(`sprayed-${n}`, "Winter2026!")).status;
      if (status === 429) break;
      n++;
    }
    assert.equal(status, 429);
    assert.equal(n, 20, "locked after the 20th failure");
    const real = await server.client().login("vic", PASSWORDS.vic);
    assert.equal(real.status, 429, "the address is locked for every name");
    server.advance(MIN);
    assert.equal((await server.client().login("vic", PASSWORDS.vic)).status, 200);
  });
});

void describe("REST API sessions served over TLS, with the configured lifetimes", () => {
  void it("__Host- cookies with Secure, Max-Age from auth.sessionMaxHours, idle end from auth.sessionIdleMinutes", async () => {
    const server = await ApiServer.start({
      secure: true,
      session: sessionPolicyOf({ sessionIdleMinutes: 5, sessionMaxHours: 1 }),
    });
    try {
      await server.addUser("root", "admin", PASSWORDS.root);
      const client = server.client();
      const login = await client.login("root", PASSWORDS.root);
      assert.equal(login.status, 200, login.text);
      const cookies = login.headers.getSetCookie();
      assert.match(
        cookies[0] ?? "",
        /^__Host-cw_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=3600; HttpOnly; SameSite=Strict; Secure$/,
      );
      assert.match(
        cookies[1] ?? "",
        /^__Host-cw_csrf=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=3600; SameSite=Strict; Secure$/,
      );
      assert.equal((login.json as { idleTimeoutSeconds: number }).idleTimeoutSeconds, 300);
      assert.equal((await client.get("/session")).status, 200);

      // Over TLS only the __Host- cookie counts: one without the prefix could have been set by another host.
      const planted = server.client();
      planted.cookies.set("cw_session", client.cookies.get("__Host-cw_session") ?? "");
      assert.equal(codeOf(await planted.get("/session")), "UNAUTHENTICATED");

      server.advance(5 * MIN);
      assert.equal(codeOf(await client.get("/session")), "SESSION_EXPIRED");
      const logout = await server.client().call("DELETE", "/session");
      assert.equal(codeOf(logout), "UNAUTHENTICATED");
    } finally {
      await server.close();
    }
  });
});
