/**
 * @module test/e2e/dashboard-sso-logout.test
 * The dashboard's sign-out after single sign-on, in Chromium: "Sign out" ends certwatch's session, takes the
 * browser to the provider's sign-out (oidc-provider over HTTPS: "Sign out?" — yes) and back to the login form; the
 * next "Sign in with …" then stops at the provider's login step instead of coming straight back signed in.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DashboardSsoWorld } from "./dashboard-sso-kit.js";

void describe("dashboard sign-out after single sign-on, in Chromium", () => {
  const world = new DashboardSsoWorld({
    name: "dashboard-sso-logout",
    clientSecret: "dashboard-sso-logout-SECRET-9c41",
    accounts: new Map([["alice", { sub: "sub-alice", preferred_username: "alice", groups: ["cw-ops"] }]]),
  });
  before(() => world.start());
  after(() => world.close());

  void it("Sign out goes through the provider's sign-out and back; the next single sign-on asks to log in", async () => {
    const page = await world.newPage();
    await page.goto(`${world.url}/`);

    // Sign in: the provider's login step answered as its form would be.
    await world.atTheProvider(page, { login: "alice" });
    await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    assert.equal(await page.locator(".who").textContent(), "alice (operator)");

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((u) => u.origin === world.idp.issuer && u.pathname === "/session/end");
    const at = new URL(page.url());
    assert.equal(at.searchParams.get("client_id"), "certwatch");
    assert.equal(at.searchParams.get("post_logout_redirect_uri"), `${world.url}/`);
    assert.equal(
      (await world.store.auth.listAudit({ action: "session.logout" }))[0]?.details.providerLogout,
      true,
    );

    await page.getByRole("button", { name: "Yes" }).click();
    await page.waitForURL(`${world.url}/`);
    await page.getByRole("link", { name: "Sign in with Contoso SSO" }).click();
    await world.atTheLoginStep(page);
  });
});
