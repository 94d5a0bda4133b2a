/**
 * @module test/e2e/api-status.test
 * The daemon's status over HTTP: CT logs (lag), the delivery outbox, endpoints, and the actions the daemon
 * performs on request (scan now, test delivery). The daemon's callbacks are plain functions here, recording what
 * the API asked (the daemon's own e2e test drives the real ones); answers, roles and audit entries are the API's.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DeliveryTestResult, ScanNowResult, ScanTargetInfo } from "../../src/api/index.js";
import { draft, run } from "../../src/store/contract-fixtures.js";
import type { DeliveryRoute } from "../../src/notify/routing.js";
import { ApiServer, codeOf, type ApiClient } from "../helpers/api-server.js";

const T0 = new Date("2026-11-25T10:00:00Z");
const PW = { vic: "viewer-pw-status-1", olive: "operator-pw-status-2" };

const TARGETS: ScanTargetInfo[] = [
  {
    host: "www.contoso.com",
    port: 443,
    origin: "config",
    intervalMinutes: 60,
    lastRunAt: "2026-11-25T09:30:00Z",
    nextRunAt: "2026-11-25T10:30:00Z",
    running: false,
  },
  {
    host: "2001:db8::7",
    port: 8443,
    origin: "managed",
    intervalMinutes: 15,
    lastRunAt: null,
    nextRunAt: null,
    running: true,
  },
];

void describe("REST API status: CT logs, delivery, endpoints", () => {
  let server: ApiServer;
  let vic: ApiClient;
  let olive: ApiClient;
  const scans: string[] = [];
  const tests: string[] = [];

  before(async () => {
    server = await ApiServer.start({
      start: T0,
      extra: {
        scanTargets: () => TARGETS,
        scanNow: (target): Promise<ScanNowResult> => {
          scans.push(target);
          const known = ["www.contoso.com:443", "[2001:db8::7]:8443"].includes(target);
          return Promise.resolve({
            accepted: known,
            message: known ? `scan of ${target} queued` : "unknown",
          });
        },
        testDelivery: (target): Promise<DeliveryTestResult> => {
          tests.push(target);
          return Promise.resolve(
            target === "siem"
              ? { found: true, delivered: false, error: "HTTP 503 from the receiver" }
              : { found: target === "mail", delivered: true, error: null },
          );
        },
      },
    });
    await server.addUser("vic", "viewer", PW.vic);
    await server.addUser("olive", "operator", PW.olive);
    vic = server.client();
    olive = server.client();
    assert.equal((await vic.login("vic", PW.vic)).status, 200);
    assert.equal((await olive.login("olive", PW.olive)).status, 200);
  });
  after(() => server.close());

  void it("GET /ct/logs: each log's position, head and lag", async () => {
    assert.deepEqual((await vic.get("/ct/logs")).json, { items: [] });
    await server.store.recordCtBatch({
      now: T0,
      state: {
        logId: "bG9nLWlk",
        url: "https://ct.example/2026/",
        protocol: "rfc6962",
        position: 1000,
        frontier: { size: 1000, hashes: [] },
        verified: { size: 900, rootHash: "cc".repeat(32), timestamp: 1_764_064_800_000 },
        verifiedFrontier: { size: 900, hashes: [] },
        backfillUntil: 0,
        headSize: 1500,
        headTimestamp: 1_764_064_800_000,
        lastEntryTimestamp: null,
        lastError: "get-entries: HTTP 429",
        updatedAt: "2026-11-25T10:00:00Z",
      },
      certificates: [],
      inventory: [],
      roots: [],
      entryErrors: [],
      findings: [],
    });
    const a = await vic.get("/ct/logs");
    assert.equal(a.status, 200, a.text);
    assert.deepEqual(a.json, {
      items: [
        {
          logId: "bG9nLWlk",
          url: "https://ct.example/2026/",
          protocol: "rfc6962",
          position: 1000,
          headSize: 1500,
          lag: 500,
          verifiedSize: 900,
          headTime: "2025-11-25T10:00:00Z",
          lastEntryTime: null,
          lastError: "get-entries: HTTP 429",
          updatedAt: "2026-11-25T10:00:00Z",
        },
      ],
    });
    assert.equal((await server.client().get("/ct/logs")).status, 401);
  });

  void it("GET /delivery: the outbox per target", async () => {
    const routes: DeliveryRoute[] = [{ target: "siem", minSeverity: "info", resolved: true }];
    const routed = await ApiServer.start({ start: T0, routes });
    try {
      await routed.addUser("vic", "viewer", PW.vic);
      const c = routed.client();
      assert.equal((await c.login("vic", PW.vic)).status, 200);
      assert.deepEqual((await c.get("/delivery")).json, { items: [] });
      await routed.store.recordRun(run("tls:x", T0, [draft("hsts-missing", "x"), draft("weak-key", "y")]));
      const a = await c.get("/delivery");
      assert.equal(a.status, 200, a.text);
      assert.deepEqual(a.json, {
        items: [
          {
            target: "siem",
            pending: 2,
            delivered: 0,
            oldestPending: "2026-11-25T10:00:00Z",
            nextAttemptAt: "2026-11-25T10:00:00.000Z",
            maxAttempts: 0,
            lastError: null,
          },
        ],
      });
    } finally {
      await routed.close();
    }
  });

  void it("GET /endpoints lists the schedule; POST /endpoints/{target}/scan queues one (operators), audited", async () => {
    const list = await vic.get("/endpoints");
    assert.equal(list.status, 200, list.text);
    const items = (list.json as { items: { target: string; origin: string; running: boolean }[] }).items;
    assert.deepEqual(
      items.map((i) => [i.target, i.origin, i.running]),
      [
        ["www.contoso.com:443", "config", false],
        ["[2001:db8::7]:8443", "managed", true],
      ],
    );
    assert.equal(codeOf(await vic.post("/endpoints/www.contoso.com:443/scan")), "FORBIDDEN");
    const queued = await olive.post("/endpoints/www.contoso.com:443/scan");
    assert.equal(queued.status, 202, queued.text);
    assert.deepEqual(queued.json, {
      target: "www.contoso.com:443",
      message: "scan of www.contoso.com:443 queued",
    });
    assert.equal(
      (await olive.post(`/endpoints/${encodeURIComponent("[2001:db8::7]:8443")}/scan`)).status,
      202,
    );
    assert.equal(codeOf(await olive.post("/endpoints/nowhere.contoso.com:443/scan")), "NOT_FOUND");
    assert.deepEqual(scans, ["www.contoso.com:443", "[2001:db8::7]:8443", "nowhere.contoso.com:443"]);
    const admin = await adminClient(server);
    const audit = (await admin.get("/audit?action=scan.now")).json as {
      items: { actor: string; target: string }[];
    };
    assert.deepEqual(
      audit.items.map((i) => [i.actor, i.target]),
      [
        ["olive", "[2001:db8::7]:8443"],
        ["olive", "www.contoso.com:443"],
      ],
    );
  });

  void it("POST /delivery/{target}/test sends the sample (operators), answers what the target said, audited", async () => {
    assert.equal(codeOf(await vic.post("/delivery/mail/test")), "FORBIDDEN");
    const ok = await olive.post("/delivery/mail/test");
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.json, { target: "mail", delivered: true, error: null });
    const failed = await olive.post("/delivery/siem/test");
    assert.deepEqual(failed.json, { target: "siem", delivered: false, error: "HTTP 503 from the receiver" });
    assert.equal(codeOf(await olive.post("/delivery/nope/test")), "NOT_FOUND");
    assert.deepEqual(tests, ["mail", "siem", "nope"]);
    const admin = await adminClient(server);
    const audit = (await admin.get("/audit?action=delivery.test")).json as {
      items: { target: string; details: Record<string, unknown> }[];
    };
    assert.deepEqual(
      audit.items.map((i) => [i.target, i.details]),
      [
        ["siem", { delivered: false }],
        ["mail", { delivered: true }],
      ],
    );
  });

  void it("without the daemon's callbacks, the actions and the schedule answer 501", async () => {
    const bare = await ApiServer.start({ start: T0 });
    try {
      await bare.addUser("olive", "operator", PW.olive);
      const c = bare.client();
      assert.equal((await c.login("olive", PW.olive)).status, 200);
      for (const a of [
        await c.get("/endpoints"),
        await c.post("/endpoints/www.contoso.com:443/scan"),
        await c.post("/delivery/mail/test"),
      ]) {
        assert.equal(a.status, 501);
        assert.equal(codeOf(a), "NOT_IMPLEMENTED");
      }
    } finally {
      await bare.close();
    }
  });
});

async function adminClient(server: ApiServer): Promise<ApiClient> {
  const name = `admin${Math.floor(Math.random() * 1e9)}`;
  await server.addUser(name, "admin", "admin-pw-status-3");
  const c = server.client();
  assert.equal((await c.login(name, "admin-pw-status-3")).status, 200);
  return c;
}
