/**
 * @module store/shared-store.contract
 * The store contract for several processes sharing one database (PostgreSQL workers): two stores on one database
 * writing the same scopes, alerts, CT logs and outbox at once lose nothing and double nothing. Register with
 * `sharedStoreContract(name, openPair)`. (SQLite's multi-process behaviour is tested across processes: its driver is
 * synchronous, so two connections in one process would wait on each other's lock, not run side by side.)
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import type { AlertChange } from "../alerts/reconcile.js";
import type { DeliveryRoute } from "../notify/routing.js";
import { at, draft, run, T0 } from "./contract-fixtures.js";
import type { CtBatchRecord, CtLogState } from "./ct-records.js";
import type { OutboxItem, Store } from "./store.js";

const SCOPE = "tls:www.contoso.com:443";
const SIEM: DeliveryRoute = { target: "siem", minSeverity: "info", resolved: true };
const FAR = new Date("2100-01-01T00:00:00Z");

function ctState(logId: string): CtLogState {
  return {
    logId,
    url: `https://ct.example/${logId}/`,
    protocol: "rfc6962",
    position: 1,
    frontier: { size: 1, hashes: [] },
    verified: { size: 0, rootHash: "00".repeat(32), timestamp: 0 },
    verifiedFrontier: { size: 0, hashes: [] },
    backfillUntil: 0,
    headSize: 1,
    headTimestamp: null,
    lastEntryTimestamp: null,
    lastError: null,
    updatedAt: "2026-11-25T10:00:00Z",
  };
}

/** Certificates logged in several logs: the same inventory rows and roots, in the order given. */
function logged(logId: string, labels: readonly string[]): Pick<CtBatchRecord, "inventory" | "roots"> {
  return {
    inventory: labels.map((label, index) => ({
      identity: createHash("sha256").update(label).digest("hex"),
      sha256: createHash("sha256").update(`cert:${label}`).digest("hex"),
      logId,
      index,
      entryType: "x509" as const,
      loggedAt: 1_700_000_000_000,
      issuerKeySha256: null,
      rootSpkiSha256: "33".repeat(32),
      rootSubject: "CN=Root",
      domains: ["contoso.com"],
    })),
    roots: labels.map((label) => ({
      domain: label,
      rootSpkiSha256: "33".repeat(32),
      rootSubject: "CN=Root",
    })),
  };
}

function ctBatch(
  logId: string,
  findings: CtBatchRecord["findings"],
  labels: readonly string[] = [],
): CtBatchRecord {
  return {
    now: T0,
    state: ctState(logId),
    certificates: [],
    ...logged(logId, labels),
    entryErrors: [],
    findings,
  };
}

/** Every row of the target, claimed until none is left. */
async function claimAll(store: Store): Promise<OutboxItem[]> {
  const out: OutboxItem[] = [];
  for (;;) {
    const items = await store.claimOutbox("siem", 100, at(100), FAR);
    if (items.length === 0) return out;
    out.push(...items);
  }
}

/** Per alert, the kinds of its lifecycle changes in order (touches left out). */
function lifecycles(
  changes: readonly { readonly kind: string; readonly alert: { readonly id: string } }[],
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const c of changes) {
    if (c.kind === "touched") continue;
    out.set(c.alert.id, [...(out.get(c.alert.id) ?? []), c.kind]);
  }
  return out;
}

