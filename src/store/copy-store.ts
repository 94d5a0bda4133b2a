/**
 * @module store/copy-store
 * `certwatch migrate`'s engine: opens a source store (migrated to this certwatch's schema first) and an empty target,
 * copies every table of copy-plan.ts in one target transaction, ids kept, and reads it back before committing.
 */
import { existsSync, statSync } from "node:fs";
import { sql } from "kysely";
import type { Kysely, QueryExecutorProvider } from "kysely";
import { CertwatchError } from "../errors.js";
import { TableDigest } from "./copy-digest.js";
import { BOOKKEEPING_TABLES, COPY_ORDER, type CopiedTable, type TableName } from "./copy-plan.js";
import type { StoreDialect } from "./dialect.js";
import { chunksFor } from "./dialect.js";
import { KyselyStore } from "./kysely-store.js";
import { MIGRATION_TABLE, migrations } from "./migrations/index.js";
import { openStore, sqlitePathOf, StoreOpenError } from "./open.js";
import { describePostgresUrl } from "./postgres-url.js";
import type { Database } from "./schema.js";

export type MigrateErrorCode =
  | "MIGRATE_SOURCE_UNUSABLE"
  | "MIGRATE_STORE_TOO_NEW"
  | "MIGRATE_TARGET_NOT_EMPTY"
  | "MIGRATE_COPY_FAILED"
  | "MIGRATE_SOURCE_CHANGED"
  | "MIGRATE_VERIFY_FAILED";

/** Why a migration was refused or undone; the target is left as it was found (the copy is one transaction). */
export class MigrateError extends CertwatchError {
  constructor(
    readonly code: MigrateErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "MigrateError";
  }
}

type Row = Record<string, unknown>;
type Db = Kysely<Database>;

/** What happened to one table. */
export interface TableReport {
  readonly table: TableName;
  /** False: left behind on purpose (`why`). */
  readonly copied: boolean;
  readonly sourceRows: number;
  /** Rows the target holds after the copy (read back). */
  readonly targetRows: number;
  /** Hex SHA-256 of the rows (copy-digest.ts), equal on both sides; absent for a table not copied. */
  readonly sha256?: string;
  readonly why?: string;
}

export interface CopyReport {
  readonly tables: readonly TableReport[];
  /** Rows copied, over every table. */
  readonly rows: number;
}

/** A store URL fit to print: an SQLite path, or a PostgreSQL URL without password or parameters. */
export function describeStore(url: string): string {
  return /^postgres(ql)?:\/\//i.test(url) ? describePostgresUrl(url) : url;
}

/** The tables of the store's schema (PostgreSQL: the search path's first schema), without SQLite's own. */
export async function storeTables(db: QueryExecutorProvider, d: StoreDialect): Promise<string[]> {
  const { rows } =
    d.name === "sqlite"
      ? await sql<{ name: string }>`select name from sqlite_master
          where type = 'table' and name not like 'sqlite\\_%' escape '\\'`.execute(db)
      : await sql<{ name: string }>`select table_name as name from information_schema.tables
          where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db);
  return rows.map((r) => r.name).sort();
}

/** The migrations applied to the store; undefined when it has no migration table (not a certwatch store yet). */
async function appliedMigrations(db: Db, d: StoreDialect): Promise<string[] | undefined> {
  if (!(await storeTables(db, d)).includes(MIGRATION_TABLE)) return undefined;
  const { rows } = await sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE)}`.execute(db);
  return rows.map((r) => r.name);
}

/** The migrations this certwatch knows, in order. */
const knownMigrations = (d: StoreDialect) => Object.keys(migrations(d)).sort();

function kyselyStoreOf(store: unknown): KyselyStore {
  if (!(store instanceof KyselyStore)) throw new Error("certwatch migrate needs a Kysely store");
  return store;
}

/** Refuse a store that applied a migration this certwatch does not know: only a newer one can read it. */
function refuseNewer(applied: readonly string[], d: StoreDialect, where: string): void {
  const known = new Set(knownMigrations(d));
  const unknown = applied.filter((m) => !known.has(m)).sort();
  if (unknown.length > 0) {
    throw new MigrateError(
      "MIGRATE_STORE_TOO_NEW",
      `${where} was written by a newer certwatch (schema migration ${unknown.join(", ")} is unknown to this one): run certwatch migrate of that version`,
    );
  }
}

