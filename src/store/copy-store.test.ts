/**
 * @module store/copy-store.test
 * certwatch migrate's copy for real: an SQLite store filled through the store API with every kind of row, copied
 * into a fresh PostgreSQL database and read back through the PostgreSQL store's API (and back into SQLite); the
 * refusals (an older source migrated first, a newer one, a target with data) and the failures that roll back.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { Migrator, sql } from "kysely";
import type { Migration } from "kysely";
import pg from "pg";
import { TestDatabases } from "../../test/helpers/postgres.js";
import { parseApiToken, tokenSecretMatches, tokenState } from "../auth/tokens.js";
import { at, draft, run } from "./contract-fixtures.js";
import { fillStore, LATER, ROUTES, type Filled } from "./copy-fixtures.js";
import { COPY_ORDER } from "./copy-plan.js";
import { copyStore, MigrateError, openCopySource, openCopyTarget, type CopyReport } from "./copy-store.js";
import { MIGRATION_TABLE, migrations } from "./migrations/index.js";
import { openStore } from "./open.js";
import { sqliteDialect } from "./dialect.js";
import { openSqliteStore } from "./sqlite.js";
import type { Store } from "./store.js";

const databases = new TestDatabases();
after(() => databases.dropAll());
await databases.ready();

const dir = mkdtempSync(join(tmpdir(), "certwatch-copy-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const sqliteUrl = () => `sqlite:${join(dir, `store-${files++}.db`)}`;

/** Run certwatch migrate's steps from `from` into `to`; the log lines are kept. */
async function migrate(from: string, to: string, log: string[] = []): Promise<CopyReport> {
  const say = (l: string) => log.push(l);
  const source = await openCopySource(from, say);
  try {
    const target = await openCopyTarget(to, say);
    try {
      return await copyStore(source, target, say);
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

async function withStore<T>(url: string, fn: (s: Store) => Promise<T>): Promise<T> {
  const store = await openStore(url, { routes: ROUTES });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function refusedWith(code: MigrateError["code"], message?: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof MigrateError, String(e));
    assert.equal(e.code, code, e.message);
    if (message !== undefined) assert.match(e.message, message);
    return true;
  };
}

/** Everything a user or the daemon reads from a store (not the outbox: claiming changes it). */
async function readable(s: Store) {
  const alerts = await s.listAlerts({ status: "all" });
  const detail = [];
  for (const a of alerts) {
    detail.push([a.id, await s.triage.getTriagedAlert(a.id), await s.triage.alertHistory(a.id)]);
  }
  const now = at(60);
  return {
    alerts,
    detail,
    page: await s.triage.listAlertPage({ status: "all", limit: 100, now }),
    untriaged: await s.triage.listAlertPage({ triage: "untriaged", limit: 100, now }),
    inventory: await s.inventory.listCertificatePage({ limit: 100 }),
    forName: await s.certificatesForName("www.contoso.com"),
    observations: await s.latestObservations("www.contoso.com", 443),
    ct: await s.listCtLogStates(),
    identities: await s.knownCtIdentities(["11".repeat(32), "12".repeat(32)]),
    roots: await s.rootBaseline(["contoso.com"]),
    under: await s.certificatesUnder(["contoso.com"]),
    names: await s.namesUnder(["contoso.com"]),
    crl: await s.getCrlCache("http://crl.contoso.test/ca.crl"),
    logList: await s.getLogListCache("https://www.gstatic.com/ct/log_list/v3/log_list.json"),
    users: await s.auth.listUsers(),
    alice: await s.auth.getUser("alice"),
    tokens: await s.auth.listApiTokens(),
    audit: await s.auth.listAudit({ limit: 1000 }),
    runs: await s.schedule.lastRuns(),
    managed: await s.schedule.listManagedEndpoints(),
    openByScope: await s.listAlerts({ scopes: ["tls:www.contoso.com:443"] }),
  };
}

/** A presented API token authenticates against `s` as the API checks it (authenticate.ts byToken). */
async function tokenAuthenticates(s: Store, presented: string, now: Date): Promise<boolean> {
  const parsed = parseApiToken(presented);
  if (parsed === undefined) return false;
  const record = await s.auth.getApiToken(parsed.id);
  if (record === undefined || !tokenSecretMatches(parsed, record.secretHash)) return false;
  const user = await s.auth.getUser(record.userName);
  return tokenState(record, now) === "active" && user !== undefined && !user.disabled;
}

void describe("certwatch migrate: copying a store", () => {
  const source = sqliteUrl();
  let filled: Filled;
  let target: string;
  let report: CopyReport;
  const log: string[] = [];

  before(async () => {
    filled = await withStore(source, fillStore);
    target = await databases.create();
    report = await migrate(source, target, log);
  });

  void it("copies every table, says so per table, and leaves the sessions behind", () => {
    assert.deepEqual(
      report.tables.map((t) => t.table),
      COPY_ORDER.map(([t]) => t),
    );
    for (const t of report.tables) {
      if (t.table === "sessions") {
        assert.deepEqual([t.copied, t.sourceRows, t.targetRows], [false, 1, 0]);
        continue;
      }
      if (t.table === "work_leases") {
        assert.deepEqual([t.copied, t.targetRows], [false, 0]);
        continue;
      }
      assert.ok(t.copied, t.table);
      assert.equal(t.targetRows, t.sourceRows, t.table);
      assert.match(t.sha256 ?? "", /^[0-9a-f]{64}$/, t.table);
    }
    const rows = Object.fromEntries(report.tables.map((t) => [t.table, t.sourceRows]));
    assert.equal(rows.alerts, 6);
    assert.equal(rows.crl_cache, 1);
    assert.equal(rows.ct_logs, 2);
    assert.equal(rows.users, 2);
    assert.ok((rows.alert_history ?? 0) >= 9 && (rows.outbox ?? 0) >= 10 && (rows.audit_log ?? 0) >= 8);
    assert.ok(log.some((l) => /^alerts: 6 rows copied/.test(l)));
    assert.ok(
      log.some((l) => /creating the schema/.test(l)),
      log.join("\n"),
    );
  });

  void it("reads back the same through the PostgreSQL store's API: alerts, history, inventory, CT, users", async () => {
    const before = await withStore(source, readable);
    const afterward = await withStore(target, readable);
    assert.deepEqual(afterward, before);
    assert.equal(before.alerts.length, 6);
    assert.ok(before.detail.some(([, , h]) => Array.isArray(h) && h.length >= 3));
    assert.equal(before.ct[0]?.position, 4_000_000_123);
    assert.equal(before.crl?.der.length, 300_000);
  });

  void it("keeps the outbox deliverable: the same notifications, attempts and errors; a dead sender's lease freed", async () => {
    const now = at(60);
    for (const t of ["siem", "mail"]) {
      const claimed = await withStore(target, (s) => s.claimOutbox(t, 100, now, at(61)));
      assert.deepEqual(claimed.map((i) => i.notification.id).sort(), filled.undelivered.get(t), t);
      if (t === "siem") {
        assert.ok(
          claimed.some((i) => i.attempts === 1),
          "the failed attempt is kept",
        );
      }
      const status = (await withStore(target, (s) => s.outboxStatus())).find((r) => r.target === t);
      assert.equal(status?.pending, filled.undelivered.get(t)?.length);
    }
    // The source still holds mail's leased row until 2030: only the copy frees it.
    const stillLeased = await withStore(source, (s) => s.claimOutbox("mail", 100, now, at(61)));
    assert.equal(stillLeased.length, (filled.undelivered.get("mail")?.length ?? 0) - 1);
    const status = await withStore(target, (s) => s.outboxStatus());
    assert.equal(status.find((r) => r.target === "siem")?.lastError, "HTTP 503");
  });

  void it("a token still authenticates; the session does not exist in the copy", async () => {
    assert.ok(await withStore(source, (s) => tokenAuthenticates(s, filled.token, at(70))));
    assert.ok(await withStore(target, (s) => tokenAuthenticates(s, filled.token, at(70))));
    assert.ok(await withStore(source, (s) => s.auth.getSession(filled.sessionIdHash)));
    assert.equal(await withStore(target, (s) => s.auth.getSession(filled.sessionIdHash)), undefined);
  });

  void it("new rows get fresh ids past every copied one (and past the pruned outbox rows)", async () => {
    await withStore(target, async (s) => {
      const maxHistory = Math.max(
        ...(await readable(s)).detail.flatMap(([, , h]) => (h as { id: number }[]).map((e) => e.id)),
      );
      const maxAudit = Math.max(...(await s.auth.listAudit({ limit: 1000 })).map((e) => e.id));
      const fresh = draft("hsts-missing", "new.contoso.com:443");
      // With an observation: its id comes from a sequence too.
      const seen = { host: "new.contoso.com", port: 443, address: null };
      const changes = await s.recordRun(
        run("tls:new.contoso.com:443", at(80), [fresh], {
          observations: [{ endpoint: seen, outcome: "unreachable", protocol: null, chain: [], details: {} }],
        }),
      );
      assert.deepEqual(
        changes.map((c) => [c.kind, c.alert.id]),
        [["opened", fresh.id]],
      );
      const history = await s.triage.alertHistory(fresh.id);
      assert.ok((history[0]?.id ?? 0) > maxHistory, `${history[0]?.id} > ${maxHistory}`);
      const auditId = await s.auth.appendAudit(
        { actor: { kind: "system" }, at: at(81), ip: null },
        { action: "test.after", target: null },
      );
      assert.ok(auditId > maxAudit);
      const rows = await s.claimOutbox("siem", 100, LATER, new Date(LATER.getTime() + 1000));
      const mine = rows.filter((i) => i.notification.alert.id === fresh.id);
      assert.equal(mine.length, 1);
      assert.ok((mine[0]?.rowId ?? 0) > filled.prunedOutboxId, "an outbox id is never handed out twice");
    });
  });

  void it("refuses to copy into a store that holds data, and changes nothing there", async () => {
    const before = await withStore(target, (s) => s.listAlerts({ status: "all" }));
    await assert.rejects(
      migrate(source, target),
      refusedWith("MIGRATE_TARGET_NOT_EMPTY", /already holds data \(.*alerts.*\).*createdb/),
    );
    assert.deepEqual(await withStore(target, (s) => s.listAlerts({ status: "all" })), before);
  });

  void it("copies PostgreSQL back into SQLite: the same rows, the same digests", async () => {
    const pgSource = await databases.create();
    await migrate(source, pgSource);
    const back = sqliteUrl();
    const again = await migrate(pgSource, back);
    // The sessions stayed behind the first time: the second copy has none to leave.
    const copied = (r: CopyReport) =>
      r.tables.filter((t) => t.copied).map((t) => [t.table, t.sourceRows, t.sha256]);
    assert.deepEqual(copied(again), copied(report));
    assert.deepEqual(await withStore(back, readable), await withStore(source, readable));
  });
});

void describe("certwatch migrate: the source", () => {
  void it("an older store is migrated to this certwatch's schema first, and says so", async () => {
    const url = sqliteUrl();
    const old = openSqliteStore(url.slice("sqlite:".length));
    const all = migrations(sqliteDialect);
    const provider = { getMigrations: () => Promise.resolve<Record<string, Migration>>(all) };
    const migrator = new Migrator({
      db: old.database.db,
      provider,
      migrationTableName: MIGRATION_TABLE,
    });
    const { error } = await migrator.migrateTo("005_auth");
    assert.equal(error, undefined);
    await sql`insert into alerts (id, event_id, name, key, severity, source, subject, endpoint, certificate, details,
      status, first_seen, last_seen, resolved_at, last_scope) values ('a1', 42, 'hsts-missing', 'k', 'medium', 'tls',
      'www', null, null, '{}', 'open', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', null, 'tls:www:443')`.execute(
      old.database.db,
    );
    await old.close();
    const log: string[] = [];
    const report = await migrate(url, await databases.create(), log);
    assert.ok(
      log.some((l) =>
        /migrating the schema to \d{3}_\w+ first \(\d+ pending: 006_triage, 007_schedule, 008/.test(l),
      ),
      log.join("\n"),
    );
    assert.equal(report.tables.find((t) => t.table === "alerts")?.targetRows, 1);
    // Migration 006 gave the old alert its history: copied too.
    assert.equal(report.tables.find((t) => t.table === "alert_history")?.targetRows, 1);
  });

  void it("refuses a store of a newer certwatch, a file that is no store, and a missing file", async () => {
    const newer = sqliteUrl();
    await withStore(newer, () => Promise.resolve());
    const db = new Database(newer.slice("sqlite:".length));
    db.prepare(`insert into ${MIGRATION_TABLE} (name, timestamp) values ('999_future', '2030-01-01')`).run();
    db.close();
    const target = await databases.create();
    await assert.rejects(
      migrate(newer, target),
      refusedWith("MIGRATE_STORE_TOO_NEW", /newer certwatch \(schema migration 999_future/),
    );
    const empty = join(dir, "empty.db");
    writeFileSync(empty, "");
    await assert.rejects(
      migrate(`sqlite:${empty}`, target),
      refusedWith("MIGRATE_SOURCE_UNUSABLE", /no certwatch store/),
    );
    await assert.rejects(
      migrate(`sqlite:${join(dir, "nothing-here.db")}`, target),
      refusedWith("MIGRATE_SOURCE_UNUSABLE", /no such SQLite file/),
    );
    await assert.rejects(migrate("sqlite::memory:", target), refusedWith("MIGRATE_SOURCE_UNUSABLE"));
    // The refusals created nothing in the target.
    const client = new pg.Client({ connectionString: target });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: number }>(
        "select count(*)::int as n from information_schema.tables where table_schema = 'public'",
      );
      assert.equal(rows[0]?.n, 0);
    } finally {
      await client.end();
    }
  });
});

void describe("certwatch migrate: a failed copy leaves the target as it was", () => {
  const source = sqliteUrl();
  before(async () => {
    await withStore(source, fillStore);
  });

  /** A target with the schema and an empty alerts table, and `ddl` run on it. */
  async function preparedTarget(ddl: string): Promise<string> {
    const url = await databases.create();
    await withStore(url, () => Promise.resolve());
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(ddl);
    } finally {
      await client.end();
    }
    return url;
  }

  const alertCount = (url: string) =>
    withStore(url, async (s) => (await s.listAlerts({ status: "all" })).length);

  void it("rows that do not read back equal (a trigger rewrites them): MIGRATE_VERIFY_FAILED, nothing committed", async () => {
    const url = await preparedTarget(`
      create function shout() returns trigger language plpgsql as $$
        begin new.subject := upper(new.subject); return new; end $$;
      create trigger shout before insert on alerts for each row execute function shout();`);
    await assert.rejects(
      migrate(source, url),
      refusedWith("MIGRATE_VERIFY_FAILED", /verifying alerts: the rows read back differ/),
    );
    assert.equal(await alertCount(url), 0);
  });

  void it("a row the target refuses: MIGRATE_COPY_FAILED naming the table, nothing committed", async () => {
    const url = await preparedTarget(`alter table ct_logs add constraint small check (position < 1000)`);
    await assert.rejects(
      migrate(source, url),
      refusedWith("MIGRATE_COPY_FAILED", /^copying ct_logs failed: .*small/),
    );
    assert.equal(await alertCount(url), 0);
  });

  void it("a source written to while it is copied: MIGRATE_SOURCE_CHANGED, nothing committed", async () => {
    const url = await databases.create();
    const writer = await openStore(source);
    let write: Promise<unknown> | undefined;
    try {
      const say = (line: string) => {
        // Another process records a scan while migrate reads the source.
        if (write === undefined && line.startsWith("endpoints:")) {
          write = writer.recordRun(run("tls:late.contoso.com:443", at(90), [draft("hsts-missing", "late")]));
        }
      };
      const src = await openCopySource(source, say);
      const dst = await openCopyTarget(url, say);
      try {
        await assert.rejects(
          copyStore(src, dst, say),
          refusedWith("MIGRATE_SOURCE_CHANGED", /stop every one/),
        );
      } finally {
        await src.close();
        await dst.close();
      }
      await write;
    } finally {
      await writer.close();
    }
    assert.equal(await alertCount(url), 0);
  });
});
