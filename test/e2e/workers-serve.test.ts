/**
 * `certwatch serve` on PostgreSQL: with --no-work it serves the dashboard and the API only (/readyz needs no
 * scheduler; the endpoints' schedule is read from the store), while another `certwatch serve` does the work like a
 * worker; "scan now" through the --no-work API becomes a job that the working process runs.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openStore } from "../../src/store/open.js";
import { operatorToken, scanned, waitReady, type Daemon } from "./serve-kit.js";
import { workersWorld, type WorkersWorld } from "./workers-world.js";

describe("certwatch serve on PostgreSQL, with and without --no-work", () => {
  let world: WorkersWorld;
  let api: Daemon;
  let url: string;
  let auth: { authorization: string };

  before(async () => {
    world = await workersWorld({ fastTargets: 2, slowResponseMs: 0 });
  });

  after(() => world?.close());

  it("serve --no-work is ready without a scheduler and lists the schedule from the store", async () => {
    api = world.startWorker(["serve", "--no-work"]);
    url = await api.url();
    const ready = (await waitReady(url)) as { checks: { name: string }[] };
    assert.deepEqual(
      ready.checks.map((c) => c.name),
      ["store", "migrations", "queue"],
    );
    const store = await openStore(world.storeUrl);
    try {
      auth = { authorization: `Bearer ${await operatorToken(store)}` };
    } finally {
      await store.close();
    }
    const list = await fetch(`${url}/api/v1/endpoints`, { headers: auth });
    assert.equal(list.status, 200);
    const { items } = (await list.json()) as {
      items: { host: string; origin: string; lastRunAt: string | null }[];
    };
    assert.deepEqual(items.map((i) => [i.host, i.origin, i.lastRunAt]).sort(), [
      ["slow.test", "config", null],
      ["t0.test", "config", null],
      ["t1.test", "config", null],
    ]);
    assert.equal(
      api.lines.some((l) => l.msg === "scanned"),
      false,
      "--no-work scans nothing",
    );
  });

  it("a working serve scans; scan now through the --no-work API runs on it", async () => {
    const worker = world.startWorker(["serve"]);
    const t0 = world.targets[0] ?? "";
    await worker.line(scanned(t0));
    const from = worker.lines.length;
    const now = await fetch(`${url}/api/v1/endpoints/${encodeURIComponent(t0)}/scan`, {
      method: "POST",
      headers: auth,
    });
    assert.equal(now.status, 202, await now.text());
    await worker.line((l) => l.msg === "scan started" && l.target === t0 && l.now === true, from);
    await worker.line(scanned(t0), from);
    const unknown = await fetch(`${url}/api/v1/endpoints/c.test:443/scan`, { method: "POST", headers: auth });
    assert.equal(unknown.status, 404);
    assert.equal(
      api.lines.some((l) => l.msg === "scanned"),
      false,
    );

    for (const d of [api, worker]) d.signal("SIGTERM");
    for (const d of [api, worker]) assert.equal((await d.done).code, 0);
  });
});
