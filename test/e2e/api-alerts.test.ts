/**
 * @module test/e2e/api-alerts.test
 * Alerts over real HTTP: cursor paging that returns each of 1,000 alerts exactly once (also while a check touches
 * them), every filter, the detail with its history, triage by role (viewers cannot, operators can, with a token or
 * a session and its CSRF token), how a hand-resolved alert meets the next check, the events catalogue, and the
 * CSV export (formula-safe cells).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { draft, endpoint, run } from "../../src/store/contract-fixtures.js";
import type { AlertDraft } from "../../src/alerts/reconcile.js";
import { ApiServer, codeOf, type ApiClient } from "../helpers/api-server.js";

const T0 = new Date("2026-11-25T10:00:00Z");
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);
const PW = { vic: "viewer-pw-correct-1", olive: "operator-pw-correct-2" };

interface AlertBody {
  id: string;
  name: string;
  eventId: number;
  status: string;
  subject: string;
  severity: string;
  firstSeen: string;
  triage: Record<string, string | null>;
}
interface Page {
  items: AlertBody[];
  nextCursor: string | null;
}

/** 1,000 TLS alerts over ten runs (100 per run share one firstSeen), plus a few of other kinds. */
function seedDrafts(): {
  bulk: AlertDraft[][];
  takeover: AlertDraft;
  similar: AlertDraft;
  hostile: AlertDraft;
} {
  const bulk = Array.from({ length: 10 }, (_, r) =>
    Array.from({ length: 100 }, (_, i) =>
      draft("hsts-missing", `h${r}-${i}.contoso.com:443`, {
        subject: `h${r}-${i}.contoso.com`,
        endpoint: endpoint(`h${r}-${i}.contoso.com`),
      }),
    ),
  );
  return {
    bulk,
    takeover: draft("domain-takeover", "old.contoso.com", { details: { target: "gone.azurewebsites.net" } }),
    similar: draft("similar-domain", "contoso-login.com"),
    hostile: draft("similar-domain", '=HYPERLINK("http://evil.example","x")', {
      details: { reason: '+cmd|" /C calc"!A0', more: "@SUM(1)" },
    }),
  };
}

