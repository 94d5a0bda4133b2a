/**
 * @module test/e2e/store-migrate.test
 * `certwatch migrate` as an operator runs it: an SQLite store (filled through the store API) copied into a fresh
 * PostgreSQL database, then `certwatch alerts` reads the same from it; the refusals and failures
 * with their exit statuses (2 refused, 3 store unreachable, 4 copy undone) and never a password on the terminal.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { jsonLines } from "../../src/cli/alert-output.js";
import { fillStore, ROUTES } from "../../src/store/copy-fixtures.js";
import { COPY_ORDER } from "../../src/store/copy-plan.js";
import { openStore } from "../../src/store/open.js";
import { TestDatabases } from "../helpers/postgres.js";
import { certwatch, type CliRun } from "./run-cli.js";

const databases = new TestDatabases();
after(() => databases.dropAll());
await databases.ready();

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === "object" && address !== null ? address.port : 1;
}

const SECRET = "hunter2-not-to-be-shown";

void describe("certwatch migrate (CLI)", () => {
  let dir: string;
  let target: string;
  let migrated: CliRun;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "certwatch-migrate-cli-"));
    const store = await openStore(`sqlite:${join(dir, "certwatch.db")}`, { routes: ROUTES });
    try {
      await fillStore(store);
    } finally {
      await store.close();
    }
    target = await databases.create();
    writeFileSync(join(dir, "sqlite.yaml"), "domains: [contoso.com]\nstore: sqlite:./certwatch.db\n");
    writeFileSync(join(dir, "pg.yaml"), `domains: [contoso.com]\nstore: ${target}\n`);
    // A relative SQLite path is taken from the working directory, as a shell user means it.
    migrated = await certwatch(["migrate", "--from", "sqlite:certwatch.db", "--to", target], dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  void it("copies the store, prints a line per table and what to do next, and exits 0", () => {
    assert.equal(migrated.code, 0, migrated.stderr);
    const lines = migrated.stdout.trimEnd().split("\n");
    assert.match(lines[0] ?? "", /^table\s+source rows\s+target rows\s+check$/);
    for (const [table, plan] of COPY_ORDER) {
      const row = lines.find((l) => l.startsWith(`${table} `));
      assert.ok(row !== undefined, `no line for ${table}`);
      if (plan.copy) assert.match(row, /\s(\d+)\s+\1\s+equal, sha256 [0-9a-f]{16}$/, row);
      else if (table === "sessions")
        assert.match(row, /\s1\s+—\s+not copied: browser sessions: everyone signs in again/, row);
      else assert.ok(row.endsWith(`—  not copied: ${plan.why}`), row);
    }
    assert.match(lines.find((l) => l.startsWith("alerts ")) ?? "", /\s6\s+6\s+equal/);
    assert.match(
      lines.at(-1) ?? "",
      /^migrated \d+ rows of 20 tables in [\d.]+ s; every copied table read back equal/,
    );
    assert.match(
      migrated.stderr,
      /target postgres:\/\/postgres@127\.0\.0\.1:5432\/cw_test_\w+: creating the schema/,
    );
    assert.match(migrated.stderr, /^alerts: 6 rows copied/m);
    assert.match(migrated.stderr, /next: set store: postgres:\/\/\S+ in certwatch\.yaml/);
  });

  void it("then certwatch reads the same alerts from PostgreSQL as the SQLite store holds", async () => {
    const pgAlerts = await certwatch(["alerts", "--status", "all", "--json", "--config", "pg.yaml"], dir);
    assert.equal(pgAlerts.code, 0, pgAlerts.stderr);
    const store = await openStore(`sqlite:${join(dir, "certwatch.db")}`);
    try {
      assert.equal(pgAlerts.stdout, jsonLines(await store.listAlerts({ status: "all" })));
    } finally {
      await store.close();
    }
    assert.equal(pgAlerts.stdout.trim().split("\n").length, 6);
  });

  void it("refuses a target with data, a bad URL, a missing source, and says why (exit 2); an unreachable server is 3", async () => {
    const port = await closedPort();
    const [again, password, scheme, missing, usage, unreachable] = await Promise.all([
      certwatch(["migrate", "--from", "sqlite:certwatch.db", "--to", target], dir),
      certwatch(
        [
          "migrate",
          "--from",
          "sqlite:certwatch.db",
          "--to",
          `postgres://postgres:${SECRET}@127.0.0.1:5432/x`,
        ],
        dir,
      ),
      certwatch(
        ["migrate", "--from", "sqlite:certwatch.db", "--to", "mysql://db.contoso.com/certwatch"],
        dir,
      ),
      certwatch(["migrate", "--from", "sqlite:nothing.db", "--to", target], dir),
      certwatch(["migrate", "--from", "sqlite:certwatch.db"], dir),
      certwatch(
        ["migrate", "--from", "sqlite:certwatch.db", "--to", `postgres://postgres@127.0.0.1:${port}/x`],
        dir,
      ),
    ]);
    assert.equal(again.code, 2);
    assert.match(
      again.stderr,
      /already holds data \(.*alerts.*\): certwatch migrate copies only into an empty store/,
    );
    assert.equal(password.code, 2);
    assert.match(password.stderr, /must not hold a password: set PGPASSWORD/);
    assert.equal(scheme.code, 2);
    assert.match(scheme.stderr, /mysql:\/\/db\.contoso\.com\/certwatch.*is not supported/);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /source sqlite:\/\S+\/nothing\.db: no such SQLite file/);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /migrate needs --from URL and --to URL/);
    assert.equal(unreachable.code, 3);
    assert.match(unreachable.stderr, new RegExp(`cannot connect to .*127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));
    for (const r of [again, password, scheme, missing, usage, unreachable]) {
      assert.equal(r.stdout, "");
      assert.ok(!r.stderr.includes(SECRET), "the password was shown");
    }
  });

  void it("a copy that does not read back equal exits 4 and commits nothing", async () => {
    const url = await databases.create();
    const store = await openStore(url);
    await store.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`create function shout() returns trigger language plpgsql as $$
          begin new.action := upper(new.action); return new; end $$;
        create trigger shout before insert on audit_log for each row execute function shout();`);
      const r = await certwatch(["migrate", "--from", "sqlite:certwatch.db", "--to", url], dir);
      assert.equal(r.code, 4, r.stderr);
      assert.match(
        r.stderr,
        /certwatch: verifying audit_log: the rows read back differ .*nothing was committed/,
      );
      const { rows } = await client.query<{ n: number }>("select count(*)::int as n from alerts");
      assert.equal(rows[0]?.n, 0);
    } finally {
      await client.end();
    }
  });
});
