/**
 * @module store/lease-store.test
 * The work leases on both engines (SQLite file, PostgreSQL): take, renew, release, takeover once the holder stops
 * renewing, and the fence — a CT batch of a worker that lost its log's lease is refused and writes nothing. On
 * PostgreSQL, several stores racing for one lease: exactly one wins.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { TestDatabases } from "../../test/helpers/postgres.js";
import { draft, T0 } from "./contract-fixtures.js";
import type { CtBatchRecord, CtLogState } from "./ct-records.js";
import { LeaseLostError } from "./lease-store.js";
import { openStore } from "./open.js";
import type { Store } from "./store.js";

const dir = mkdtempSync(join(tmpdir(), "certwatch-leases-"));
let n = 0;
const databases = new TestDatabases();
after(async () => {
  await databases.dropAll();
  rmSync(dir, { recursive: true, force: true });
});
await databases.ready();

function state(logId: string, position: number): CtLogState {
  return {
    logId,
    url: `https://ct.example/${logId}/`,
    protocol: "rfc6962",
    position,
    frontier: { size: position, hashes: [] },
    verified: { size: 0, rootHash: "00".repeat(32), timestamp: 0 },
    verifiedFrontier: { size: 0, hashes: [] },
    backfillUntil: 0,
    headSize: position,
    headTimestamp: null,
    lastEntryTimestamp: null,
    lastError: null,
    updatedAt: "2026-11-25T10:00:00Z",
  };
}

function batch(logId: string, position: number, fence?: CtBatchRecord["fence"]): CtBatchRecord {
  return {
    now: T0,
    state: state(logId, position),
    certificates: [],
    inventory: [],
    roots: [],
    entryErrors: [],
    findings: [draft("new-subdomain", `host${position}.contoso.com`)],
    ...(fence ? { fence } : {}),
  };
}

function leaseContract(name: string, open: () => Promise<Store>): void {
  async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
    const store = await open();
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  }

  describe(`work leases: ${name}`, () => {
    it("is taken when free, refused to another while held, renewed and released by its holder only", () =>
      withStore(async ({ leases }) => {
        assert.equal(await leases.take("ct:log-a", "w1#1", 10_000), true);
        assert.equal(await leases.take("ct:log-a", "w2#1", 10_000), false);
        assert.equal(await leases.take("ct:log-a", "w1#1", 10_000), true, "its holder takes it again");
        assert.equal(await leases.renew("ct:log-a", "w1#1", 10_000), true);
        assert.equal(await leases.renew("ct:log-a", "w2#1", 10_000), false);
        await leases.release("ct:log-a", "w2#1");
        assert.deepEqual(
          (await leases.listHeld()).map((l) => [l.name, l.holder]),
          [["ct:log-a", "w1#1"]],
        );
        await leases.release("ct:log-a", "w1#1");
        assert.deepEqual(await leases.listHeld(), []);
        assert.equal(await leases.take("ct:log-a", "w2#1", 10_000), true, "free again after the release");
      }));

    it("is taken over once its holder stops renewing, and the old holder's renewal then fails", () =>
      withStore(async ({ leases }) => {
        assert.equal(await leases.take("scan:tls:a.test:443", "w1#1", 300), true);
        assert.equal(await leases.take("scan:tls:a.test:443", "w2#1", 300), false);
        await delay(450);
        assert.deepEqual(await leases.listHeld(), [], "an expired lease is held by nobody");
        assert.equal(await leases.take("scan:tls:a.test:443", "w2#1", 10_000), true);
        assert.equal(await leases.renew("scan:tls:a.test:443", "w1#1", 10_000), false);
        const held = await leases.listHeld();
        assert.equal(held[0]?.holder, "w2#1");
        assert.ok((held[0]?.expiresAt ?? 0) > Date.now() + 5000, "expires ttl from the database's now");
      }));

    it("fences CT batches: written while the lease is the writer's, refused (nothing written) once taken over", () =>
      withStore(async (store) => {
        const { leases } = store;
        const lease = "ct:log-f";
        assert.equal(await leases.take(lease, "w1#1", 300), true);
        await store.recordCtBatch(batch("log-f", 10, { lease, holder: "w1#1" }));
        assert.equal((await store.getCtLogState("log-f"))?.position, 10);

        await delay(450);
        // Expired but taken over by nobody: its holder may still commit (a takeover would wait for it).
        await store.recordCtBatch(batch("log-f", 20, { lease, holder: "w1#1" }));
        assert.equal((await store.getCtLogState("log-f"))?.position, 20);

        assert.equal(await leases.take(lease, "w2#1", 10_000), true);
        await store.recordCtBatch(batch("log-f", 30, { lease, holder: "w2#1" }));
        await assert.rejects(
          store.recordCtBatch(batch("log-f", 25, { lease, holder: "w1#1" })),
          (e: unknown) => e instanceof LeaseLostError && e.lease === lease,
        );
        assert.equal((await store.getCtLogState("log-f"))?.position, 30, "the new holder's position stands");
        const open = await store.listAlerts({ status: "open" });
        assert.ok(!open.some((a) => a.subject === "host25.contoso.com"), "the refused batch raised nothing");

        await leases.release(lease, "w2#1");
        await assert.rejects(
          store.recordCtBatch(batch("log-f", 40, { lease, holder: "w2#1" })),
          LeaseLostError,
        );
      }));
  });
}

leaseContract("SQLite file", () => openStore(`sqlite:${join(dir, `leases-${n++}.db`)}`));
leaseContract("PostgreSQL", async () => openStore(await databases.createMigrated()));

describe("work leases: PostgreSQL, several stores at once", () => {
  it("hands an expired lease to exactly one of the workers racing for it", async () => {
    const url = await databases.createMigrated();
    const stores = await Promise.all([openStore(url), openStore(url), openStore(url)]);
    try {
      const [first] = stores;
      assert.ok(first);
      assert.equal(await first.leases.take("planner", "w0#1", 200), true);
      await delay(300);
      const won = await Promise.all(
        stores.flatMap((s, i) => [1, 2, 3].map((k) => s.leases.take("planner", `w${i + 1}#${k}`, 10_000))),
      );
      assert.equal(won.filter(Boolean).length, 1);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
