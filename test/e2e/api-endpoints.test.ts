/**
 * @module test/e2e/api-endpoints.test
 * Managed endpoints over HTTP: create, change, delete (operators and admins), the schedule listing them (viewers),
 * validation, configured endpoints read-only, the limit, and the audit log. The scheduler is a small stand-in that
 * reads the store when the API asks it to (the daemon's e2e test, serve-endpoints, drives the real one).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ScanTargetInfo } from "../../src/api/index.js";
import { ApiServer, codeOf, type ApiAnswer, type ApiClient } from "../helpers/api-server.js";

const T0 = new Date("2026-11-25T10:00:00Z");
const PW = { vic: "viewer-pw-endpoints-1", olive: "operator-pw-endpoints-2", ada: "admin-pw-endpoints-3" };

/** What certwatch.yaml names: read-only through the API. */
const CONFIGURED: ScanTargetInfo = {
  host: "www.contoso.com",
  port: 443,
  origin: "config",
  intervalMinutes: 60,
  lastRunAt: null,
  nextRunAt: "2026-11-25T10:05:00Z",
  running: false,
};

/** The scheduler's part: the configured target, and the managed ones as the store held them at the last refresh. */
class StandInSchedule {
  targets: ScanTargetInfo[] = [CONFIGURED];
  refreshes = 0;
  constructor(private readonly server: () => ApiServer) {}

  async refresh(): Promise<void> {
    this.refreshes++;
    const managed = await this.server().store.schedule.listManagedEndpoints();
    this.targets = [
      CONFIGURED,
      ...managed
        .filter((m) => !(m.host === CONFIGURED.host && m.port === CONFIGURED.port))
        .map((m) => ({
          host: m.host,
          port: m.port,
          origin: "managed" as const,
          intervalMinutes: m.scanIntervalMinutes ?? 60,
          lastRunAt: null,
          nextRunAt: null,
          running: false,
        })),
    ];
  }
}

async function startServer(max?: number): Promise<{ server: ApiServer; schedule: StandInSchedule }> {
  const ref: { server?: ApiServer } = {};
  const schedule = new StandInSchedule(() => ref.server as ApiServer);
  const server = await ApiServer.start({
    start: T0,
    extra: {
      scanTargets: () => schedule.targets,
      refreshTargets: () => schedule.refresh(),
      ...(max !== undefined && { maxManagedEndpoints: () => max }),
    },
  });
  ref.server = server;
  return { server, schedule };
}

async function signIn(server: ApiServer, name: string, password: string): Promise<ApiClient> {
  const c = server.client();
  const a = await c.login(name, password);
  assert.equal(a.status, 200, a.text);
  return c;
}

function expectError(a: ApiAnswer, status: number, code: string, message?: RegExp): void {
  assert.equal(a.status, status, a.text);
  assert.equal(codeOf(a), code, a.text);
  if (message) assert.match((a.json as { error: { message: string } }).error.message, message);
}

interface Item {
  target: string;
  origin: string;
  intervalMinutes: number;
  managed: Record<string, unknown> | null;
}

