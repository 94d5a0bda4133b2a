/**
 * @module test/e2e/dashboard-sso.test
 * Single sign-on from the dashboard in Chromium: the login page shows "Sign in with …" from GET /session/methods,
 * the browser goes through a real OpenID provider (oidc-provider over HTTPS) and comes back signed in with the role
 * its groups map to; a sign-in cancelled at the provider comes back with its message. No CSP violation anywhere.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DashboardSsoWorld } from "./dashboard-sso-kit.js";

describe("dashboard single sign-on in Chromium", () => {
  const world = new DashboardSsoWorld({
    name: "dashboard-sso",
    clientSecret: "dashboard-sso-client-SECRET-2b7e",
    accounts: new Map([["alice", { sub: "sub-alice", preferred_username: "alice", groups: ["cw-ops"] }]]),
  });
  before(() => world.start());
  after(() => world.close());

  it("offers the provider's button and comes back signed in, with the role the groups map to", async () => {
    const page = await world.newPage();
    await page.goto(`${world.url}/#/alerts`);
    const button = page.getByRole("link", { name: "Sign in with Contoso SSO" });
    await button.waitFor();
    assert.equal(await button.getAttribute("href"), "/api/v1/session/oidc/login");
    assert.ok(await page.getByLabel("Password", { exact: true }).isVisible(), "passwords are offered too");

    await world.atTheProvider(page, { login: "alice" });
    await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    assert.equal(page.url(), `${world.url}/`);
    assert.equal(await page.locator(".who").textContent(), "alice (operator)");
    const audit = await world.store.auth.listAudit({ action: "session.login" });
    assert.equal(audit[0]?.details.method, "oidc");
  });

  it("a sign-in cancelled at the provider comes back to the login form with its message", async () => {
    const page = await world.newPage();
    await page.goto(`${world.url}/`);
    await world.atTheProvider(page, { cancel: "1" });
    await page
      .getByRole("alert")
      .filter({ hasText: "cancelled or refused at the identity provider" })
      .waitFor();
    assert.equal(page.url(), `${world.url}/`, "the code is removed from the address");
  });
});
