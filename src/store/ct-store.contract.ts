/**
 * @module store/ct-store.contract
 * The CT part of the Store contract: log state round trip, one-transaction batches, additive entry alerts,
 * the log health scope, and the inventory lookups. Registered beside storeContract.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { at, certificate, draft, endpoint, observation, run, T0 } from "./contract-fixtures.js";
import type { CtBatchRecord, CtLogState } from "./ct-records.js";
import { CT_EXPIRY_SCOPE } from "./ct-records.js";
import type { Store } from "./store.js";

const LOG = "bG9nLWlk";

function state(over: Partial<CtLogState> = {}): CtLogState {
  return {
    logId: LOG,
    url: "https://ct.example/2026/",
    protocol: "rfc6962",
    position: 3,
    frontier: { size: 3, hashes: ["aa".repeat(32), "bb".repeat(32)] },
    verified: { size: 2, rootHash: "cc".repeat(32), timestamp: 1_700_000_000_000 },
    verifiedFrontier: { size: 2, hashes: ["dd".repeat(32)] },
    backfillUntil: 0,
    headSize: 5,
    headTimestamp: 1_700_000_000_500,
    lastEntryTimestamp: 1_700_000_000_400,
    lastError: null,
    updatedAt: "2026-11-25T10:00:00Z",
    ...over,
  };
}

function batch(over: Partial<CtBatchRecord> = {}): CtBatchRecord {
  return {
    now: T0,
    state: state(),
    certificates: [],
    inventory: [],
    roots: [],
    entryErrors: [],
    findings: [],
    ...over,
  };
}

export function ctStoreContract(name: string, makeStore: () => Promise<Store>): void {
  async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
    const store = await makeStore();
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  }

  void describe(`Store contract (CT): ${name}`, () => {
    void it("stores a log's state with its batch and reads it back exactly", () =>
      withStore(async (store) => {
        assert.equal(await store.getCtLogState(LOG), undefined);
        await store.recordCtBatch(batch());
        assert.deepEqual(await store.getCtLogState(LOG), state());
        const moved = state({ position: 9, headSize: 9, lastError: "unreachable: timeout" });
        await store.recordCtBatch(batch({ state: moved, now: at(1) }));
        assert.deepEqual(await store.listCtLogStates(), [moved]);
      }));

    void it("entry alerts are additive: a later batch without them resolves nothing, a repeat touches", () =>
      withStore(async (store) => {
        const sub = draft("new-subdomain", "shop.contoso.com");
        const first = await store.recordCtBatch(batch({ findings: [sub] }));
        assert.deepEqual(
          first.map((c) => c.kind),
          ["opened"],
        );
        assert.deepEqual(await store.recordCtBatch(batch({ now: at(1) })), []);
        const again = await store.recordCtBatch(batch({ now: at(2), findings: [sub] }));
        assert.deepEqual(
          again.map((c) => c.kind),
          ["touched"],
        );
        assert.equal((await store.getAlert(sub.id))?.status, "open");
      }));

    void it("the log's health alert resolves when a batch judges the log healthy again", () =>
      withStore(async (store) => {
        const bad = draft("ct-log-misbehaving", LOG, { details: { reason: "sth-signature" } });
        await store.recordCtBatch(batch({ logFindings: [bad] }));
        // A batch that does not judge the log leaves it open.
        await store.recordCtBatch(batch({ now: at(1) }));
        assert.equal((await store.getAlert(bad.id))?.status, "open");
        const healed = await store.recordCtBatch(batch({ now: at(2), logFindings: [] }));
        assert.deepEqual(
          healed.map((c) => [c.kind, c.alert.id]),
          [["resolved", bad.id]],
        );
      }));

    void it("inventory, names, roots and entry errors are written with the batch", () =>
      withStore(async (store) => {
        const cert = certificate("shop", ["shop.contoso.com", "*.api.contoso.com"]);
        await store.recordCtBatch(
          batch({
            certificates: [{ ...cert, identity: "11".repeat(32), precertificate: true }],
            inventory: [
              {
                identity: "11".repeat(32),
                sha256: cert.summary.sha256,
                logId: LOG,
                index: 7,
                entryType: "precert",
                loggedAt: 1_700_000_000_000,
                issuerKeySha256: "22".repeat(32),
                rootSpkiSha256: "33".repeat(32),
                rootSubject: "CN=Root",
                domains: ["contoso.com"],
              },
            ],
            roots: [{ domain: "contoso.com", rootSpkiSha256: "33".repeat(32), rootSubject: "CN=Root" }],
            entryErrors: [{ index: 8, error: "leaf: truncated" }],
          }),
        );
        assert.deepEqual(
          await store.knownCtIdentities(["11".repeat(32), "44".repeat(32)]),
          new Set(["11".repeat(32)]),
        );
        assert.deepEqual(
          await store.knownNames(["shop.contoso.com", "*.api.contoso.com", "new.contoso.com"]),
          new Set(["shop.contoso.com", "*.api.contoso.com"]),
        );
        assert.deepEqual(
          await store.rootBaseline(["contoso.com", "fabrikam.com"]),
          new Map([["contoso.com", new Set(["33".repeat(32)])]]),
        );
        const under = await store.certificatesUnder(["contoso.com"]);
        assert.deepEqual(under, [{ summary: cert.summary, identity: "11".repeat(32), precertificate: true }]);
        assert.deepEqual(await store.certificatesUnder(["fabrikam.com"]), []);
        assert.deepEqual(await store.namesUnder(["contoso.com"]), ["api.contoso.com", "shop.contoso.com"]);
        assert.deepEqual(await store.namesUnder(["api.contoso.com"]), ["api.contoso.com"]);
        assert.deepEqual(
          (await store.certificatesForName("shop.contoso.com")).map((c) => c.sha256),
          [cert.summary.sha256],
        );
      }));

    void it("scanned endpoint hosts count as known names", () =>
      withStore(async (store) => {
        const www = endpoint("www.contoso.com");
        await store.recordRun(run("tls:www.contoso.com:443", T0, [], { observations: [observation(www)] }));
        assert.deepEqual(await store.knownNames(["WWW.contoso.com."]), new Set(["www.contoso.com"]));
        assert.deepEqual(await store.namesUnder(["contoso.com"]), ["www.contoso.com"]);
      }));

    void it("a CT alert held by entries and by the expiry scope stays open until both let go", () =>
      withStore(async (store) => {
        const expiring = draft("certificate-expiring-not-renewed", "55".repeat(32));
        await store.recordRun(run(CT_EXPIRY_SCOPE, T0, [expiring]));
        const resolved = await store.recordRun(run(CT_EXPIRY_SCOPE, at(1), []));
        assert.deepEqual(
          resolved.map((c) => c.kind),
          ["resolved"],
        );
      }));

    void it("caches a signed log list by URL", () =>
      withStore(async (store) => {
        const url = "https://www.gstatic.com/ct/log_list/v3/log_list.json";
        assert.equal(await store.getLogListCache(url), undefined);
        const entry = {
          url,
          json: new Uint8Array([123, 125]),
          signature: new Uint8Array([1, 2, 3]),
          fetchedAt: "2026-11-25T10:00:00Z",
        };
        await store.putLogListCache(entry);
        await store.putLogListCache({ ...entry, signature: null });
        assert.deepEqual(await store.getLogListCache(url), { ...entry, signature: null });
      }));
  });
}
