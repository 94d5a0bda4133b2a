/**
 * @module store/sqlite.test
 * The store contract on SQLite (temp file and in-memory), plus what only SQLite has: files, pragmas, speed.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { at, certificate, draft, endpoint, observation, run, T0 } from "./contract-fixtures.js";
import { sqliteDialect } from "./dialect.js";
import { MIGRATION_TABLE, migrations } from "./migrations/index.js";
import { openStore, sqlitePathOf, StoreCorruptError, StoreOpenError } from "./open.js";
import { storeContract } from "./store.contract.js";
import { ctStoreContract } from "./ct-store.contract.js";
import { outboxContract } from "./outbox.contract.js";
import { authStoreContract } from "./auth-store.contract.js";
import { triageContract } from "./triage.contract.js";
import { inventoryContract } from "./inventory.contract.js";
import { scheduleStoreContract } from "./schedule-store.contract.js";
import { metricsQueriesContract } from "./metrics-queries.contract.js";

const dir = mkdtempSync(join(tmpdir(), "certwatch-store-"));
let n = 0;
const tempDb = () => join(dir, `store-${process.pid}-${n++}.db`);
after(() => rmSync(dir, { recursive: true, force: true }));

storeContract("SQLite file", () => openStore(`sqlite:${tempDb()}`));
storeContract("SQLite in memory", () => openStore("sqlite::memory:"));
ctStoreContract("SQLite file", () => openStore(`sqlite:${tempDb()}`));
outboxContract("SQLite file", (routes) => openStore(`sqlite:${tempDb()}`, { routes }));
authStoreContract("SQLite file", () => openStore(`sqlite:${tempDb()}`));
triageContract("SQLite file", () => openStore(`sqlite:${tempDb()}`));
inventoryContract("SQLite file", () => openStore(`sqlite:${tempDb()}`));
scheduleStoreContract("SQLite file", () => openStore(`sqlite:${tempDb()}`));
metricsQueriesContract("SQLite file", (routes) => openStore(`sqlite:${tempDb()}`, { routes }));

/** A store file with 400 alerts whose details fill a few hundred pages, closed and checkpointed. */
async function filledDb(): Promise<string> {
  const path = tempDb();
  const store = await openStore(`sqlite:${path}`);
  const pad = "x".repeat(2000);
  const findings = Array.from({ length: 400 }, (_, i) =>
    draft("hsts-missing", `h${i}`, { endpoint: endpoint(`h${i}.contoso.com`), details: { pad } }),
  );
  await store.recordRun(run("tls:filled", T0, findings));
  await store.close();
  return path;
}

function assertOneLineCorruption(e: Error, path: string, what: RegExp): void {
  assert.ok(!e.message.includes("\n"), e.message);
  assert.ok(e.message.startsWith(`the database file ${path} `), e.message);
  assert.match(e.message, what);
  assert.match(e.message, /restore it from a backup, or move it aside/);
}

