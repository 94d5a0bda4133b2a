/**
 * @module test/e2e/dashboard-domains.test
 * The Domains page in Chromium against `certwatch serve` with watched domains configured: a group for every
 * watched domain (GET /domains), found or not; a takeover under a watched domain that no lookalike names goes under
 * it (not under a guess from its labels); findings under no watched domain come last; no CSP violation.
 */
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { draft, run } from "../../src/store/contract-fixtures.js";
import type { Store } from "../../src/store/store.js";
import {
  assertNoPageProblems,
  DashboardWorld,
  launchChromium,
  PASSWORDS,
  signIn,
  watchedContext,
  type WatchedContext,
} from "./dashboard-kit.js";

/** A UDP port on loopback that nothing answers: the daemon's own DNS checks get no answer, quickly. */
async function silentUdpPort(): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((resolve) => s.bind(0, "127.0.0.1", resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

async function seed(store: Store, now: Date): Promise<void> {
  await store.recordRun(
    run("dns:seed-domains", new Date(now.getTime() - 5 * 60_000), [
      // Under the watched sub-zone eu.fabrikam.com: the longest watched domain wins.
      draft("domain-takeover", "shop.eu.fabrikam.com", {
        details: { target: "gone.azurewebsites.net", provider: "Azure App Service" },
      }),
      draft("similar-domain", "fabrikam-login.com", {
        details: { seenIn: "ct", lookalike: "fabrikam-login.com", watchedDomain: "fabrikam.com", score: 70 },
      }),
    ]),
  );
}

describe("dashboard: the Domains page groups by the watched domains", () => {
  let world: DashboardWorld;
  let browser: Browser;
  const contexts: WatchedContext[] = [];

  before(async () => {
    const dns = await silentUdpPort();
    [browser, world] = await Promise.all([
      launchChromium(),
      DashboardWorld.start({
        users: ["viewer"],
        config: [
          "domains: [contoso.com, fabrikam.com, eu.fabrikam.com, northwind.example]",
          `dns: { servers: ["127.0.0.1:${dns}"], timeoutMs: 200, tries: 1 }`,
          "lookalikes: { maxCandidates: 1 }",
          "",
        ].join("\n"),
        seed,
      }),
    ]);
  });
  after(async () => {
    await browser?.close();
    await world?.close();
  });

  const viewer = async (): Promise<Page> => {
    const w = { name: "viewer", ...(await watchedContext(browser)) };
    contexts.push(w);
    const page = await w.context.newPage();
    await signIn(page, world.url, "viewer", PASSWORDS.viewer);
    await page.goto(`${world.url}/#/domains`);
    await page.getByRole("heading", { level: 1, name: "Domains" }).waitFor();
    return page;
  };
  const group = (page: Page, domain: string) => page.locator(`.domain-group[data-domain="${domain}"]`);
  const links = (page: Page, domain: string, table: string) =>
    group(page, domain).locator(`table.${table} tbody tr a`).allTextContents();

  it("shows every watched domain, its findings under it, and the rest last", async () => {
    const page = await viewer();
    assert.deepEqual(
      await Promise.all(
        (await page.locator(".domain-group").all()).map((g) => g.getAttribute("data-domain")),
      ),
      // With a takeover first, then with a lookalike, then the others by name; no domain named: last.
      ["contoso.com", "eu.fabrikam.com", "fabrikam.com", "northwind.example", ""],
    );
    assert.match((await page.locator("p.summary").textContent()) ?? "", /under 4 watched domains/);
    assert.deepEqual(await links(page, "eu.fabrikam.com", "takeovers"), ["shop.eu.fabrikam.com"]);
    assert.deepEqual(await links(page, "fabrikam.com", "takeovers"), []);
    assert.deepEqual(await links(page, "fabrikam.com", "lookalikes"), ["fabrikam-login.com"]);
    assert.deepEqual(await links(page, "contoso.com", "takeovers"), ["old.contoso.com"]);
    const northwind = group(page, "northwind.example");
    assert.deepEqual(await northwind.locator("p.empty").allTextContents(), [
      "No takeover risk.",
      "No lookalike domain.",
    ]);
    // The seeded hostile lookalike names no watched domain: shown as text, in the last group.
    assert.equal(await group(page, "").locator("table.lookalikes tbody tr").count(), 1);
    assert.equal(await page.locator("main img").count(), 0);
    assertNoPageProblems(contexts);
  });
});