/** Apply the pending migrations, saying so; errors as openStore words them. */
async function migrateSaying(
  store: KyselyStore,
  applied: readonly string[],
  where: string,
  log: (line: string) => void,
): Promise<void> {
  const known = knownMigrations(store.database.dialect);
  const pending = known.filter((m) => !applied.includes(m));
  if (pending.length === 0) return;
  const last = known[known.length - 1] ?? "";
  log(
    applied.length === 0
      ? `${where}: creating the schema (${pending.length} migrations, up to ${last})`
      : `${where}: migrating the schema to ${last} first (${pending.length} pending: ${pending.join(", ")})`,
  );
  try {
    await store.migrate();
  } catch (e) {
    throw new StoreOpenError("STORE_OPEN_FAILED", `cannot migrate ${where}: ${messageOf(e)}`, { cause: e });
  }
}

async function closing<T>(store: KyselyStore, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
}

/**
 * Open the store to copy from: an existing SQLite file or PostgreSQL database holding a certwatch store, brought to
 * this certwatch's schema first (said through `log`). Never creates one.
 */
export async function openCopySource(url: string, log: (line: string) => void): Promise<KyselyStore> {
  const where = `source ${describeStore(url)}`;
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    const path = sqlitePathOf(url);
    if (path === ":memory:") {
      throw new MigrateError("MIGRATE_SOURCE_UNUSABLE", `${where}: an in-memory store holds nothing to copy`);
    }
    if (!existsSync(path) || !statSync(path).isFile()) {
      throw new MigrateError("MIGRATE_SOURCE_UNUSABLE", `${where}: no such SQLite file`);
    }
  }
  const store = kyselyStoreOf(await openStore(url, { migrate: false }));
  return closing(store, async () => {
    const { db, dialect } = store.database;
    const applied = await appliedMigrations(db, dialect);
    if (applied === undefined) {
      throw new MigrateError(
        "MIGRATE_SOURCE_UNUSABLE",
        `${where} holds no certwatch store (no ${MIGRATION_TABLE} table): is it the store certwatch.yaml names?`,
      );
    }
    refuseNewer(applied, dialect, where);
    await migrateSaying(store, applied, where, log);
    return store;
  });
}

/** The certwatch tables of the store that hold at least one row. */
async function tablesWithRows(db: Db, d: StoreDialect): Promise<string[]> {
  const present = new Set(await storeTables(db, d));
  const out: string[] = [];
  for (const [table] of COPY_ORDER) {
    if (!present.has(table)) continue;
    const { rows } = await sql`select 1 as x from ${sql.table(table)} limit 1`.execute(db);
    if (rows.length > 0) out.push(table);
  }
  return out;
}

/**
 * Open the store to copy into: created when absent (an SQLite file), refused when any of its tables holds a row
 * (certwatch migrate never merges two stores, nor overwrites one), then given this certwatch's schema.
 */
export async function openCopyTarget(url: string, log: (line: string) => void): Promise<KyselyStore> {
  const where = `target ${describeStore(url)}`;
  const store = kyselyStoreOf(await openStore(url, { migrate: false }));
  return closing(store, async () => {
    const { db, dialect } = store.database;
    const applied = (await appliedMigrations(db, dialect)) ?? [];
    refuseNewer(applied, dialect, where);
    const used = await tablesWithRows(db, dialect);
    if (used.length > 0) {
      const how =
        dialect.name === "postgres"
          ? "name a new database (createdb), or empty this one (DROP SCHEMA public CASCADE; CREATE SCHEMA public;)"
          : "name a new file, or move this one aside";
      throw new MigrateError(
        "MIGRATE_TARGET_NOT_EMPTY",
        `${where} already holds data (${used.join(", ")}): certwatch migrate copies only into an empty store; ${how}`,
      );
    }
    await migrateSaying(store, applied, where, log);
    return store;
  });
}

/** Rows of `table` in key order, a page at a time (keyset pagination: each page is an index range). */
async function* pages(
  db: QueryExecutorProvider,
  table: string,
  key: readonly string[],
  pageRows: number,
): AsyncGenerator<Row[]> {
  const columns = sql.join(key.map((k) => sql.ref(k)));
  let last: unknown[] | undefined;
  for (;;) {
    const after =
      last === undefined
        ? sql``
        : key.length === 1
          ? sql`where ${sql.ref(key[0] ?? "")} > ${last[0]}`
          : sql`where (${columns}) > (${sql.join(last)})`;
    const { rows } = await sql<Row>`select * from ${sql.table(table)} ${after}
      order by ${columns} limit ${pageRows}`.execute(db);
    if (rows.length > 0) yield rows;
    if (rows.length < pageRows) return;
    const end = rows[rows.length - 1] ?? {};
    last = key.map((k) => end[k]);
  }
}

