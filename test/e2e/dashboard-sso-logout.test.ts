/**
 * @module test/e2e/dashboard-sso-logout.test
 * The dashboard's sign-out after single sign-on, in Chromium: "Sign out" ends certwatch's session, takes the
 * browser to the provider's sign-out (oidc-provider over HTTPS: "Sign out?" — yes) and back to the login form; the
 * next "Sign in with …" then stops at the provider's login step instead of coming straight back signed in.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { jsonLog } from "../../src/daemon/json-log.js";
import { createHttpApp } from "../../src/server/app.js";
import type { RunningHttpServer } from "../../src/server/listen.js";
import { openStore } from "../../src/store/open.js";
import type { Store } from "../../src/store/store.js";
import type { TestAccount, TestOidcProvider } from "../helpers/oidc-provider.js";
import { launchChromium, watchedContext, type PageProblems } from "./dashboard-kit.js";
import { startOidcApp } from "./oidc-app-kit.js";

const CLIENT_SECRET = "dashboard-sso-logout-SECRET-9c41";

void describe("dashboard sign-out after single sign-on, in Chromium", () => {
  const accounts = new Map<string, TestAccount>([
    ["alice", { sub: "sub-alice", preferred_username: "alice", groups: ["cw-ops"] }],
  ]);
  let dir: string;
  let store: Store;
  let idp: TestOidcProvider;
  let server: RunningHttpServer;
  let browser: Browser;
  const problems: PageProblems[] = [];

  const atTheLoginStep = (page: Page): Promise<void> =>
    page.waitForURL((u) => u.origin === idp.issuer && u.pathname.startsWith("/interaction/"));

  before(async () => {
    browser = await launchChromium();
    dir = mkdtempSync(join(tmpdir(), "certwatch-dashboard-sso-logout-"));
    store = await openStore(`sqlite:${join(dir, "certwatch.db")}`);
    const oidc = await startOidcApp({
      dir,
      clientSecret: CLIENT_SECRET,
      accounts,
      scopes: "[openid, profile, groups]",
      roles: "{ cw-ops: operator }",
    });
    ({ server, idp } = oidc);
    const config = oidc.config;
    oidc.serve(
      createHttpApp({
        store,
        config: () => config,
        now: () => new Date(),
        log: jsonLog(() => {}),
        readiness: () => Promise.resolve([]),
      }),
    );
  });

  after(async () => {
    try {
      for (const p of problems) {
        assert.deepEqual(p.cspViolations, [], "CSP violations");
        assert.deepEqual(p.scriptErrors, [], "script errors");
        assert.deepEqual(p.dialogs, [], "dialogs");
      }
    } finally {
      await browser?.close();
      await server?.close(0);
      await idp?.close();
      await store?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it("Sign out goes through the provider's sign-out and back; the next single sign-on asks to log in", async () => {
    const w = await watchedContext(browser, { ignoreHttpsErrors: true });
    problems.push(w.problems);
    const page = await w.context.newPage();
    await page.goto(`${server.url}/`);

    // Sign in: the provider's login step answered as its form would be.
    await page.getByRole("link", { name: "Sign in with Contoso SSO" }).click();
    await atTheLoginStep(page);
    const answer = await page.request.post(page.url(), { form: { login: "alice" }, maxRedirects: 0 });
    assert.equal(answer.status(), 303, await answer.text());
    await page.goto(new URL(answer.headers().location ?? "", page.url()).href);
    await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    assert.equal(await page.locator(".who").textContent(), "alice (operator)");

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((u) => u.origin === idp.issuer && u.pathname === "/session/end");
    const at = new URL(page.url());
    assert.equal(at.searchParams.get("client_id"), "certwatch");
    assert.equal(at.searchParams.get("post_logout_redirect_uri"), `${server.url}/`);
    assert.equal((await store.auth.listAudit({ action: "session.logout" }))[0]?.details.providerLogout, true);

    await page.getByRole("button", { name: "Yes" }).click();
    await page.waitForURL(`${server.url}/`);
    await page.getByRole("link", { name: "Sign in with Contoso SSO" }).click();
    await atTheLoginStep(page);
  });
});