export function sharedStoreContract(
  name: string,
  openPair: (routes: readonly DeliveryRoute[]) => Promise<readonly [Store, Store]>,
): void {
  async function withPair(fn: (a: Store, b: Store) => Promise<void>): Promise<void> {
    const [a, b] = await openPair([SIEM]);
    try {
      await fn(a, b);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }

  void describe(`Shared store contract: ${name}`, () => {
    void it("two stores recording one scope at once: each change once, one outbox row per notification", () =>
      withPair(async (a, b) => {
        const findings = Array.from({ length: 12 }, (_, i) => draft("hsts-missing", `h${i}`));
        const changes: AlertChange[] = [];
        for (let round = 0; round < 8; round++) {
          // Odd rounds: half the findings are gone (resolved), then back (reopened).
          const now = findings.slice(0, round % 2 === 0 ? 12 : 6);
          const both = await Promise.all([a, b].map((s) => s.recordRun(run(SCOPE, at(round), now))));
          changes.push(...both.flat());
        }
        const expected = [
          "opened",
          ...Array.from({ length: 7 }, (_, i) => (i % 2 === 0 ? "resolved" : "reopened")),
        ];
        const byAlert = lifecycles(changes);
        for (const f of findings.slice(0, 6)) assert.deepEqual(byAlert.get(f.id), ["opened"]);
        for (const f of findings.slice(6)) assert.deepEqual(byAlert.get(f.id), expected);
        assert.equal((await a.listAlerts({ status: "all" })).length, 12);

        const rows = await claimAll(a);
        assert.equal(rows.length, 6 + 6 * expected.length, "one row per lifecycle change");
        assert.equal(new Set(rows.map((r) => r.notification.id)).size, rows.length, "no notification twice");
        assert.deepEqual(lifecycles(rows.map((r) => r.notification)), byAlert);
      }));

    void it("scopes sharing one alert, written through two stores at once: opened once, resolved once", () =>
      withPair(async (a, b) => {
        const shared = draft("revoked", "ab".repeat(32));
        const scopes = Array.from({ length: 10 }, (_, i) => `tls:n${i}.contoso.com:443`);
        const store = (i: number) => (i % 2 === 0 ? a : b);
        const opened = await Promise.all(scopes.map((s, i) => store(i).recordRun(run(s, at(1), [shared]))));
        assert.deepEqual(
          opened
            .flat()
            .map((c) => c.kind)
            .sort(),
          ["opened", ...Array<string>(9).fill("touched")],
        );
        const released = await Promise.all(scopes.map((s, i) => store(i).recordRun(run(s, at(2), []))));
        assert.deepEqual(
          released.flat().map((c) => c.kind),
          ["resolved"],
        );
        assert.equal((await b.getAlert(shared.id))?.status, "resolved");
        const rows = await claimAll(b);
        assert.deepEqual(rows.map((r) => r.notification.kind).sort(), ["opened", "resolved"]);
      }));

    void it("CT batches of several logs holding the same certificates at once: stored once, each alert opened once", () =>
      withPair(async (a, b) => {
        const findings = Array.from({ length: 20 }, (_, i) => draft("new-subdomain", `n${i}.contoso.com`));
        const labels = findings.map((f) => f.key);
        // The same certificates, in opposite orders, in batches of different logs written at once.
        const results = await Promise.all([
          a.recordCtBatch(ctBatch("bG9nLTE=", findings, labels)),
          b.recordCtBatch(ctBatch("bG9nLTI=", [...findings].reverse(), [...labels].reverse())),
          a.recordCtBatch(ctBatch("bG9nLTE=", findings.slice(5), labels.slice(5))),
          b.recordCtBatch(ctBatch("bG9nLTM=", findings.slice(0, 10), labels.slice(0, 10).reverse())),
        ]);
        const all = results.flat();
        assert.equal(all.filter((c) => c.kind === "opened").length, 20);
        assert.equal(new Set(all.filter((c) => c.kind === "opened").map((c) => c.alert.id)).size, 20);
        assert.equal((await a.claimOutbox("siem", 100, at(1), FAR)).length, 20);
        assert.deepEqual(
          (await b.listCtLogStates()).map((s) => s.logId),
          ["bG9nLTE=", "bG9nLTI=", "bG9nLTM="],
        );
        const identities = logged("", labels).inventory.map((i) => i.identity);
        assert.equal((await a.knownCtIdentities(identities)).size, 20);
        assert.equal((await b.rootBaseline(labels)).size, 20);
      }));

    void it("two senders claiming one target at once never hold the same row", () =>
      withPair(async (a, b) => {
        const findings = Array.from({ length: 60 }, (_, i) => draft("hsts-missing", `c${i}`));
        await a.recordRun(run(SCOPE, T0, findings));
        const claim = async (s: Store) => {
          const mine: number[] = [];
          for (;;) {
            const items = await s.claimOutbox("siem", 7, at(1), FAR);
            if (items.length === 0) return mine;
            mine.push(...items.map((i) => i.rowId));
          }
        };
        const [fromA, fromB] = await Promise.all([claim(a), claim(b)]);
        const all = [...fromA, ...fromB];
        assert.equal(all.length, 60);
        assert.equal(new Set(all).size, 60, "no row claimed twice");
      }));
  });
}
