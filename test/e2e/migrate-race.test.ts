/**
 * @module test/e2e/migrate-race.test
 * Several certwatch processes started at once on a fresh database (cron jobs, a daemon and a CLI; PostgreSQL
 * workers): each one migrates the schema on open, and none may fail because another created a table first.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { MIGRATION_TABLE, migrations } from "../../src/store/migrations/index.js";
import { postgresDialect, sqliteDialect } from "../../src/store/dialect.js";
import { TestDatabases } from "../helpers/postgres.js";

const CHILD = fileURLToPath(new URL("./migrate-child.ts", import.meta.url));
const TSX = import.meta.resolve("tsx");
const PROCESSES = 4;
const databases = new TestDatabases();
after(() => databases.dropAll());

interface Child {
  readonly ready: Promise<void>;
  readonly done: Promise<{ code: number | null; out: string }>;
  go(): void;
}

function start(path: string): Child {
  const child = spawn(process.execPath, ["--import", TSX, CHILD, path], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  let out = "";
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (onReady = r));
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    if (out.includes("ready\n")) onReady();
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const done = new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      onReady();
      resolve({ code, out });
    });
  });
  return { ready, done, go: () => child.stdin.end("go\n") };
}

void describe("store migrations across processes", () => {
  void it(`${PROCESSES} processes opening one fresh SQLite file at once all succeed, with one schema`, async () => {
    // A few rounds: without the lock the race is lost most of the time, not every time.
    for (let round = 0; round < 3; round++) {
      const path = join(mkdtempSync(join(tmpdir(), "certwatch-migrate-")), "certwatch.db");
      const children = Array.from({ length: PROCESSES }, () => start(path));
      await Promise.all(children.map((c) => c.ready));
      for (const c of children) c.go();
      const results = await Promise.all(children.map((c) => c.done));
      for (const r of results) assert.equal(r.code, 0, `round ${round}: ${r.out}`);
      const db = new Database(path, { readonly: true });
      try {
        const applied = db
          .prepare(`select name from ${MIGRATION_TABLE} order by name`)
          .all()
          .map((r) => (r as { name: string }).name);
        assert.deepEqual(applied, Object.keys(migrations(sqliteDialect)).sort());
      } finally {
        db.close();
      }
    }
  });

  void it(`${PROCESSES} processes opening one fresh PostgreSQL database at once all succeed, with one schema`, async () => {
    await databases.ready();
    // One round: Kysely's own lock already orders most of it; this checks the whole open, certwatch's lock included.
    const url = await databases.create();
    const children = Array.from({ length: PROCESSES }, () => start(url));
    await Promise.all(children.map((c) => c.ready));
    for (const c of children) c.go();
    const results = await Promise.all(children.map((c) => c.done));
    for (const r of results) assert.equal(r.code, 0, r.out);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>(
        `select name from ${MIGRATION_TABLE} order by name`,
      );
      assert.deepEqual(
        rows.map((r) => r.name),
        Object.keys(migrations(postgresDialect)).sort(),
      );
    } finally {
      await client.end();
    }
  });
});
