/**
 * @module errors
 * The error catalogue: every error a user can meet has a stable code, the exit status the CLI ends with, the HTTP
 * status the API answers with, and a one-line description. `docs/errors.md` lists them (a test keeps it in step).
 *
 * The codes are a contract, like event ids: scripts match the CLI's exit status, API clients match
 * `{ "error": { "code", "message" } }`. Codes never change meaning; new ones are added.
 */

/** What a code means to each surface. */
export interface ErrorCodeInfo {
  /** The CLI's exit status when a command ends with this error; null when no command ends with it. */
  readonly exit: number | null;
  /** The API's HTTP status for it; null when the API never answers with it. */
  readonly http: number | null;
  /** One line: what happened, in the user's words. */
  readonly summary: string;
}

/** A bad command line or configuration: the user fixes their input (SPEC §2). */
export const EXIT_USAGE = 2;
/** The store cannot be used: its database is corrupt, not a database, or cannot be opened or written. */
export const EXIT_STORE = 3;
/** `certwatch migrate` failed while copying or verifying: nothing was committed, the target is as it was. */
export const EXIT_MIGRATE = 4;

export const ERROR_CODES = {
  // --- The command line and the configuration (exit 2) ------------------------------------------------------
  USAGE: {
    exit: EXIT_USAGE,
    http: null,
    summary: "the command line is not valid: an unknown command or flag, a bad value, a missing argument",
  },
  CONFIG_NOT_FOUND: {
    exit: EXIT_USAGE,
    http: null,
    summary: "the configuration file does not exist (`certwatch init` writes one)",
  },
  CONFIG_UNREADABLE: {
    exit: EXIT_USAGE,
    http: null,
    summary: "the configuration file cannot be read: permissions, not a regular file, too large",
  },
  CONFIG_SYNTAX: {
    exit: EXIT_USAGE,
    http: null,
    summary: "the configuration file is not valid YAML or JSON; the message gives line and column",
  },
  CONFIG_INVALID: {
    exit: EXIT_USAGE,
    http: null,
    summary: "a configuration field is wrong: one line per problem, naming file, line, field and fault",
  },
  CONFIG_EXISTS: {
    exit: 0,
    http: null,
    summary: "`certwatch init` found a configuration file and kept it (`--force` overwrites it)",
  },
  CONFIG_UNWRITABLE: {
    exit: EXIT_USAGE,
    http: null,
    summary: "`certwatch init` cannot write the configuration file",
  },
  CONFIG_FILE_UNUSABLE: {
    exit: EXIT_USAGE,
    http: null,
    summary: "a file the configuration names holds nothing usable (e.g. a CA file without a PEM certificate)",
  },
  CONFIG_FILE_UNREADABLE: {
    exit: EXIT_USAGE,
    http: null,
    summary: "a file the configuration names is missing, unreadable, not a regular file, or too large",
  },
  TRUST_FILE_INVALID: {
    exit: EXIT_USAGE,
    http: null,
    summary:
      "a root certificate file (`trust.extraRoots`, `allowedRoots`) cannot be read or holds no certificate",
  },
  ZONE_FILE_INVALID: {
    exit: EXIT_USAGE,
    http: null,
    summary: "a zone file (`zoneFiles`) cannot be read or parsed; the message gives file and line",
  },
  SECRET_INVALID: {
    exit: EXIT_USAGE,
    http: null,
    summary:
      "a delivery setting or a secret (delivery, `auth.oidc.clientSecret`) is missing, empty or malformed (an unset environment variable, a bad key)",
  },
  STORE_URL_INVALID: {
    exit: EXIT_USAGE,
    http: null,
    summary:
      "the store URL is not `sqlite:<absolute path>`, `sqlite::memory:` or a `postgres://` URL certwatch can use (no password in it, known parameters)",
  },
  WORK_NEEDS_POSTGRES: {
    exit: EXIT_USAGE,
    http: null,
    summary:
      "`certwatch worker` and `serve --no-work` share the work through PostgreSQL: the store is SQLite (use `certwatch serve`, or `store: postgres://…`)",
  },
  SERVER_LISTEN_FAILED: {
    exit: EXIT_USAGE,
    http: null,
    summary:
      "`certwatch serve` cannot listen on `server.host`:`server.port`, or `certwatch worker` on `work.listen` / `--listen` (in use, not an address here, not allowed)",
  },

  // --- The store (exit 3) ------------------------------------------------------------------------------------
  STORE_OPEN_FAILED: {
    exit: EXIT_STORE,
    http: 503,
    summary:
      "the database cannot be opened, created, reached or migrated (permissions, disk, server down, password refused, a lock held too long)",
  },
  STORE_CORRUPT: {
    exit: EXIT_STORE,
    http: 503,
    summary: "the database file is damaged or is not an SQLite database; restore a backup or move it aside",
  },

  // --- certwatch migrate (copying a store into an empty one) -------------------------------------------------
  MIGRATE_SOURCE_UNUSABLE: {
    exit: EXIT_USAGE,
    http: null,
    summary:
      "the source of `certwatch migrate` is no certwatch store: no such SQLite file, or no certwatch schema",
  },
  MIGRATE_STORE_TOO_NEW: {
    exit: EXIT_USAGE,
    http: null,
    summary:
      "a store given to `certwatch migrate` was written by a newer certwatch: run that version's migrate",
  },
  MIGRATE_TARGET_NOT_EMPTY: {
    exit: EXIT_USAGE,
    http: null,
    summary: "the target of `certwatch migrate` already holds data: it copies only into an empty store",
  },
  MIGRATE_COPY_FAILED: {
    exit: EXIT_MIGRATE,
    http: null,
    summary:
      "`certwatch migrate` stopped on a database error (the message names the table); nothing was committed",
  },
  MIGRATE_SOURCE_CHANGED: {
    exit: EXIT_MIGRATE,
    http: null,
    summary:
      "another certwatch process wrote to the source during `certwatch migrate`: stop it and migrate again",
  },
  MIGRATE_VERIFY_FAILED: {
    exit: EXIT_MIGRATE,
    http: null,
    summary:
      "the copy did not read back equal to the source (row count or SHA-256 of a table); nothing was committed",
  },

  // --- Users, tokens and passwords (the store's auth half: `certwatch user` and the API) ---------------------
  USER_EXISTS: { exit: EXIT_USAGE, http: 409, summary: "a user of that name (or OIDC identity) exists" },
  NO_SUCH_USER: { exit: EXIT_USAGE, http: 404, summary: "no user of that name" },
  LAST_ADMIN: {
    exit: EXIT_USAGE,
    http: 409,
    summary: "the change would leave no enabled admin, and nobody could manage users any more",
  },
  TOKEN_EXISTS: {
    exit: EXIT_USAGE,
    http: 500,
    summary: "a new API token's random id is taken (vanishingly rare: retry)",
  },
  AUDIT_DETAILS_REFUSED: {
    exit: EXIT_USAGE,
    http: 500,
    summary: "an audit entry was refused because a detail looked like a secret (a bug: please report it)",
  },
  PASSWORD_POLICY: {
    exit: EXIT_USAGE,
    http: 400,
    summary: "the password cannot be used: empty, or longer than 1,024 bytes",
  },
  BUSY: {
    exit: EXIT_USAGE,
    http: 503,
    summary: "too many password verifications at once; retry shortly",
  },

  // --- The API only (`{ "error": { "code", "message" } }`) ----------------------------------------------------
  VALIDATION_FAILED: {
    exit: null,
    http: 400,
    summary: "a parameter or body field is missing, out of range or of the wrong type; the message names it",
  },
  MALFORMED_JSON: { exit: null, http: 400, summary: "the request body is not valid JSON" },
  INVALID_CURSOR: {
    exit: null,
    http: 400,
    summary: "the cursor of a paged list is not one the API handed out",
  },
  UNAUTHENTICATED: {
    exit: null,
    http: 401,
    summary: "no valid credentials: sign in, or send an API token as `Authorization: Bearer <token>`",
  },
  SESSION_EXPIRED: {
    exit: null,
    http: 401,
    summary: "the session ended (idle or absolute limit, logout, password change): sign in again",
  },
  INVALID_CREDENTIALS: {
    exit: null,
    http: 401,
    summary: "sign-in refused: the user name or the password is wrong (never says which)",
  },
  FORBIDDEN: { exit: null, http: 403, summary: "the user's role does not allow the action" },
  CSRF_FAILED: {
    exit: null,
    http: 403,
    summary:
      "a change made with the session cookie lacks the session's `X-CSRF-Token` header, or it is wrong",
  },
  SESSION_REQUIRED: {
    exit: null,
    http: 403,
    summary: "the action needs a browser session, not an API token (a token cannot mint tokens)",
  },
  NOT_FOUND: { exit: null, http: 404, summary: "no such resource, or no such route or method in the API" },
  ALERT_STATE: {
    exit: null,
    http: 409,
    summary: "the alert is not in a state the triage action applies to (resolving a resolved alert …)",
  },
  CONFLICT: {
    exit: null,
    http: 409,
    summary: "the change conflicts with the resource's current state (e.g. it exists already)",
  },
  ENDPOINT_READ_ONLY: {
    exit: null,
    http: 409,
    summary: "the endpoint is configured in certwatch.yaml: change it there (the API manages only its own)",
  },
  ENDPOINT_LIMIT: {
    exit: null,
    http: 409,
    summary:
      "`schedule.maxManagedEndpoints` managed endpoints exist already: delete some, or raise the limit",
  },
  PAYLOAD_TOO_LARGE: { exit: null, http: 413, summary: "the request body is larger than the API accepts" },
  UNSUPPORTED_MEDIA_TYPE: { exit: null, http: 415, summary: "the request body is not `application/json`" },
  RATE_LIMITED: {
    exit: null,
    http: 429,
    summary: "too many failed sign-ins for this user name or from this address; retry after `Retry-After`",
  },
  NOT_IMPLEMENTED: { exit: null, http: 501, summary: "this server does not offer the action" },
  INTERNAL: {
    exit: EXIT_USAGE,
    http: 500,
    summary: "an unexpected error: the CLI prints its stack, the API logs it and answers no more than this",
  },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.hasOwn(ERROR_CODES, code);
}

/**
 * An error a user can meet: its `code` is in the catalogue. Each error class of certwatch extends this, so a
 * surface maps one property instead of testing classes.
 */
export abstract class CertwatchError extends Error {
  abstract readonly code: ErrorCode;

  /** The catalogue's entry for this error. */
  get info(): ErrorCodeInfo {
    return ERROR_CODES[this.code];
  }
}
