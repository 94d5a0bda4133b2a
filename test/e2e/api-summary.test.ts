/**
 * @module test/e2e/api-summary.test
 * `GET /summary` over HTTP: open alerts counted by severity (as stored, overrides included), by source and by
 * event; resolved alerts are not counted, acknowledged ones are; any signed-in role may read it, nobody else.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { draft, endpoint, run } from "../../src/store/contract-fixtures.js";
import { ApiServer, codeOf, type ApiClient } from "../helpers/api-server.js";

const T0 = new Date("2026-11-25T10:00:00Z");

interface Summary {
  openAlerts: {
    total: number;
    bySeverity: Record<string, number>;
    bySource: Record<string, number>;
    byEvent: { eventId: number; name: string; source: string; severity: string; open: number }[];
  };
}

void describe("REST API summary", () => {
  let server: ApiServer;
  let vic: ApiClient;

  before(async () => {
    server = await ApiServer.start({ start: T0 });
    await server.addUser("vic", "viewer", "viewer-pw-summary-1");
    const hsts = (host: string) =>
      draft("hsts-missing", `${host}:443`, { subject: host, endpoint: endpoint(host) });
    await server.store.recordRun(
      run("tls:a", T0, [hsts("a.contoso.com"), hsts("b.contoso.com"), hsts("c.contoso.com")]),
    );
    // The next run of the scope no longer finds c: resolved, not counted.
    await server.store.recordRun(
      run("tls:a", new Date(T0.getTime() + 60_000), [hsts("a.contoso.com"), hsts("b.contoso.com")]),
    );
    await server.store.recordRun(
      run("ct:entries", T0, [
        draft("similar-domain", "contoso-login.com"),
        draft("similar-domain", "contoso-pay.com", { severity: "critical" }),
      ]),
    );
    await server.store.recordRun(run("dns:takeover", T0, [draft("domain-takeover", "old.contoso.com")]));
    vic = server.client();
    assert.equal((await vic.login("vic", "viewer-pw-summary-1")).status, 200);
  });
  after(() => server.close());

  void it("counts the open alerts by severity, source and event", async () => {
    const a = await vic.get("/summary");
    assert.equal(a.status, 200, a.text);
    const { openAlerts } = a.json as Summary;
    assert.equal(openAlerts.total, 5);
    assert.deepEqual(openAlerts.bySeverity, { info: 0, low: 0, medium: 2, high: 1, critical: 2 });
    assert.deepEqual(openAlerts.bySource, { ct: 2, tls: 2, dns: 1 });
    assert.deepEqual(openAlerts.byEvent, [
      { eventId: 42, name: "hsts-missing", source: "tls", severity: "medium", open: 2 },
      { eventId: 12, name: "similar-domain", source: "ct", severity: "critical", open: 1 },
      { eventId: 12, name: "similar-domain", source: "ct", severity: "high", open: 1 },
      { eventId: 18, name: "domain-takeover", source: "dns", severity: "critical", open: 1 },
    ]);
  });

  void it("needs a signed-in caller", async () => {
    const anonymous = await server.client().get("/summary");
    assert.equal(anonymous.status, 401);
    assert.equal(codeOf(anonymous), "UNAUTHENTICATED");
  });
});
