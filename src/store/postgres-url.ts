/**
 * @module store/postgres-url
 * The `postgres://user@host:port/database?…` store URL read into connection and pool settings: host, TLS, timeouts,
 * pool size. Strict: an unknown parameter or a password in the URL is an error that never quotes the URL's values.
 */
import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";

/** What the URL says; anything it leaves out has a default (listed in docs/config.md). */
export interface PostgresSettings {
  /** Host name or address, or a Unix socket directory (`?host=/var/run/postgresql`). */
  readonly host: string;
  readonly port: number;
  /** Undefined: PostgreSQL's default, the user name. */
  readonly database: string | undefined;
  /** Undefined: PGUSER, else the operating system user (as psql does). */
  readonly user: string | undefined;
  /** False: no TLS. */
  readonly ssl: false | ConnectionOptions;
  readonly connectTimeoutMs: number;
  /** The server cuts a statement running longer (0: never). */
  readonly statementTimeoutMs: number;
  /** The server ends a session idle inside a transaction this long (its locks are then released). */
  readonly idleInTransactionTimeoutMs: number;
  readonly poolMax: number;
  readonly applicationName: string;
}

export const POSTGRES_DEFAULTS = {
  port: 5432,
  connectTimeoutSeconds: 20,
  statementTimeoutMs: 60_000,
  idleInTransactionTimeoutMs: 60_000,
  poolMax: 10,
  applicationName: "certwatch",
} as const;

/** A store URL certwatch cannot use; the message never quotes a value from it. */
export class PostgresUrlError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PostgresUrlError";
  }
}

const SSL_MODES = ["disable", "no-verify", "require", "verify-ca", "verify-full"] as const;
type SslMode = (typeof SSL_MODES)[number];

const PARAMETERS = [
  "host",
  "sslmode",
  "sslrootcert",
  "sslcert",
  "sslkey",
  "connect_timeout",
  "statement_timeout",
  "pool_max",
  "application_name",
] as const;

/** The URL without anything secret: fit for a message or a log line. */
export function describePostgresUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = "";
    u.search = "";
    return u.href;
  } catch {
    return "postgres://…";
  }
}

function integer(params: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new PostgresUrlError(`store URL parameter ${name} must be a whole number from ${min} to ${max}`);
  }
  return Number(raw);
}

function readPem(params: URLSearchParams, name: string): string | undefined {
  const path = params.get(name);
  if (path === null) return undefined;
  if (!path.startsWith("/")) {
    throw new PostgresUrlError(`store URL parameter ${name} must be an absolute file path`);
  }
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? "unreadable";
    throw new PostgresUrlError(`store URL parameter ${name}: cannot read ${path} (${why})`, { cause: e });
  }
}

/**
 * TLS as libpq's sslmode names it, but `require` verifies the server's certificate and name like `verify-full`
 * (as node-postgres does; `no-verify` is libpq's unverified `require`). No mode falls back to clear text.
 */
function tlsOf(params: URLSearchParams): false | ConnectionOptions {
  const mode = params.get("sslmode");
  if (mode !== null && !(SSL_MODES as readonly string[]).includes(mode)) {
    throw new PostgresUrlError(
      `store URL parameter sslmode must be one of ${SSL_MODES.join(", ")} (certwatch never falls back to an unencrypted connection)`,
    );
  }
  const ca = readPem(params, "sslrootcert");
  const cert = readPem(params, "sslcert");
  const key = readPem(params, "sslkey");
  if ((cert === undefined) !== (key === undefined)) {
    throw new PostgresUrlError("store URL parameters sslcert and sslkey go together");
  }
  const files = ca !== undefined || cert !== undefined;
  const effective: SslMode = (mode as SslMode | null) ?? (files ? "verify-full" : "disable");
  if (effective === "disable") {
    if (files) throw new PostgresUrlError("store URL: sslmode=disable with certificate files");
    return false;
  }
  const tls: ConnectionOptions = {
    ...(ca !== undefined && { ca }),
    ...(cert !== undefined && { cert, key }),
  };
  if (effective === "no-verify") return { ...tls, rejectUnauthorized: false };
  if (effective === "verify-ca") return { ...tls, checkServerIdentity: () => undefined };
  return tls;
}

/** Read a `postgres://` or `postgresql://` store URL. Throws PostgresUrlError. */
export function postgresSettings(url: string): PostgresSettings {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new PostgresUrlError("the store URL is not a valid postgres:// URL");
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") {
    throw new PostgresUrlError("the store URL must start with postgres:// or postgresql://");
  }
  const params = u.searchParams;
  if (u.password !== "" || params.has("password")) {
    throw new PostgresUrlError(
      "the store URL must not hold a password: set PGPASSWORD, or use ~/.pgpass (PGPASSFILE)",
    );
  }
  for (const name of new Set(params.keys())) {
    if (!(PARAMETERS as readonly string[]).includes(name)) {
      throw new PostgresUrlError(
        `store URL parameter ${JSON.stringify(name.slice(0, 40))} is not supported (supported: ${PARAMETERS.join(", ")})`,
      );
    }
  }
  const socketDir = params.get("host");
  if (socketDir !== null && !socketDir.startsWith("/")) {
    throw new PostgresUrlError("store URL parameter host must be a socket directory (an absolute path)");
  }
  const host = socketDir ?? u.hostname.replace(/^\[(.*)\]$/, "$1");
  if (host === "") throw new PostgresUrlError("the store URL names no host");
  const path = decodeURIComponent(u.pathname.replace(/^\//, ""));
  if (path.includes("/")) throw new PostgresUrlError("the store URL's path must be one database name");
  const applicationName = params.get("application_name") ?? POSTGRES_DEFAULTS.applicationName;
  if (applicationName.length > 63 || /[^\x20-\x7e]/.test(applicationName)) {
    throw new PostgresUrlError(
      "store URL parameter application_name must be up to 63 printable ASCII characters",
    );
  }
  return {
    host,
    port: u.port === "" ? POSTGRES_DEFAULTS.port : Number(u.port),
    database: path === "" ? undefined : path,
    user: u.username === "" ? undefined : decodeURIComponent(u.username),
    ssl: tlsOf(params),
    connectTimeoutMs:
      1000 * (integer(params, "connect_timeout", 1, 600) ?? POSTGRES_DEFAULTS.connectTimeoutSeconds),
    statementTimeoutMs:
      integer(params, "statement_timeout", 0, 86_400_000) ?? POSTGRES_DEFAULTS.statementTimeoutMs,
    idleInTransactionTimeoutMs: POSTGRES_DEFAULTS.idleInTransactionTimeoutMs,
    poolMax: integer(params, "pool_max", 1, 1000) ?? POSTGRES_DEFAULTS.poolMax,
    applicationName,
  };
}
