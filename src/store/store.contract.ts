/**
 * @module store/store.contract
 * The contract every Store implementation passes (SQLite and PostgreSQL): register it with
 * `storeContract(name, makeStore)` from the implementation's test file.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AlertChange } from "../alerts/reconcile.js";
import { at, certificate, draft, endpoint, iso, observation, run, T0 } from "./contract-fixtures.js";
import type { Store } from "./store.js";

type Kinds = Record<string, AlertChange["kind"]>;

function kinds(changes: readonly AlertChange[]): Kinds {
  return Object.fromEntries(changes.map((c) => [c.alert.id, c.kind]));
}

const SCOPE = "tls:www.contoso.com:443";
const WWW = endpoint("www.contoso.com");

export function storeContract(name: string, makeStore: () => Promise<Store>): void {
  /** A fresh store per test, always closed. */
  async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
    const store = await makeStore();
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  }

  void describe(`Store contract: ${name}`, () => {
    void it("migrate() is idempotent and keeps data", () =>
      withStore(async (store) => {
        await store.migrate();
        await store.migrate();
        await store.recordRun(run(SCOPE, T0, [draft("hsts-missing", "www", { endpoint: WWW })]));
        await store.migrate();
        assert.equal((await store.listAlerts()).length, 1);
      }));

    void it("opens alerts, then touches them on a re-run without duplicating", () =>
      withStore(async (store) => {
        const hsts = draft("hsts-missing", "www:443", { endpoint: WWW, subject: "www.contoso.com" });
        const legacy = draft("legacy-tls-protocol", "www:443", {
          endpoint: WWW,
          details: { accepted: ["TLSv1"] },
        });
        const first = await store.recordRun(run(SCOPE, T0, [hsts, legacy]));
        assert.deepEqual(kinds(first), { [hsts.id]: "opened", [legacy.id]: "opened" });

        const second = await store.recordRun(run(SCOPE, at(5), [hsts, legacy, hsts]));
        assert.deepEqual(kinds(second), { [hsts.id]: "touched", [legacy.id]: "touched" });

        const all = await store.listAlerts({ status: "all" });
        assert.equal(all.length, 2);
        for (const a of all) {
          assert.equal(a.status, "open");
          assert.equal(a.firstSeen, iso(T0));
          assert.equal(a.lastSeen, iso(at(5)));
          assert.equal(a.resolvedAt, null);
        }
        assert.deepEqual(await store.getAlert(hsts.id), second.find((c) => c.alert.id === hsts.id)?.alert);
      }));

    void it("resolves alerts whose findings are gone, and reopens them with the same id", () =>
      withStore(async (store) => {
        const a = draft("hsts-missing", "a", { endpoint: WWW });
        const b = draft("no-certificate", "b", { endpoint: WWW, details: { reason: "plain-http" } });
        await store.recordRun(run(SCOPE, T0, [a, b]));

        const gone = await store.recordRun(run(SCOPE, at(1), [a]));
        assert.deepEqual(kinds(gone), { [a.id]: "touched", [b.id]: "resolved" });
        const resolved = await store.getAlert(b.id);
        assert.equal(resolved?.status, "resolved");
        assert.equal(resolved.resolvedAt, iso(at(1)));
        assert.equal(resolved.lastSeen, iso(T0));

        // Still gone: nothing to resolve twice.
        assert.deepEqual(kinds(await store.recordRun(run(SCOPE, at(2), [a]))), { [a.id]: "touched" });

        const back = await store.recordRun(run(SCOPE, at(3), [a, b]));
        assert.deepEqual(kinds(back), { [a.id]: "touched", [b.id]: "reopened" });
        const reopened = await store.getAlert(b.id);
        assert.equal(reopened?.status, "open");
        assert.equal(reopened.resolvedAt, null);
        assert.equal(reopened.firstSeen, iso(T0));
        assert.equal(reopened.lastSeen, iso(at(3)));
        assert.equal((await store.listAlerts({ status: "all" })).length, 2);
      }));

    void it("keeps an alert raised by two scopes open until both release it", () =>
      withStore(async (store) => {
        const cert = certificate("shared");
        const revoked = draft("revoked", cert.summary.sha256, { certificate: cert.summary });
        const [x, y] = ["tls:a.contoso.com:443", "tls:b.contoso.com:443"] as const;
        assert.deepEqual(kinds(await store.recordRun(run(x, T0, [revoked]))), { [revoked.id]: "opened" });
        assert.deepEqual(kinds(await store.recordRun(run(y, at(1), [revoked]))), { [revoked.id]: "touched" });

        assert.deepEqual(await store.recordRun(run(x, at(2), [])), []);
        assert.equal((await store.getAlert(revoked.id))?.status, "open");
        assert.deepEqual(
          (await store.listAlerts({ scopes: [x] })).map((a) => a.id),
          [],
        );
        assert.deepEqual(
          (await store.listAlerts({ scopes: [y] })).map((a) => a.id),
          [revoked.id],
        );

        assert.deepEqual(kinds(await store.recordRun(run(y, at(3), []))), { [revoked.id]: "resolved" });
        const after = await store.getAlert(revoked.id);
        assert.equal(after?.status, "resolved");
        assert.equal(after.resolvedAt, iso(at(3)));
      }));

    void it("stores each certificate once (by SHA-256) with its exact DER", () =>
      withStore(async (store) => {
        const a = certificate("www");
        const b = certificate("api");
        const obs = observation(WWW, a);
        await store.recordRun(run(SCOPE, T0, [], { certificates: [a, a, b], observations: [obs] }));
        await store.recordRun(run(SCOPE, at(1), [], { certificates: [a], observations: [obs] }));
        assert.deepEqual(await store.certificatesForName("www.contoso.com"), [a.summary]);
        assert.deepEqual(await store.certificatesForName("api.contoso.com"), [b.summary]);
        assert.deepEqual(await store.getCertificateDer(a.summary.sha256), a.der);
        assert.equal(await store.getCertificateDer("00".repeat(32)), undefined);
      }));

    void it("finds certificates for a name exactly and by a one-label wildcard", () =>
      withStore(async (store) => {
        const exact = certificate("exact", ["www.contoso.com", "contoso.com"]);
        const wild = certificate("wild", ["*.Contoso.COM."]);
        const other = certificate("other", ["www.fabrikam.com"]);
        await store.recordRun(run(SCOPE, T0, [], { certificates: [exact, wild, other] }));
        const shas = async (host: string) =>
          (await store.certificatesForName(host)).map((c) => c.sha256).sort();

        assert.deepEqual(await shas("www.contoso.com"), [exact.summary.sha256, wild.summary.sha256].sort());
        assert.deepEqual(await shas("WWW.Contoso.com."), [exact.summary.sha256, wild.summary.sha256].sort());
        assert.deepEqual(await shas("api.contoso.com"), [wild.summary.sha256]);
        assert.deepEqual(await shas("contoso.com"), [exact.summary.sha256]);
        assert.deepEqual(await shas("a.b.contoso.com"), []);
        assert.deepEqual(await shas("unknown.example"), []);
        const [found] = await store.certificatesForName("api.contoso.com");
        assert.deepEqual(found, wild.summary);
      }));

    void it("lists alerts by status, scope and source, most severe first", () =>
      withStore(async (store) => {
        const [s1, s2] = ["tls:a.contoso.com:443", "ct:contoso.com"] as const;
        const drafts = [
          draft("hsts-missing", "h-a", { subject: "a.contoso.com" }), // medium 42
          draft("revoked", "r-b", { subject: "b.contoso.com" }), // critical 30
          draft("weak-key", "w-z", { subject: "z.contoso.com" }), // high 34
          draft("revoked", "r-a", { subject: "a.contoso.com" }), // critical 30
          draft("hsts-missing", "h-o", { subject: "o.contoso.com", severity: "critical" }), // overridden, 42
          draft("invalid-certificate", "i-a", { subject: "a.contoso.com" }), // critical 40
        ];
        const ct = draft("new-subdomain", "new.contoso.com"); // low 25, source ct
        const gone = draft("new-subdomain", "old.contoso.com");
        await store.recordRun(run(s1, T0, drafts));
        await store.recordRun(run(s2, T0, [ct, gone]));
        await store.recordRun(run(s2, at(1), [ct]));

        const order = (await store.listAlerts()).map((a) => a.key);
        assert.deepEqual(order, ["r-a", "r-b", "i-a", "h-o", "w-z", "h-a", "new.contoso.com"]);
        assert.deepEqual(
          (await store.listAlerts({ limit: 2 })).map((a) => a.key),
          ["r-a", "r-b"],
        );
        assert.deepEqual(
          (await store.listAlerts({ source: "ct" })).map((a) => a.key),
          ["new.contoso.com"],
        );
        assert.deepEqual(
          (await store.listAlerts({ status: "resolved" })).map((a) => a.key),
          ["old.contoso.com"],
        );
        assert.equal((await store.listAlerts({ status: "all" })).length, 8);
        assert.equal((await store.listAlerts({ scopes: [s1] })).length, 6);
        assert.deepEqual(
          (await store.listAlerts({ scopes: [s2], status: "all" })).map((a) => a.key),
          ["new.contoso.com", "old.contoso.com"],
        );
        assert.equal((await store.listAlerts({ scopes: [s1, s2], status: "all" })).length, 8);
        // A scope list too long for one statement gives the same answer.
        const many = [...Array.from({ length: 1200 }, (_, i) => `tls:n${i}.contoso.com:443`), s2, s1];
        assert.deepEqual(
          await store.listAlerts({ scopes: many, status: "all" }),
          await store.listAlerts({ status: "all" }),
        );
        assert.deepEqual(
          (await store.listAlerts({ scopes: many, limit: 3 })).map((a) => a.key),
          ["r-a", "r-b", "i-a"],
        );
        assert.deepEqual(await store.listAlerts({ scopes: [] }), []);
        assert.deepEqual(await store.listAlerts({ scopes: ["tls:nowhere:443"], status: "all" }), []);
        assert.deepEqual(
          (await store.listAlerts({ scopes: [s1], status: "resolved" })).map((a) => a.key),
          [],
        );
      }));

    void it("orders text by code point, as SQLite's BINARY does, whatever the database's collation", () =>
      withStore(async (store) => {
        // One event and severity: the subject decides. A collation that folds case or skips punctuation (en_US,
        // ICU's) orders these otherwise; merging chunks in JavaScript relies on the byte order too.
        const subjects = [
          "b.contoso.com",
          "B.contoso.com",
          "a-c.contoso.com",
          "ab.contoso.com",
          "_x.contoso.com",
          "Zeta.contoso.com",
          "a0.contoso.com",
          "a.contoso.com",
        ];
        const scopes = subjects.map((s) => `tls:${s}:443`);
        for (const [i, subject] of subjects.entries()) {
          await store.recordRun(run(scopes[i] ?? "", T0, [draft("hsts-missing", `k${i}`, { subject })]));
        }
        const bytes = [...subjects].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        assert.deepEqual(
          (await store.listAlerts()).map((a) => a.subject),
          bytes,
        );
        const many = [...Array.from({ length: 1200 }, (_, i) => `tls:n${i}.contoso.com:443`), ...scopes];
        assert.deepEqual(
          (await store.listAlerts({ scopes: many })).map((a) => a.subject),
          bytes,
        );
      }));

    void it("stores text holding NUL characters (a hostile certificate's names) as U+FFFD, never failing", () =>
      withStore(async (store) => {
        const host = "evil\u0000.contoso.com";
        const shown = "evil\uFFFD.contoso.com";
        const base = certificate("nul", [host, "ok.contoso.com"]);
        const cert = { ...base, summary: { ...base.summary, subject: `CN=${host}` } };
        const ep = endpoint(host);
        const weak = draft("weak-key", `${host}:1`, { subject: host, certificate: cert.summary });
        const unreachable = draft("endpoint-unreachable", "nul-endpoint", { subject: "CN=x", endpoint: ep });
        const changes = await store.recordRun(
          run(SCOPE, T0, [weak, unreachable], {
            certificates: [cert],
            observations: [observation(ep, cert)],
          }),
        );
        assert.deepEqual(kinds(changes), { [weak.id]: "opened", [unreachable.id]: "opened" });
        const stored = await store.getAlert(weak.id);
        assert.equal(stored?.subject, shown);
        assert.equal(stored?.key, `${shown}:1`);
        assert.deepEqual(stored?.certificate, cert.summary, "JSON escapes it: kept exactly");
        assert.deepEqual((await store.getAlert(unreachable.id))?.endpoint, ep);
        const [found] = await store.certificatesForName("ok.contoso.com");
        assert.equal(found?.subject, `CN=${shown}`);
        const [seen] = await store.latestObservations(host, 443);
        assert.equal(seen?.endpoint.host, shown, "looked up by the name as given");
        // The API's domain filter reads the endpoint's host out of its JSON: one with an escape does not break it.
        const page = await store.triage.listAlertPage({ limit: 10, now: T0, domain: "contoso.com" });
        assert.ok(
          page.some((t) => t.alert.id === weak.id),
          "the subject is under contoso.com",
        );
      }));

    void it("round-trips the alert object exactly", () =>
      withStore(async (store) => {
        const cert = certificate("json", ["json.contoso.com", "*.json.contoso.com"]);
        const drafts = [
          draft("name-mismatch", "v6", { endpoint: endpoint("json.contoso.com", "2001:db8::1", 8443) }),
          draft("endpoint-unreachable", "nx", { endpoint: endpoint("nx.contoso.com", null) }),
          draft("sha1-signature", cert.summary.sha256, {
            certificate: cert.summary,
            details: {
              chain: [
                { depth: 0, algorithm: "sha1WithRSAEncryption" },
                { depth: 1, ok: true, note: null },
              ],
              ratio: 0.33,
              nested: { deeper: { deepest: ["é", "漢字", "\u0000"] } },
              empty: [],
            },
          }),
          draft("crl-unreachable", "http://crl.example/ca.crl"),
        ];
        const changes = await store.recordRun(run(SCOPE, T0, drafts));
        assert.equal(changes.length, drafts.length);
        for (const c of changes) {
          assert.deepEqual(await store.getAlert(c.alert.id), c.alert);
        }
        const listed = await store.listAlerts({ status: "all" });
        assert.deepEqual(
          new Map(listed.map((a) => [a.id, a])),
          new Map(changes.map((c) => [c.alert.id, c.alert])),
        );
        assert.equal(await store.getAlert("no-such-alert"), undefined);
      }));

    void it("keeps the latest observations of a host:port, newest first", () =>
      withStore(async (store) => {
        const cert = certificate("www");
        const v4 = endpoint("www.contoso.com", "203.0.113.7");
        const v6 = endpoint("www.contoso.com", "2001:db8::7");
        const other = endpoint("www.contoso.com", "203.0.113.7", 8443);
        await store.recordRun(
          run(SCOPE, T0, [], {
            certificates: [cert],
            observations: [observation(v4, cert), observation(other)],
          }),
        );
        await store.recordRun(
          run(SCOPE, at(1), [], { observations: [observation(v4), observation(v6, cert)] }),
        );
        await store.recordRun(
          run(SCOPE, at(2), [], { observations: [observation(endpoint("www.contoso.com", null))] }),
        );

        const latest = await store.latestObservations("www.contoso.com", 443);
        assert.deepEqual(
          latest.map((o) => [o.observedAt, o.endpoint.address, o.outcome]),
          [
            [iso(at(2)), null, "unreachable"],
            [iso(at(1)), "2001:db8::7", "served"],
            [iso(at(1)), "203.0.113.7", "unreachable"],
            [iso(T0), "203.0.113.7", "served"],
          ],
        );
        assert.deepEqual(latest[1], { ...observation(v6, cert), observedAt: iso(at(1)) });
        assert.equal((await store.latestObservations("www.contoso.com", 443, 2)).length, 2);
        assert.equal((await store.latestObservations("www.contoso.com", 8443)).length, 1);
        assert.deepEqual(await store.latestObservations("nowhere.contoso.com", 443), []);
      }));

    void it("prunes old observations but keeps each endpoint address's newest one", () =>
      withStore(async (store) => {
        const cert = certificate("www");
        const v4 = endpoint("www.contoso.com", "203.0.113.7");
        const v6 = endpoint("www.contoso.com", "2001:db8::7");
        const quiet = endpoint("old.contoso.com", "203.0.113.9");
        await store.recordRun(
          run(SCOPE, T0, [], {
            certificates: [cert],
            observations: [observation(v4, cert), observation(quiet)],
          }),
        );
        await store.recordRun(
          run(SCOPE, at(1), [], { observations: [observation(v4), observation(v6, cert)] }),
        );
        await store.recordRun(run(SCOPE, at(2), [], { observations: [observation(v4, cert)] }));

        // Before at(2): v4's two older rows go; v6's only row and the quiet host's only row stay.
        assert.equal(await store.pruneObservations(at(2)), 2);
        assert.deepEqual(
          (await store.latestObservations("www.contoso.com", 443)).map((o) => [
            o.observedAt,
            o.endpoint.address,
          ]),
          [
            [iso(at(2)), "203.0.113.7"],
            [iso(at(1)), "2001:db8::7"],
          ],
        );
        assert.equal((await store.latestObservations("old.contoso.com", 443)).length, 1, "last seen stays");
        assert.equal(await store.pruneObservations(at(60)), 0, "nothing but the newest per address left");
        assert.equal((await store.certificatesForName("www.contoso.com")).length, 1, "certificates stay");
      }));

    void it("writes a run atomically: a failure leaves nothing behind", () =>
      withStore(async (store) => {
        const cert = certificate("atomic");
        const bad = draft("hsts-missing", "bad", { details: { size: 1n } }); // BigInt: not JSON
        await assert.rejects(
          store.recordRun(
            run(SCOPE, T0, [bad], { certificates: [cert], observations: [observation(WWW, cert)] }),
          ),
        );
        assert.deepEqual(await store.certificatesForName("atomic.contoso.com"), []);
        assert.deepEqual(await store.latestObservations(WWW.host, WWW.port), []);
        assert.deepEqual(await store.listAlerts({ status: "all" }), []);
        // The store is still usable.
        const ok = await store.recordRun(
          run(SCOPE, at(1), [draft("hsts-missing", "ok")], { certificates: [cert] }),
        );
        assert.equal(ok.length, 1);
      }));

    void it("serializes 50 concurrent runs of different scopes sharing one certificate alert", () =>
      withStore(async (store) => {
        const cert = certificate("fleet", ["*.fleet.contoso.com"]);
        const revoked = draft("revoked", cert.summary.sha256, { certificate: cert.summary });
        const hosts = Array.from({ length: 50 }, (_, i) => `n${i}.fleet.contoso.com`);
        const scopeOf = (h: string) => `tls:${h}:443`;
        const own = (h: string) => draft("hsts-missing", `${h}:443`, { endpoint: endpoint(h) });
        const results = await Promise.all(
          hosts.map((h, i) =>
            store.recordRun(
              run(scopeOf(h), at(i % 3), [revoked, own(h)], {
                certificates: [cert],
                observations: [observation(endpoint(h), cert)],
              }),
            ),
          ),
        );
        const shared = results.flat().filter((c) => c.alert.id === revoked.id);
        assert.equal(shared.filter((c) => c.kind === "opened").length, 1);
        assert.equal(shared.filter((c) => c.kind === "touched").length, 49);
        assert.equal(results.flat().filter((c) => c.kind === "opened").length, 51);
        assert.equal((await store.listAlerts({ status: "all" })).length, 51);
        assert.equal((await store.certificatesForName("n1.fleet.contoso.com")).length, 1);
        for (const h of hosts) {
          const ids = (await store.listAlerts({ scopes: [scopeOf(h)] })).map((a) => a.id).sort();
          assert.deepEqual(ids, [revoked.id, own(h).id].sort());
        }

        const [last, ...rest] = hosts;
        assert.ok(last !== undefined);
        const released = await Promise.all(rest.map((h) => store.recordRun(run(scopeOf(h), at(5), []))));
        assert.deepEqual(
          released.flat().filter((c) => c.alert.id === revoked.id),
          [],
        );
        assert.equal((await store.getAlert(revoked.id))?.status, "open");

        assert.deepEqual(kinds(await store.recordRun(run(scopeOf(last), at(6), []))), {
          [revoked.id]: "resolved",
          [own(last).id]: "resolved",
        });
        assert.deepEqual(
          (await store.listAlerts({ status: "resolved", scopes: [scopeOf(last)] })).map((a) => a.id).sort(),
          [revoked.id, own(last).id].sort(),
        );
        assert.equal((await store.listAlerts()).length, 0);
      }));

    void it("caches CRLs by URL: a miss, then the stored bytes and validators, then a replacement", () =>
      withStore(async (store) => {
        const url = "http://crl.contoso.test/ca1.crl";
        assert.equal(await store.getCrlCache(url), undefined);
        const first = {
          url,
          der: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]),
          etag: '"v1"',
          lastModified: "Wed, 25 Nov 2026 10:00:00 GMT",
          thisUpdate: iso(T0),
          nextUpdate: iso(at(60)),
          fetchedAt: iso(T0),
        };
        await store.putCrlCache(first);
        assert.deepEqual(await store.getCrlCache(url), first);
        const second = {
          ...first,
          der: new Uint8Array([0x30, 0x00]),
          etag: null,
          nextUpdate: null,
          fetchedAt: iso(at(5)),
        };
        await store.putCrlCache(second);
        assert.deepEqual(await store.getCrlCache(url), second);
        assert.equal(await store.getCrlCache(`${url}?other`), undefined);
      }));
  });
}
