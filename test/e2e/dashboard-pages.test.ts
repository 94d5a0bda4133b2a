/**
 * @module test/e2e/dashboard-pages.test
 * The dashboard's management pages in Chromium against `certwatch serve`: certificates, endpoints, domains, CT
 * logs, delivery (real webhook targets), users and tokens — real data, role-dependent actions, a managed endpoint
 * added through the form and audited, a token's secret shown once, hostile names as text, no CSP violation.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { certificate, draft, run } from "../../src/store/contract-fixtures.js";
import type { CertificateRecord, Store } from "../../src/store/store.js";
import { startWebhookReceiver, type WebhookReceiver } from "../helpers/webhook-receiver.js";
import {
  DashboardWorld,
  eventually,
  HOSTILE_CERT_NAME,
  launchChromium,
  PASSWORDS,
  signIn,
  watchedContext,
  assertNoPageProblems,
  type WatchedContext,
  type WorldRole,
} from "./dashboard-kit.js";

/** A name a CT log could carry, and a log's error text: both outside text. */
const HOSTILE_CT_NAME = "<img src=x onerror=alert(5)>.ct.contoso.com";
const HOSTILE_LOG_ERROR = "<b onmouseover=alert(6)>get-entries: HTTP 500</b>";

/** A loopback port nothing listens on (bound, then closed): a delivery target that refuses connections. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.ok(address !== null && typeof address === "object");
  return address.port;
}

const logState = (
  logId: string,
  url: string,
  position: number,
  headSize: number,
  lastError: string | null,
) => ({
  logId,
  url,
  protocol: "rfc6962" as const,
  position,
  frontier: { size: position, hashes: [] },
  verified: { size: position, rootHash: "cc".repeat(32), timestamp: Date.now() - 60_000 },
  verifiedFrontier: { size: position, hashes: [] },
  backfillUntil: 0,
  headSize,
  headTimestamp: Date.now() - 60_000,
  lastEntryTimestamp: Date.now() - 120_000,
  lastError,
  updatedAt: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
});

/** Two CT logs (one behind and failing, one up to date, with a logged certificate of a hostile name), lookalikes. */
async function seed(store: Store, now: Date): Promise<void> {
  const ct = certificate("ct-hostile", [HOSTILE_CT_NAME, "shop.contoso.com"]);
  const logged: CertificateRecord = {
    ...ct,
    identity: "dd".repeat(32),
    summary: {
      ...ct.summary,
      notAfter: new Date(now.getTime() + 40 * 86_400_000).toISOString().slice(0, 19) + "Z",
    },
  };
  await store.recordCtBatch({
    now,
    state: logState("bG9nLWE=", "https://ct.example/argon2026/", 1000, 1500, HOSTILE_LOG_ERROR),
    certificates: [],
    inventory: [],
    roots: [],
    entryErrors: [],
    findings: [],
  });
  await store.recordCtBatch({
    now,
    state: logState("bG9nLWI=", "https://ct.example/xenon2026/", 7000, 7000, null),
    certificates: [logged],
    inventory: [
      {
        identity: "dd".repeat(32),
        sha256: logged.summary.sha256,
        logId: "bG9nLWI=",
        index: 6999,
        entryType: "x509",
        loggedAt: now.getTime() - 120_000,
        issuerKeySha256: null,
        rootSpkiSha256: null,
        rootSubject: null,
        domains: ["contoso.com"],
      },
    ],
    roots: [],
    entryErrors: [],
    findings: [],
  });
  const lookalike = (name: string, unicode: string, reasons: string[], score: number) =>
    draft("similar-domain", name, {
      details: { seenIn: "ct", lookalike: name, unicode, watchedDomain: "contoso.com", reasons, score },
    });
  await store.recordRun(
    run("dns:seed-lookalikes", new Date(now.getTime() - 10 * 60_000), [
      lookalike("contoso-login.com", "contoso-login.com", ["embedded-label"], 72),
      lookalike("xn--cntoso-8of.com", "cоntoso.com", ["confusable"], 95),
    ]),
  );
}

