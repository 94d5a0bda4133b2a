/**
 * @module test/helpers/postgres
 * The PostgreSQL server the tests use (CERTWATCH_TEST_PG, default the local one with trust auth) and fresh,
 * uniquely named databases on it, each dropped when the test file is done. No server: the tests fail, saying so.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Socket } from "node:net";
import { TLSSocket } from "node:tls";
import pg from "pg";
import { openStore } from "../../src/store/open.js";

/** The server tests create their databases on; its database is only used to create and drop others. */
export const TEST_PG_URL = process.env.CERTWATCH_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** The URL of database `name` on the test server. */
export function databaseUrl(name: string): string {
  const u = new URL(TEST_PG_URL);
  u.pathname = `/${name}`;
  return u.href;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Creates databases named `cw_test_<pid>_<random>_<n>` with an ICU en-US default collation (not byte order: what a
 * production server often has), so that a query relying on the database's collation shows up in the tests.
 */
export class TestDatabases {
  readonly #admin: pg.Pool;
  readonly #created: string[] = [];
  readonly #prefix = `cw_test_${process.pid}_${randomBytes(3).toString("hex")}`;
  #icu = true;
  #template: Promise<string> | undefined;

  constructor() {
    this.#admin = new pg.Pool({ connectionString: TEST_PG_URL, max: 2, connectionTimeoutMillis: 5000 });
    this.#admin.on("error", () => undefined);
  }

  /**
   * Throws a clear error when no server answers (the suites fail, never skip). On a local server, drops what test
   * processes that were killed (and so never ran their after hooks) left behind.
   */
  async ready(): Promise<void> {
    try {
      await this.#admin.query("select 1");
      if (["127.0.0.1", "localhost", "[::1]"].includes(new URL(TEST_PG_URL).hostname))
        await this.#dropLeftovers();
    } catch (e) {
      const why = e instanceof AggregateError ? e.errors.map(String).join("; ") : String(e);
      const where = new URL(TEST_PG_URL);
      where.password = "";
      throw new Error(
        `no PostgreSQL server answers at ${where.href} (${why}). The store tests need one: start it ` +
          `(.ci/run does), or set CERTWATCH_TEST_PG=postgres://user@host:port/database to one where that user may CREATE DATABASE`,
      );
    }
  }

  async #dropLeftovers(): Promise<void> {
    const { rows } = await this.#admin.query<{ name: string }>(
      "select datname as name from pg_database where datname like 'cw\\_test\\_%'",
    );
    for (const { name } of rows) {
      const pid = Number(/^cw_test_(\d+)_/.exec(name)?.[1]);
      if (!Number.isInteger(pid) || pid === process.pid || isRunning(pid)) continue;
      await this.#admin.query(`drop database if exists ${name} with (force)`).catch(() => undefined);
    }
  }

  /** A new empty database; returns its URL. */
  async create(): Promise<string> {
    const name = this.#nextName();
    if (this.#icu) {
      try {
        await this.#admin.query(
          `create database ${name} template template0 locale_provider icu icu_locale 'en-US-u-ka-shifted' locale 'C.UTF-8'`,
        );
        return databaseUrl(name);
      } catch {
        this.#icu = false; // a server built without ICU: the default collation will do
      }
    }
    await this.#admin.query(`create database ${name}`);
    return databaseUrl(name);
  }

  /**
   * A new database holding certwatch's current schema and nothing else: a copy of one migrated once (a copy takes a
   * fraction of a migration). For the contract suites; migrations themselves are tested on empty databases.
   */
  async createMigrated(): Promise<string> {
    this.#template ??= (async () => {
      const url = await this.create();
      await (await openStore(url)).close();
      return new URL(url).pathname.slice(1);
    })();
    const template = await this.#template;
    const name = this.#nextName();
    await this.#admin.query(`create database ${name} template ${template}`);
    return databaseUrl(name);
  }

  #nextName(): string {
    const name = `${this.#prefix}_${this.#created.length}`;
    this.#created.push(name);
    return name;
  }

  /** Drop every database created (connections still open to one are ended), and close the admin pool. */
  async dropAll(): Promise<void> {
    try {
      for (const name of this.#created) {
        await this.#admin.query(`drop database if exists ${name} with (force)`);
      }
    } finally {
      await this.#admin.end();
    }
  }
}

/** What a client told the password-asking server: its startup parameters and the password it sent. */
export interface PasswordAttempt {
  readonly startup: Readonly<Record<string, string>>;
  readonly password: string;
  /** The password came over TLS. */
  readonly tls: boolean;
}

/** The SSLRequest a client sends before its startup message when it wants TLS. */
const SSL_REQUEST_CODE = 80877103;

/**
 * A PostgreSQL server on 127.0.0.1 that only asks for a cleartext password, records it with the startup
 * parameters, and refuses it as a real server refuses a wrong one (FATAL 28P01). For the tests of where the store
 * finds its password, and of TLS (with `tls`, it accepts an SSLRequest and continues over TLS with that identity);
 * PostgreSQL's own test server trusts every local connection, without TLS, and never asks.
 */
export async function passwordAskingServer(tls?: { cert: string; key: string }): Promise<{
  readonly port: number;
  readonly attempts: PasswordAttempt[];
  close(): Promise<void>;
}> {
  const attempts: PasswordAttempt[] = [];
  const sockets = new Set<Socket>();
  const message = (type: string, body: Buffer) => {
    const head = Buffer.alloc(5);
    head.write(type, 0, "latin1");
    head.writeInt32BE(body.length + 4, 1);
    return Buffer.concat([head, body]);
  };
  const converse = (socket: Socket, overTls: boolean) => {
    let buffered = Buffer.alloc(0);
    let startup: Record<string, string> | undefined;
    let answered = false;
    socket.on("error", () => undefined);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (startup === undefined) {
        if (buffered.length < 8 || buffered.length < buffered.readInt32BE(0)) return;
        const length = buffered.readInt32BE(0);
        if (!overTls && buffered.readInt32BE(4) === SSL_REQUEST_CODE) {
          socket.off("data", onData);
          if (tls === undefined) {
            socket.destroy();
            return;
          }
          socket.write("S");
          const secure = new TLSSocket(socket, { isServer: true, cert: tls.cert, key: tls.key });
          sockets.add(secure);
          converse(secure, true);
          return;
        }
        const fields = buffered
          .subarray(8, length - 1)
          .toString("utf8")
          .split("\0");
        startup = {};
        for (let i = 0; i + 1 < fields.length; i += 2) startup[fields[i] ?? ""] = fields[i + 1] ?? "";
        buffered = buffered.subarray(length);
        const cleartext = Buffer.alloc(4);
        cleartext.writeInt32BE(3, 0);
        socket.write(message("R", cleartext));
        return;
      }
      if (answered || buffered.length < 5 || buffered.length < 1 + buffered.readInt32BE(1)) return;
      answered = true;
      const password = buffered.subarray(5, buffered.readInt32BE(1)).toString("utf8");
      attempts.push({ startup, password, tls: overTls });
      const user = startup.user ?? "";
      const fields = ["SFATAL", "VFATAL", "C28P01", `Mpassword authentication failed for user "${user}"`];
      socket.end(message("E", Buffer.from(`${fields.join("\0")}\0\0`, "utf8")));
    };
    socket.on("data", onData);
  };
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    converse(socket, false);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    port,
    attempts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
