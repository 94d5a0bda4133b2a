/**
 * @module store/copy-plan.test
 * certwatch migrate cannot forget a table: the copy plan names exactly the tables the migrations create (on SQLite
 * and on PostgreSQL), pages each by its real primary key, and sets the sequence of every table that has one.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { sql } from "kysely";
import { TestDatabases } from "../../test/helpers/postgres.js";
import { COPY_ORDER } from "./copy-plan.js";
import { storeTables, unplannedTables } from "./copy-store.js";
import { KyselyStore } from "./kysely-store.js";
import { openStore } from "./open.js";

const databases = new TestDatabases();
after(() => databases.dropAll());
await databases.ready();

async function withDatabase<T>(url: string, fn: (s: KyselyStore) => Promise<T>): Promise<T> {
  const store = await openStore(url);
  try {
    assert.ok(store instanceof KyselyStore);
    return await fn(store);
  } finally {
    await store.close();
  }
}

void describe("the copy plan of certwatch migrate", () => {
  void it("names every table a migrated SQLite store has, and no other", () =>
    withDatabase("sqlite::memory:", async (s) => {
      const { db, dialect } = s.database;
      assert.deepEqual(await unplannedTables(db, dialect), { unknown: [], missing: [] });
      assert.ok((await storeTables(db, dialect)).includes("kysely_migration"));
    }));

  void it("names every table a migrated PostgreSQL store has, and no other", async () =>
    withDatabase(await databases.create(), async (s) => {
      const { db, dialect } = s.database;
      assert.deepEqual(await unplannedTables(db, dialect), { unknown: [], missing: [] });
    }));

  void it("pages each table by its primary key, and knows which tables hand out ids (SQLite)", () =>
    withDatabase("sqlite::memory:", async (s) => {
      const { db } = s.database;
      for (const [table, plan] of COPY_ORDER) {
        const { rows } = await sql<{
          name: string;
          pk: number;
        }>`select name, pk from pragma_table_info(${table}) where pk > 0 order by pk`.execute(db);
        assert.deepEqual(
          plan.key,
          rows.map((r) => r.name),
          table,
        );
        const { rows: ddl } = await sql<{
          sql: string;
        }>`select sql from sqlite_master where type = 'table' and name = ${table}`.execute(db);
        const autoincrement = /autoincrement/i.test(ddl[0]?.sql ?? "");
        assert.equal(plan.copy && plan.identity === "id", autoincrement, table);
      }
    }));

  void it("pages each table by its primary key, and knows which tables hand out ids (PostgreSQL)", async () =>
    withDatabase(await databases.create(), async (s) => {
      const { db } = s.database;
      for (const [table, plan] of COPY_ORDER) {
        const { rows } = await sql<{ name: string }>`select a.attname as name
          from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
          where i.indrelid = cast(${table} as regclass) and i.indisprimary
          order by array_position(i.indkey, a.attnum)`.execute(db);
        assert.deepEqual(
          plan.key,
          rows.map((r) => r.name),
          table,
        );
        const { rows: identity } = await sql<{ name: string }>`select column_name as name
          from information_schema.columns
          where table_schema = current_schema() and table_name = ${table} and is_identity = 'YES'`.execute(
          db,
        );
        assert.deepEqual(
          identity.map((r) => r.name),
          plan.copy && plan.identity === "id" ? ["id"] : [],
          table,
        );
      }
    }));
});
