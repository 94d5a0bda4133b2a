/**
 * @module store/postgres.test
 * The store contract on PostgreSQL (every suite, each test on its own database of the test server), two stores
 * sharing one database, and what only PostgreSQL has: the URL's password refused, PGPASSWORD and ~/.pgpass, the
 * statement timeout, the schema's column types and collation, the search_path.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import pg from "pg";
import { createRootCa, issueLeaf } from "../../test/helpers/pki.js";
import { passwordAskingServer, TestDatabases } from "../../test/helpers/postgres.js";
import type { DeliveryRoute } from "../notify/routing.js";
import { draft, run, T0 } from "./contract-fixtures.js";
import { postgresDialect } from "./dialect.js";
import { MIGRATION_TABLE, migrations } from "./migrations/index.js";
import { openStore, StoreOpenError } from "./open.js";
import { storeContract } from "./store.contract.js";
import { ctStoreContract } from "./ct-store.contract.js";
import { outboxContract } from "./outbox.contract.js";
import { authStoreContract } from "./auth-store.contract.js";
import { triageContract } from "./triage.contract.js";
import { inventoryContract } from "./inventory.contract.js";
import { scheduleStoreContract } from "./schedule-store.contract.js";
import { metricsQueriesContract } from "./metrics-queries.contract.js";
import { sharedStoreContract } from "./shared-store.contract.js";

const databases = new TestDatabases();
after(() => databases.dropAll());
await databases.ready();

const fresh = async (routes: readonly DeliveryRoute[] = []) =>
  openStore(await databases.createMigrated(), { routes });

storeContract("PostgreSQL", () => fresh());
ctStoreContract("PostgreSQL", () => fresh());
outboxContract("PostgreSQL", (routes) => fresh(routes));
authStoreContract("PostgreSQL", () => fresh());
triageContract("PostgreSQL", () => fresh());
inventoryContract("PostgreSQL", () => fresh());
scheduleStoreContract("PostgreSQL", () => fresh());
metricsQueriesContract("PostgreSQL", (routes) => fresh(routes));

// Two stores on one fresh database, opened (and so migrated) at once: as two workers would.
sharedStoreContract("PostgreSQL", async (routes) => {
  const url = await databases.create();
  const [a, b] = await Promise.all([openStore(url, { routes }), openStore(url, { routes })]);
  return [a, b] as const;
});

/** Run `fn` with these environment variables set (undefined: unset), then put them back. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  set(vars);
  try {
    return await fn();
  } finally {
    set(before);
  }
}

function openFails(url: string, code: StoreOpenError["code"], check: (message: string) => void) {
  return assert.rejects(openStore(url), (e: unknown) => {
    assert.ok(e instanceof StoreOpenError, String(e));
    assert.equal(e.code, code);
    assert.ok(!e.message.includes("\n"), e.message);
    check(e.message);
    return true;
  });
}

void describe("PostgreSQL store", () => {
  void it("refuses a password in the URL, and names the server when none answers, never showing a password", async () => {
    await openFails("postgres://certwatch:s3cret@127.0.0.1:1/certwatch", "STORE_URL_INVALID", (m) => {
      assert.match(m, /must not hold a password: set PGPASSWORD, or use ~\/\.pgpass/);
      assert.ok(!m.includes("s3cret"), m);
    });
    await withEnv({ PGPASSWORD: "env-s3cret" }, () =>
      openFails("postgresql://certwatch@127.0.0.1:1/certwatch?sslmode=disable", "STORE_OPEN_FAILED", (m) => {
        assert.match(
          m,
          /^cannot connect to the PostgreSQL store postgresql:\/\/certwatch@127\.0\.0\.1:1\/certwatch: .*ECONNREFUSED/,
        );
        assert.ok(!m.includes("s3cret"), m);
      }),
    );
  });

  void it("gives the server the password from PGPASSWORD, else the password file, and never shows it", async () => {
    const server = await passwordAskingServer();
    const dir = mkdtempSync(join(tmpdir(), "certwatch-pgpass-"));
    try {
      const url = `postgres://certwatch@127.0.0.1:${server.port}/certwatch?application_name=cw-test&statement_timeout=4321`;
      const refusedPassword = (m: string) => {
        assert.match(m, /password authentication failed for user "certwatch"/);
        assert.ok(!/s3cret/.test(m), m);
      };
      const file = join(dir, "pgpass");
      writeFileSync(file, `127.0.0.1:${server.port}:certwatch:certwatch:file-s3cret\n`, { mode: 0o600 });
      chmodSync(file, 0o600);

      await withEnv({ PGPASSWORD: "env-s3cret", PGPASSFILE: file }, () =>
        openFails(url, "STORE_OPEN_FAILED", refusedPassword),
      );
      await withEnv({ PGPASSWORD: undefined, PGPASSFILE: file }, () =>
        openFails(url, "STORE_OPEN_FAILED", refusedPassword),
      );
      assert.deepEqual(
        server.attempts.map((a) => a.password),
        ["env-s3cret", "file-s3cret"],
      );
      assert.deepEqual(
        { ...server.attempts[0]?.startup },
        {
          user: "certwatch",
          database: "certwatch",
          application_name: "cw-test",
          statement_timeout: "4321",
          idle_in_transaction_session_timeout: "60000",
          client_encoding: "UTF8",
        },
      );

      // No password anywhere: say where to put one (not node-postgres' "client password must be a string").
      await withEnv({ PGPASSWORD: undefined, PGPASSFILE: join(dir, "absent") }, () =>
        openFails(url, "STORE_OPEN_FAILED", (m) =>
          assert.match(
            m,
            /asks for a password for user "certwatch": set PGPASSWORD, or put it in ~\/\.pgpass/,
          ),
        ),
      );
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it("TLS as sslmode says: verify-full checks the CA and the name, verify-ca the chain, no-verify nothing", async () => {
    const ca = await createRootCa({ subject: "CN=certwatch test database CA" });
    const other = await createRootCa({ subject: "CN=someone else's CA" });
    const named = await issueLeaf(ca, { dnsNames: ["db.contoso.test"], ipAddresses: ["127.0.0.1"] });
    const misnamed = await issueLeaf(ca, { dnsNames: ["elsewhere.contoso.test"] });
    const dir = mkdtempSync(join(tmpdir(), "certwatch-pgtls-"));
    const caFile = join(dir, "ca.pem");
    const otherFile = join(dir, "other.pem");
    writeFileSync(caFile, ca.certPem);
    writeFileSync(otherFile, other.certPem);
    const right = await passwordAskingServer({ cert: named.certPem, key: named.keyPem });
    const wrongName = await passwordAskingServer({ cert: misnamed.certPem, key: misnamed.keyPem });
    try {
      const url = (port: number, query: string) =>
        `postgres://certwatch@127.0.0.1:${port}/certwatch?${query}`;
      const reached = (m: string) => assert.match(m, /password authentication failed/);
      const untrusted = (m: string) => assert.match(m, /cannot connect to .*(certificate|self.signed)/i);
      await withEnv({ PGPASSWORD: "tls-s3cret" }, async () => {
        await openFails(
          url(right.port, `sslmode=verify-full&sslrootcert=${caFile}`),
          "STORE_OPEN_FAILED",
          reached,
        );
        await openFails(url(right.port, `sslrootcert=${caFile}`), "STORE_OPEN_FAILED", reached);
        await openFails(
          url(right.port, `sslmode=verify-full&sslrootcert=${otherFile}`),
          "STORE_OPEN_FAILED",
          untrusted,
        );
        await openFails(url(right.port, "sslmode=require"), "STORE_OPEN_FAILED", untrusted);
        await openFails(
          url(wrongName.port, `sslmode=verify-full&sslrootcert=${caFile}`),
          "STORE_OPEN_FAILED",
          (m) => assert.match(m, /altnames|does not match|Hostname\/IP/i),
        );
        await openFails(
          url(wrongName.port, `sslmode=verify-ca&sslrootcert=${caFile}`),
          "STORE_OPEN_FAILED",
          reached,
        );
        await openFails(url(wrongName.port, "sslmode=no-verify"), "STORE_OPEN_FAILED", reached);
      });
      // The password went out only where the server was accepted, and only over TLS.
      assert.deepEqual(
        [...right.attempts, ...wrongName.attempts].map((a) => [a.password, a.tls]),
        Array.from({ length: 4 }, () => ["tls-s3cret", true]),
      );
    } finally {
      await right.close();
      await wrongName.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it("cuts a statement that waits longer than statement_timeout instead of hanging", async () => {
    const url = await databases.create();
    const store = await openStore(`${url}?statement_timeout=300`);
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      // Another worker holds the scope's lock (its transaction stalled).
      await holder.query("begin");
      await holder.query("select pg_advisory_xact_lock(hashtextextended('scope:tls:held:443', 0))");
      const started = Date.now();
      await assert.rejects(
        store.recordRun(run("tls:held:443", T0, [draft("hsts-missing", "held")])),
        /statement timeout/,
      );
      assert.ok(Date.now() - started < 5000, `cut after ${Date.now() - started} ms`);
      await holder.query("rollback");
      assert.equal(
        (await store.recordRun(run("tls:held:443", T0, [draft("hsts-missing", "held")]))).length,
        1,
      );
    } finally {
      await holder.end();
      await store.close();
    }
  });

  void it("creates byte-order text, bytea and identity columns, migrating once however many open it at once", async () => {
    const url = await databases.create();
    const stores = await Promise.all(Array.from({ length: 4 }, () => openStore(url)));
    await Promise.all(stores.map((s) => s.close()));
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const applied = await client.query<{ name: string }>(
        `select name from ${MIGRATION_TABLE} order by name`,
      );
      assert.deepEqual(
        applied.rows.map((r) => r.name),
        Object.keys(migrations(postgresDialect)).sort(),
      );
      const columns = await client.query<{
        t: string;
        c: string;
        type: string;
        coll: string | null;
        id: string;
      }>(
        `select table_name as t, column_name as c, data_type as type, collation_name as coll, is_identity as id
         from information_schema.columns where table_schema = 'public' and table_name <> $1`,
        [MIGRATION_TABLE],
      );
      const text = columns.rows.filter((r) => r.type === "text");
      assert.ok(text.length > 50);
      assert.deepEqual(
        text.filter((r) => r.coll !== "C"),
        [],
        "every text column compares bytes",
      );
      const col = (t: string, c: string) => columns.rows.find((r) => r.t === t && r.c === c);
      assert.equal(col("certificates", "der")?.type, "bytea");
      assert.deepEqual([col("outbox", "id")?.type, col("outbox", "id")?.id], ["bigint", "YES"]);
    } finally {
      await client.end();
    }
  });

  void it("migrates into the search_path's schema, never taking another schema's migration table for its own", async () => {
    const url = await databases.create();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      // A database shared with another application that also keeps a kysely_migration table (in public).
      const name = new URL(url).pathname.slice(1);
      await admin.query("create schema certwatch");
      await admin.query(`alter database ${name} set search_path = certwatch`);
      await admin.query(
        `create table public.${MIGRATION_TABLE} (name varchar(255) primary key, timestamp varchar(255))`,
      );
      await admin.query(`insert into public.${MIGRATION_TABLE} values ('2024_other_app', '2024-01-01')`);
      const store = await openStore(url);
      try {
        await store.recordRun(run("tls:www.contoso.com:443", T0, [draft("hsts-missing", "www")]));
        assert.equal((await store.listAlerts()).length, 1);
      } finally {
        await store.close();
      }
      const where = await admin.query<{ s: string }>(
        "select table_schema as s from information_schema.tables where table_name = 'alerts'",
      );
      assert.deepEqual(where.rows, [{ s: "certwatch" }]);
      const other = await admin.query<{ name: string }>(`select name from public.${MIGRATION_TABLE}`);
      assert.deepEqual(other.rows, [{ name: "2024_other_app" }]);
    } finally {
      await admin.end();
    }
  });
});
