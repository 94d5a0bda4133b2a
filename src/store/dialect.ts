/**
 * @module store/dialect
 * The few places where SQLite and PostgreSQL differ, so that KyselyStore and the migrations stay portable.
 */
import { sql } from "kysely";
import type { ColumnDataType, ColumnDefinitionBuilder, Kysely, QueryExecutorProvider } from "kysely";

export interface StoreDialect {
  readonly name: "sqlite" | "postgres";
  /** Column type for exact bytes (DER). */
  readonly binaryType: ColumnDataType;
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

/**
 * PostgreSQL: a session advisory lock (one constant key for certwatch's schema) held on the migrating connection.
 * Kysely's Migrator takes its own advisory lock too, but only after it has created its bookkeeping tables; this one
 * covers the whole check and apply.
 */
async function postgresMigrationLock<T>(
  db: Kysely<unknown>,
  fn: (conn: Kysely<unknown>) => Promise<T>,
): Promise<T> {
  return db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(hashtextextended(${MIGRATION_LOCK_KEY}, 0))`.execute(conn);
    try {
      return await fn(conn);
    } finally {
      await sql`select pg_advisory_unlock(hashtextextended(${MIGRATION_LOCK_KEY}, 0))`.execute(conn);
    }
  });
}

export const sqliteDialect: StoreDialect = {
  name: "sqlite",
  binaryType: "blob",
  idType: "integer",
  idColumn: (c) => c.primaryKey().autoIncrement(),
  maxParameters: 30_000,
  lockKeys: () => Promise.resolve(),
  withMigrationLock: sqliteMigrationLock,
};

/** For the scale-out release (not wired yet): advisory locks serialize runs that share alerts. */
export const postgresDialect: StoreDialect = {
  name: "postgres",
  binaryType: "bytea",
  idType: "bigint",
  idColumn: (c) => c.primaryKey().generatedAlwaysAsIdentity(),
  maxParameters: 60_000,
  async lockKeys(trx, keys) {
    for (const key of keys) {
      await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(trx);
    }
  },
  withMigrationLock: postgresMigrationLock,
};

/** Split rows so that one statement binds at most `maxParameters` (and never more than 500 rows). */
export function chunksFor<T>(d: StoreDialect, rows: readonly T[], paramsPerRow: number): T[][] {
  const size = Math.max(1, Math.min(500, Math.floor(d.maxParameters / paramsPerRow)));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}
