/**
 * @module store/triage.contract
 * The triage part of the store contract: triage actions (with history and audit entries, atomically), how they
 * meet the checks' reconcile (a resolved-by-hand alert that still holds reopens; triage ends with the occurrence),
 * and the API's paged listing (filters, keyset paging that sees every alert once). Register with
 * `triageContract(name, makeStore)`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AuditContext } from "./auth-records.js";
import { at, draft, endpoint, iso, run, T0 } from "./contract-fixtures.js";
import type { Store } from "./store.js";
import type { AlertQuery, TriagedAlert } from "./triage-records.js";

const SCOPE = "tls:www.contoso.com:443";
const olive = (minutes: number): AuditContext => ({
  actor: { kind: "user", name: "olive" },
  at: at(minutes),
  ip: "192.0.2.7",
});
const bot = (minutes: number): AuditContext => ({
  actor: { kind: "token", name: "olive", tokenId: "abcdefghij" },
  at: at(minutes),
  ip: null,
});

const hsts = draft("hsts-missing", "www.contoso.com:443", { endpoint: endpoint("www.contoso.com") });

export function triageContract(name: string, makeStore: () => Promise<Store>): void {
  async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
    const store = await makeStore();
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  }
  const history = async (store: Store, id: string) =>
    (await store.triage.alertHistory(id)).map((h) => [h.kind, h.actor, h.scope, h.note]);

  void describe(`Triage contract: ${name}`, () => {
    void it("a new alert has no triage and one history entry: opened by the check, with its scope", () =>
      withStore(async (store) => {
        await store.recordRun(run(SCOPE, T0, [hsts]));
        await store.recordRun(run(SCOPE, at(1), [hsts])); // a touch: not history
        const t = await store.triage.getTriagedAlert(hsts.id);
        assert.deepEqual(t?.triage, {
          acknowledgedAt: null,
          acknowledgedBy: null,
          snoozedUntil: null,
          snoozedBy: null,
          resolvedBy: null,
          note: null,
        });
        assert.equal(t?.alert.lastSeen, iso(at(1)));
        const [entry] = await store.triage.alertHistory(hsts.id);
        assert.deepEqual(entry && { ...entry, id: 0 }, {
          id: 0,
          at: iso(T0),
          kind: "opened",
          actor: null,
          actorKind: "check",
          scope: SCOPE,
          note: null,
          until: null,
        });
        assert.equal(await store.triage.getTriagedAlert("0".repeat(32)), undefined);
      }));

    void it("acknowledge and snooze: state, history and audit entry written together", () =>
      withStore(async (store) => {
        await store.recordRun(run(SCOPE, T0, [hsts]));
        const acked = await store.triage.triageAlert(
          hsts.id,
          { action: "acknowledge", note: "ticket OPS-1" },
          olive(5),
        );
        assert.equal(acked.triage.acknowledgedAt, iso(at(5)));
        assert.equal(acked.triage.acknowledgedBy, "olive");
        assert.equal(acked.triage.note, "ticket OPS-1");
        assert.equal(acked.alert.status, "open");
        const snoozed = await store.triage.triageAlert(
          hsts.id,
          { action: "snooze", note: null, until: at(60) },
          bot(6),
        );
        assert.equal(snoozed.triage.snoozedUntil, iso(at(60)));
        assert.equal(snoozed.triage.snoozedBy, "olive/abcdefghij");
        assert.equal(snoozed.triage.acknowledgedBy, "olive", "a snooze keeps the acknowledgement");
        assert.deepEqual(await history(store, hsts.id), [
          ["snoozed", "olive/abcdefghij", null, null],
          ["acknowledged", "olive", null, "ticket OPS-1"],
          ["opened", null, SCOPE, null],
        ]);
        assert.equal((await store.triage.alertHistory(hsts.id))[0]?.until, iso(at(60)));
        const audit = await store.auth.listAudit();
        assert.deepEqual(
          audit.map((e) => [e.action, e.target, e.details, e.ip]),
          [
            ["alert.snooze", hsts.id, { eventId: 42, until: iso(at(60)) }, null],
            ["alert.acknowledge", hsts.id, { eventId: 42, note: "ticket OPS-1" }, "192.0.2.7"],
          ],
        );
      }));

    void it("refuses what does not apply, and writes nothing then", () =>
      withStore(async (store) => {
        await store.recordRun(run(SCOPE, T0, [hsts]));
        await assert.rejects(
          store.triage.triageAlert("f".repeat(32), { action: "acknowledge", note: null }, olive(1)),
          { name: "TriageError", code: "NOT_FOUND" },
        );
        await assert.rejects(store.triage.triageAlert(hsts.id, { action: "reopen", note: null }, olive(1)), {
          code: "ALERT_STATE",
        });
        await assert.rejects(
          store.triage.triageAlert(hsts.id, { action: "snooze", note: null, until: at(1) }, olive(1)),
          { code: "ALERT_STATE" },
        );
        await store.triage.triageAlert(hsts.id, { action: "resolve", note: null }, olive(2));
        for (const action of ["resolve", "acknowledge", "snooze"] as const) {
          await assert.rejects(
            store.triage.triageAlert(hsts.id, { action, note: null, until: at(90) }, olive(3)),
            { code: "ALERT_STATE" },
          );
        }
        // A note the audit log refuses (it looks like an API token) fails the whole action.
        await assert.rejects(
          store.triage.triageAlert(
            hsts.id,
            { action: "reopen", note: "cw_abcdefghij_0123456789abcdef" },
            olive(4),
          ),
          { code: "AUDIT_DETAILS_REFUSED" },
        );
        assert.equal((await store.triage.getTriagedAlert(hsts.id))?.alert.status, "resolved");
        assert.equal((await store.triage.alertHistory(hsts.id)).length, 2);
        assert.deepEqual(
          (await store.auth.listAudit()).map((e) => e.action),
          ["alert.resolve"],
        );
      }));

    void it("resolved by hand while the condition holds: the next check reopens it and clears the triage", () =>
      withStore(async (store) => {
        await store.recordRun(run(SCOPE, T0, [hsts]));
        await store.triage.triageAlert(hsts.id, { action: "acknowledge", note: "seen" }, olive(1));
        const resolved = await store.triage.triageAlert(
          hsts.id,
          { action: "resolve", note: "fixed, I think" },
          olive(2),
        );
        assert.equal(resolved.alert.status, "resolved");
        assert.equal(resolved.alert.resolvedAt, iso(at(2)));
        assert.equal(resolved.triage.resolvedBy, "olive");
        assert.equal(resolved.triage.acknowledgedAt, null, "resolving ends the acknowledgement");
        assert.equal(resolved.triage.note, "fixed, I think");
        assert.deepEqual(
          (await store.listAlerts({ status: "resolved" })).map((a) => a.id),
          [hsts.id],
        );

        const [change] = await store.recordRun(run(SCOPE, at(10), [hsts]));
        assert.equal(change?.kind, "reopened");
        const t = await store.triage.getTriagedAlert(hsts.id);
        assert.equal(t?.alert.status, "open");
        assert.equal(t?.alert.firstSeen, iso(T0));
        assert.deepEqual(t?.triage, {
          acknowledgedAt: null,
          acknowledgedBy: null,
          snoozedUntil: null,
          snoozedBy: null,
          resolvedBy: null,
          note: null,
        });
        assert.deepEqual(await history(store, hsts.id), [
          ["reopened", null, SCOPE, null],
          ["resolved", "olive", null, "fixed, I think"],
          ["acknowledged", "olive", null, "seen"],
          ["opened", null, SCOPE, null],
        ]);
      }));

    void it("resolved by hand and really fixed: the check releases it and it stays resolved, by hand", () =>
      withStore(async (store) => {
        await store.recordRun(run(SCOPE, T0, [hsts]));
        await store.triage.triageAlert(hsts.id, { action: "resolve", note: null }, olive(2));
        assert.deepEqual(await store.recordRun(run(SCOPE, at(10), [])), []);
        const t = await store.triage.getTriagedAlert(hsts.id);
        assert.equal(t?.alert.status, "resolved");
        assert.equal(t?.alert.resolvedAt, iso(at(2)));
        assert.equal(t?.triage.resolvedBy, "olive");
        // It returns later: reopened by the check, as any resolved alert.
        const [again] = await store.recordRun(run(SCOPE, at(20), [hsts]));
        assert.equal(again?.kind, "reopened");
      }));

    void it("a check that resolves an alert records it and ends its acknowledgement and snooze", () =>
      withStore(async (store) => {
        await store.recordRun(run(SCOPE, T0, [hsts]));
        await store.triage.triageAlert(hsts.id, { action: "acknowledge", note: null }, olive(1));
        await store.triage.triageAlert(
          hsts.id,
          { action: "snooze", note: "weekend", until: at(3000) },
          olive(2),
        );
        const [change] = await store.recordRun(run(SCOPE, at(10), []));
        assert.equal(change?.kind, "resolved");
        const t = await store.triage.getTriagedAlert(hsts.id);
        assert.equal(t?.triage.acknowledgedAt, null);
        assert.equal(t?.triage.snoozedUntil, null);
        assert.equal(t?.triage.resolvedBy, null, "a check, not a person");
        assert.deepEqual((await history(store, hsts.id))[0], ["resolved", null, SCOPE, null]);
      }));

    void it("reopened by hand: open until someone resolves it, and a check that finds it takes it over", () =>
      withStore(async (store) => {
        await store.recordRun(run(SCOPE, T0, [hsts]));
        await store.recordRun(run(SCOPE, at(1), []));
        const reopened = await store.triage.triageAlert(
          hsts.id,
          { action: "reopen", note: "not fixed" },
          olive(2),
        );
        assert.equal(reopened.alert.status, "open");
        assert.equal(reopened.alert.resolvedAt, null);
        assert.deepEqual(
          await store.recordRun(run(SCOPE, at(3), [])),
          [],
          "no scope holds it: nothing resolves it",
        );
        assert.equal((await store.triage.getTriagedAlert(hsts.id))?.alert.status, "open");
        assert.equal((await store.recordRun(run(SCOPE, at(4), [hsts])))[0]?.kind, "touched");
        assert.equal((await store.recordRun(run(SCOPE, at(5), [])))[0]?.kind, "resolved");
      }));

    void it("lists a page newest first by firstSeen, filtered by status, event, severity, source, triage", () =>
      withStore(async (store) => {
        const weak = draft("weak-key", "cert-1", { subject: "CN=www.contoso.com" });
        const takeover = draft("domain-takeover", "old.contoso.com");
        const similar = draft("similar-domain", "contoso-login.com");
        await store.recordRun(run(SCOPE, T0, [hsts]));
        await store.recordRun(run("tls:cert", at(1), [weak]));
        await store.recordRun(run("dns:takeover", at(2), [takeover]));
        await store.recordRun(run("ct:entries", at(3), [similar]));
        await store.recordRun(run("dns:takeover", at(4), []));
        const page = async (q: Partial<AlertQuery>) =>
          (await store.triage.listAlertPage({ limit: 100, now: at(10), ...q })).map((t) => t.alert.name);
        assert.deepEqual(await page({}), ["similar-domain", "weak-key", "hsts-missing"]);
        assert.deepEqual(await page({ status: "resolved" }), ["domain-takeover"]);
        assert.deepEqual(await page({ status: "all" }), [
          "similar-domain",
          "domain-takeover",
          "weak-key",
          "hsts-missing",
        ]);
        assert.deepEqual(await page({ status: "all", eventId: 18 }), ["domain-takeover"]);
        assert.deepEqual(await page({ severity: "high" }), ["similar-domain", "weak-key"]);
        assert.deepEqual(await page({ severity: "medium" }), ["hsts-missing"]);
        assert.deepEqual(await page({ source: "tls" }), ["weak-key", "hsts-missing"]);
        assert.deepEqual(await page({ limit: 2 }), ["similar-domain", "weak-key"]);

        await store.triage.triageAlert(hsts.id, { action: "acknowledge", note: null }, olive(5));
        await store.triage.triageAlert(weak.id, { action: "snooze", note: null, until: at(20) }, olive(5));
        assert.deepEqual(await page({ triage: "acknowledged" }), ["hsts-missing"]);
        assert.deepEqual(await page({ triage: "snoozed" }), ["weak-key"]);
        assert.deepEqual(await page({ triage: "untriaged" }), ["similar-domain"]);
        // A snooze that ended no longer hides the alert.
        assert.deepEqual(await page({ triage: "untriaged", now: at(20) }), ["similar-domain", "weak-key"]);
        assert.deepEqual(await page({ triage: "snoozed", now: at(20) }), []);
      }));

    void it("filters by domain (the subject or the endpoint's host, at or under it) and by text", () =>
      withStore(async (store) => {
        const alerts = [
          draft("hsts-missing", "a", { subject: "www.contoso.com", endpoint: endpoint("www.contoso.com") }),
          draft("hsts-missing", "b", { subject: "CN=x", endpoint: endpoint("API.Contoso.com") }),
          draft("domain-takeover", "contoso.com"),
          draft("domain-takeover", "evilcontoso.com"),
          draft("similar-domain", "contoso.com.evil.net"),
          draft("domain-takeover", "x_y.contoso.org", { details: { note: "100% Dangling" } }),
          draft("domain-takeover", "xzy.contoso.org", { details: { note: "100 Dangling" } }),
        ];
        await store.recordRun(run("mixed", T0, alerts));
        const keys = async (q: Partial<AlertQuery>) =>
          (await store.triage.listAlertPage({ limit: 100, now: T0, ...q })).map((t) => t.alert.key).sort();
        assert.deepEqual(await keys({ domain: "contoso.com" }), ["a", "b", "contoso.com"]);
        assert.deepEqual(await keys({ domain: "api.contoso.com" }), ["b"]);
        assert.deepEqual(await keys({ domain: "evil.net" }), ["contoso.com.evil.net"]);
        // LIKE's wildcards are literal: `_` and `%` match only themselves.
        assert.deepEqual(await keys({ text: "x_y" }), ["x_y.contoso.org"]);
        assert.deepEqual(await keys({ text: "100%" }), ["x_y.contoso.org"]);
        assert.deepEqual(await keys({ text: "DANGLING" }), ["x_y.contoso.org", "xzy.contoso.org"]);
        assert.deepEqual(await keys({ text: "similar-domain" }), ["contoso.com.evil.net"]);
        assert.deepEqual(await keys({ text: "203.0.113.7" }), ["a", "b"]);
      }));

    void it("a domain filter takes `_` and `%` in the name literally", () =>
      withStore(async (store) => {
        await store.recordRun(
          run("mixed", T0, [
            draft("domain-takeover", "www.x_y.contoso.org"),
            draft("domain-takeover", "www.xzy.contoso.org"),
            draft("hsts-missing", "ep", { subject: "CN=ep", endpoint: endpoint("api.x_y.contoso.org") }),
          ]),
        );
        const keys = async (domain: string) =>
          (await store.triage.listAlertPage({ limit: 100, now: T0, domain })).map((t) => t.alert.key).sort();
        assert.deepEqual(await keys("x_y.contoso.org"), ["ep", "www.x_y.contoso.org"]);
        assert.deepEqual(await keys("x%.contoso.org"), []);
      }));

    void it("pages with the keyset: every alert exactly once, also when many share one firstSeen", () =>
      withStore(async (store) => {
        const drafts = Array.from({ length: 250 }, (_, i) => draft("hsts-missing", `h${i}`));
        // Three runs: alerts share first_seen within a run, so the id must break the ties.
        await store.recordRun(run("s1", T0, drafts.slice(0, 100)));
        await store.recordRun(run("s2", at(1), drafts.slice(100, 200)));
        await store.recordRun(run("s3", at(2), drafts.slice(200)));
        const seen: string[] = [];
        let after: AlertQuery["after"];
        let pages = 0;
        for (;;) {
          const page: TriagedAlert[] = await store.triage.listAlertPage({
            limit: 33,
            now: at(3),
            ...(after !== undefined && { after }),
          });
          if (page.length === 0) break;
          pages++;
          seen.push(...page.map((t) => t.alert.id));
          const last = page.at(-1);
          if (last === undefined) break;
          after = { firstSeen: last.alert.firstSeen, id: last.alert.id };
          // A check touching every alert between two pages moves nothing: firstSeen does not change.
          if (pages === 3) await store.recordRun(run("s2", at(5), drafts.slice(100, 200)));
        }
        assert.equal(pages, 8);
        assert.equal(seen.length, 250);
        assert.equal(new Set(seen).size, 250);
        assert.deepEqual(new Set(seen), new Set(drafts.map((d) => d.id)));
      }));
  });
}