/** Insert rows in statements within the target's parameter limit. */
async function insertRows(db: QueryExecutorProvider, d: StoreDialect, table: string, rows: readonly Row[]) {
  const columns = Object.keys(rows[0] ?? {});
  if (columns.length === 0) return;
  const names = sql.join(columns.map((c) => sql.ref(c)));
  for (const chunk of chunksFor(d, rows, columns.length)) {
    const values = sql.join(chunk.map((r) => sql`(${sql.join(columns.map((c) => r[c] ?? null))})`));
    await sql`insert into ${sql.table(table)} (${names}) values ${values}`.execute(db);
  }
}

/** The highest id the source's sequence handed out (rows since deleted included: ids are never reused). */
async function sequenceFloor(db: QueryExecutorProvider, d: StoreDialect, table: string): Promise<number> {
  const { rows } =
    d.name === "sqlite"
      ? await sql<{ v: unknown }>`select seq as v from sqlite_sequence where name = ${table}`.execute(db)
      : await sql<{ v: unknown }>`select pg_sequence_last_value(
          cast(pg_get_serial_sequence(${table}, 'id') as regclass)) as v`.execute(db);
  const v = rows[0]?.v;
  return v === null || v === undefined ? 0 : Number(v);
}

/** Set the target's next id of `table` past both the copied rows and the source's sequence. */
async function advanceSequence(db: QueryExecutorProvider, d: StoreDialect, table: string, floor: number) {
  const { rows } = await sql<{ m: unknown }>`select max(id) as m from ${sql.table(table)}`.execute(db);
  const top = Math.max(floor, Number(rows[0]?.m ?? 0));
  if (d.name === "postgres") {
    const seq = sql`cast(pg_get_serial_sequence(${table}, 'id') as regclass)`;
    // is_called false: the next id is 1 itself (an empty table, a sequence never used).
    if (top === 0) await sql`select setval(${seq}, 1, false)`.execute(db);
    else await sql`select setval(${seq}, ${top}, true)`.execute(db);
    return;
  }
  // SQLite's AUTOINCREMENT keeps the highest id handed out per table in sqlite_sequence.
  await sql`delete from sqlite_sequence where name = ${table}`.execute(db);
  if (top > 0) await sql`insert into sqlite_sequence (name, seq) values (${table}, ${top})`.execute(db);
}

/** SQLite's count of commits by other connections: changes while a certwatch process still writes to the file. */
async function sqliteDataVersion(db: Db): Promise<number> {
  const { rows } = await sql<{ data_version: number }>`pragma data_version`.execute(db);
  return Number(rows[0]?.data_version ?? 0);
}

/**
 * Run `fn` on one connection of the source inside a read transaction: every table is read from one snapshot.
 * SQLite: a deferred transaction (WAL: writers are not blocked); PostgreSQL: REPEATABLE READ, READ ONLY.
 */
async function withSnapshot<T>(
  db: Db,
  d: StoreDialect,
  fn: (conn: QueryExecutorProvider) => Promise<T>,
): Promise<T> {
  return db.connection().execute(async (conn) => {
    await (d.name === "postgres"
      ? sql`begin isolation level repeatable read read only`.execute(conn)
      : sql`begin`.execute(conn));
    let result: T;
    try {
      result = await fn(conn);
    } catch (e) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw e;
    }
    await sql`commit`.execute(conn);
    return result;
  });
}

interface Copied {
  readonly table: TableName;
  readonly plan: CopiedTable;
  readonly rows: number;
  readonly sha256: string;
  readonly floor: number;
}

const count = (n: number) => n.toLocaleString("en-US");
const rowsOf = (n: number) => `${count(n)} ${n === 1 ? "row" : "rows"}`;

/** Read every page of the source table, write it to the target, and digest the rows as written. */
async function copyTable(
  src: QueryExecutorProvider,
  srcDialect: StoreDialect,
  trx: QueryExecutorProvider,
  dialect: StoreDialect,
  table: TableName,
  plan: CopiedTable,
  log: (line: string) => void,
): Promise<Copied> {
  const started = performance.now();
  const digest = new TableDigest();
  let reported = 0;
  try {
    for await (const page of pages(src, table, plan.key, plan.pageRows)) {
      const rows = plan.transform === undefined ? page : page.map(plan.transform);
      await insertRows(trx, dialect, table, rows);
      for (const r of rows) digest.add(r);
      if (digest.rows - reported >= 100_000) {
        reported = digest.rows;
        log(`${table}: ${rowsOf(digest.rows)}…`);
      }
    }
  } catch (e) {
    throw new MigrateError("MIGRATE_COPY_FAILED", `copying ${table} failed: ${messageOf(e)}`, { cause: e });
  }
  const floor = plan.identity === undefined ? 0 : await sequenceFloor(src, srcDialect, table);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  log(`${table}: ${rowsOf(digest.rows)} copied (${seconds} s)`);
  return { table, plan, rows: digest.rows, sha256: digest.finish(), floor };
}

