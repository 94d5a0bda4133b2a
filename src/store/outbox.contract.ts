/**
 * @module store/outbox.contract
 * The outbox part of the store contract: rows written with the alert change, routed per target, claimed under a
 * lease, delivered only when completed, retried after failOutbox. Register with `outboxContract(name, makeStore)`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DeliveryRoute } from "../notify/routing.js";
import { at, draft, run, T0 } from "./contract-fixtures.js";
import type { Store } from "./store.js";

const SCOPE = "tls:www.contoso.com:443";
const all = (target: string, extra: Partial<DeliveryRoute> = {}): DeliveryRoute => ({
  target,
  minSeverity: "info",
  resolved: true,
  ...extra,
});

export function outboxContract(
  name: string,
  makeStore: (routes: readonly DeliveryRoute[]) => Promise<Store>,
): void {
  async function withStore(
    routes: readonly DeliveryRoute[],
    fn: (store: Store) => Promise<void>,
  ): Promise<void> {
    const store = await makeStore(routes);
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  }
  const far = new Date("2100-01-01T00:00:00Z");

  void describe(`Outbox contract: ${name}`, () => {
    void it("an opened alert is one row per target, with the alert as it was; touching it adds none", () =>
      withStore([all("siem"), all("mail")], async (store) => {
        const hsts = draft("hsts-missing", "www");
        await store.recordRun(run(SCOPE, T0, [hsts]));
        await store.recordRun(run(SCOPE, at(1), [hsts]));
        const siem = await store.claimOutbox("siem", 10, at(2), far);
        const mail = await store.claimOutbox("mail", 10, at(2), far);
        assert.equal(siem.length, 1);
        assert.equal(mail.length, 1);
        const n = siem[0]?.notification;
        assert.equal(n?.kind, "opened");
        assert.equal(n?.alert.id, hsts.id);
        assert.equal(n?.alert.status, "open");
        assert.equal(n?.alert.name, "hsts-missing");
        assert.equal(n?.id, mail[0]?.notification.id, "one notification id for every target");
      }));

    void it("resolve and reopen each notify; routing by event and minimum severity", () =>
      withStore(
        [
          all("everything"),
          all("critical-only", { minSeverity: "critical" }),
          all("no-resolved", { resolved: false }),
          all("takeover", { events: new Set([18]) }),
        ],
        async (store) => {
          const hsts = draft("hsts-missing", "www"); // medium
          await store.recordRun(run(SCOPE, T0, [hsts]));
          await store.recordRun(run(SCOPE, at(1), []));
          await store.recordRun(run(SCOPE, at(2), [hsts]));
          const kinds = async (t: string) =>
            (await store.claimOutbox(t, 10, at(9), far)).map((i) => i.notification.kind);
          assert.deepEqual(await kinds("everything"), ["opened", "resolved", "reopened"]);
          assert.deepEqual(await kinds("critical-only"), []);
          assert.deepEqual(await kinds("no-resolved"), ["opened", "reopened"]);
          assert.deepEqual(await kinds("takeover"), []);
          await store.recordRun(run("dns:takeover", at(4), [draft("domain-takeover", "old.contoso.com")]));
          assert.deepEqual(await kinds("takeover"), ["opened"]);
          assert.deepEqual(await kinds("critical-only"), ["opened"]);
        },
      ));

    void it("no routes, no rows", () =>
      withStore([], async (store) => {
        await store.recordRun(run(SCOPE, T0, [draft("hsts-missing", "www")]));
        assert.deepEqual(await store.outboxStatus(), []);
      }));

    void it("a leased row is not claimed again until its lease ends; completed rows never come back", () =>
      withStore([all("siem")], async (store) => {
        await store.recordRun(run(SCOPE, T0, [draft("hsts-missing", "a"), draft("hsts-missing", "b")]));
        const first = await store.claimOutbox("siem", 1, at(1), at(5));
        assert.equal(first.length, 1);
        const second = await store.claimOutbox("siem", 10, at(1), at(5));
        assert.equal(second.length, 1, "the other row only");
        assert.notEqual(first[0]?.rowId, second[0]?.rowId);
        assert.deepEqual(await store.claimOutbox("siem", 10, at(2), at(6)), [], "both leased");
        await store.completeOutbox([first[0]?.rowId ?? -1], at(2));
        // The second sender crashed: its lease ends at 5 and the row is due again, same notification.
        const again = await store.claimOutbox("siem", 10, at(5), at(9));
        assert.deepEqual(
          again.map((i) => i.notification.id),
          second.map((i) => i.notification.id),
        );
        const [s] = await store.outboxStatus();
        assert.equal(s?.pending, 1);
        assert.equal(s?.delivered, 1);
      }));

    void it("a failed row waits for its next attempt and counts its attempts and error", () =>
      withStore([all("siem")], async (store) => {
        await store.recordRun(run(SCOPE, T0, [draft("hsts-missing", "www")]));
        const [item] = await store.claimOutbox("siem", 10, at(1), at(2));
        assert.ok(item);
        assert.equal(item.attempts, 0);
        await store.failOutbox([item.rowId], "siem answered HTTP 503", at(10));
        assert.deepEqual(await store.claimOutbox("siem", 10, at(9), at(20)), []);
        const [s] = await store.outboxStatus();
        assert.equal(s?.lastError, "siem answered HTTP 503");
        assert.equal(s?.nextAttemptAt, at(10).toISOString());
        assert.deepEqual(await store.outboxNextAttempt("siem"), { at: at(10).toISOString(), leased: false });
        assert.equal(await store.outboxNextAttempt("nobody"), null);
        const [retry] = await store.claimOutbox("siem", 10, at(10), at(20));
        assert.equal(retry?.attempts, 1);
        assert.equal(retry?.notification.id, item.notification.id);
      }));

    void it("a live sender renews its lease: the rows stay its own past the first lease end", () =>
      withStore([all("siem")], async (store) => {
        await store.recordRun(run(SCOPE, T0, [draft("hsts-missing", "a"), draft("hsts-missing", "b")]));
        const claimed = await store.claimOutbox("siem", 10, at(1), at(5));
        assert.equal(claimed.length, 2);
        const lease = claimed[0]?.lease ?? "";
        assert.equal(claimed[1]?.lease, lease, "one lease per claim");
        assert.deepEqual(await store.outboxNextAttempt("siem"), { at: at(5).toISOString(), leased: true });
        const renewed = await store.renewOutbox(
          claimed.map((i) => i.rowId),
          lease,
          at(9),
        );
        assert.equal(renewed.held, 2);
        assert.notEqual(renewed.lease, lease);
        assert.deepEqual(await store.claimOutbox("siem", 10, at(6), at(20)), [], "still held after 5");
        assert.deepEqual(await store.outboxNextAttempt("siem"), { at: at(9).toISOString(), leased: true });
        // One row delivered: the next heartbeat holds only the other.
        await store.completeOutbox([claimed[0]?.rowId ?? -1], at(7));
        const again = await store.renewOutbox(
          claimed.map((i) => i.rowId),
          renewed.lease,
          at(12),
        );
        assert.equal(again.held, 1);
      }));

    void it("a sender whose lease lapsed cannot renew nor fail rows another sender claimed", () =>
      withStore([all("siem")], async (store) => {
        await store.recordRun(run(SCOPE, T0, [draft("hsts-missing", "a")]));
        const [stalled] = await store.claimOutbox("siem", 10, at(1), at(2));
        assert.ok(stalled);
        const [taken] = await store.claimOutbox("siem", 10, at(3), at(8));
        assert.equal(taken?.rowId, stalled.rowId);
        const late = await store.renewOutbox([stalled.rowId], stalled.lease, at(10));
        assert.equal(late.held, 0);
        await store.failOutbox([stalled.rowId], "late failure", at(30), stalled.lease);
        const [s] = await store.outboxStatus();
        assert.equal(s?.lastError, null, "the stalled sender's failure did not touch the row");
        assert.deepEqual(await store.outboxNextAttempt("siem"), { at: at(8).toISOString(), leased: true });
        // The new holder's own failure applies.
        await store.failOutbox([stalled.rowId], "HTTP 503", at(30), taken?.lease);
        assert.deepEqual(await store.outboxNextAttempt("siem"), { at: at(30).toISOString(), leased: false });
      }));

    void it("a reminder goes out once renotifyAfterDays have passed since the target last heard", () =>
      withStore([all("siem", { renotifyAfterMs: 86_400_000 })], async (store) => {
        const hsts = draft("hsts-missing", "www");
        const day = (d: number) => new Date(T0.getTime() + d * 86_400_000);
        await store.recordRun(run(SCOPE, T0, [hsts]));
        await store.recordRun(run(SCOPE, day(0.5), [hsts]));
        await store.recordRun(run(SCOPE, day(1.1), [hsts]));
        await store.recordRun(run(SCOPE, day(1.5), [hsts]));
        await store.recordRun(run(SCOPE, day(2.2), [hsts]));
        const items = await store.claimOutbox("siem", 10, day(3), far);
        assert.deepEqual(
          items.map((i) => i.notification.kind),
          ["opened", "reminder", "reminder"],
        );
        assert.equal(new Set(items.map((i) => i.notification.id)).size, 3);
      }));

    void it("pruning forgets only delivered rows older than the cut", () =>
      withStore([all("siem")], async (store) => {
        await store.recordRun(run(SCOPE, T0, [draft("hsts-missing", "a"), draft("hsts-missing", "b")]));
        const [a] = await store.claimOutbox("siem", 1, at(1), at(2));
        await store.completeOutbox([a?.rowId ?? -1], at(1));
        assert.equal(await store.pruneOutbox(at(0)), 0);
        assert.equal(await store.pruneOutbox(at(3)), 1);
        const [s] = await store.outboxStatus();
        assert.equal(s?.pending, 1);
        assert.equal(s?.delivered, 0);
      }));
  });
}