void describe("REST API: managed endpoints", () => {
  let server: ApiServer;
  let schedule: StandInSchedule;
  let vic: ApiClient;
  let olive: ApiClient;
  let ada: ApiClient;

  before(async () => {
    ({ server, schedule } = await startServer());
    await server.addUser("vic", "viewer", PW.vic);
    await server.addUser("olive", "operator", PW.olive);
    await server.addUser("ada", "admin", PW.ada);
    vic = await signIn(server, "vic", PW.vic);
    olive = await signIn(server, "olive", PW.olive);
    ada = await signIn(server, "ada", PW.ada);
  });
  after(() => server.close());

  const list = async (c: ApiClient): Promise<Item[]> => {
    const a = await c.get("/endpoints");
    assert.equal(a.status, 200, a.text);
    return (a.json as { items: Item[] }).items;
  };

  void it("an operator adds one: normalised, scheduled at once, listed with its settings, audited", async () => {
    const refreshes = schedule.refreshes;
    const a = await olive.post("/endpoints", {
      host: "API.Contoso.com.",
      port: 8443,
      addresses: ["203.0.113.7", "203.0.113.7", "2001:DB8::7"],
      scanIntervalMinutes: 15,
    });
    assert.equal(a.status, 201, a.text);
    assert.deepEqual(a.json, {
      target: "api.contoso.com:8443",
      host: "api.contoso.com",
      port: 8443,
      addresses: ["203.0.113.7", "2001:db8::7"],
      serverName: null,
      scanIntervalMinutes: 15,
      addedVia: "api",
      addedAt: "2026-11-25T10:00:00Z",
      addedBy: "olive",
    });
    assert.equal(schedule.refreshes, refreshes + 1, "the schedule was read again");

    const items = await list(vic);
    assert.deepEqual(
      items.map((i) => [i.target, i.origin, i.intervalMinutes]),
      [
        ["www.contoso.com:443", "config", 60],
        ["api.contoso.com:8443", "managed", 15],
      ],
    );
    assert.equal(items[0]?.managed, null);
    assert.deepEqual(items[1]?.managed, {
      addresses: ["203.0.113.7", "2001:db8::7"],
      serverName: null,
      scanIntervalMinutes: 15,
      addedVia: "api",
      addedAt: "2026-11-25T10:00:00Z",
      addedBy: "olive",
    });

    // An IPv6 host, port 443 by default; an admin may too.
    const v6 = await ada.post("/endpoints", { host: "[2001:DB8::1]" });
    assert.equal(v6.status, 201, v6.text);
    assert.equal((v6.json as { target: string }).target, "[2001:db8::1]:443");

    const audit = (await ada.get("/audit?action=endpoint.create")).json as {
      items: { actor: string; target: string; details: Record<string, unknown> }[];
    };
    assert.deepEqual(
      audit.items.map((i) => [i.actor, i.target, i.details]),
      [
        [
          "ada",
          "[2001:db8::1]:443",
          { origin: "api", addresses: null, serverName: null, scanIntervalMinutes: null },
        ],
        [
          "olive",
          "api.contoso.com:8443",
          {
            origin: "api",
            addresses: ["203.0.113.7", "2001:db8::7"],
            serverName: null,
            scanIntervalMinutes: 15,
          },
        ],
      ],
    );
  });

  void it("viewers list but change nothing; no credentials, or a session without its CSRF token, change nothing", async () => {
    const before = await server.store.schedule.listManagedEndpoints();
    expectError(await vic.post("/endpoints", { host: "x.contoso.com" }), 403, "FORBIDDEN");
    expectError(
      await vic.patch("/endpoints/api.contoso.com:8443", { scanIntervalMinutes: 5 }),
      403,
      "FORBIDDEN",
    );
    expectError(await vic.delete("/endpoints/api.contoso.com:8443"), 403, "FORBIDDEN");
    expectError(await server.client().post("/endpoints", { host: "x.contoso.com" }), 401, "UNAUTHENTICATED");
    expectError(
      await olive.post("/endpoints", { host: "x.contoso.com" }, { csrf: false }),
      403,
      "CSRF_FAILED",
    );
    assert.deepEqual(await server.store.schedule.listManagedEndpoints(), before);
  });

  void it("refuses what is not an endpoint, naming the field", async () => {
    const cases: [unknown, RegExp][] = [
      [{ host: "bad host!" }, /^host: must be a host name/],
      [{ host: "*.contoso.com" }, /^host: .*wildcard/],
      [{ host: "" }, /^host:/],
      [{ port: 443 }, /^host:/],
      [{ host: "x.contoso.com", port: 0 }, /^port:/],
      [{ host: "x.contoso.com", port: 65_536 }, /^port:/],
      [{ host: "x.contoso.com", port: "443" }, /^port:/],
      [{ host: "x.contoso.com", scanIntervalMinutes: 0 }, /^scanIntervalMinutes:/],
      [{ host: "x.contoso.com", scanIntervalMinutes: 10_081 }, /^scanIntervalMinutes:/],
      [{ host: "x.contoso.com", addresses: ["203.0.113.300"] }, /^addresses\.0: must be an IPv4 or IPv6/],
      [{ host: "x.contoso.com", addresses: [] }, /^addresses:/],
      [{ host: "x.contoso.com", serverName: "not a name" }, /^serverName: must be a host name/],
      [{ host: "x.contoso.com", intervalMinutes: 5 }, /intervalMinutes/],
    ];
    for (const [body, message] of cases) {
      const answer = await olive.post("/endpoints", body);
      expectError(answer, 400, "VALIDATION_FAILED", message);
      // The answer names the field, never repeats the value (docs/api.md): "bad host!", "not a name", "…300".
      assert.doesNotMatch(answer.text, /bad host|not a name|203\.0\.113\.300|\(got /, answer.text);
    }
    expectError(
      await olive.post("/endpoints", undefined, { raw: { contentType: "application/json", data: "{" } }),
      400,
      "MALFORMED_JSON",
    );
    assert.equal((await server.store.schedule.listManagedEndpoints()).length, 2, "nothing was added");
  });

  void it("one that exists is a conflict; a configured one is read-only, whatever the call", async () => {
    expectError(await olive.post("/endpoints", { host: "api.contoso.com", port: 8443 }), 409, "CONFLICT");
    expectError(
      await olive.post("/endpoints", { host: "WWW.contoso.com" }),
      409,
      "ENDPOINT_READ_ONLY",
      /certwatch\.yaml/,
    );
    expectError(
      await olive.patch("/endpoints/www.contoso.com:443", { scanIntervalMinutes: 5 }),
      409,
      "ENDPOINT_READ_ONLY",
    );
    expectError(await olive.delete("/endpoints/www.contoso.com:443"), 409, "ENDPOINT_READ_ONLY");
    const items = await list(vic);
    assert.deepEqual(
      items.filter((i) => i.origin === "config").map((i) => [i.target, i.intervalMinutes]),
      [["www.contoso.com:443", 60]],
    );
  });

  void it("PATCH changes the settings (null: back to the default), keeps who added it, audited", async () => {
    const a = await olive.patch("/endpoints/api.contoso.com:8443", {
      addresses: null,
      serverName: "Origin.Contoso.com",
      scanIntervalMinutes: 30,
    });
    assert.equal(a.status, 200, a.text);
    assert.deepEqual(a.json, {
      target: "api.contoso.com:8443",
      host: "api.contoso.com",
      port: 8443,
      addresses: null,
      serverName: "origin.contoso.com",
      scanIntervalMinutes: 30,
      addedVia: "api",
      addedAt: "2026-11-25T10:00:00Z",
      addedBy: "olive",
    });
    const b = await ada.patch("/endpoints/API.contoso.com:8443", { scanIntervalMinutes: null });
    assert.equal(b.status, 200, b.text);
    assert.equal((b.json as { serverName: string }).serverName, "origin.contoso.com", "left as it was");
    assert.equal((b.json as { scanIntervalMinutes: null }).scanIntervalMinutes, null);
    const item = (await list(vic)).find((i) => i.target === "api.contoso.com:8443");
    assert.equal(item?.intervalMinutes, 60, "the schedule's default again");

    expectError(
      await olive.patch("/endpoints/api.contoso.com:8443", {}),
      400,
      "VALIDATION_FAILED",
      /at least one/,
    );
    expectError(
      await olive.patch("/endpoints/api.contoso.com:8443", { scanIntervalMinutes: 0 }),
      400,
      "VALIDATION_FAILED",
    );
    expectError(
      await olive.patch("/endpoints/nowhere.contoso.com:443", { scanIntervalMinutes: 5 }),
      404,
      "NOT_FOUND",
    );
    expectError(
      await olive.patch("/endpoints/not%20a%20target", { scanIntervalMinutes: 5 }),
      404,
      "NOT_FOUND",
    );

    const audit = (await ada.get("/audit?action=endpoint.update")).json as {
      items: { actor: string; target: string; details: Record<string, unknown> }[];
    };
    assert.deepEqual(
      audit.items.map((i) => [i.actor, i.target, i.details]),
      [
        [
          "ada",
          "api.contoso.com:8443",
          { origin: "api", addresses: null, serverName: "origin.contoso.com", scanIntervalMinutes: null },
        ],
        [
          "olive",
          "api.contoso.com:8443",
          { origin: "api", addresses: null, serverName: "origin.contoso.com", scanIntervalMinutes: 30 },
        ],
      ],
    );
  });

  void it("DELETE removes it from the store and the schedule (204), audited; again: 404", async () => {
    const gone = await olive.delete(`/endpoints/${encodeURIComponent("[2001:db8::1]:443")}`);
    assert.equal(gone.status, 204, gone.text);
    assert.equal(gone.text, "");
    assert.ok(!(await list(vic)).some((i) => i.target === "[2001:db8::1]:443"), "no longer scheduled");
    expectError(
      await olive.delete(`/endpoints/${encodeURIComponent("[2001:db8::1]:443")}`),
      404,
      "NOT_FOUND",
    );
    const audit = (await ada.get("/audit?action=endpoint.delete")).json as {
      items: { actor: string; target: string }[];
    };
    assert.deepEqual(
      audit.items.map((i) => [i.actor, i.target]),
      [["olive", "[2001:db8::1]:443"]],
    );
  });

  void it("the OpenAPI document describes the routes and who may call them", async () => {
    const doc = (await vic.get("/openapi.json")).json as {
      paths: Record<string, Record<string, { "x-certwatch-action": string }>>;
      components: { schemas: Record<string, unknown> };
    };
    assert.equal(doc.paths["/endpoints"]?.post?.["x-certwatch-action"], "endpoints.manage");
    assert.equal(doc.paths["/endpoints/{target}"]?.patch?.["x-certwatch-action"], "endpoints.manage");
    assert.equal(doc.paths["/endpoints/{target}"]?.delete?.["x-certwatch-action"], "endpoints.manage");
    assert.equal(doc.paths["/endpoints"]?.get?.["x-certwatch-action"], "alerts.read");
    assert.ok(doc.components.schemas["CreateEndpoint"]);
    assert.ok(doc.components.schemas["ManagedEndpoint"]);
  });
});

void describe("REST API: managed endpoints, bounded and daemon-bound", () => {
  void it("schedule.maxManagedEndpoints bounds what the API adds", async () => {
    const { server } = await startServer(2);
    try {
      await server.addUser("olive", "operator", PW.olive);
      const c = await signIn(server, "olive", PW.olive);
      for (const host of ["a.contoso.com", "b.contoso.com"]) {
        assert.equal((await c.post("/endpoints", { host })).status, 201);
      }
      expectError(await c.post("/endpoints", { host: "c.contoso.com" }), 409, "ENDPOINT_LIMIT", /allows 2/);
      assert.equal((await c.delete("/endpoints/a.contoso.com:443")).status, 204);
      assert.equal((await c.post("/endpoints", { host: "c.contoso.com" })).status, 201, "room again");
      assert.deepEqual(
        (await server.store.schedule.listManagedEndpoints()).map((m) => m.host),
        ["b.contoso.com", "c.contoso.com"],
      );
    } finally {
      await server.close();
    }
  });

  void it("without a scan schedule, changes answer 501 and nothing is stored", async () => {
    const bare = await ApiServer.start({ start: T0 });
    try {
      await bare.addUser("olive", "operator", PW.olive);
      const c = await signIn(bare, "olive", PW.olive);
      for (const a of [
        await c.post("/endpoints", { host: "x.contoso.com" }),
        await c.patch("/endpoints/x.contoso.com:443", { scanIntervalMinutes: 5 }),
        await c.delete("/endpoints/x.contoso.com:443"),
      ]) {
        expectError(a, 501, "NOT_IMPLEMENTED");
      }
      assert.deepEqual(await bare.store.schedule.listManagedEndpoints(), []);
    } finally {
      await bare.close();
    }
  });
});
