/**
 * @module store/sqlite
 * The embedded SQLite store: better-sqlite3 in WAL mode, a prepared-statement cache under Kysely's
 * SqliteDialect, and `BEGIN IMMEDIATE` write transactions so that another process waits instead of failing.
 */
import { closeSync, fchmodSync, openSync } from "node:fs";
import Database from "better-sqlite3";
import { CompiledQuery, Kysely, SqliteDialect, SqliteDriver } from "kysely";
import type {
  DatabaseConnection,
  Driver,
  SqliteDatabase,
  SqliteDialectConfig,
  SqliteStatement,
} from "kysely";
import { CertwatchError } from "../errors.js";
import { sqliteDialect } from "./dialect.js";
import { KyselyStore } from "./kysely-store.js";
import { storableParameters } from "./text-parameters.js";
import type { DeliveryRoute } from "../notify/routing.js";
import type { Database as Schema } from "./schema.js";

/**
 * The database file is damaged (SQLITE_CORRUPT…) or is not a database (SQLITE_NOTADB): nothing certwatch can
 * retry or repair. The message names the file and what to do, on one line; whichever query hit it.
 */
export class StoreCorruptError extends CertwatchError {
  readonly code = "STORE_CORRUPT";
  constructor(
    /** The database file. */
    readonly file: string,
    /** SQLite's extended code, e.g. SQLITE_CORRUPT, SQLITE_CORRUPT_INDEX, SQLITE_NOTADB. */
    readonly sqliteCode: string,
    options?: ErrorOptions,
  ) {
    const what =
      sqliteCode === "SQLITE_NOTADB" ? "is not an SQLite database, or its header is corrupt" : "is corrupt";
    const cause = options?.cause instanceof Error ? `: ${options.cause.message}` : "";
    super(
      `the database file ${file} ${what} (${sqliteCode}${cause}); restore it from a backup, or move it aside ` +
        `to start with an empty store (its alerts, inventory and CT log positions are then lost)`,
      options,
    );
    this.name = "StoreCorruptError";
  }
}

/** `e` as a StoreCorruptError when it is SQLite saying the file is damaged; undefined otherwise. */
export function corruptionOf(e: unknown, file: string): StoreCorruptError | undefined {
  if (e instanceof StoreCorruptError) return e;
  if (!(e instanceof Database.SqliteError) || !/^SQLITE_(CORRUPT|NOTADB)/.test(e.code)) return undefined;
  return new StoreCorruptError(file, e.code, { cause: e });
}

/**
 * A statement whose SQLite errors that mean "the file is damaged" become StoreCorruptError naming the file, and
 * whose parameters are made storable (text-parameters.ts) as on PostgreSQL.
 */
class GuardedStatement implements SqliteStatement {
  constructor(
    private readonly stmt: Database.Statement,
    private readonly file: string,
  ) {}

  get reader(): boolean {
    return this.stmt.reader;
  }

  all(parameters: readonly unknown[]): unknown[] {
    try {
      return this.stmt.all(storableParameters(parameters));
    } catch (e) {
      throw corruptionOf(e, this.file) ?? e;
    }
  }

  run(parameters: readonly unknown[]): Database.RunResult {
    try {
      return this.stmt.run(storableParameters(parameters));
    } catch (e) {
      throw corruptionOf(e, this.file) ?? e;
    }
  }

  *iterate(parameters: readonly unknown[]): IterableIterator<unknown> {
    let rows: IterableIterator<unknown>;
    try {
      rows = this.stmt.iterate(storableParameters(parameters));
    } catch (e) {
      throw corruptionOf(e, this.file) ?? e;
    }
    try {
      for (;;) {
        let next: IteratorResult<unknown>;
        try {
          next = rows.next();
        } catch (e) {
          throw corruptionOf(e, this.file) ?? e;
        }
        if (next.done === true) return;
        yield next.value;
      }
    } finally {
      rows.return?.();
    }
  }
}

/** Kysely prepares every query it runs; reusing statements by SQL text makes a run several times faster. */
class StatementCache implements SqliteDatabase {
  readonly #statements = new Map<string, SqliteStatement>();

  constructor(
    private readonly db: Database.Database,
    private readonly file: string,
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
    let stmt: SqliteStatement;
    try {
      stmt = new GuardedStatement(this.db.prepare(sql), this.file);
    } catch (e) {
      throw corruptionOf(e, this.file) ?? e;
    }
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
 * A new database file is created 0600 before SQLite writes a byte to it (it holds the inventory and the delivery
 * state; a umask of 022 would make it world-readable), and SQLite gives its -wal and -shm files the database
 * file's mode. The mode is set again after creation so that an odd umask cannot take the owner's bits either.
 * An existing file keeps the mode its owner chose.
 */
function createPrivately(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return;
    throw e;
  }
  try {
    fchmodSync(fd, 0o600);
  } finally {
    closeSync(fd);
  }
}

/**
 * Open (creating when absent) an SQLite database file, or ":memory:", as a Store. The schema is not
 * migrated here; openStore does that. Errors name the file.
 */
export function openSqliteStore(path: string, routes: readonly DeliveryRoute[] = []): KyselyStore {
  let db: Database.Database | undefined;
  try {
    if (path !== ":memory:") createPrivately(path);
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
    const corrupt = corruptionOf(e, path);
    if (corrupt !== undefined) throw corrupt;
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(`cannot open the SQLite store ${path}: ${msg}`, { cause: e });
  }
  const kysely = new Kysely<Schema>({
    dialect: new CertwatchSqliteDialect({ database: new StatementCache(db, path) }),
  });
  return new KyselyStore(kysely, sqliteDialect, routes);
}