describe("dashboard pages in Chromium", () => {
  let world: DashboardWorld;
  let browser: Browser;
  let hooks: WebhookReceiver;
  const watched: WatchedContext[] = [];

  const signedIn = async (role: WorldRole): Promise<Page> => {
    const w = await watchedContext(browser);
    watched.push({ name: role, ...w });
    const page = await w.context.newPage();
    await signIn(page, world.url, role, PASSWORDS[role]);
    return page;
  };
  const open = async (page: Page, hash: string, heading: string) => {
    await page.goto(`${world.url}/${hash}`);
    await page.getByRole("heading", { level: 1, name: heading }).waitFor();
  };
  const rows = (page: Page, table: string) => page.locator(`table.${table} tbody tr`);

  before(async () => {
    hooks = await startWebhookReceiver({ mode: "slack" });
    const refused = await closedPort();
    [browser, world] = await Promise.all([
      launchChromium(),
      DashboardWorld.start({
        users: ["admin", "operator", "viewer"],
        config: [
          // Nothing is scanned unless asked ("scan now"): within a day of the start, once a week.
          "schedule: { startSpreadSeconds: 86400, scanIntervalMinutes: 10080 }",
          "endpoints:",
          "  - { url: https://config.contoso.com:4443, addresses: [127.0.0.1] }",
          "notify:",
          `  hooks: { type: webhook, preset: slack, url: "${hooks.url}", minSeverity: high }`,
          `  broken: { type: webhook, preset: slack, url: "http://127.0.0.1:${refused}/hook", minSeverity: critical }`,
          "",
        ].join("\n"),
        routes: [
          { target: "hooks", minSeverity: "high", resolved: true },
          { target: "broken", minSeverity: "critical", resolved: true },
        ],
        seed,
      }),
    ]);
  });

  after(async () => {
    try {
      assertNoPageProblems(watched);
    } finally {
      await browser?.close();
      await world?.close();
      await hooks?.close();
    }
  });

  let admin: Page;

  it("certificates: the inventory, filtered, with hostile CT names as text", async () => {
    admin = await signedIn("admin");
    await open(admin, "#/certificates", "Certificates");
    const names = await rows(admin, "certificates").locator("td:nth-child(2)").allTextContents();
    assert.equal(names.length, 6, "five served, one logged");
    assert.match(names[0] ?? "", /expired\.contoso\.com/, "soonest expiry first");
    const ct = rows(admin, "certificates").filter({ hasText: "ct.contoso.com" });
    assert.equal(await ct.getByText(HOSTILE_CT_NAME, { exact: true }).count(), 1, "the CT name as text");
    assert.match((await ct.locator("td:nth-child(5)").textContent()) ?? "", /CT log/);
    const hostile = rows(admin, "certificates").filter({ hasText: HOSTILE_CERT_NAME });
    assert.equal(await hostile.locator("td:nth-child(2)").textContent(), HOSTILE_CERT_NAME);
    assert.equal(await hostile.getByRole("link").count(), 0, "a name that is no host name is no link");
    assert.equal(await admin.locator("main img, main svg").count(), 0, "no element made from a name");

    await admin.getByLabel("Search").fill("later");
    await admin.getByRole("button", { name: "Apply" }).click();
    await admin.waitForURL(/#\/certificates\?search=later$/);
    await eventually(async () => assert.equal(await rows(admin, "certificates").count(), 1));
    assert.equal(await admin.getByLabel("Search").inputValue(), "later", "the filter is kept");
    await admin.getByRole("link", { name: "later.contoso.com", exact: true }).click();
    await admin.waitForURL(/#\/alerts\?domain=later\.contoso\.com$/);
    await admin.getByRole("heading", { level: 1, name: "Alerts" }).waitFor();

    await open(admin, "#/certificates?current=1", "Certificates");
    const current = await rows(admin, "certificates").locator("td:nth-child(2)").allTextContents();
    assert.equal(current.length, 5);
    assert.ok(!current.some((n) => n.includes("expired.contoso.com")), "Hide expired leaves it out");
    const in30Days = new Date(Date.now() + 30 * 86_400_000);
    const day = `${in30Days.getFullYear()}-${String(in30Days.getMonth() + 1).padStart(2, "0")}-${String(in30Days.getDate()).padStart(2, "0")}`;
    await admin.getByLabel("Expiring before").fill(day);
    await admin.getByRole("button", { name: "Apply" }).click();
    await eventually(async () =>
      assert.deepEqual(await rows(admin, "certificates").locator("td:nth-child(2)").allTextContents(), [
        "soon.contoso.com",
        HOSTILE_CERT_NAME,
      ]),
    );
  });

  it("CT logs: position, tree size, lag and the last error as text", async () => {
    await open(admin, "#/ct-logs", "CT logs");
    const argon = rows(admin, "ct-logs").filter({ hasText: "argon2026" });
    const cells = await argon.locator("td").allTextContents();
    assert.deepEqual(cells.slice(1, 6), ["error", "1,000", "1,500", "500", "1,000"]);
    assert.equal(cells[7], HOSTILE_LOG_ERROR);
    const xenon = await rows(admin, "ct-logs")
      .filter({ hasText: "xenon2026" })
      .locator("td")
      .allTextContents();
    assert.deepEqual(xenon.slice(1, 5), ["up to date", "7,000", "7,000", "0"]);
    assert.match(
      (await admin.locator("p.summary").textContent()) ?? "",
      /^2 logs, 500 entries not read yet, 1 with an error/,
    );
    assert.equal(await admin.locator("main b").count(), 0);
  });

  it("delivery: each target's outbox, and a test notification that arrives or says why not", async () => {
    await eventually(async () => {
      await open(admin, "#/delivery", "Delivery");
      const row = await rows(admin, "delivery").filter({ hasText: "hooks" }).locator("td").allTextContents();
      // The seeded alerts of high severity and above: expiring, takeover, the hostile lookalike and two others.
      assert.deepEqual(row.slice(1, 5), ["ok", "0", "none", "5"]);
      assert.equal(hooks.received.length, 5);
      const broken = await rows(admin, "delivery")
        .filter({ hasText: "broken" })
        .locator("td")
        .allTextContents();
      assert.equal(broken[1], "failing");
      assert.equal(broken[2], "1", "the critical takeover waits");
      assert.match(broken[7] ?? "", /ECONNREFUSED|refused|connect/i);
    }, 20_000);

    const before = hooks.received.length;
    await rows(admin, "delivery")
      .filter({ hasText: "hooks" })
      .getByRole("button", { name: "Send test" })
      .click();
    await admin.getByRole("status").filter({ hasText: "The test notification reached hooks." }).waitFor();
    assert.equal(hooks.received.length, before + 1);
    await admin.getByLabel("Target").fill("broken");
    await admin.locator("form").getByRole("button", { name: "Send test" }).click();
    await admin
      .getByRole("alert")
      .filter({ hasText: "broken did not accept the test notification:" })
      .waitFor();
    await admin.getByLabel("Target").fill("nowhere");
    await admin.locator("form").getByRole("button", { name: "Send test" }).click();
    await admin.getByRole("alert").filter({ hasText: "There is no delivery target nowhere." }).waitFor();
  });

  it("domains: takeover risks and lookalikes grouped by watched domain, linking to their alerts", async () => {
    await open(admin, "#/domains", "Domains");
    const contoso = admin.locator('.domain-group[data-domain="contoso.com"]');
    assert.deepEqual(await contoso.locator("table.takeovers tbody tr a").allTextContents(), [
      "old.contoso.com",
    ]);
    assert.deepEqual((await contoso.locator("table.lookalikes tbody tr a").allTextContents()).sort(), [
      "contoso-login.com",
      "xn--cntoso-8of.com",
    ]);
    assert.ok(await contoso.getByText("cоntoso.com", { exact: true }).isVisible(), "the display form");
    assert.match(
      (await contoso.locator("table.takeovers tbody tr").textContent()) ?? "",
      /Azure App Service/,
    );
    const other = admin.locator('.domain-group[data-domain=""]');
    assert.equal(
      await other.locator("table.lookalikes tbody tr").count(),
      1,
      "the one naming no watched domain",
    );
    assert.equal(await admin.locator("main img").count(), 0);
    await contoso.getByRole("link", { name: "old.contoso.com" }).click();
    await admin.getByRole("heading", { level: 1, name: "domain-takeover" }).waitFor();
  });

  it("endpoints: an operator adds a managed endpoint through the form, edits, scans and deletes it; audited", async () => {
    const operator = await signedIn("operator");
    await open(operator, "#/endpoints", "Endpoints");
    const config = rows(operator, "endpoints").filter({ hasText: "config.contoso.com:4443" });
    assert.match((await config.textContent()) ?? "", /certwatch\.yaml/);
    assert.equal(await config.getByRole("button", { name: "Edit" }).count(), 0, "configured: read-only");
    assert.equal(await config.getByRole("button", { name: "Delete" }).count(), 0);

    const form = operator.getByRole("form", { name: "Add an endpoint" });
    await form.getByLabel("Host").fill("shop contoso");
    await form.getByRole("button", { name: "Add endpoint" }).click();
    const refused = form.getByRole("alert");
    await refused.waitFor();
    assert.match((await refused.textContent()) ?? "", /^host: .*\(VALIDATION_FAILED\)$/);

    await form.getByLabel("Host").fill("Shop.Contoso.com");
    await form.getByLabel("Port").fill("8443");
    await form.getByLabel("Pinned addresses").fill("127.0.0.1");
    await form.getByLabel("Scan every (minutes)").fill("30");
    await form.getByRole("button", { name: "Add endpoint" }).click();
    await operator.getByRole("status").filter({ hasText: "Added shop.contoso.com:8443" }).waitFor();
    const shop = rows(operator, "endpoints").filter({ hasText: "shop.contoso.com:8443" });
    // The status line comes before the table is drawn again: wait for the row to say so.
    await eventually(async () =>
      assert.match(
        (await shop.textContent()) ?? "",
        /managed: added by operator.*pinned 127\.0\.0\.1.*30 min/,
      ),
    );

    await shop.getByRole("button", { name: "Edit" }).click();
    const edit = operator.getByRole("form", { name: "Edit shop.contoso.com:8443" });
    await edit.getByLabel("Scan every (minutes)").fill("");
    await edit.getByLabel("Server name (SNI)").fill("shop.contoso.com");
    await edit.getByRole("button", { name: "Save" }).click();
    await operator.getByRole("status").filter({ hasText: "Saved shop.contoso.com:8443." }).waitFor();
    await eventually(async () =>
      assert.match(
        (await shop.textContent()) ?? "",
        /SNI shop\.contoso\.com.*7 d/,
        "back to the default interval",
      ),
    );

    await config.getByRole("button", { name: "Scan now" }).click();
    await operator.getByRole("status").filter({ hasText: "config.contoso.com:4443" }).waitFor();

    await shop.getByRole("button", { name: "Delete" }).click();
    await shop.getByText("Stop scanning shop.contoso.com:8443?").waitFor();
    await shop.getByRole("button", { name: "Cancel" }).click();
    assert.equal(await shop.count(), 1, "cancelled: still there");
    await shop.getByRole("button", { name: "Delete" }).click();
    await shop.getByRole("button", { name: "Yes, delete" }).click();
    await operator.getByRole("status").filter({ hasText: "Deleted shop.contoso.com:8443." }).waitFor();
    // The status line comes before the table is drawn again: wait for the row to go.
    await shop.waitFor({ state: "detached", timeout: 5000 });

    await open(admin, "#/audit?actor=operator", "Audit log");
    const actions = await rows(admin, "audit").locator("td:nth-child(3)").allTextContents();
    assert.deepEqual(actions.slice(0, 4), [
      "endpoint.delete",
      "scan.now",
      "endpoint.update",
      "endpoint.create",
    ]);
    assert.match(
      (await rows(admin, "audit").filter({ hasText: "endpoint.create" }).textContent()) ?? "",
      /shop\.contoso\.com:8443/,
    );
  });

  it("a viewer sees the pages without their actions", async () => {
    const viewer = await signedIn("viewer");
    await open(viewer, "#/endpoints", "Endpoints");
    await rows(viewer, "endpoints").first().waitFor();
    for (const name of ["Scan now", "Edit", "Delete", "Add endpoint"]) {
      assert.equal(await viewer.getByRole("button", { name }).count(), 0, `no ${name} button`);
    }
    await open(viewer, "#/delivery", "Delivery");
    await rows(viewer, "delivery").first().waitFor();
    assert.equal(await viewer.getByRole("button", { name: "Send test" }).count(), 0);
    await open(viewer, "#/users", "Users & tokens");
    await viewer.getByRole("heading", { name: "Your API tokens" }).waitFor();
    assert.equal(await viewer.getByRole("heading", { name: "Users", exact: true }).count(), 0);
    assert.equal(await viewer.getByRole("button", { name: "Add user" }).count(), 0);
    assert.equal(await viewer.getByRole("button", { name: "Create token" }).count(), 1, "their own tokens");
  });

  it("users and tokens: an admin adds and manages a user, and sees a new token's secret once", async () => {
    await open(admin, "#/users", "Users & tokens");
    assert.deepEqual(await rows(admin, "users").locator("td:first-child").allTextContents(), [
      "admin (you)",
      "operator",
      "viewer",
    ]);
    const add = admin.getByRole("form", { name: "Add a user" });
    await add.getByLabel("User name").fill("carol");
    await add.getByLabel("Role").selectOption("operator");
    await add.getByLabel("Initial password").fill("carol-Passw0rd-for-e2e");
    await add.getByRole("button", { name: "Add user" }).click();
    await admin.getByRole("status").filter({ hasText: "Added carol." }).waitFor();
    const carol = rows(admin, "users").filter({ hasText: "carol" });
    await carol.getByLabel("Role of carol").selectOption("viewer");
    await carol.getByRole("button", { name: "Change role" }).click();
    await admin.getByRole("status").filter({ hasText: "carol is now viewer." }).waitFor();
    await carol.getByRole("button", { name: "Disable" }).click();
    await admin.getByRole("status").filter({ hasText: "carol is disabled and signed out." }).waitFor();
    // The status line comes before the table is drawn again: wait for the row's state cell.
    await carol.getByRole("cell", { name: "disabled", exact: true }).waitFor({ timeout: 5000 });
    await carol.getByRole("button", { name: "Delete" }).click();
    await carol.getByRole("button", { name: "Yes, delete" }).click();
    await admin.getByRole("status").filter({ hasText: "Deleted carol." }).waitFor();
    await carol.waitFor({ state: "detached", timeout: 5000 });

    const create = admin.getByRole("form", { name: "Create an API token" });
    await create.getByLabel("Token name").fill("grafana");
    await create.getByLabel("Expires in (days)").fill("30");
    await create.getByRole("button", { name: "Create token" }).click();
    const secretField = admin.getByLabel("New token grafana for admin");
    await secretField.waitFor();
    const token = await secretField.inputValue();
    assert.match(token, /^cw_[a-z2-7]{10}_\S+$/);
    const secret = token.slice(14);
    assert.equal(await secretField.getAttribute("readonly"), "");
    await admin.getByText("Shown only once: copy it now.").waitFor();
    const works = await fetch(`${world.url}/api/v1/session`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    assert.equal(works.status, 200, "the token shown is the token");
    const listed = rows(admin, "tokens").filter({ hasText: "grafana" });
    assert.match((await listed.textContent()) ?? "", /active/);

    await admin.reload();
    await admin.getByRole("heading", { level: 1, name: "Users & tokens" }).waitFor();
    await listed.waitFor();
    assert.ok(!(await admin.content()).includes(secret), "the secret is gone after a reload");
    assert.equal(await admin.getByText("Shown only once").count(), 0);
    const stored = String(
      await admin.evaluate("JSON.stringify(localStorage) + JSON.stringify(sessionStorage)"),
    );
    assert.ok(!stored.includes(secret), "nor kept in the browser's storage");

    await listed.getByRole("button", { name: "Revoke" }).click();
    await listed.getByRole("button", { name: "Yes, revoke" }).click();
    await admin.getByRole("status").filter({ hasText: "Revoked grafana." }).waitFor();
    await eventually(async () => assert.match((await listed.textContent()) ?? "", /revoked/));
    const refused = await fetch(`${world.url}/api/v1/session`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    assert.equal(refused.status, 401, "revoked at once");
  });
});
