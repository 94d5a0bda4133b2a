/**
 * @module store/schedule-store.contract
 * The schedule part of the store contract: jobs' last runs, and managed endpoints (with their audit entries).
 * Register with `scheduleStoreContract(name, makeStore)`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AuditContext } from "./auth-records.js";
import { at, iso, T0 } from "./contract-fixtures.js";
import type { ManagedEndpoint } from "./schedule-records.js";
import type { Store } from "./store.js";

const ADMIN: AuditContext = { actor: { kind: "user", name: "alice" }, at: T0, ip: "127.0.0.1" };

const managed = (host: string, port = 443, extra: Partial<ManagedEndpoint> = {}): ManagedEndpoint => ({
  host,
  port,
  origin: "api",
  createdAt: iso(T0),
  createdBy: "alice",
  ...extra,
});

export function scheduleStoreContract(name: string, makeStore: () => Promise<Store>): void {
  async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
    const store = await makeStore();
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  }

  describe(`schedule store contract: ${name}`, () => {
    it("keeps each job's last run, replaces it, and forgets the jobs it is told to", () =>
      withStore(async (store) => {
        const s = store.schedule;
        assert.equal((await s.lastRuns()).size, 0);
        await s.recordScheduleRun({ job: "tls:a.test:443", at: iso(T0), durationMs: 12.4, error: null });
        await s.recordScheduleRun({ job: "domains", at: iso(T0), durationMs: 5, error: null });
        await s.recordScheduleRun({ job: "tls:a.test:443", at: iso(at(60)), durationMs: 30, error: "boom" });
        const runs = await s.lastRuns();
        assert.deepEqual(runs.get("tls:a.test:443"), {
          job: "tls:a.test:443",
          at: iso(at(60)),
          durationMs: 30,
          error: "boom",
        });
        assert.equal(runs.get("domains")?.durationMs, 5);
        assert.deepEqual(await s.lastRun("tls:a.test:443"), runs.get("tls:a.test:443"));
        assert.equal(await s.lastRun("tls:never.test:443"), undefined);
        await s.forgetScheduleRuns(["tls:a.test:443", "tls:never.test:443"]);
        assert.deepEqual([...(await s.lastRuns()).keys()], ["domains"]);
      }));

    it("adds, updates and deletes managed endpoints, auditing each change made by someone", () =>
      withStore(async (store) => {
        const s = store.schedule;
        assert.deepEqual(await s.putManagedEndpoint(managed("b.test", 8443), ADMIN), { created: true });
        assert.deepEqual(
          await s.putManagedEndpoint(
            managed("b.test", 8443, {
              addresses: ["192.0.2.1"],
              serverName: "sni.test",
              scanIntervalMinutes: 15,
            }),
            ADMIN,
          ),
          { created: false },
        );
        await s.putManagedEndpoint(managed("a.test"));
        const list = await s.listManagedEndpoints();
        assert.deepEqual(
          list.map((e) => `${e.host}:${e.port}`),
          ["a.test:443", "b.test:8443"],
        );
        assert.deepEqual(list[1], {
          ...managed("b.test", 8443),
          addresses: ["192.0.2.1"],
          serverName: "sni.test",
          scanIntervalMinutes: 15,
        });
        await s.recordScheduleRun({ job: "tls:b.test:8443", at: iso(T0), durationMs: 1, error: null });
        assert.equal(await s.deleteManagedEndpoint("b.test", 8443, ADMIN), true);
        assert.equal(await s.deleteManagedEndpoint("b.test", 8443, ADMIN), false);
        assert.equal((await s.lastRuns()).has("tls:b.test:8443"), false, "its last run goes with it");
        const audit = await store.auth.listAudit();
        assert.deepEqual(audit.map((e) => [e.action, e.target, e.actor]).reverse(), [
          ["endpoint.create", "b.test:8443", { kind: "user", name: "alice" }],
          ["endpoint.update", "b.test:8443", { kind: "user", name: "alice" }],
          ["endpoint.delete", "b.test:8443", { kind: "user", name: "alice" }],
        ]);
      }));

    it("a discovered host never replaces an operator's entry", () =>
      withStore(async (store) => {
        const s = store.schedule;
        await s.putManagedEndpoint(managed("c.test", 443, { scanIntervalMinutes: 5 }));
        const found = managed("c.test", 443, { origin: "ct", createdBy: null });
        assert.equal(await s.addManagedEndpointIfAbsent(found), false);
        assert.equal(
          await s.addManagedEndpointIfAbsent(managed("d.test", 443, { origin: "ct", createdBy: null })),
          true,
        );
        const list = await s.listManagedEndpoints();
        assert.deepEqual(
          list.map((e) => [e.host, e.origin, e.scanIntervalMinutes ?? null]),
          [
            ["c.test", "api", 5],
            ["d.test", "ct", null],
          ],
        );
      }));
  });
}
