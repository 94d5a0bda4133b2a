/**
 * @module store/sqlite
 * The embedded SQLite store: better-sqlite3 in WAL mode, a prepared-statement cache under Kysely's
 * SqliteDialect, and `BEGIN IMMEDIATE` write transactions so that another process waits instead of failing.
 */
import Database from "better-sqlite3";
import { CompiledQuery, Kysely, SqliteDialect, SqliteDriver } from "kysely";
import type {
  DatabaseConnection,
  Driver,
  SqliteDatabase,
  SqliteDialectConfig,
  SqliteStatement,
} from "kysely";
import { sqliteDialect } from "./dialect.js";
import { KyselyStore } from "./kysely-store.js";
import type { DeliveryRoute } from "../notify/routing.js";
import type { Database as Schema } from "./schema.js";

/** Kysely prepares every query it runs; reusing statements by SQL text makes a run several times faster. */
class StatementCache implements SqliteDatabase {
  readonly #statements = new Map<string, SqliteStatement>();

  constructor(
    private readonly db: Database.Database,
    private readonly max = 256,
  ) {}

  prepare(sql: string): SqliteStatement {
    const hit = this.#statements.get(sql);
    if (hit !== undefined) {
      // Map order is insertion order: re-inserting keeps the most recently used at the end.
      this.#statements.delete(sql);
      this.#statements.set(sql, hit);
      return hit;
    }
    const stmt = this.db.prepare(sql);
    this.#statements.set(sql, stmt);
    if (this.#statements.size > this.max) {
      const oldest = this.#statements.keys().next();
      if (oldest.done !== true) this.#statements.delete(oldest.value);
    }
    return stmt;
  }

  close(): void {
    this.#statements.clear();
    this.db.close();
  }
}

/** A deferred `BEGIN` that reads first fails with SQLITE_BUSY when another process wrote meanwhile. */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }
}

class CertwatchSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

/**
 * SQLite silently opens a file it may not write read-only, and reads still work: fail at open, not at
 * the first recordRun. The probe's write is rolled back.
 */
function assertWritable(db: Database.Database): void {
  db.exec("begin immediate");
  try {
    db.exec("create table certwatch_write_probe (x integer)");
  } finally {
    if (db.inTransaction) db.exec("rollback");
  }
}

/**
 * Open (creating when absent) an SQLite database file, or ":memory:", as a Store. The schema is not
 * migrated here; openStore does that. Errors name the file.
 */
export function openSqliteStore(path: string, routes: readonly DeliveryRoute[] = []): KyselyStore {
  let db: Database.Database | undefined;
  try {
    db = new Database(path);
    // WAL + NORMAL: a commit is durable across a process crash and costs no fsync (power loss may
    // lose the last transactions, never corrupt the file).
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
    assertWritable(db);
  } catch (e) {
    db?.close();
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(`cannot open the SQLite store ${path}: ${msg}`, { cause: e });
  }
  const kysely = new Kysely<Schema>({
    dialect: new CertwatchSqliteDialect({ database: new StatementCache(db) }),
  });
  return new KyselyStore(kysely, sqliteDialect, routes);
}
