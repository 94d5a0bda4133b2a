/**
 * @module test/e2e/api-oidc-invite.test
 * Invited single sign-on users end to end over HTTP, with `autoProvision: false`: a real OpenID provider
 * (oidc-provider over HTTPS, trusted through `auth.oidc.caFile`) and certwatch's HTTP app configured from YAML. An
 * admin invites a user (POST /users without a password, or PATCH `password: null`); the provider account of that
 * name signs in, is linked, takes the role of its groups, and is audited; another account of the same name, a
 * password user's name and a disabled invitation are refused. Without single sign-on configured, a user without a
 * password cannot be made.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { hashPassword } from "../../src/auth/password.js";
import type { RunningHttpServer } from "../../src/server/listen.js";
import type { Store } from "../../src/store/store.js";
import { ApiServer, codeOf, TEST_PASSWORD_PARAMS } from "../helpers/api-server.js";
import type { TestAccount, TestOidcProvider } from "../helpers/oidc-provider.js";
import { startOidcWorld, type OidcWorld } from "./oidc-app-kit.js";
import { SsoBrowser } from "./sso-browser.js";

const CLIENT_SECRET = "oidc-invite-client-SECRET-51c2";
const API = "/api/v1";
const ROOT_PASSWORD = "root-local-password-1";

interface UserItem {
  name: string;
  role: string;
  hasPassword: boolean;
  oidc: { issuer: string; subject: string } | null;
  ssoPending: boolean;
  disabled: boolean;
}

interface AuditItem {
  action: string;
  target: string | null;
  actorKind: string;
  details: Record<string, unknown>;
}

void describe("single sign-on: invited users, autoProvision off", () => {
  const accounts = new Map<string, TestAccount>([
    ["ivy", { sub: "sub-ivy", preferred_username: "Ivy", groups: ["cw-ops"] }],
    ["ivy-twin", { sub: "sub-ivy-twin", preferred_username: "ivy", groups: ["cw-admins"] }],
    ["pat", { sub: "sub-pat", preferred_username: "pat", groups: ["staff"] }],
    ["dora", { sub: "sub-dora", preferred_username: "dora", groups: ["staff"] }],
    ["rex", { sub: "sub-rex", preferred_username: "rex", groups: ["cw-admins"] }],
    ["stranger", { sub: "sub-stranger", preferred_username: "stranger", groups: ["staff"] }],
  ]);
  let world: OidcWorld;
  let store: Store;
  let idp: TestOidcProvider;
  let server: RunningHttpServer;
  let admin: SsoBrowser;

  /** A browser: one cookie jar for certwatch, the CSRF token once signed in. */
  const browser = (): SsoBrowser => new SsoBrowser(server.url, idp);
  const users = async (): Promise<Map<string, UserItem>> => {
    const a = await admin.get(`${API}/users`);
    assert.equal(a.status, 200, a.text);
    return new Map((a.json as { items: UserItem[] }).items.map((u) => [u.name, u]));
  };
  const audit = async (action: string): Promise<AuditItem[]> => {
    const a = await admin.get(`${API}/audit?action=${action}`);
    assert.equal(a.status, 200, a.text);
    return (a.json as { items: AuditItem[] }).items;
  };
  const home = (error?: string): string =>
    `${server.url}/${error === undefined ? "" : `?login_error=${error}`}`;

  before(async () => {
    world = await startOidcWorld({
      name: "oidc-invite",
      clientSecret: CLIENT_SECRET,
      accounts,
      scopes: "[openid, email, profile, groups]",
      roles: "{ cw-admins: admin, cw-ops: operator, staff: viewer }",
      oidc: ["autoProvision: false"],
    });
    ({ store } = world);
    ({ server, idp } = world.app);
    const system = { actor: { kind: "system" } as const, at: new Date(), ip: null };
    await store.auth.createUser(
      { name: "root", role: "admin", passwordHash: await hashPassword(ROOT_PASSWORD, TEST_PASSWORD_PARAMS) },
      system,
    );
    await store.auth.createUser(
      {
        name: "pat",
        role: "viewer",
        passwordHash: await hashPassword("pat-password-1", TEST_PASSWORD_PARAMS),
      },
      system,
    );
    admin = browser();
    await admin.login("root", ROOT_PASSWORD);
  });

  after(() => world.close());

  void it("an account not linked nor invited is refused (not_provisioned), as before", async () => {
    const b = browser();
    assert.equal(await b.signIn({ login: "stranger" }), home("not_provisioned"));
    assert.equal(await store.auth.getUser("stranger"), undefined);
  });

  void it("an admin invites a user; the account of that name signs in, is linked, with its groups' role, audited", async () => {
    const invited = await admin.call("POST", `${API}/users`, { name: "Ivy", role: "viewer" });
    assert.equal(invited.status, 201, invited.text);
    const created = invited.json as UserItem;
    assert.deepEqual(
      [created.name, created.role, created.hasPassword, created.oidc, created.ssoPending],
      ["ivy", "viewer", false, null, true],
    );
    // Nobody can sign in with a password as an invited user.
    const guess = await browser().call("POST", `${API}/session`, { name: "ivy", password: "anything" });
    assert.equal(guess.status, 401);

    const b = browser();
    assert.equal(await b.signIn({ login: "ivy" }), home());
    assert.deepEqual(await b.me(), { name: "ivy", role: "operator" });
    const ivy = (await users()).get("ivy");
    assert.deepEqual(ivy?.oidc, { issuer: idp.issuer, subject: "sub-ivy" });
    assert.equal(ivy?.role, "operator");
    assert.equal(ivy?.ssoPending, false, "not pending any more");

    const links = await audit("user.link-sso");
    assert.deepEqual(
      links.map((e) => [e.target, e.actorKind, e.details]),
      [["ivy", "system", { issuer: idp.issuer, subject: "sub-ivy" }]],
    );
    const [roleChange] = await audit("user.update");
    assert.deepEqual(
      [roleChange?.target, roleChange?.details],
      ["ivy", { role: "operator", previousRole: "viewer" }],
    );
    const [login] = await audit("session.login");
    assert.deepEqual([login?.target, login?.details], ["ivy", { method: "oidc" }]);

    // Found by identity from now on.
    const again = browser();
    assert.equal(await again.signIn({ login: "ivy" }), home());
    assert.deepEqual(await again.me(), { name: "ivy", role: "operator" });
  });

  void it("another account of the same name is refused once the invitation is taken", async () => {
    const twin = browser();
    assert.equal(await twin.signIn({ login: "ivy-twin" }), home("user_name_taken"));
    assert.ok(!twin.cookies.has("cw_session"));
    assert.deepEqual((await store.auth.getUser("ivy"))?.oidc, { issuer: idp.issuer, subject: "sub-ivy" });
    const [failed] = await audit("session.login-failed");
    assert.deepEqual(
      [failed?.target, failed?.details],
      ["ivy", { method: "oidc", reason: "user_name_taken", subject: "sub-ivy-twin" }],
    );
  });

  void it("a password user's name is never linked", async () => {
    const b = browser();
    assert.equal(await b.signIn({ login: "pat" }), home("user_name_taken"));
    assert.equal((await store.auth.getUser("pat"))?.oidc, null);
  });

  void it("a disabled invited user is refused (disabled), and stays invited", async () => {
    assert.equal((await admin.call("POST", `${API}/users`, { name: "dora", role: "viewer" })).status, 201);
    assert.equal((await admin.call("PATCH", `${API}/users/dora`, { disabled: true })).status, 200);
    const b = browser();
    assert.equal(await b.signIn({ login: "dora" }), home("disabled"));
    const dora = (await users()).get("dora");
    assert.deepEqual([dora?.oidc, dora?.ssoPending, dora?.disabled], [null, true, true]);
  });

  void it("removing a password makes an invitation: the user is signed out, and their SSO sign-in links", async () => {
    const hash = await hashPassword("rex-password-1", TEST_PASSWORD_PARAMS);
    await store.auth.createUser(
      { name: "rex", role: "viewer", passwordHash: hash },
      { actor: { kind: "system" }, at: new Date(), ip: null },
    );
    const rexLocal = browser();
    await rexLocal.login("rex", "rex-password-1");
    const before = browser();
    assert.equal(
      await before.signIn({ login: "rex" }),
      home("user_name_taken"),
      "a password user is not linked",
    );

    const removed = await admin.call("PATCH", `${API}/users/rex`, { password: null });
    assert.equal(removed.status, 200, removed.text);
    const r = removed.json as UserItem;
    assert.deepEqual([r.hasPassword, r.oidc, r.ssoPending], [false, null, true]);
    assert.equal(await rexLocal.me(), 401, "their sessions ended");
    const pw = await browser().call("POST", `${API}/session`, { name: "rex", password: "rex-password-1" });
    assert.equal(pw.status, 401, "the old password is gone");
    const [update] = await audit("user.update");
    assert.deepEqual([update?.target, update?.details], ["rex", { passwordRemoved: true, sessionsEnded: 1 }]);

    const sso = browser();
    assert.equal(await sso.signIn({ login: "rex" }), home());
    assert.deepEqual(await sso.me(), { name: "rex", role: "admin" });
    assert.deepEqual((await store.auth.getUser("rex"))?.oidc, { issuer: idp.issuer, subject: "sub-rex" });
  });

  void it("the last admin with a password cannot remove it unless linked to an identity", async () => {
    // With rex (the linked admin) disabled, root is the only enabled admin anyone can sign in as.
    await store.auth.updateUser(
      "rex",
      { disabled: true },
      { actor: { kind: "system" }, at: new Date(), ip: null },
    );
    const refused = await admin.call("PATCH", `${API}/users/root`, { password: null });
    assert.equal(refused.status, 409, refused.text);
    assert.equal((refused.json as { error?: { code?: string } }).error?.code, "LAST_ADMIN");
    assert.equal((await store.auth.getUser("root"))?.hasPassword, true);
    await store.auth.updateUser(
      "rex",
      { disabled: false },
      { actor: { kind: "system" }, at: new Date(), ip: null },
    );
    const allowed = await admin.call("PATCH", `${API}/users/root`, { password: null });
    assert.equal(allowed.status, 200, allowed.text);
    assert.equal((allowed.json as UserItem).ssoPending, true);
  });
});

