/**
 * @module test/e2e/dashboard-invite.test
 * Inviting a single sign-on user from the dashboard in Chromium: with SSO configured the add-user form offers
 * "Signs in with single sign-on (no password)", which hides the password; the users table shows the invitation as
 * "awaiting first sign-in" until the provider account of that name signs in and is linked. No CSP violation.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { signIn } from "./dashboard-kit.js";
import { DashboardSsoWorld } from "./dashboard-sso-kit.js";

const ROOT_PASSWORD = "root-dashboard-password-1";

void describe("dashboard: inviting a single sign-on user in Chromium", () => {
  const world = new DashboardSsoWorld({
    name: "dashboard-invite",
    clientSecret: "dashboard-invite-client-SECRET-9d4f",
    accounts: new Map([["ivy", { sub: "sub-ivy", preferred_username: "ivy", groups: ["cw-ops"] }]]),
    rootPassword: ROOT_PASSWORD,
  });
  before(() => world.start());
  after(() => world.close());

  void it("invites ivy without a password; the table says awaiting first sign-in until ivy signs in", async () => {
    const admin = await world.newPage();
    await signIn(admin, world.url, "root", ROOT_PASSWORD);
    await admin.goto(`${world.url}/#/users`);
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
    const ivy = await world.store.auth.getUser("ivy");
    assert.deepEqual([ivy?.passwordHash, ivy?.oidc, ivy?.role], [null, null, "viewer"]);

    const page = await world.newPage();
    await page.goto(`${world.url}/`);
    await world.atTheProvider(page, { login: "ivy" });
    await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    assert.equal(await page.locator(".who").textContent(), "ivy (operator)");

    await admin.reload();
    const linked = admin.locator("table.users tr", { hasText: "ivy" });
    await linked.getByText(`single sign-on (${world.idp.issuer})`).waitFor();
    assert.equal(await linked.getByText("awaiting first sign-in").count(), 0);
  });
});
