/**
 * @module store/metrics-queries.contract
 * The metrics part of the store contract (`store.metrics`): the endpoints' latest served chains, certificate
 * dates and DER, open alerts per event and severity, CT log progress, undelivered notifications per target.
 * Register with `metricsQueriesContract(name, makeStore)`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DeliveryRoute } from "../notify/routing.js";
import { at, certificate, draft, endpoint, observation, run, T0 } from "./contract-fixtures.js";
import type { CtLogState } from "./ct-records.js";
import type { Store } from "./store.js";

const SIEM: DeliveryRoute = { target: "siem", minSeverity: "info", resolved: true };

function logState(logId: string, url: string, over: Partial<CtLogState> = {}): CtLogState {
  return {
    logId,
    url,
    protocol: "rfc6962",
    position: 40,
    frontier: { size: 40, hashes: ["aa".repeat(32)] },
    verified: { size: 40, rootHash: "cc".repeat(32), timestamp: 1_700_000_000_000 },
    verifiedFrontier: { size: 40, hashes: ["aa".repeat(32)] },
    backfillUntil: 0,
    headSize: 100,
    headTimestamp: 1_700_000_123_456,
    lastEntryTimestamp: 1_700_000_000_400,
    lastError: null,
    updatedAt: "2026-11-25T10:00:00Z",
    ...over,
  };
}

export function metricsQueriesContract(
  name: string,
  makeStore: (routes: readonly DeliveryRoute[]) => Promise<Store>,
): void {
  async function withStore(fn: (store: Store) => Promise<void>, routes: readonly DeliveryRoute[] = []) {
    const store = await makeStore(routes);
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  }

  void describe(`Store contract (metrics): ${name}`, () => {
    void it("each endpoint's latest observation, when it served a chain; stale and failing endpoints left out", () =>
      withStore(async (store) => {
        const leaf = certificate("www");
        const renewed = certificate("www-renewed");
        const int = certificate("intermediate", []);
        const www = endpoint("www.contoso.com", "203.0.113.7");
        const www6 = endpoint("www.contoso.com", "2001:db8::7");
        const api = endpoint("api.contoso.com", "203.0.113.8");
        const old = endpoint("old.contoso.com", "203.0.113.9");
        const chain = (ep: typeof www, ...certs: (typeof leaf)[]) => ({
          ...observation(ep, certs[0]),
          chain: certs.map((c) => c.summary.sha256),
        });
        await store.recordRun(
          run("tls:old.contoso.com:443", at(-3 * 24 * 60), [], {
            certificates: [leaf],
            observations: [chain(old, leaf)],
          }),
        );
        await store.recordRun(
          run("tls:www.contoso.com:443", T0, [], {
            certificates: [leaf, int],
            observations: [chain(www, leaf, int), chain(www6, leaf, int)],
          }),
        );
        await store.recordRun(
          run("tls:api.contoso.com:443", T0, [], { certificates: [leaf], observations: [chain(api, leaf)] }),
        );
        // Later: www serves its renewal on one address, api stops answering.
        await store.recordRun(
          run("tls:www.contoso.com:443", at(60), [], {
            certificates: [renewed, int],
            observations: [chain(www, renewed, int), chain(www6, leaf, int)],
          }),
        );
        await store.recordRun(
          run("tls:api.contoso.com:443", at(60), [], { observations: [observation(api)] }),
        );

        const served = await store.metrics.servedEndpoints(at(-24 * 60), 100);
        assert.deepEqual(
          served.map((e) => [e.host, e.port, e.address, e.observedAt, e.chain]),
          [
            [
              "www.contoso.com",
              443,
              "2001:db8::7",
              "2026-11-25T11:00:00Z",
              [leaf.summary.sha256, int.summary.sha256],
            ],
            [
              "www.contoso.com",
              443,
              "203.0.113.7",
              "2026-11-25T11:00:00Z",
              [renewed.summary.sha256, int.summary.sha256],
            ],
          ],
        );
        assert.equal((await store.metrics.servedEndpoints(at(-24 * 60), 1)).length, 1);
        assert.equal((await store.metrics.servedEndpoints(at(-4 * 24 * 60), 100)).length, 3);
      }));

    void it("certificate dates and DER by SHA-256; unknown hashes are left out", () =>
      withStore(async (store) => {
        const a = certificate("a");
        const b = certificate("b");
        await store.recordRun(
          run("tls:a.contoso.com:443", T0, [], { certificates: [a, b], observations: [] }),
        );
        const dates = await store.metrics.certificateDates([
          a.summary.sha256,
          "00".repeat(32),
          a.summary.sha256,
        ]);
        assert.deepEqual(dates, [
          {
            sha256: a.summary.sha256,
            serialNumber: a.summary.serialNumber,
            subject: a.summary.subject,
            issuer: a.summary.issuer,
            notBefore: a.summary.notBefore,
            notAfter: a.summary.notAfter,
          },
        ]);
        const der = await store.metrics.certificateDer([b.summary.sha256, "00".repeat(32)]);
        assert.deepEqual([...der.keys()], [b.summary.sha256]);
        assert.deepEqual(der.get(b.summary.sha256), b.der);
        assert.deepEqual(await store.metrics.certificateDates([]), []);
      }));

    void it("open alerts counted by event and severity; resolved ones are not", () =>
      withStore(async (store) => {
        await store.recordRun(
          run("tls:a.contoso.com:443", T0, [
            draft("hsts-missing", "a"),
            draft("hsts-missing", "b"),
            draft("hsts-missing", "c", { severity: "high" }),
            draft("self-signed", "d"),
          ]),
        );
        await store.recordRun(run("tls:b.contoso.com:443", T0, [draft("revoked", "e")]));
        await store.recordRun(run("tls:b.contoso.com:443", at(5), [])); // resolves e
        const counts = await store.metrics.openAlertCounts();
        const bySeverity = (id: number) =>
          counts.filter((c) => c.eventId === id).map((c) => [c.severity, c.open]);
        assert.deepEqual(bySeverity(42), [
          ["high", 1],
          ["medium", 2],
        ]);
        assert.deepEqual(bySeverity(31), [["high", 1]]);
        assert.deepEqual(bySeverity(30), []);
      }));

    void it("CT log progress: position, newest tree size and its timestamp per log", () =>
      withStore(async (store) => {
        assert.deepEqual(await store.metrics.ctLogProgress(), []);
        const batch = (state: CtLogState) => ({
          now: T0,
          state,
          certificates: [],
          inventory: [],
          roots: [],
          entryErrors: [],
          findings: [],
        });
        await store.recordCtBatch(batch(logState("bG9nMQ==", "https://b.ct.example/")));
        await store.recordCtBatch(
          batch(
            logState("bG9nMg==", "https://a.ct.example/", { position: 0, headSize: 0, headTimestamp: null }),
          ),
        );
        assert.deepEqual(await store.metrics.ctLogProgress(), [
          { logId: "bG9nMg==", url: "https://a.ct.example/", position: 0, headSize: 0, headTimestamp: null },
          {
            logId: "bG9nMQ==",
            url: "https://b.ct.example/",
            position: 40,
            headSize: 100,
            headTimestamp: 1_700_000_123_456,
          },
        ]);
      }));

    void it("undelivered notifications per target; delivered ones are not pending", () =>
      withStore(
        async (store) => {
          assert.deepEqual(await store.metrics.outboxPending(), []);
          await store.recordRun(
            run("tls:a.contoso.com:443", T0, [draft("hsts-missing", "a"), draft("hsts-missing", "b")]),
          );
          const [first] = await store.claimOutbox("siem", 1, at(1), at(2));
          assert.ok(first);
          await store.completeOutbox([first.rowId], at(1));
          assert.deepEqual(await store.metrics.outboxPending(), [{ target: "siem", pending: 1 }]);
        },
        [SIEM],
      ));
  });
}
