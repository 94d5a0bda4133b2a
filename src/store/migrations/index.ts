/**
 * @module store/migrations
 * The versioned schema, provided in code (no files read at run time) and applied with Kysely's Migrator, under
 * the dialect's migration lock so that processes opening one database at once migrate it one after the other.
 */
import { Migrator, sql } from "kysely";
import type { Kysely, Migration, MigrationProvider } from "kysely";
import type { StoreDialect } from "../dialect.js";
import { initial } from "./001_initial.js";
import { crlCache } from "./002_crl_cache.js";
import { ct } from "./003_ct.js";
import { outbox } from "./004_outbox.js";
import { auth } from "./005_auth.js";
import { triage } from "./006_triage.js";
import { schedule } from "./007_schedule.js";
import { alertPaging } from "./008_alert_paging.js";
import { workLeases } from "./009_work_leases.js";
import { sessionSignIn } from "./010_session_sign_in.js";

/** Where Kysely records the applied migrations. */
export const MIGRATION_TABLE = "kysely_migration";

/** Every migration, by name; names sort in the order they apply. Append, never edit a shipped one. */
export function migrations(d: StoreDialect): Record<string, Migration> {
  return {
    "001_initial": initial(d),
    "002_crl_cache": crlCache(d),
    "003_ct": ct(d),
    "004_outbox": outbox(d),
    "005_auth": auth(d),
    "006_triage": triage(d),
    "007_schedule": schedule(d),
    "008_alert_paging": alertPaging(),
    "009_work_leases": workLeases(d),
    "010_session_sign_in": sessionSignIn(d),
  };
}

class InCodeProvider implements MigrationProvider {
  constructor(private readonly d: StoreDialect) {}
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve(migrations(this.d));
  }
}

/**
 * Apply every pending migration; a no-op when the schema is current. Another process migrating the same database
 * is waited for (the dialect's lock); it will usually have done the work.
 */
export async function migrateToLatest(db: Kysely<unknown>, d: StoreDialect): Promise<void> {
  if (await isCurrent(db, d)) return;
  await d.withMigrationLock(db, async (conn) => {
    const schema = await d.migrationSchema(conn);
    const migrator = new Migrator({
      db: conn,
      provider: new InCodeProvider(d),
      migrationTableName: MIGRATION_TABLE,
      ...(schema !== undefined && { migrationTableSchema: schema }),
    });
    const { error, results } = await migrator.migrateToLatest();
    if (error !== undefined) {
      const failed = results?.find((r) => r.status === "Error")?.migrationName;
      const msg = error instanceof Error ? error.message : JSON.stringify(error);
      const what = failed === undefined ? "store migration" : `store migration ${failed}`;
      // Thrown inside the lock: SQLite rolls the whole migration back.
      throw new Error(`${what} failed: ${msg}`, { cause: error });
    }
  });
}

/**
 * True when exactly the known migrations are applied: then nothing is locked (every start of a process on a
 * current database, the usual case, takes no write lock). Anything else, including a database too new for this
 * build, goes to the Migrator, under the lock, which migrates or says what is wrong.
 */
async function isCurrent(db: Kysely<unknown>, d: StoreDialect): Promise<boolean> {
  let applied: string[];
  try {
    // Both columns: the table itself is read (`name` alone comes from its primary key's index), so that a damaged
    // table fails here too and goes to the Migrator, which reports it.
    const { rows } = await sql<{
      name: string;
      timestamp: string;
    }>`select name, timestamp from ${sql.table(MIGRATION_TABLE)}`.execute(db);
    applied = rows.map((r) => r.name);
  } catch {
    return false; // no migration table yet (a fresh database), or a damaged one: the Migrator says which
  }
  const known = Object.keys(migrations(d));
  return applied.length === known.length && known.every((n) => applied.includes(n));
}
