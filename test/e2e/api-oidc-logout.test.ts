/**
 * @module test/e2e/api-oidc-logout.test
 * Signing out after single sign-on ends the provider's session too (OpenID Connect RP-Initiated Logout): against a
 * real provider (oidc-provider) and certwatch's HTTP app from YAML, a browser stand-in with its cookies at certwatch
 * and at the provider. DELETE /session answers the provider's end-session URL for a single sign-on session only;
 * following it signs the browser out at the provider, so the next sign-in asks for the login again. A password
 * session of the same user, and `providerLogout: false`, sign out of certwatch alone. The ID token leaves certwatch
 * only in that one URL, to that user's browser.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { hashPassword } from "../../src/auth/password.js";
import { TEST_PASSWORD_PARAMS } from "../helpers/api-server.js";
import type { AtTheProvider, TestAccount } from "../helpers/oidc-provider.js";
import { startOidcWorld, type OidcWorld } from "./oidc-app-kit.js";
import { SsoBrowser, type Answer } from "./sso-browser.js";

const CLIENT_SECRET = "oidc-client-SECRET-logout-4d2e";
const API = "/api/v1";
const JWT = /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/;

interface World extends OidcWorld {
  /** Every answer any browser got. */
  readonly answers: Answer[];
}

async function startWorld(
  accounts: Map<string, TestAccount>,
  oidc: readonly string[] = [],
  endSession = true,
): Promise<World> {
  const world = await startOidcWorld({
    name: "oidc-logout",
    clientSecret: CLIENT_SECRET,
    accounts,
    scopes: "[openid, profile, groups]",
    roles: "{ staff: viewer }",
    oidc,
    endSession,
  });
  return { ...world, answers: [] };
}

/** A browser: its cookies at certwatch, and at the provider (`idpJar`, its session there). */
const browserIn = (w: World): SsoBrowser => new SsoBrowser(w.url, w.app.idp, w.answers);

/** What the browser got: the Location header, then the body. */
const seen = (a: Answer): string => `${a.location}\n${a.text}`;

/** Sign in with single sign-on, back at the dashboard; says whether the provider showed its login page on the way. */
async function signIn(w: World, b: SsoBrowser, action: AtTheProvider): Promise<{ askedToLogIn: boolean }> {
  const { landing, askedToLogIn } = await b.ssoSignIn(action);
  assert.equal(landing, `${w.url}/`, "signed in, back at the dashboard");
  return { askedToLogIn };
}

/** The claims of a JWT (not verified: the provider made it, the test reads it). */
function jwtClaims(token: string): Record<string, unknown> {
  const [, payload = ""] = token.split(".");
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
}

