/**
 * @module test/e2e/dashboard.test
 * The dashboard in Debian's Chromium against `certwatch serve`: sign-in (a wrong password, then the overview),
 * filtering the alert list, acknowledging an alert with a note and finding it in the audit log, a viewer without
 * triage, hostile names shown as text, dark mode, sign-out — and no CSP violation, script error or dialog anywhere.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import {
  DashboardWorld,
  eventually,
  HOSTILE_CERT_NAME,
  HOSTILE_NAME,
  launchChromium,
  PASSWORDS,
  signIn,
  watchedContext,
  assertNoPageProblems,
  type WatchedContext,
} from "./dashboard-kit.js";

/** Relative luminance (0 black … 1 white) of a CSS `rgb(r, g, b)` colour. */
function luminance(rgb: string): number {
  const m = /rgba?\((\d+), (\d+), (\d+)/.exec(rgb);
  assert.ok(m, `a colour: ${rgb}`);
  const [r, g, b] = [m[1], m[2], m[3]].map((c) => {
    const s = Number(c) / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0);
}

const background = async (page: Page): Promise<number> =>
  luminance(String(await page.evaluate("getComputedStyle(document.body).backgroundColor")));

describe("dashboard in Chromium", () => {
  let world: DashboardWorld;
  let browser: Browser;
  const watched: WatchedContext[] = [];

  const context = async (name: string, colorScheme: "light" | "dark" = "light") => {
    const w = await watchedContext(browser, { colorScheme });
    watched.push({ name, ...w });
    return w.context;
  };
  const rows = (page: Page) => page.locator("table.alerts tbody tr");

  before(async () => {
    browser = await launchChromium();
    world = await DashboardWorld.start();
  });

  after(async () => {
    try {
      assertNoPageProblems(watched);
    } finally {
      await browser?.close();
      await world?.close();
    }
  });

  let admin: Page;

  it("refuses a wrong password with a message, then signs in to the overview", async () => {
    admin = await (await context("admin")).newPage();
    await admin.goto(`${world.url}/`);
    await admin.getByLabel("User name", { exact: true }).fill("admin");
    await admin.getByLabel("Password", { exact: true }).fill("not-the-password");
    await admin.getByRole("button", { name: "Sign in" }).click();
    await admin.getByRole("alert").filter({ hasText: "Wrong user name or password." }).waitFor();
    assert.equal(
      await admin.getByLabel("Password", { exact: true }).inputValue(),
      "",
      "the password is cleared",
    );

    await signIn(admin, world.url, "admin", PASSWORDS.admin);
    assert.equal(await admin.locator(".open-total").textContent(), "65");
    const count = (href: string) => admin.locator(`.counts a[href="${href}"] .count`).textContent();
    assert.equal(await count("#/alerts?severity=critical"), "1");
    assert.equal(await count("#/alerts?severity=high"), "2");
    assert.equal(await count("#/alerts?source=ct"), "2");
    assert.equal(await count("#/alerts?source=dns"), "1");
    assert.equal(await count("#/alerts?severity=info"), "60");
    assert.equal(await count("#/alerts?source=tls"), "62");
    // The expiry chart: 13 weekly bars, three certificates within 90 days (not the expired one, not the far one).
    assert.equal(await admin.locator("svg.expiry-chart rect.bar").count(), 13);
    assert.match(
      (await admin.locator("figure.expiry figcaption").textContent()) ?? "",
      /^3 certificates expire in the next 90 days/,
    );
    const soonest = admin.locator("table.soonest tbody tr");
    assert.equal(await soonest.count(), 3);
    assert.match((await soonest.nth(0).textContent()) ?? "", /soon\.contoso\.com/);
    assert.equal(
      await soonest.nth(1).locator("td").first().textContent(),
      HOSTILE_CERT_NAME,
      "a name is text",
    );
    assert.equal(
      await admin.locator("svg").count(),
      1,
      "the chart is the only SVG: no <svg onload> was made",
    );
    assert.equal(await admin.title(), "Overview · certwatch");
  });

  it("shows why a single sign-on came back refused, once, and never the address's own text", async () => {
    const page = await (await context("sso-errors")).newPage();
    await page.goto(`${world.url}/?login_error=disabled#/alerts`);
    await page.getByRole("alert").filter({ hasText: "Your certwatch account is disabled." }).waitFor();
    assert.equal(page.url(), `${world.url}/#/alerts`, "the code is removed from the address");
    assert.equal(await page.getByRole("link", { name: /^Sign in with/ }).count(), 0, "no SSO configured");
    await page.goto(
      `${world.url}/?login_error=${encodeURIComponent("<img src=x onerror=alert(4)> call 555-0100")}`,
    );
    await page.getByRole("alert").filter({ hasText: "Single sign-on did not succeed." }).waitFor();
    assert.equal(await page.getByText("555-0100").count(), 0, "an unknown code's text is not shown");
    assert.equal(await page.locator("img").count(), 0);
    await page.reload();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    assert.equal(await page.getByRole("alert").count(), 0, "a reload shows it no more");
  });

  it("filters the alert list, keeping the filters in the address", async () => {
    await admin.getByRole("navigation").getByRole("link", { name: "Alerts" }).click();
    await admin.getByRole("heading", { level: 1, name: "Alerts" }).waitFor();
    assert.equal(await rows(admin).count(), 50, "a page of 50");
    assert.deepEqual(
      (await rows(admin).locator("a.subject").allTextContents()).slice(0, 5),
      [HOSTILE_NAME, "dev.contoso.com", "old.contoso.com", "api.contoso.com", "www.contoso.com"],
      "newest first",
    );
    await admin.getByRole("button", { name: "More" }).click();
    await eventually(async () => assert.equal(await rows(admin).count(), 65));
    const subjects = await rows(admin).locator("a.subject").allTextContents();
    assert.equal(new Set(subjects).size, 65, "each alert once");
    assert.equal(await admin.getByRole("button", { name: "More" }).isVisible(), false, "the last page");

    await admin.getByLabel("Source").selectOption("dns");
    await admin.getByRole("button", { name: "Apply" }).click();
    await admin.waitForURL(/#\/alerts\?source=dns$/);
    await eventually(async () =>
      assert.deepEqual(await rows(admin).locator("a.subject").allTextContents(), ["old.contoso.com"]),
    );

    await admin.getByRole("link", { name: "Reset" }).click();
    await admin.waitForURL(/#\/alerts$/);
    await eventually(async () =>
      assert.equal(await admin.getByLabel("Source").inputValue(), "", "a fresh form"),
    );
    await admin.getByLabel("Severity").selectOption("high");
    await admin.getByLabel("Domain", { exact: true }).fill("contoso.com");
    await admin.getByRole("button", { name: "Apply" }).click();
    await admin.waitForURL(/severity=high&domain=contoso\.com/);
    await eventually(async () =>
      assert.deepEqual(await rows(admin).locator("a.subject").allTextContents(), ["api.contoso.com"]),
    );

    await admin.goto(`${world.url}/#/alerts?text=azurewebsites&status=all`);
    await eventually(async () =>
      assert.deepEqual(
        await rows(admin).locator("a.subject").allTextContents(),
        ["old.contoso.com"],
        "text searches the details",
      ),
    );
    assert.equal(await admin.getByLabel("Text", { exact: true }).inputValue(), "azurewebsites");
    assert.equal(await admin.getByLabel("Status").inputValue(), "all");
  });

  it("opens an alert, acknowledges it with a note, and finds the action in the audit log", async () => {
    await admin.goto(`${world.url}/#/alerts`);
    await admin.getByRole("link", { name: "old.contoso.com" }).click();
    await admin.getByRole("heading", { level: 1, name: "domain-takeover" }).waitFor();
    const detailUrl = admin.url();
    assert.match(detailUrl, /#\/alerts\/[0-9a-f]{32}$/);
    assert.ok(await admin.getByText("gone.azurewebsites.net").isVisible(), "the details are shown");

    await admin.getByLabel("Note").fill("DNS team on it (OPS-1234)");
    await admin.getByRole("button", { name: "Acknowledge" }).click();
    await admin.getByRole("status").filter({ hasText: "Acknowledged." }).waitFor();
    const status = admin
      .locator(".definitions dt", { hasText: /^Status$/ })
      .locator("xpath=following-sibling::dd");
    assert.equal(await status.textContent(), "acknowledged by admin");
    const history = admin.locator("table.history tbody tr");
    assert.match(
      (await history.first().textContent()) ?? "",
      /acknowledged.*admin.*DNS team on it \(OPS-1234\)/,
    );

    await admin.reload();
    await admin.getByRole("heading", { level: 1, name: "domain-takeover" }).waitFor();
    assert.equal(await status.textContent(), "acknowledged by admin", "kept by the server");
    assert.equal(
      await admin.getByRole("button", { name: "Acknowledge" }).count(),
      1,
      "still open: still triageable",
    );

    await admin.getByRole("navigation").getByRole("link", { name: "Audit log" }).click();
    await admin.getByRole("heading", { level: 1, name: "Audit log" }).waitFor();
    const entry = admin.locator("table.audit tbody tr", { hasText: "alert.acknowledge" });
    assert.equal(await entry.count(), 1);
    const text = (await entry.textContent()) ?? "";
    assert.match(text, /admin/);
    assert.match(text, /DNS team on it \(OPS-1234\)/);
    await admin.getByLabel("Action").fill("alert.acknowledge");
    await admin.getByRole("button", { name: "Apply" }).click();
    await admin.waitForURL(/#\/audit\?action=alert\.acknowledge$/);
    await eventually(async () => assert.equal(await admin.locator("table.audit tbody tr").count(), 1));
  });

  it("snoozes, resolves and reopens an alert; each shows in its status and history", async () => {
    await admin.goto(`${world.url}/#/alerts?eventId=25`);
    await admin.getByRole("link", { name: "dev.contoso.com" }).click();
    await admin.getByRole("heading", { level: 1, name: "new-subdomain" }).waitFor();
    const status = admin
      .locator(".definitions dt", { hasText: /^Status$/ })
      .locator("xpath=following-sibling::dd");
    const history = admin.locator("table.history tbody tr");

    await admin.getByLabel("Snooze for").selectOption("60");
    await admin.getByRole("button", { name: "Snooze" }).click();
    await admin.getByRole("status").filter({ hasText: "Snoozed." }).waitFor();
    assert.match((await status.textContent()) ?? "", /^snoozed until \d{4}-\d\d-\d\d \d\d:\d\d$/);
    assert.match((await history.first().textContent()) ?? "", /snoozed until/);

    await admin.getByLabel("Note").fill("a test host, gone");
    await admin.getByRole("button", { name: "Resolve" }).click();
    await admin.getByRole("status").filter({ hasText: "Resolved." }).waitFor();
    assert.equal(await status.textContent(), "resolved by admin");
    assert.equal(
      await admin.getByRole("button", { name: "Acknowledge" }).count(),
      0,
      "a resolved alert is reopened only",
    );

    await admin.getByRole("button", { name: "Reopen" }).click();
    await admin.getByRole("status").filter({ hasText: "Reopened." }).waitFor();
    assert.equal(await status.textContent(), "open");
    const kinds = await history.locator("td:nth-child(2)").allTextContents();
    assert.deepEqual(
      kinds.map((k) => k.split(" ")[0]),
      ["reopened", "resolved", "snoozed", "opened"],
    );
  });

  it("shows hostile names and details as text: no element made, no script run", async () => {
    await admin.goto(`${world.url}/#/alerts?source=ct`);
    const link = admin.getByRole("link", { name: HOSTILE_NAME, exact: true });
    await link.waitFor();
    assert.equal(await link.textContent(), HOSTILE_NAME);
    assert.equal(await admin.locator("img").count(), 0);
    await link.click();
    await admin.getByRole("heading", { level: 1, name: "similar-domain" }).waitFor();
    assert.equal(await admin.locator(".subject-line").textContent(), HOSTILE_NAME);
    assert.ok(await admin.getByText("<script>alert(3)</script>", { exact: true }).isVisible());
    assert.equal(await admin.locator("img").count(), 0);
    assert.equal(await admin.locator("body script").count(), 0, "no script element in the page body");
    assert.equal(await admin.title(), `similar-domain · ${HOSTILE_NAME} · certwatch`);
  });

  it("a viewer sees no triage actions and no audit log", async () => {
    const viewer = await (await context("viewer")).newPage();
    await signIn(viewer, world.url, "viewer", PASSWORDS.viewer);
    assert.equal(await viewer.getByRole("navigation").getByRole("link", { name: "Audit log" }).count(), 0);
    await viewer.getByRole("navigation").getByRole("link", { name: "Alerts" }).click();
    await viewer.getByRole("link", { name: "www.contoso.com" }).click();
    await viewer.getByRole("heading", { level: 1, name: "hsts-missing" }).waitFor();
    await viewer.getByRole("heading", { name: "History" }).waitFor();
    for (const name of ["Acknowledge", "Snooze", "Resolve", "Reopen"]) {
      assert.equal(await viewer.getByRole("button", { name }).count(), 0, `no ${name} button`);
    }
    assert.equal(await viewer.getByRole("heading", { name: "Triage" }).count(), 0);
    await viewer.goto(`${world.url}/#/audit`);
    await viewer.getByText("Your role does not allow this page.").waitFor();
    assert.equal(await viewer.locator("table.audit").count(), 0);
  });

  it("follows the system's dark mode, and the theme picker overrides it across reloads", async () => {
    const dark = await (await context("dark", "dark")).newPage();
    await signIn(dark, world.url, "viewer", PASSWORDS.viewer);
    assert.ok((await background(dark)) < 0.05, "a dark background");
    assert.ok((await background(admin)) > 0.8, "the light context stays light");
    await dark.getByLabel("Theme").selectOption("light");
    assert.ok((await background(dark)) > 0.8, "light when chosen");
    await dark.reload();
    await dark.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    assert.ok((await background(dark)) > 0.8, "the choice is kept");
    await dark.getByLabel("Theme").selectOption("auto");
    assert.ok((await background(dark)) < 0.05, "back to the system's");
  });

  it("signs out; another tab of the same browser falls back to the login form", async () => {
    const ctx = await context("sign-out");
    const first = await ctx.newPage();
    await signIn(first, world.url, "admin", PASSWORDS.admin);
    const second = await ctx.newPage();
    await second.goto(`${world.url}/#/alerts`);
    await second.getByRole("heading", { level: 1, name: "Alerts" }).waitFor();

    await first.getByRole("button", { name: "Sign out" }).click();
    await first.getByText("You have signed out.").waitFor();
    assert.equal((await ctx.request.get(`${world.url}/api/v1/session`)).status(), 401);

    await second.getByRole("navigation").getByRole("link", { name: "Audit log" }).click();
    await second.getByRole("button", { name: "Sign in" }).waitFor();
    await second.getByLabel("User name", { exact: true }).fill("admin");
    await second.getByLabel("Password", { exact: true }).fill(PASSWORDS.admin);
    await second.getByRole("button", { name: "Sign in" }).click();
    await second.getByRole("heading", { level: 1, name: "Audit log" }).waitFor();
  });

  it("every page of the navigation renders without a CSP violation", async () => {
    const links = await admin.getByRole("navigation").getByRole("link").all();
    const targets = await Promise.all(
      links.map(async (l) => [await l.textContent(), await l.getAttribute("href")]),
    );
    assert.equal(targets.length, 9);
    for (const [name, href] of targets) {
      await admin.goto(`${world.url}/${href ?? ""}`);
      await admin.getByRole("heading", { level: 1, name: name ?? "" }).waitFor();
      assert.equal(await admin.locator(".message-error").count(), 0, `${name}: no error shown`);
    }
    await admin.goto(`${world.url}/#/no-such-page`);
    await admin.getByRole("heading", { level: 1, name: "Not found" }).waitFor();
    const admins = watched.find((w) => w.name === "admin");
    assert.deepEqual(admins?.problems.cspViolations, []);
  });
});