void describe("REST API alerts over HTTP", () => {
  let server: ApiServer;
  let vic: ApiClient;
  let olive: ApiClient;
  const seed = seedDrafts();

  before(async () => {
    server = await ApiServer.start({ start: minutes(100) });
    await server.addUser("vic", "viewer", PW.vic);
    await server.addUser("olive", "operator", PW.olive);
    for (const [r, findings] of seed.bulk.entries()) {
      await server.store.recordRun(run(`tls:batch-${r}`, minutes(r), findings));
    }
    await server.store.recordRun(run("dns:takeover", minutes(20), [seed.takeover]));
    await server.store.recordRun(run("ct:entries", minutes(21), [seed.similar, seed.hostile]));
    vic = server.client();
    assert.equal((await vic.login("vic", PW.vic)).status, 200);
    olive = server.client();
    assert.equal((await olive.login("olive", PW.olive)).status, 200);
  });
  after(async () => {
    try {
      for (const { method, path, answer } of server.answers) {
        for (const pw of Object.values(PW))
          assert.ok(!answer.text.includes(pw), `${method} ${path} holds a password`);
      }
    } finally {
      await server.close();
    }
  });

  void it("pages through 1,003 alerts, each exactly once, while a check touches them between pages", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const path: string = `/alerts?limit=97${cursor === null ? "" : `&cursor=${cursor}`}`;
      const a = await vic.get(path);
      assert.equal(a.status, 200, a.text);
      const page = a.json as Page;
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
      pages++;
      if (pages === 2) await server.store.recordRun(run("tls:batch-9", minutes(50), seed.bulk[9] ?? []));
    } while (cursor !== null);
    assert.equal(pages, Math.ceil(1003 / 97));
    assert.equal(seen.length, 1003);
    assert.equal(new Set(seen).size, 1003);
    const first = ((await vic.get("/alerts?limit=1")).json as Page).items[0];
    assert.equal(first?.name, "similar-domain", "newest first");
    const max = (await vic.get("/alerts?limit=500")).json as Page;
    assert.equal(max.items.length, 500);
    assert.equal(codeOf(await vic.get("/alerts?limit=501")), "VALIDATION_FAILED");
    assert.equal(codeOf(await vic.get("/alerts?cursor=bm9wZQ")), "INVALID_CURSOR");
    assert.equal(codeOf(await vic.get("/alerts?cursor=%27%3B--")), "INVALID_CURSOR");
  });

  void it("filters by status, event, severity, source, domain and text", async () => {
    const names = async (query: string) =>
      ((await vic.get(`/alerts?limit=500&${query}`)).json as Page).items.map((i) => i.subject).sort();
    assert.deepEqual(await names("eventId=18"), ["old.contoso.com"]);
    assert.deepEqual(await names("severity=critical"), ["old.contoso.com"]);
    assert.deepEqual(await names("source=ct"), [seed.hostile.subject, "contoso-login.com"].sort());
    assert.deepEqual(await names("domain=h3-7.contoso.com"), ["h3-7.contoso.com"]);
    assert.equal((await names("domain=contoso.com")).length, 500, "1,001 under contoso.com, capped by limit");
    assert.deepEqual(await names("text=GONE.AZUREWEBSITES"), ["old.contoso.com"]);
    assert.deepEqual(await names("text=h9-99.contoso"), ["h9-99.contoso.com"]);
    assert.deepEqual(await names("status=resolved"), []);
    assert.equal(codeOf(await vic.get("/alerts?domain=not%20a%20domain")), "VALIDATION_FAILED");
    assert.equal(codeOf(await vic.get(`/alerts?text=${"x".repeat(201)}`)), "VALIDATION_FAILED");
    assert.equal(codeOf(await vic.get("/alerts?severity=urgent")), "VALIDATION_FAILED");
  });

  void it("a viewer reads one alert with its history but cannot triage; an operator can", async () => {
    const id = seed.takeover.id;
    const detail = await vic.get(`/alerts/${id}`);
    assert.equal(detail.status, 200, detail.text);
    const body = detail.json as AlertBody & { history: { kind: string; scope: string | null }[] };
    assert.equal(body.subject, "old.contoso.com");
    assert.deepEqual(body.history, [
      {
        at: "2026-11-25T10:20:00Z",
        kind: "opened",
        actor: null,
        actorKind: "check",
        scope: "dns:takeover",
        note: null,
        until: null,
      },
    ]);
    assert.equal((await vic.get(`/alerts/${"0".repeat(32)}`)).status, 404);
    assert.equal(codeOf(await vic.get("/alerts/not-an-id")), "VALIDATION_FAILED");

    const forbidden = await vic.post(`/alerts/${id}/acknowledge`, { note: "mine" });
    assert.equal(forbidden.status, 403);
    assert.equal(codeOf(forbidden), "FORBIDDEN");
    assert.equal(
      codeOf(await olive.post(`/alerts/${id}/acknowledge`, { note: "x" }, { csrf: false })),
      "CSRF_FAILED",
    );
    const acked = await olive.post(`/alerts/${id}/acknowledge`, { note: "DNS team on it (OPS-12)" });
    assert.equal(acked.status, 200, acked.text);
    const t = (acked.json as AlertBody).triage;
    assert.equal(t.acknowledgedBy, "olive");
    assert.equal(t.note, "DNS team on it (OPS-12)");
    assert.equal(t.acknowledgedAt, server.now.toISOString().replace(/\.\d{3}Z$/, "Z"));
    const listed = (await vic.get("/alerts?triage=acknowledged")).json as Page;
    assert.deepEqual(
      listed.items.map((i) => i.id),
      [id],
    );
  });

  void it("snooze, resolve, reopen: state rules (409), the audit log, and a token without CSRF", async () => {
    const id = seed.similar.id;
    const token = await olive.post("/tokens", { name: "triage-bot" });
    assert.equal(token.status, 201);
    const bot = server.client();
    bot.bearer = (token.json as { token: string }).token;

    const snoozed = await bot.post(`/alerts/${id}/snooze`, { minutes: 60, note: "after the change window" });
    assert.equal(snoozed.status, 200, snoozed.text);
    assert.match((snoozed.json as AlertBody).triage.snoozedBy ?? "", /^olive\/[a-z2-7]{10}$/);
    const untriaged = async () =>
      ((await vic.get("/alerts?triage=untriaged&source=ct")).json as Page).items.map((i) => i.id);
    assert.deepEqual(await untriaged(), [seed.hostile.id], "a snoozed alert is not untriaged");
    server.advance(61 * 60_000);
    assert.equal((await vic.login("vic", PW.vic)).status, 200); // the idle limit passed meanwhile
    assert.equal((await olive.login("olive", PW.olive)).status, 200);
    assert.deepEqual((await untriaged()).sort(), [seed.hostile.id, id].sort(), "the snooze ended");

    assert.equal(
      codeOf(await bot.post(`/alerts/${id}/snooze`, { minutes: 5, until: "2027-01-01T00:00:00Z" })),
      "VALIDATION_FAILED",
    );
    assert.equal(
      codeOf(await bot.post(`/alerts/${id}/snooze`, { until: "2020-01-01T00:00:00Z" })),
      "VALIDATION_FAILED",
    );
    assert.equal(codeOf(await bot.post(`/alerts/${id}/snooze`, { minutes: 600_000 })), "VALIDATION_FAILED");
    assert.equal(codeOf(await bot.post(`/alerts/${id}/reopen`)), "ALERT_STATE");
    const resolved = await bot.post(`/alerts/${id}/resolve`);
    assert.equal(resolved.status, 200, resolved.text);
    assert.equal((resolved.json as AlertBody).status, "resolved");
    assert.equal(codeOf(await bot.post(`/alerts/${id}/resolve`)), "ALERT_STATE");
    assert.equal(codeOf(await bot.post(`/alerts/${id}/acknowledge`)), "ALERT_STATE");
    assert.equal((await olive.post(`/alerts/${id}/reopen`, { note: "not fixed" })).status, 200);
    assert.equal((await olive.post(`/alerts/${"f".repeat(32)}/resolve`)).status, 404);

    const refused = await olive.post(`/alerts/${id}/resolve`, { note: `token ${bot.bearer}` });
    assert.equal(codeOf(refused), "VALIDATION_FAILED");
    assert.equal(((await vic.get(`/alerts/${id}`)).json as AlertBody).status, "open", "nothing changed");

    const admin = server.client();
    await server.addUser("root", "admin", "root-pw-correct-3");
    assert.equal((await admin.login("root", "root-pw-correct-3")).status, 200);
    const audit = (await admin.get("/audit?limit=20")).json as {
      items: { action: string; actor: string; target: string }[];
    };
    const triage = audit.items.filter((i) => i.action.startsWith("alert.") && i.target === id);
    assert.deepEqual(
      triage.map((i) => [i.action, i.actor.replace(/\/.*/, "/<token>")]),
      [
        ["alert.reopen", "olive"],
        ["alert.resolve", "olive/<token>"],
        ["alert.snooze", "olive/<token>"],
      ],
    );
    assert.ok(!JSON.stringify(audit).includes(bot.bearer ?? "never"), "the refused note is nowhere");
  });

  void it("resolved by hand while the condition holds: the next check reopens it", async () => {
    const alert = seed.bulk[0]?.[0];
    assert.ok(alert !== undefined);
    assert.equal((await olive.post(`/alerts/${alert.id}/resolve`, { note: "fixed the header" })).status, 200);
    await server.store.recordRun(run("tls:batch-0", minutes(200), seed.bulk[0] ?? []));
    const detail = (await vic.get(`/alerts/${alert.id}`)).json as AlertBody & {
      history: { kind: string; actor: string | null; note: string | null }[];
    };
    assert.equal(detail.status, "open");
    assert.equal(detail.triage.resolvedBy, null);
    assert.deepEqual(
      detail.history.map((h) => [h.kind, h.actor, h.note]),
      [
        ["reopened", null, null],
        ["resolved", "olive", "fixed the header"],
        ["opened", null, null],
      ],
    );
  });

  void it("GET /events is the catalogue", async () => {
    const a = await vic.get("/events");
    assert.equal(a.status, 200);
    const items = (a.json as { items: { id: number; name: string; severity: string }[] }).items;
    assert.ok(items.some((e) => e.id === 42 && e.name === "hsts-missing" && e.severity === "medium"));
    assert.ok(items.some((e) => e.id === 18 && e.name === "domain-takeover"));
    assert.equal((await server.client().get("/events")).status, 401);
  });

  void it("GET /alerts.csv exports the filtered alerts; no cell can start a formula", async () => {
    const all = await vic.get("/alerts.csv");
    assert.equal(all.status, 200);
    assert.equal(all.headers.get("content-type"), "text/csv; charset=utf-8");
    assert.match(
      all.headers.get("content-disposition") ?? "",
      /attachment; filename="certwatch-alerts\.csv"/,
    );
    assert.deepEqual([...all.bytes.slice(0, 3)], [0xef, 0xbb, 0xbf], "a UTF-8 byte order mark (for Excel)");
    assert.ok(all.text.startsWith('"id","eventId","name",'), all.text.slice(0, 40));
    const lines = all.text.split("\r\n").filter((l) => l !== "");
    assert.equal(lines.length, 1 + 1003);

    const ct = await vic.get("/alerts.csv?source=ct");
    const hostile = ct.text.split("\r\n").find((l) => l.includes("HYPERLINK"));
    assert.ok(hostile !== undefined, ct.text);
    const cells = parseCsvLine(hostile);
    assert.equal(cells[6], `'=HYPERLINK("http://evil.example","x")`);
    assert.equal(cells[19], `{"reason":"+cmd|\\" /C calc\\"!A0","more":"@SUM(1)"}`);
    for (const line of ct.text.split("\r\n").filter((l) => l !== "")) {
      for (const cell of parseCsvLine(line)) assert.doesNotMatch(cell, /^[=+\-@\t\r]/, line);
    }
    const none = await vic.get("/alerts.csv?eventId=99");
    assert.equal(none.text.split("\r\n").filter((l) => l !== "").length, 1, "the header only");
    assert.equal((await server.client().get("/alerts.csv")).status, 401);
  });
});

/** A CSV line of quoted cells (what csvCell writes), unquoted. */
function parseCsvLine(line: string): string[] {
  const cells: string[] = [];
  const re = /"((?:[^"]|"")*)"(?:,|$)/g;
  for (const m of line.matchAll(re)) cells.push((m[1] ?? "").replace(/""/g, '"'));
  return cells;
}