void describe("signing out after single sign-on ends the provider's session (RP-initiated logout)", () => {
  const accounts = new Map<string, TestAccount>([
    ["alice", { sub: "sub-alice", preferred_username: "alice", groups: ["staff"] }],
    ["frank", { sub: "sub-frank", preferred_username: "frank", groups: ["staff"] }],
  ]);
  let w: World;
  const browser = (): SsoBrowser => browserIn(w);

  before(async () => {
    w = await startWorld(accounts);
  });

  after(async () => {
    try {
      // The ID token goes to the user's own browser in the sign-out URL, and nowhere else; never to the log.
      const withJwt = w.answers.filter((a) => JWT.test(seen(a)));
      assert.ok(withJwt.length >= 2);
      for (const a of withJwt) {
        assert.equal(`${a.method} ${a.path} ${a.status}`, `DELETE ${API}/session 200`, seen(a));
        const { logoutUrl } = a.json as { logoutUrl: string };
        assert.equal(seen(a).replace(logoutUrl, "").match(JWT), null, "only inside logoutUrl");
      }
      for (const line of w.logLines) {
        assert.ok(!JWT.test(line), `a log line holds a JWT: ${line}`);
        assert.ok(!line.includes(CLIENT_SECRET), `a log line holds the client secret: ${line}`);
      }
    } finally {
      await w.close();
    }
  });

  void it("DELETE /session answers the provider's end-session URL; following it signs out there, so the next sign-in asks to log in", async () => {
    const b = browser();
    assert.deepEqual(await signIn(w, b, { login: "alice" }), { askedToLogIn: true });
    // The provider's session signs the browser in again without asking: what its sign-out has to end.
    assert.deepEqual(await signIn(w, b, { login: "alice" }), { askedToLogIn: false });
    const stored = await b.session(w.store);
    assert.equal(stored?.method, "oidc");
    assert.match(stored?.idTokenHint ?? "", JWT);

    const out = await b.call("DELETE", `${API}/session`);
    assert.equal(out.status, 200, out.text);
    const { logoutUrl } = out.json as { logoutUrl: string };
    const url = new URL(logoutUrl);
    assert.equal(`${url.origin}${url.pathname}`, `${w.app.idp.issuer}/session/end`);
    assert.equal(url.searchParams.get("client_id"), "certwatch");
    assert.equal(url.searchParams.get("post_logout_redirect_uri"), `${w.url}/`);
    const hint = jwtClaims(url.searchParams.get("id_token_hint") ?? "");
    assert.equal(hint.sub, "sub-alice");
    assert.equal(hint.aud, "certwatch");
    assert.equal(hint.iss, w.app.idp.issuer);

    // certwatch's session ended before the answer, whatever the browser does next.
    assert.ok(!b.cookies.has("cw_session") && !b.cookies.has("cw_csrf"), "cookies deleted");
    b.csrf = undefined;
    assert.equal((await b.call("GET", `${API}/session`)).status, 401);

    // At the provider: "Do you want to sign-out?" — yes; then back to the dashboard.
    assert.equal(await w.app.idp.endSession(b.idpJar, logoutUrl), `${w.url}/`);
    assert.deepEqual(await signIn(w, b, { login: "alice" }), { askedToLogIn: true });
    assert.equal((await b.call("GET", `${API}/session`)).status, 200);

    const logouts = await w.store.auth.listAudit({ action: "session.logout" });
    assert.deepEqual(
      logouts.map((e) => [e.target, e.details]),
      [["alice", { providerLogout: true }]],
    );
  });

  void it("the same user's password session signs out of certwatch alone: 204, nothing for the provider", async () => {
    await w.store.auth.createUser(
      {
        name: "frank",
        role: "viewer",
        passwordHash: await hashPassword("frank-local-pw", TEST_PASSWORD_PARAMS),
        oidc: { issuer: w.app.idp.issuer, subject: "sub-frank" },
      },
      { actor: { kind: "system" }, at: new Date(), ip: null },
    );
    const b = browser();
    await b.login("frank", "frank-local-pw");
    const stored = await b.session(w.store);
    assert.equal(stored?.method, "password");
    assert.equal(stored?.idTokenHint, null);
    const out = await b.call("DELETE", `${API}/session`);
    assert.equal(out.status, 204);
    assert.equal(seen(out), "\n", "no body, no redirect");
    assert.equal((await b.call("GET", `${API}/session`)).status, 401);

    // Frank's single sign-on, in the same browser: that session's sign-out goes on to the provider.
    await signIn(w, b, { login: "frank" });
    const sso = await b.call("DELETE", `${API}/session`);
    assert.equal(sso.status, 200, sso.text);
    const { logoutUrl } = sso.json as { logoutUrl: string };
    assert.equal(jwtClaims(new URL(logoutUrl).searchParams.get("id_token_hint") ?? "").sub, "sub-frank");
    const logouts = await w.store.auth.listAudit({ action: "session.logout", actor: "frank" });
    assert.deepEqual(
      logouts.map((e) => e.details),
      [{ providerLogout: true }, {}],
      "the password session's sign-out did not involve the provider",
    );
  });

  void it("a session from before a restart signs out at the provider too (the provider is discovered again)", async () => {
    const b = browser();
    await signIn(w, b, { login: "alice" });
    w.serveAnew();
    const out = await b.call("DELETE", `${API}/session`);
    assert.equal(out.status, 200, out.text);
    const { logoutUrl } = out.json as { logoutUrl: string };
    assert.equal(new URL(logoutUrl).searchParams.get("client_id"), "certwatch");
    assert.equal(jwtClaims(new URL(logoutUrl).searchParams.get("id_token_hint") ?? "").sub, "sub-alice");
  });
});

void describe("providerLogout: false signs out of certwatch alone", () => {
  let w: World;
  const accounts = new Map<string, TestAccount>([
    ["alice", { sub: "sub-alice", preferred_username: "alice", groups: ["staff"] }],
  ]);

  before(async () => {
    w = await startWorld(accounts, ["providerLogout: false"]);
  });

  after(async () => {
    await w.close();
  });

  void it("a single sign-on session keeps no ID token and signs out with 204; the provider still knows the browser", async () => {
    const b = browserIn(w);
    assert.deepEqual(await signIn(w, b, { login: "alice" }), { askedToLogIn: true });
    const stored = await b.session(w.store);
    assert.equal(stored?.method, "oidc");
    assert.equal(stored?.idTokenHint, null, "not kept when it will not be used");
    const out = await b.call("DELETE", `${API}/session`);
    assert.equal(out.status, 204, out.text);
    assert.equal((await b.call("GET", `${API}/session`)).status, 401);
    assert.deepEqual(await signIn(w, b, { login: "alice" }), { askedToLogIn: false });
    for (const a of w.answers) assert.ok(!JWT.test(seen(a)), `an answer holds a JWT: ${seen(a)}`);
  });
});

void describe("a provider without an end-session endpoint: sign-out is certwatch's alone", () => {
  let w: World;
  const accounts = new Map<string, TestAccount>([
    ["alice", { sub: "sub-alice", preferred_username: "alice", groups: ["staff"] }],
  ]);

  before(async () => {
    w = await startWorld(accounts, [], false);
  });

  after(async () => {
    await w.close();
  });

  void it("keeps no ID token and answers 204, with providerLogout on", async () => {
    const b = browserIn(w);
    assert.deepEqual(await signIn(w, b, { login: "alice" }), { askedToLogIn: true });
    const stored = await b.session(w.store);
    assert.equal(stored?.method, "oidc");
    assert.equal(stored?.idTokenHint, null, "nothing would use it");
    const out = await b.call("DELETE", `${API}/session`);
    assert.equal(out.status, 204, out.text);
    assert.equal((await b.call("GET", `${API}/session`)).status, 401);
    const logouts = await w.store.auth.listAudit({ action: "session.logout" });
    assert.deepEqual(
      logouts.map((e) => [e.target, e.details]),
      [["alice", {}]],
    );
  });
});