/** Read the copy back inside the target transaction: the same number of rows, the same digest. */
async function verifyTable(trx: QueryExecutorProvider, c: Copied): Promise<TableReport> {
  const digest = new TableDigest();
  for await (const page of pages(trx, c.table, c.plan.key, c.plan.pageRows)) {
    for (const r of page) digest.add(r);
  }
  const sha256 = digest.finish();
  if (digest.rows !== c.rows || sha256 !== c.sha256) {
    const what =
      digest.rows !== c.rows
        ? `${count(digest.rows)} rows read back for ${count(c.rows)} copied`
        : "the rows read back differ from the source's (SHA-256 of every row)";
    throw new MigrateError(
      "MIGRATE_VERIFY_FAILED",
      `verifying ${c.table}: ${what}; nothing was committed to the target (a trigger or rule on the target database changing rows?)`,
    );
  }
  return { table: c.table, copied: true, sourceRows: c.rows, targetRows: digest.rows, sha256 };
}

/**
 * Copy every table of COPY_PLAN from `source` to `target` (both opened with openCopySource / openCopyTarget) in one
 * target transaction: the source read from one snapshot, a page at a time; ids kept and the target's id sequences
 * set past them; each table read back and compared (row count and SHA-256) before the commit. Any failure rolls the
 * whole copy back: the target stays empty, and migrate can run again.
 */
export async function copyStore(
  source: KyselyStore,
  target: KyselyStore,
  log: (line: string) => void,
): Promise<CopyReport> {
  const src = source.database;
  const dst = target.database;
  const before = src.dialect.name === "sqlite" ? await sqliteDataVersion(src.db) : undefined;
  try {
    return await dst.db.transaction().execute(async (trx) => {
      const { copied, skipped } = await withSnapshot(src.db, src.dialect, async (conn) => {
        const copied: Copied[] = [];
        const skipped: TableReport[] = [];
        for (const [table, plan] of COPY_ORDER) {
          if (plan.copy) {
            copied.push(await copyTable(conn, src.dialect, trx, dst.dialect, table, plan, log));
          } else {
            const { rows } = await sql<{
              n: unknown;
            }>`select count(*) as n from ${sql.table(table)}`.execute(conn);
            const n = Number(rows[0]?.n ?? 0);
            skipped.push({ table, copied: false, sourceRows: n, targetRows: 0, why: plan.why });
          }
        }
        return { copied, skipped };
      });
      if (before !== undefined && (await sqliteDataVersion(src.db)) !== before) {
        throw new MigrateError(
          "MIGRATE_SOURCE_CHANGED",
          "the source store changed while it was copied: a certwatch process (serve, scan, ct) still writes to it; " +
            "stop every one, then run migrate again (nothing was committed to the target)",
        );
      }
      for (const c of copied) {
        if (c.plan.identity !== undefined) await advanceSequence(trx, dst.dialect, c.table, c.floor);
      }
      log("verifying: reading every copied table back…");
      const reports = new Map<TableName, TableReport>(skipped.map((s) => [s.table, s]));
      for (const c of copied) reports.set(c.table, await verifyTable(trx, c));
      const tables = COPY_ORDER.map(([t]) => reports.get(t)).filter((r) => r !== undefined);
      return { tables, rows: copied.reduce((n, c) => n + c.rows, 0) };
    });
  } catch (e) {
    if (e instanceof CertwatchError) throw e;
    throw new MigrateError("MIGRATE_COPY_FAILED", `the copy failed: ${messageOf(e)}`, { cause: e });
  }
}

/** Tables of a migrated store that copy-plan.ts does not know, and plan tables the store lacks (copy-plan.test.ts). */
export async function unplannedTables(
  db: QueryExecutorProvider,
  d: StoreDialect,
): Promise<{ unknown: string[]; missing: string[] }> {
  const present = (await storeTables(db, d)).filter((t) => !BOOKKEEPING_TABLES.includes(t));
  const planned = new Set<string>(COPY_ORDER.map(([t]) => t));
  return {
    unknown: present.filter((t) => !planned.has(t)),
    missing: [...planned].filter((t) => !present.includes(t)),
  };
}

function messageOf(e: unknown): string {
  if (e instanceof AggregateError && e.errors.length > 0) return e.errors.map(messageOf).join("; ");
  return e instanceof Error ? e.message : String(e);
}
