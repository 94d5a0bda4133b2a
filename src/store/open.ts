/**
 * @module store/open
 * Turns the configured store URL into a migrated Store: `sqlite:<absolute path>`, `sqlite::memory:`, or
 * `postgres://…` (`postgresql://…`). Errors never show a password the URL might hold.
 */
import { mkdirSync } from "node:fs";
import { dirname, isAbsolute } from "node:path";
import { CertwatchError } from "../errors.js";
import { openSqliteStore, StoreCorruptError } from "./sqlite.js";
import { openPostgresStore } from "./postgres.js";
import { describePostgresUrl, PostgresUrlError } from "./postgres-url.js";
import type { KyselyStore } from "./kysely-store.js";
import type { DeliveryRoute } from "../notify/routing.js";
import type { Store } from "./store.js";

export { StoreCorruptError } from "./sqlite.js";

/**
 * An error opening the store; `code` tells a bad URL (a configuration error) from an unusable database. A
 * damaged database file is a StoreCorruptError instead, whenever it is found.
 */
export class StoreOpenError extends CertwatchError {
  constructor(
    readonly code: "STORE_URL_INVALID" | "STORE_OPEN_FAILED",
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "StoreOpenError";
  }
}

const MEMORY = ":memory:";

const isPostgres = (url: string) => /^postgres(ql)?:\/\//i.test(url);

/** The database path a store URL names (":memory:" for an in-memory database). */
export function sqlitePathOf(url: string): string {
  if (!url.startsWith("sqlite:")) {
    throw new StoreOpenError(
      "STORE_URL_INVALID",
      `store ${JSON.stringify(redact(url))} is not supported: expected sqlite:<absolute path>, sqlite::memory: or postgres://user@host/database`,
    );
  }
  let path = url.slice("sqlite:".length);
  if (path.startsWith("///")) path = path.slice(2); // sqlite:///var/lib/x.db
  if (path === MEMORY) return MEMORY;
  if (path === "" || !isAbsolute(path)) {
    throw new StoreOpenError(
      "STORE_URL_INVALID",
      `store ${JSON.stringify(url)}: the SQLite path must be absolute (relative paths are resolved by the config loader)`,
    );
  }
  return path;
}

/** Open the store named by `url`, create the database if needed, and bring its schema up to date. */
export interface OpenStoreOptions {
  /** Delivery targets: every alert change writes their outbox rows in its own transaction. */
  readonly routes?: readonly DeliveryRoute[];
  /**
   * False: connect only, leave the schema as it is (certwatch migrate looks at a store's migrations before it
   * applies them, and calls store.migrate() itself). Default true.
   */
  readonly migrate?: boolean;
}

export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  if (isPostgres(url)) return openPostgres(url, options);
  const path = sqlitePathOf(url);
  if (path !== MEMORY) {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (e) {
      throw new StoreOpenError(
        "STORE_OPEN_FAILED",
        `cannot create the directory of the SQLite store ${path}: ${messageOf(e)}`,
        {
          cause: e,
        },
      );
    }
  }
  let store;
  try {
    store = openSqliteStore(path, options.routes ?? []);
  } catch (e) {
    if (e instanceof StoreCorruptError) throw e; // its message already names the file and what to do
    throw new StoreOpenError("STORE_OPEN_FAILED", messageOf(e), { cause: e });
  }
  if (options.migrate === false) return store;
  try {
    await store.migrate();
  } catch (e) {
    await store.close().catch(() => undefined);
    const corrupt = corruptCause(e);
    if (corrupt !== undefined) throw corrupt;
    throw new StoreOpenError(
      "STORE_OPEN_FAILED",
      `cannot migrate the SQLite store ${path}: ${messageOf(e)}`,
      {
        cause: e,
      },
    );
  }
  return store;
}

/** Connect to a PostgreSQL store and migrate it. */
async function openPostgres(url: string, options: OpenStoreOptions): Promise<Store> {
  const where = `the PostgreSQL store ${describePostgresUrl(url)}`;
  let store: KyselyStore;
  try {
    store = await openPostgresStore(url, { routes: options.routes ?? [] });
  } catch (e) {
    if (e instanceof PostgresUrlError) throw new StoreOpenError("STORE_URL_INVALID", e.message, { cause: e });
    throw new StoreOpenError("STORE_OPEN_FAILED", `cannot connect to ${where}: ${postgresMessageOf(e)}`, {
      cause: e,
    });
  }
  if (options.migrate === false) return store;
  try {
    await store.migrate();
  } catch (e) {
    await store.close().catch(() => undefined);
    throw new StoreOpenError("STORE_OPEN_FAILED", `cannot migrate ${where}: ${postgresMessageOf(e)}`, {
      cause: e,
    });
  }
  return store;
}

/** node-postgres' message, with what is missing for an error that has none (a refused connection, say). */
function postgresMessageOf(e: unknown): string {
  if (e instanceof AggregateError && e.errors.length > 0) return e.errors.map(messageOf).join("; ");
  const text = messageOf(e);
  const code = (e as { code?: unknown }).code;
  return text !== "" ? text : typeof code === "string" ? code : "connection failed";
}

/** A StoreCorruptError in `e`'s cause chain (a migration runner may wrap what the query threw). */
function corruptCause(e: unknown): StoreCorruptError | undefined {
  for (let c = e, depth = 0; c instanceof Error && depth < 8; c = c.cause, depth++) {
    if (c instanceof StoreCorruptError) return c;
  }
  return undefined;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Never echo a password from a database URL into an error message. */
function redact(url: string): string {
  return url.replace(/\/\/([^/@:]*):[^/@]*@/, "//$1:***@");
}
