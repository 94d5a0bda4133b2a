/**
 * @module test/e2e/dashboard-sso.test
 * Single sign-on from the dashboard in Chromium: the login page shows "Sign in with …" from GET /session/methods,
 * the browser goes through a real OpenID provider (oidc-provider over HTTPS) and comes back signed in with the role
 * its groups map to; a sign-in cancelled at the provider comes back with its message. No CSP violation anywhere.
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

const CLIENT_SECRET = "dashboard-sso-client-SECRET-2b7e";

describe("dashboard single sign-on in Chromium", () => {
  const accounts = new Map<string, TestAccount>([
    ["alice", { sub: "sub-alice", preferred_username: "alice", groups: ["cw-ops"] }],
  ]);
  let dir: string;
  let store: Store;
  let idp: TestOidcProvider;
  let server: RunningHttpServer;
  let browser: Browser;
  const problems: PageProblems[] = [];

  /** A fresh browser profile (the provider's certificate is from a CA made here). */
  const newPage = async (): Promise<Page> => {
    const w = await watchedContext(browser, { ignoreHttpsErrors: true });
    problems.push(w.problems);
    return w.context.newPage();
  };

  /** From the login page through the provider: the provider's login step is answered as a form post would. */
  const atTheProvider = async (page: Page, form: Record<string, string>): Promise<void> => {
    await page.getByRole("link", { name: "Sign in with Contoso SSO" }).click();
    await page.waitForURL((u) => u.origin === idp.issuer && u.pathname.startsWith("/interaction/"));
    const answer = await page.request.post(page.url(), { form, maxRedirects: 0 });
    assert.equal(answer.status(), 303, await answer.text());
    await page.goto(new URL(answer.headers().location ?? "", page.url()).href);
  };

  before(async () => {
    browser = await launchChromium();
    dir = mkdtempSync(join(tmpdir(), "certwatch-dashboard-sso-"));
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

  it("offers the provider's button and comes back signed in, with the role the groups map to", async () => {
    const page = await newPage();
    await page.goto(`${server.url}/#/alerts`);
    const button = page.getByRole("link", { name: "Sign in with Contoso SSO" });
    await button.waitFor();
    assert.equal(await button.getAttribute("href"), "/api/v1/session/oidc/login");
    assert.ok(await page.getByLabel("Password", { exact: true }).isVisible(), "passwords are offered too");

    await atTheProvider(page, { login: "alice" });
    await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    assert.equal(page.url(), `${server.url}/`);
    assert.equal(await page.locator(".who").textContent(), "alice (operator)");
    const audit = await store.auth.listAudit({ action: "session.login" });
    assert.equal(audit[0]?.details.method, "oidc");
  });

  it("a sign-in cancelled at the provider comes back to the login form with its message", async () => {
    const page = await newPage();
    await page.goto(`${server.url}/`);
    await atTheProvider(page, { cancel: "1" });
    await page
      .getByRole("alert")
      .filter({ hasText: "cancelled or refused at the identity provider" })
      .waitFor();
    assert.equal(page.url(), `${server.url}/`, "the code is removed from the address");
  });
});
