/**
 * @module test/e2e/api-oidc.test
 * Single sign-on end to end over HTTP: a real OpenID provider (oidc-provider, HTTPS under a CA made here, reached
 * through `auth.oidc.caFile`) and certwatch's HTTP app configured from YAML (`createHttpApp`, as the daemon serves
 * it), a browser stand-in with one cookie jar per browser following the whole redirect dance. Signed in users get
 * the same session as a password login, with the role their groups map to; a crossed or stale answer, an unmapped,
 * disabled or name-clashing identity and a cancelled sign-in are refused and audited; the address throttle is the
 * password login's; the client secret never reaches an answer or the log.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { hashPassword } from "../../src/auth/password.js";
import { parseConfig } from "../../src/config/load.js";
import { CertwatchError } from "../../src/errors.js";
import { jsonLog } from "../../src/daemon/json-log.js";
import { createHttpApp } from "../../src/server/app.js";
import { listen, type RunningHttpServer } from "../../src/server/listen.js";
import type { Store } from "../../src/store/store.js";
import { TEST_PASSWORD_PARAMS } from "../helpers/api-server.js";
import type { TestAccount, TestOidcProvider } from "../helpers/oidc-provider.js";
import { startOidcWorld, type OidcWorld } from "./oidc-app-kit.js";
import { SsoBrowser, type Answer } from "./sso-browser.js";

const CLIENT_SECRET = "oidc-client-SECRET-7f3a9c1e5b";
const API = "/api/v1";

interface AuditItem {
  action: string;
  target: string | null;
  actor: string | null;
  actorKind: string;
  details: Record<string, unknown>;
}

void describe("single sign-on over OpenID Connect", () => {
  const accounts = new Map<string, TestAccount>([
    ["alice", { sub: "sub-alice", preferred_username: "Alice", groups: ["cw-admins", "staff"] }],
    ["bob", { sub: "sub-bob", preferred_username: "bob", groups: ["staff"] }],
    ["carol", { sub: "sub-carol", preferred_username: "carol", groups: ["contractors"] }],
    ["dave", { sub: "sub-dave", email: "dave@contoso.com", email_verified: true, groups: ["staff"] }],
    ["eve", { sub: "sub-eve", email: "dave@contoso.com", email_verified: false, groups: ["staff"] }],
    ["erin", { sub: "sub-erin", preferred_username: "erin", groups: ["staff"] }],
    ["mallory", { sub: "sub-mallory", preferred_username: "mallory", groups: ["staff"] }],
  ]);
  const answers: Answer[] = [];
  let world: OidcWorld;
  let logLines: string[];
  let store: Store;
  let idp: TestOidcProvider;
  let server: RunningHttpServer;
  let dir: string;
  let admin: SsoBrowser;

  /** A browser with one cookie jar, following the whole redirect dance; every answer it gets is scanned at the end. */
  const browser = (): SsoBrowser => new SsoBrowser(server.url, idp, answers);
  const audit = async (action: string): Promise<AuditItem[]> => {
    const a = await admin.get(`${API}/audit?action=${action}`);
    assert.equal(a.status, 200, a.text);
    return (a.json as { items: AuditItem[] }).items;
  };

  before(async () => {
    world = await startOidcWorld({
      name: "oidc",
      clientSecret: CLIENT_SECRET,
      accounts,
      scopes: "[openid, email, profile, groups]",
      roles: "{ cw-admins: admin, cw-ops: operator, staff: viewer }",
    });
    ({ store, dir, logLines } = world);
    ({ idp, server } = world.app);
  });

  after(async () => {
    try {
      // Runs last: every answer any browser got and every log line, for the client secret and for tokens.
      assert.ok(answers.length > 20, `${answers.length} answers scanned`);
      for (const a of answers) {
        const all = `${a.status} ${[...a.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}\n${a.text}`;
        assert.ok(!all.includes(CLIENT_SECRET), `an answer holds the client secret:\n${all}`);
        assert.ok(!/eyJ[A-Za-z0-9_-]{10,}\./.test(all), `an answer holds a JWT:\n${all}`);
      }
      assert.ok(logLines.some((l) => l.includes("single sign-on refused")));
      for (const line of logLines) {
        assert.ok(!line.includes(CLIENT_SECRET), `a log line holds the client secret: ${line}`);
        assert.ok(!/eyJ[A-Za-z0-9_-]{10,}\./.test(line), `a log line holds a JWT: ${line}`);
        assert.ok(!/[?&]code=/.test(line), `a log line holds an authorization code: ${line}`);
      }
    } finally {
      await world.close();
    }
  });

  void it("GET /session/methods offers the button; the login sets a sealed, Lax, 10-minute cookie and sends to the provider with PKCE", async () => {
    const b = browser();
    const methods = await b.get(`${API}/session/methods`);
    assert.equal(methods.status, 200);
    assert.deepEqual(methods.json, {
      password: true,
      oidc: { name: "Contoso SSO", loginUrl: `${server.url}${API}/session/oidc/login` },
    });
    const start = await b.get(`${API}/session/oidc/login`);
    assert.equal(start.status, 302);
    const to = new URL(start.headers.get("location") ?? "");
    assert.equal(to.origin, idp.issuer);
    assert.equal(to.searchParams.get("client_id"), "certwatch");
    assert.equal(to.searchParams.get("response_type"), "code");
    assert.equal(to.searchParams.get("redirect_uri"), `${server.url}${API}/session/oidc/callback`);
    assert.equal(to.searchParams.get("scope"), "openid email profile groups");
    assert.equal(to.searchParams.get("code_challenge_method"), "S256");
    assert.match(to.searchParams.get("code_challenge") ?? "", /^[A-Za-z0-9_-]{43}$/);
    assert.match(to.searchParams.get("state") ?? "", /^[A-Za-z0-9_-]{43}$/);
    assert.match(to.searchParams.get("nonce") ?? "", /^[A-Za-z0-9_-]{43}$/);
    assert.equal(start.headers.get("referrer-policy"), "no-referrer");
    const cookie = start.headers.getSetCookie();
    assert.equal(cookie.length, 1);
    assert.match(
      cookie[0] ?? "",
      /^cw_oidc=[A-Za-z0-9_-]{100,}; Path=\/; Max-Age=600; HttpOnly; SameSite=Lax$/,
    );
    // Sealed: neither the state nor the verifier can be read from it.
    assert.ok(!(cookie[0] ?? "").includes(to.searchParams.get("state") ?? "-"));
  });

  void it("a user in the admins group signs in: the same session and CSRF as a password login, audited as oidc", async () => {
    const b = browser();
    const landing = await b.signIn({ login: "alice" });
    assert.equal(landing, `${server.url}/`);
    assert.ok(!b.cookies.has("cw_oidc"), "the login cookie is single-use");
    const sessionCookie = b.setCookies.find((c) => c.startsWith("cw_session="));
    assert.match(sessionCookie ?? "", /; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/);

    const me = await b.get(`${API}/session`);
    assert.equal(me.status, 200, me.text);
    const session = me.json as { user: unknown; via: string; csrfToken: string };
    assert.deepEqual(session.user, { name: "alice", role: "admin" });
    assert.equal(session.via, "session");
    assert.equal(session.csrfToken, b.csrf);

    // A change needs the CSRF header, as for any session.
    const token = await b.call("POST", `${API}/tokens`, { name: "from-sso" });
    assert.equal(token.status, 201, token.text);
    const csrf = b.csrf;
    b.csrf = undefined;
    const forged = await b.call("POST", `${API}/tokens`, { name: "forged" });
    assert.equal(forged.status, 403);
    b.csrf = csrf;
    admin = b;

    const users = await b.get(`${API}/users`);
    const alice = (users.json as { items: { name: string; createdAt: string }[] }).items.find(
      (u) => u.name === "alice",
    );
    assert.deepEqual(alice, {
      name: "alice",
      role: "admin",
      oidc: { issuer: idp.issuer, subject: "sub-alice" },
      hasPassword: false,
      ssoPending: false,
      createdAt: alice?.createdAt,
      disabled: false,
    });
    const logins = await audit("session.login");
    assert.deepEqual(
      logins.map((e) => [e.target, e.actor, e.actorKind, e.details]),
      [["alice", "alice", "user", { method: "oidc" }]],
    );
    const created = await audit("user.create");
    assert.deepEqual(created[0]?.details, { role: "admin", hasPassword: false, sso: true });
    assert.equal(created[0]?.actorKind, "system");
  });

  void it("the role follows the provider's groups at every sign-in", async () => {
    const first = browser();
    assert.equal(await first.signIn({ login: "bob" }), `${server.url}/`);
    assert.deepEqual(((await first.get(`${API}/session`)).json as { user: unknown }).user, {
      name: "bob",
      role: "viewer",
    });
    accounts.set("bob", { sub: "sub-bob", preferred_username: "bob", groups: ["staff", "cw-ops"] });
    const second = browser();
    await second.signIn({ login: "bob" });
    const me = (await second.get(`${API}/session`)).json as { user: unknown };
    assert.deepEqual(me.user, { name: "bob", role: "operator" });
    const updates = await audit("user.update");
    assert.equal(updates[0]?.target, "bob");
    assert.deepEqual(updates[0]?.details, { role: "operator", previousRole: "viewer" });
  });

  void it("an answer meant for another browser is refused (state), as is a missing or altered login cookie", async () => {
    const victim = browser();
    const start = await victim.get(`${API}/session/oidc/login`);
    assert.equal(start.status, 302);
    // The attacker signs in at the provider in their own browser, and makes the victim open the callback.
    const attacker = browser();
    const attackersCallback = await attacker.startAtProvider({ login: "mallory" });
    assert.equal(await victim.finish(attackersCallback), `${server.url}/?login_error=state_mismatch`);
    assert.ok(!victim.cookies.has("cw_session"));
    assert.ok(!victim.cookies.has("cw_oidc"), "the login cookie is cleared on failure too");

    // Without the login cookie (another browser, or cleared): nothing to check the answer against.
    const stranger = browser();
    assert.equal(await stranger.finish(attackersCallback), `${server.url}/?login_error=login_expired`);

    // A login cookie not sealed by certwatch.
    const tamper = browser();
    const callback = await tamper.startAtProvider({ login: "mallory" });
    const sealed = tamper.cookies.get("cw_oidc") ?? "";
    tamper.cookies.set("cw_oidc", `${sealed.slice(0, -4)}AAAA`);
    assert.equal(await tamper.finish(callback), `${server.url}/?login_error=login_expired`);
    assert.ok(!tamper.cookies.has("cw_session"));

    const failed = await audit("session.login-failed");
    assert.deepEqual(
      failed.slice(0, 3).map((e) => e.details),
      [
        { method: "oidc", reason: "login_expired" },
        { method: "oidc", reason: "login_expired" },
        { method: "oidc", reason: "state_mismatch" },
      ],
    );
    // The attacker's code was never redeemed by the victim's browser: mallory has no account.
    assert.equal(await store.auth.getUser("mallory"), undefined);
  });

  void it("a replayed answer or a forged code, with the right state, does not redeem at the provider", async () => {
    const b = browser();
    const callback = await b.startAtProvider({ login: "bob" });
    const sealed = b.cookies.get("cw_oidc") ?? "";
    assert.equal(await b.finish(callback), `${server.url}/`);
    // The same login cookie and answer again (copied from the first browser): the code is spent.
    const replay = browser();
    replay.cookies.set("cw_oidc", sealed);
    assert.equal(await replay.finish(callback), `${server.url}/?login_error=provider_error`);
    assert.ok(!replay.cookies.has("cw_session"));
    // A code the provider never issued, with this browser's own state.
    const forged = browser();
    const real = new URL(await forged.startAtProvider({ login: "bob" }));
    real.searchParams.set("code", "forged-code-value");
    assert.equal(await forged.finish(real.href), `${server.url}/?login_error=provider_error`);
    assert.ok(logLines.some((l) => l.includes("provider_error") && l.includes("invalid_grant")));
  });

  void it("an identity whose groups map to no role is refused, and so is a cancelled sign-in", async () => {
    const b = browser();
    assert.equal(await b.signIn({ login: "carol" }), `${server.url}/?login_error=no_role`);
    assert.ok(!b.cookies.has("cw_session"));
    assert.equal(await store.auth.getUser("carol"), undefined);
    const cancelled = browser();
    assert.equal(await cancelled.signIn({ cancel: true }), `${server.url}/?login_error=access_denied`);
    const failed = await audit("session.login-failed");
    assert.deepEqual(
      failed.slice(0, 2).map((e) => [e.target, e.details]),
      [
        [null, { method: "oidc", reason: "access_denied" }],
        [null, { method: "oidc", reason: "no_role", subject: "sub-carol" }],
      ],
    );
  });

  void it("a disabled user cannot sign in by SSO; a local user's name is never taken over", async () => {
    // An e-mail address the provider does not say is verified names nobody (anyone may type one at some providers).
    const eve = browser();
    assert.equal(await eve.signIn({ login: "eve" }), `${server.url}/?login_error=user_name_unusable`);
    const dave = browser();
    assert.equal(await dave.signIn({ login: "dave" }), `${server.url}/`);
    // No preferred_username: the name is the e-mail address.
    assert.deepEqual(((await dave.get(`${API}/session`)).json as { user: unknown }).user, {
      name: "dave@contoso.com",
      role: "viewer",
    });
    const disable = await admin.call("PATCH", `${API}/users/dave@contoso.com`, { disabled: true });
    assert.equal(disable.status, 200, disable.text);
    assert.equal((await dave.get(`${API}/session`)).status, 401, "disabling ended the session");
    const again = browser();
    assert.equal(await again.signIn({ login: "dave" }), `${server.url}/?login_error=disabled`);
    assert.ok(!again.cookies.has("cw_session"));

    await store.auth.createUser(
      {
        name: "erin",
        role: "viewer",
        passwordHash: await hashPassword("erin-local-pw", TEST_PASSWORD_PARAMS),
      },
      { actor: { kind: "system" }, at: new Date(), ip: null },
    );
    const erin = browser();
    assert.equal(await erin.signIn({ login: "erin" }), `${server.url}/?login_error=user_name_taken`);
    assert.equal((await store.auth.getUser("erin"))?.oidc, null);
    const failed = await audit("session.login-failed");
    assert.deepEqual(
      failed.slice(0, 2).map((e) => [e.target, e.details.reason]),
      [
        ["erin", "user_name_taken"],
        ["dave@contoso.com", "disabled"],
      ],
    );
  });

  void it("a server without auth.oidc says so; an unreachable provider sends back with provider_unavailable", async () => {
    const plain = createHttpApp({
      store,
      config: () => parseConfig("{}\n", join(dir, "plain.yaml")),
      now: () => new Date(),
      log: jsonLog((line) => logLines.push(line)),
      readiness: () => Promise.resolve([]),
    });
    const methods = await plain.request(`${API}/session/methods`);
    assert.deepEqual(await methods.json(), { password: true, oidc: null });
    const login = await plain.request(`${API}/session/oidc/login`);
    assert.equal(login.status, 501);
    assert.equal(((await login.json()) as { error: { code: string } }).error.code, "NOT_IMPLEMENTED");

    const closed = await listen(
      { fetch: () => new Response(null) },
      { host: "127.0.0.1", port: 0, headersTimeoutMs: 1000, requestTimeoutMs: 1000 },
    );
    const deadIssuer = `https://127.0.0.1:${closed.port}`;
    await closed.close(0);
    const dead = createHttpApp({
      store,
      config: () =>
        parseConfig(
          [
            "publicUrl: https://certwatch.contoso.com/",
            "auth:",
            "  oidc:",
            `    issuer: ${deadIssuer}`,
            "    clientId: certwatch",
            "    clientSecret: { file: ./oidc-client-secret }",
            "",
          ].join("\n"),
          join(dir, "dead.yaml"),
        ),
      now: () => new Date(),
      log: jsonLog((line) => logLines.push(line)),
      readiness: () => Promise.resolve([]),
    });
    const refused = await dead.request(`${API}/session/oidc/login`);
    assert.equal(refused.status, 302);
    assert.equal(
      refused.headers.get("location"),
      "https://certwatch.contoso.com/?login_error=provider_unavailable",
    );
    assert.deepEqual(refused.headers.getSetCookie(), []);
    assert.ok(logLines.some((l) => l.includes("provider_unavailable") && l.includes(deadIssuer)));
  });

  void it("an unset client secret or an unusable CA file stops the start, naming the field, never the value", () => {
    const app = (lines: readonly string[]) => () =>
      createHttpApp({
        store,
        config: () =>
          parseConfig(
            [
              "publicUrl: https://certwatch.contoso.com/",
              "auth:",
              "  oidc:",
              ...lines.map((l) => `    ${l}`),
              "",
            ].join("\n"),
            join(dir, "start.yaml"),
          ),
        now: () => new Date(),
        log: jsonLog((line) => logLines.push(line)),
        readiness: () => Promise.resolve([]),
      });
    const base = [`issuer: ${idp.issuer}`, "clientId: certwatch"];
    assert.throws(
      app([...base, "clientSecret: { env: CW_TEST_OIDC_SECRET_NOT_SET }"]),
      (e: unknown) =>
        e instanceof CertwatchError &&
        e.code === "SECRET_INVALID" &&
        e.message === "auth.oidc.clientSecret: environment variable CW_TEST_OIDC_SECRET_NOT_SET is not set",
    );
    writeFileSync(join(dir, "not-a-ca.pem"), CLIENT_SECRET);
    assert.throws(
      app([...base, "clientSecret: { file: ./oidc-client-secret }", "caFile: ./not-a-ca.pem"]),
      (e: unknown) =>
        e instanceof CertwatchError &&
        e.code === "CONFIG_FILE_UNUSABLE" &&
        /^auth\.oidc\.caFile: .*not-a-ca\.pem: holds no PEM certificate$/.test(e.message) &&
        !e.message.includes(CLIENT_SECRET),
    );
  });

  void it("failed sign-ins spend the address's budget, which password logins share", async () => {
    const b = browser();
    let rateLimited = false;
    for (let i = 0; i < 25 && !rateLimited; i++) {
      const a = await b.get(`${API}/session/oidc/callback?code=x&state=y`);
      rateLimited = a.headers.get("location") === `${server.url}/?login_error=rate_limited`;
    }
    assert.ok(rateLimited, "the callback is throttled");
    const start = await b.get(`${API}/session/oidc/login`);
    assert.equal(start.headers.get("location"), `${server.url}/?login_error=rate_limited`);
    const password = await b.call("POST", `${API}/session`, { name: "erin", password: "erin-local-pw" });
    assert.equal(password.status, 429);
    assert.equal((password.json as { error: { code: string } }).error.code, "RATE_LIMITED");
  });
});
