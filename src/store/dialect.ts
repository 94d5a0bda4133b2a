/**
 * @module store/dialect
 * The few places where SQLite and PostgreSQL differ, so that KyselyStore and the migrations stay portable.
 */
import { sql } from "kysely";
import type {
  ColumnDataType,
  ColumnDefinitionBuilder,
  Expression,
  Kysely,
  QueryExecutorProvider,
} from "kysely";

export interface StoreDialect {
  readonly name: "sqlite" | "postgres";
  /** Column type for exact bytes (DER). */
  readonly binaryType: ColumnDataType;
  /**
   * Column type of every text column: compared and sorted by code point, as SQLite's BINARY does, whatever the
   * database's default collation (keysets, the audit log's actor range and listAlerts' merge order rely on it).
   */
  readonly textType: ColumnDataType | Expression<unknown>;
  /** Column type of an auto-increment integer id, and how to declare it. */
  readonly idType: ColumnDataType;
  idColumn(c: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  /** Most bound parameters one statement may carry (we stay well below the engine limit). */
  readonly maxParameters: number;
  /**
   * Take transaction-scoped locks on these keys, in the order given. SQLite needs none: one
   * connection and `BEGIN IMMEDIATE` already serialize every write transaction.
   */
  lockKeys(trx: QueryExecutorProvider, keys: readonly string[]): Promise<void>;
  /**
   * Run `fn` — the whole migration, from reading which migrations were applied to applying the rest — on one
   * connection, holding a lock that every other process migrating the same database waits for. Without it, two
   * processes opening a fresh database both see no schema and the second fails on "table already exists".
   */
  withMigrationLock<T>(db: Kysely<unknown>, fn: (conn: Kysely<unknown>) => Promise<T>): Promise<T>;
  /**
   * The schema the migration table lives in (PostgreSQL: the first schema of the search path), so that Kysely's
   * Migrator does not take another schema's `kysely_migration` for certwatch's; undefined for SQLite.
   */
  migrationSchema(conn: Kysely<unknown>): Promise<string | undefined>;
}

/**
 * How long a process waits for another one's migration (SQLite's busy handler while taking the lock): a
 * migration of a big database may take a while, and a process that gave up would only fail to start.
 */
export const MIGRATION_LOCK_WAIT_MS = 120_000;

/**
 * SQLite: the migration in one `BEGIN EXCLUSIVE` transaction (SQLite's DDL is transactional, so a failed migration
 * also leaves nothing half done). The busy timeout is raised while the lock is taken, so that a second process
 * waits for the first one's migration and then finds the schema current.
 */
async function sqliteMigrationLock<T>(
  db: Kysely<unknown>,
  fn: (conn: Kysely<unknown>) => Promise<T>,
): Promise<T> {
  return db.connection().execute(async (conn) => {
    const { rows } = await sql<{ timeout: number }>`pragma busy_timeout`.execute(conn);
    const before = Number(rows[0]?.timeout ?? 0);
    await sql.raw(`pragma busy_timeout = ${MIGRATION_LOCK_WAIT_MS}`).execute(conn);
    try {
      await sql`begin exclusive`.execute(conn);
    } finally {
      await sql.raw(`pragma busy_timeout = ${before}`).execute(conn);
    }
    try {
      const result = await fn(conn);
      await sql`commit`.execute(conn);
      return result;
    } catch (e) {
      // SQLite may have rolled back already (SQLITE_FULL, say): then there is nothing to roll back.
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw e;
    }
  });
}

/** The advisory lock key of schema migrations on PostgreSQL (lockKeys' keys are scopes and alert ids). */
export const MIGRATION_LOCK_KEY = "certwatch:schema-migrations";

/** An advisory lock key: a stable 64-bit hash of the text (PostgreSQL 11+). */
const lockKey = (key: string) => sql`hashtextextended(${key}, 0)`;

/**
 * PostgreSQL: a session advisory lock (one constant key for certwatch's schema) held on the migrating connection.
 * Kysely's Migrator takes its own advisory lock too, but only after it has created its bookkeeping tables; this one
 * covers the whole check and apply. While it migrates, the connection waits at most MIGRATION_LOCK_WAIT_MS for any
 * lock (this one, or a table another process is using) and has no statement timeout: building an index on a big
 * table may take longer than the pool's statement timeout, and must not be cut.
 */
async function postgresMigrationLock<T>(
  db: Kysely<unknown>,
  fn: (conn: Kysely<unknown>) => Promise<T>,
): Promise<T> {
  return db.connection().execute(async (conn) => {
    const restore = async () => {
      // Back to the values the connection was opened with (the pool's settings).
      await sql`reset lock_timeout`.execute(conn);
      await sql`reset statement_timeout`.execute(conn);
    };
    await sql`select set_config('lock_timeout', ${String(MIGRATION_LOCK_WAIT_MS)}, false),
      set_config('statement_timeout', '0', false)`.execute(conn);
    try {
      await sql`select pg_advisory_lock(${lockKey(MIGRATION_LOCK_KEY)})`.execute(conn);
    } catch (e) {
      await restore().catch(() => undefined);
      throw e;
    }
    const release = async () => {
      await sql`select pg_advisory_unlock(${lockKey(MIGRATION_LOCK_KEY)})`.execute(conn);
      await restore();
    };
    let result: T;
    try {
      result = await fn(conn);
    } catch (e) {
      // The migration's error is the one to report (a lost connection also ends its session's lock).
      await release().catch(() => undefined);
      throw e;
    }
    await release();
    return result;
  });
}

export const sqliteDialect: StoreDialect = {
  name: "sqlite",
  binaryType: "blob",
  textType: "text",
  idType: "integer",
  idColumn: (c) => c.primaryKey().autoIncrement(),
  maxParameters: 30_000,
  lockKeys: () => Promise.resolve(),
  withMigrationLock: sqliteMigrationLock,
  migrationSchema: () => Promise.resolve(undefined),
};

/**
 * PostgreSQL (`store: postgres://…`, postgres.ts): transaction advisory locks serialize the runs that share a scope
 * or alerts (READ COMMITTED alone would let two workers both open one alert).
 */
export const postgresDialect: StoreDialect = {
  name: "postgres",
  binaryType: "bytea",
  textType: sql`text collate "C"`,
  idType: "bigint",
  // BY DEFAULT, not ALWAYS: a copy of another store (certwatch migrate) keeps its ids.
  idColumn: (c) => c.primaryKey().generatedByDefaultAsIdentity(),
  maxParameters: 60_000,
  async lockKeys(trx, keys) {
    if (keys.length === 0) return;
    if (keys.length === 1) {
      await sql`select pg_advisory_xact_lock(${lockKey(keys[0] ?? "")})`.execute(trx);
      return;
    }
    // One round trip; unnest yields the keys in array order, so the locks are taken in the order given.
    await sql`select pg_advisory_xact_lock(hashtextextended(k, 0))
      from unnest(cast(${[...keys]} as text[])) as k`.execute(trx);
  },
  withMigrationLock: postgresMigrationLock,
  async migrationSchema(conn) {
    const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(conn);
    const schema = rows[0]?.schema ?? null;
    if (schema === null) {
      throw new Error("the search_path names no schema that exists: create one, or set search_path");
    }
    return schema;
  },
};

/** Split rows so that one statement binds at most `maxParameters` (and never more than 500 rows). */
export function chunksFor<T>(d: StoreDialect, rows: readonly T[], paramsPerRow: number): T[][] {
  const size = Math.max(1, Math.min(500, Math.floor(d.maxParameters / paramsPerRow)));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}
