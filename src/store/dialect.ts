/**
 * @module store/dialect
 * The few places where SQLite and PostgreSQL differ, so that KyselyStore and the migrations stay portable.
 */
import { sql } from "kysely";
import type { ColumnDataType, ColumnDefinitionBuilder, QueryExecutorProvider } from "kysely";

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
}

export const sqliteDialect: StoreDialect = {
  name: "sqlite",
  binaryType: "blob",
  idType: "integer",
  idColumn: (c) => c.primaryKey().autoIncrement(),
  maxParameters: 30_000,
  lockKeys: () => Promise.resolve(),
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
};

/** Split rows so that one statement binds at most `maxParameters` (and never more than 500 rows). */
export function chunksFor<T>(d: StoreDialect, rows: readonly T[], paramsPerRow: number): T[][] {
  const size = Math.max(1, Math.min(500, Math.floor(d.maxParameters / paramsPerRow)));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}
