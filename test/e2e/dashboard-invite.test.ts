/**
 * @module test/e2e/dashboard-invite.test
 * Inviting a single sign-on user from the dashboard in Chromium: with SSO configured the add-user form offers
 * "Signs in with single sign-on (no password)", which hides the password; the users table shows the invitation as
 * "awaiting first sign-in" until the provider account of that name signs in and is linked. No CSP violation.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { hashPassword } from "../../src/auth/password.js";
import { jsonLog } from "../../src/daemon/json-log.js";
import { createHttpApp } from "../../src/server/app.js";
import type { RunningHttpServer } from "../../src/server/listen.js";
import { openStore } from "../../src/store/open.js";
import type { Store } from "../../src/store/store.js";
import { TEST_PASSWORD_PARAMS } from "../helpers/api-server.js";
import type { TestAccount, TestOidcProvider } from "../helpers/oidc-provider.js";
import { launchChromium, signIn, watchedContext, type PageProblems } from "./dashboard-kit.js";
import { startOidcApp } from "./oidc-app-kit.js";

const CLIENT_SECRET = "dashboard-invite-client-SECRET-9d4f";
const ROOT_PASSWORD = "root-dashboard-password-1";

void describe("dashboard: inviting a single sign-on user in Chromium", () => {
  const accounts = new Map<string, TestAccount>([
    ["ivy", { sub: "sub-ivy", preferred_username: "ivy", groups: ["cw-ops"] }],
  ]);
  let dir: string;
  let store: Store;
  let idp: TestOidcProvider;
  let server: RunningHttpServer;
  let browser: Browser;
  const problems: PageProblems[] = [];

  const newPage = async (): Promise<Page> => {
    const w = await watchedContext(browser, { ignoreHttpsErrors: true });
    problems.push(w.problems);
    return w.context.newPage();
  };

  before(async () => {
    browser = await launchChromium();
    dir = mkdtempSync(join(tmpdir(), "certwatch-dashboard-invite-"));
    store = await openStore(`sqlite:${join(dir, "certwatch.db")}`);
    await store.auth.createUser(
      { name: "root", role: "admin", passwordHash: await hashPassword(ROOT_PASSWORD, TEST_PASSWORD_PARAMS) },
      { actor: { kind: "system" }, at: new Date(), ip: null },
    );
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

  void it("invites ivy without a password; the table says awaiting first sign-in until ivy signs in", async () => {
    const admin = await newPage();
    await signIn(admin, server.url, "root", ROOT_PASSWORD);
    await admin.goto(`${server.url}/#/users`);
    const form = admin.getByRole("form", { name: "Add a user" });
    await form.waitFor();
    const password = form.getByLabel("Initial password");
    assert.ok(await password.isVisible());
    await form.getByLabel("User name").fill("ivy");
    await form.getByLabel("Signs in with single sign-on (no password)").check();
    assert.ok(!(await password.isVisible()), "no password asked for an invitation");
    await form.getByRole("button", { name: "Add user" }).click();
    await admin.getByText("Added ivy: they sign in with Contoso SSO").waitFor();
    const row = admin.locator("table.users tr", { hasText: "ivy" });
    await row.getByText("awaiting first sign-in").waitFor();
    const ivy = await store.auth.getUser("ivy");
    assert.deepEqual([ivy?.passwordHash, ivy?.oidc, ivy?.role], [null, null, "viewer"]);

    const page = await newPage();
    await page.goto(`${server.url}/`);
    await page.getByRole("link", { name: "Sign in with Contoso SSO" }).click();
    await page.waitForURL((u) => u.origin === idp.issuer && u.pathname.startsWith("/interaction/"));
    const answer = await page.request.post(page.url(), { form: { login: "ivy" }, maxRedirects: 0 });
    assert.equal(answer.status(), 303, await answer.text());
    await page.goto(new URL(answer.headers().location ?? "", page.url()).href);
    await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    assert.equal(await page.locator(".who").textContent(), "ivy (operator)");

    await admin.reload();
    const linked = admin.locator("table.users tr", { hasText: "ivy" });
    await linked.getByText(`single sign-on (${idp.issuer})`).waitFor();
    assert.equal(await linked.getByText("awaiting first sign-in").count(), 0);
  });
});
