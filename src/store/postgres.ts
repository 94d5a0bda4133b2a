/**
 * @module store/postgres
 * The PostgreSQL store: the same KyselyStore over a node-postgres pool (Kysely's PostgresDialect), with the pool's
 * timeouts, TLS and password taken as postgres-url.ts and pgpass.ts say.
 */
import { Kysely, PostgresDialect, sql } from "kysely";
import type { PostgresPool, PostgresPoolClient } from "kysely";
import pg from "pg";
import { postgresDialect } from "./dialect.js";
import { KyselyStore } from "./kysely-store.js";
import { findPassword } from "./pgpass.js";
import { storableParameters } from "./text-parameters.js";
import { postgresSettings, type PostgresSettings } from "./postgres-url.js";
import type { DeliveryRoute } from "../notify/routing.js";
import type { Database as Schema } from "./schema.js";

export interface PostgresStoreOptions {
  /** Delivery targets: every alert change writes their outbox rows in its own transaction. */
  readonly routes?: readonly DeliveryRoute[];
}

/** The pool as Kysely uses it, each query's parameters made storable (text-parameters.ts). */
function cleaningPool(pool: pg.Pool): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      const query = (sql: string, parameters: readonly unknown[]) =>
        client.query(sql, storableParameters(parameters));
      return {
        query: query as unknown as PostgresPoolClient["query"],
        release: (destroy?: boolean) => client.release(destroy),
      };
    },
    end: () => pool.end(),
  };
}

/**
 * node-postgres leaves the socket of a connection that failed on its side (no password to give, say) open until the
 * server gives up on it (a minute): this client ends it, so that a command that failed to open its store exits.
 */
class ClosingClient extends pg.Client {
  override connect(): Promise<pg.Client>;
  override connect(callback: (err: Error) => void): void;
  override connect(callback?: (err: Error) => void): Promise<pg.Client> | void {
    if (callback === undefined) {
      return super.connect().catch(async (e: unknown) => {
        await this.end().catch(() => undefined);
        throw e;
      });
    }
    super.connect((err: Error | null) => {
      if (err) void this.end().catch(() => undefined);
      callback(err as Error);
    });
  }
}

/** node-postgres settings from certwatch's (password: asked for only when the server wants one). */
export function poolConfig(s: PostgresSettings, env: NodeJS.ProcessEnv = process.env): pg.PoolConfig {
  return {
    Client: ClosingClient,
    host: s.host,
    port: s.port,
    ...(s.database !== undefined && { database: s.database }),
    ...(s.user !== undefined && { user: s.user }),
    password: () => {
      const user = s.user ?? env.PGUSER ?? env.USER ?? "";
      const password = findPassword({ host: s.host, port: s.port, database: s.database ?? user, user }, env);
      if (password === undefined) {
        throw new Error(
          `the PostgreSQL server asks for a password for user ${JSON.stringify(user)}: set PGPASSWORD, or put it in ~/.pgpass (PGPASSFILE)`,
        );
      }
      return password;
    },
    ssl: s.ssl,
    max: s.poolMax,
    connectionTimeoutMillis: s.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: s.applicationName,
    ...(s.statementTimeoutMs > 0 && { statement_timeout: s.statementTimeoutMs }),
    idle_in_transaction_session_timeout: s.idleInTransactionTimeoutMs,
  };
}

/**
 * A store over the PostgreSQL database `url` names, connected once (so that a server that does not answer, or
 * refuses the password, fails here, once); the schema is not migrated here (openStore does that). Throws
 * PostgresUrlError for a URL certwatch cannot use.
 */
export async function openPostgresStore(
  url: string,
  options: PostgresStoreOptions = {},
): Promise<KyselyStore> {
  const pool = new pg.Pool(poolConfig(postgresSettings(url)));
  // An idle connection the server ends (a restart, a failover) is dropped by the pool and replaced at the next
  // query; without a listener, node would treat the event as an uncaught error and exit.
  pool.on("error", () => undefined);
  const kysely = new Kysely<Schema>({ dialect: new PostgresDialect({ pool: cleaningPool(pool) }) });
  try {
    await sql`select 1`.execute(kysely);
  } catch (e) {
    await kysely.destroy().catch(() => undefined);
    throw e;
  }
  return new KyselyStore(kysely, postgresDialect, options.routes ?? []);
}