void describe("without single sign-on configured", () => {
  let server: ApiServer;
  before(async () => {
    server = await ApiServer.start();
    await server.addUser("root", "admin", ROOT_PASSWORD);
    await server.addUser("alice", "viewer", "alice-password-1");
  });
  after(() => server.close());

  void it("a user without a password cannot be made, nor a password removed (400, saying why)", async () => {
    const admin = server.client();
    assert.equal((await admin.login("root", ROOT_PASSWORD)).status, 200);
    const add = await admin.post("/users", { name: "ivy", role: "viewer" });
    assert.equal(add.status, 400, add.text);
    assert.equal(codeOf(add), "VALIDATION_FAILED");
    assert.match(
      add.text,
      /password: required \(a user without one signs in by single sign-on, which is not configured\)/,
    );
    assert.equal(await server.store.auth.getUser("ivy"), undefined);

    const remove = await admin.patch("/users/alice", { password: null });
    assert.equal(remove.status, 400, remove.text);
    assert.match(remove.text, /can only be removed when single sign-on is configured/);
    assert.equal((await server.store.auth.getUser("alice"))?.hasPassword, true);

    const list = await admin.get("/users");
    for (const u of (list.json as { items: UserItem[] }).items) assert.equal(u.ssoPending, false, u.name);
  });
});