void describe("SQLite store", () => {
  void it("keeps its data when the file is reopened", async () => {
    const path = tempDb();
    const cert = certificate("www");
    const hsts = draft("hsts-missing", "www", { endpoint: endpoint("www.contoso.com") });
    const first = await openStore(`sqlite:${path}`);
    const [change] = await first.recordRun(
      run("tls:www.contoso.com:443", T0, [hsts], { certificates: [cert] }),
    );
    await first.close();

    const again = await openStore(`sqlite:${path}`);
    try {
      assert.deepEqual(await again.getAlert(hsts.id), change?.alert);
      assert.deepEqual(await again.getCertificateDer(cert.summary.sha256), cert.der);
      const next = await again.recordRun(run("tls:www.contoso.com:443", at(1), [hsts]));
      assert.equal(next[0]?.kind, "touched");
    } finally {
      await again.close();
    }
  });

  void it("records the applied migrations and uses WAL", async () => {
    const path = tempDb();
    await (await openStore(`sqlite:${path}`)).close();
    await (await openStore(`sqlite:${path}`)).close();
    const db = new Database(path, { readonly: true });
    try {
      const names = db.prepare(`select name from ${MIGRATION_TABLE} order by name`).pluck().all();
      // Every migration this build knows, each recorded once, in the order they apply.
      const known = Object.keys(migrations(sqliteDialect));
      assert.deepEqual(names, [...known].sort());
      assert.deepEqual(known.slice(0, 5), [
        "001_initial",
        "002_crl_cache",
        "003_ct",
        "004_outbox",
        "005_auth",
      ]);
      assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
    } finally {
      db.close();
    }
  });

  void it("creates the database file and its -wal and -shm files 0600, whatever the umask", async () => {
    const mode = (p: string) => statSync(p).mode & 0o777;
    const before = process.umask(0);
    try {
      for (const umask of [0o000, 0o022, 0o077]) {
        process.umask(umask);
        const path = tempDb();
        const store = await openStore(`sqlite:${path}`);
        try {
          await store.recordRun(run("tls:modes", T0, [draft("hsts-missing", "modes")]));
          for (const p of [path, `${path}-wal`, `${path}-shm`]) {
            assert.equal(mode(p).toString(8), "600", `${p} with umask ${umask.toString(8)}`);
          }
        } finally {
          await store.close();
        }
      }
    } finally {
      process.umask(before);
    }
  });

  void it("keeps the mode of a database file that already exists", async () => {
    const path = tempDb();
    await (await openStore(`sqlite:${path}`)).close();
    chmodSync(path, 0o640);
    await (await openStore(`sqlite:${path}`)).close();
    assert.equal((statSync(path).mode & 0o777).toString(8), "640");
  });

  void it("creates the parent directory", async () => {
    const path = join(dir, "nested", "deeper", "certwatch.db");
    await (await openStore(`sqlite:${path}`)).close();
    assert.equal(sqlitePathOf(`sqlite://${path}`), path);
  });

  void it("names the file when it is not a database, and says what to do", async () => {
    const path = tempDb();
    writeFileSync(path, "this is not an SQLite database, just text ".repeat(200));
    await assert.rejects(openStore(`sqlite:${path}`), (e: unknown) => {
      assert.ok(e instanceof StoreCorruptError, String(e));
      assert.equal(e.sqliteCode, "SQLITE_NOTADB");
      assert.equal(e.file, path);
      assertOneLineCorruption(
        e,
        path,
        /is not an SQLite database.*\(SQLITE_NOTADB: file is not a database\)/,
      );
      return true;
    });
  });

  void it("a file damaged in the middle fails the query that meets it, naming the file", async () => {
    const path = await filledDb();
    // Overwrite the alerts table's pages (not its root, not the schema): opening and migrating still work.
    const db = new Database(path, { readonly: true });
    const pageSize = db.pragma("page_size", { simple: true }) as number;
    const pages = db
      .prepare("select pageno from dbstat where name = 'alerts' and pagetype != 'internal' order by pageno")
      .pluck()
      .all() as number[];
    db.close();
    assert.ok(pages.length > 20, `alerts spans ${pages.length} pages`);
    const bytes = readFileSync(path);
    for (const p of pages.slice(1)) bytes.fill(0x5a, (p - 1) * pageSize, p * pageSize);
    writeFileSync(path, bytes);

    const store = await openStore(`sqlite:${path}`);
    try {
      await assert.rejects(store.listAlerts({ status: "all" }), (e: unknown) => {
        assert.ok(e instanceof StoreCorruptError, String(e));
        assert.match(e.sqliteCode, /^SQLITE_CORRUPT/);
        assertOneLineCorruption(
          e,
          path,
          /is corrupt \(SQLITE_CORRUPT\w*: database disk image is malformed\)/,
        );
        return true;
      });
    } finally {
      await store.close();
    }
  });

  void it("a damaged migration table is reported as corrupt while the store opens", async () => {
    const path = tempDb();
    await (await openStore(`sqlite:${path}`)).close();
    const db = new Database(path, { readonly: true });
    const pageSize = db.pragma("page_size", { simple: true }) as number;
    const pages = db
      .prepare("select pageno from dbstat where name = ?")
      .pluck()
      .all(MIGRATION_TABLE) as number[];
    db.close();
    const bytes = readFileSync(path);
    for (const p of pages) bytes.fill(0x5a, (p - 1) * pageSize, p * pageSize);
    writeFileSync(path, bytes);
    await assert.rejects(openStore(`sqlite:${path}`), (e: unknown) => {
      assert.ok(e instanceof StoreCorruptError, String(e));
      assertOneLineCorruption(e, path, /is corrupt \(SQLITE_CORRUPT/);
      return true;
    });
  });

  void it("a truncated file is reported as corrupt, at open or at the first query", async () => {
    const path = await filledDb();
    truncateSync(path, Math.floor(readFileSync(path).length / 3));
    const listed = openStore(`sqlite:${path}`).then(async (store) => {
      try {
        return await store.listAlerts({ status: "all" });
      } finally {
        await store.close();
      }
    });
    await assert.rejects(listed, (e: unknown) => {
      assert.ok(e instanceof StoreCorruptError, String(e));
      assertOneLineCorruption(e, path, /is corrupt \(SQLITE_CORRUPT/);
      return true;
    });
  });

  void it("names the path when the directory cannot be created", async () => {
    const blocker = tempDb();
    writeFileSync(blocker, "a file where a directory should be");
    const path = join(blocker, "certwatch.db");
    await assert.rejects(openStore(`sqlite:${path}`), (e: unknown) => {
      assert.ok(e instanceof StoreOpenError);
      assert.ok(e.message.includes(path), e.message);
      return true;
    });
  });

  void it("refuses relative paths and unknown URLs with clear messages", async () => {
    await assert.rejects(openStore("sqlite:./certwatch.db"), /must be absolute/);
    await assert.rejects(openStore("mysql://db/certwatch"), (e: unknown) => {
      assert.ok(e instanceof StoreOpenError);
      assert.equal(e.code, "STORE_URL_INVALID");
      assert.match(e.message, /expected sqlite:<absolute path>, sqlite::memory: or postgres:\/\//);
      return true;
    });
  });

  void it("records 1,000 runs of 10 findings, leaving each scope with its last run's alerts", async (t) => {
    const store = await openStore(`sqlite:${tempDb()}`);
    try {
      const hosts = Array.from({ length: 100 }, (_, i) => `h${i}.contoso.com`);
      const runs = Array.from({ length: 1000 }, (_, i) => {
        const host = hosts[i % hosts.length] ?? "";
        const cert = certificate(`${host}-${Math.floor(i / 300)}`, [host]);
        const ep = endpoint(host, `203.0.113.${i % 100}`);
        const findings = Array.from({ length: 10 }, (_, k) =>
          k < 5
            ? draft("hsts-missing", `${host}:${k}`, { endpoint: ep, details: { header: null, k } })
            : draft("weak-key", `${cert.summary.sha256}:${(k + i) % 7}`, { certificate: cert.summary }),
        );
        return run(`tls:${host}:443`, at(i), findings, {
          certificates: [cert],
          observations: [observation(ep, cert)],
        });
      });
      await store.recordRun(runs[0] ?? run("warm-up", T0, []));

      const started = performance.now();
      for (const r of runs) await store.recordRun(r);
      const ms = performance.now() - started;
      t.diagnostic(
        `1,000 recordRun calls (10 findings each): ${ms.toFixed(0)} ms, ${(ms / 1000).toFixed(2)} ms/run`,
      );
      // The time is a diagnostic (about 1 ms a run on an idle 2-core machine), not an assertion: a shared
      // machine's load would make it flaky. What must hold is the result: per scope, its last run's alerts.
      const lastRun = new Map(runs.map((r) => [r.scope, r]));
      const expected = new Set([...lastRun.values()].flatMap((r) => r.findings.map((f) => f.id)));
      const open = await store.listAlerts({ status: "open" });
      assert.deepEqual(new Set(open.map((a) => a.id)), expected);
    } finally {
      await store.close();
    }
  });
});
