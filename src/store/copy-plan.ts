/**
 * @module store/copy-plan
 * What `certwatch migrate` copies of each table of the store, in what order, and by which key it pages: one entry
 * per table of schema.ts (the compiler refuses a table without one), with the tables it deliberately leaves behind.
 */
import type { Database } from "./schema.js";

/** A table copied row for row, ids kept. */
export interface CopiedTable {
  readonly copy: true;
  /** The primary key: the source is read in this order, a page at a time (keyset pagination). */
  readonly key: readonly string[];
  /** An identity column (PostgreSQL) or AUTOINCREMENT id (SQLite): the target's next id is set past the copy's. */
  readonly identity?: "id";
  /** Rows read and held at once: fewer for tables whose rows carry large blobs. */
  readonly pageRows: number;
  /** What changes on the way (the verification compares the rows as written). */
  readonly transform?: (row: Record<string, unknown>) => Record<string, unknown>;
}

/** A table left behind, and why (said in migrate's summary and docs/migrate.md). */
export interface SkippedTable {
  readonly copy: false;
  readonly key: readonly string[];
  readonly why: string;
}

export type TablePlan = CopiedTable | SkippedTable;

const PAGE = 1000;

/**
 * Every table, in an order where a row's foreign keys are copied before it (certificates before their names,
 * alerts before their scopes, users before their tokens). `satisfies Record<keyof Database, …>`: a table added to
 * schema.ts does not compile until it has a plan here; copy-plan.test.ts checks the migrated databases' own lists.
 */
export const COPY_PLAN = {
  endpoints: { copy: true, key: ["host", "port", "address"], pageRows: PAGE },
  certificates: { copy: true, key: ["sha256"], pageRows: 500 },
  certificate_names: { copy: true, key: ["sha256", "name"], pageRows: PAGE },
  observations: { copy: true, key: ["id"], identity: "id", pageRows: PAGE },
  alerts: { copy: true, key: ["id"], pageRows: PAGE },
  alert_scopes: { copy: true, key: ["alert_id", "scope"], pageRows: PAGE },
  alert_history: { copy: true, key: ["id"], identity: "id", pageRows: PAGE },
  // One at a time: a CRL may be tens of megabytes.
  crl_cache: { copy: true, key: ["url"], pageRows: 1 },
  ct_logs: { copy: true, key: ["log_id"], pageRows: PAGE },
  ct_inventory: { copy: true, key: ["identity"], pageRows: PAGE },
  ct_roots: { copy: true, key: ["domain", "root_spki_sha256"], pageRows: PAGE },
  ct_entry_errors: { copy: true, key: ["log_id", "entry_index"], pageRows: PAGE },
  ct_log_list_cache: { copy: true, key: ["url"], pageRows: 1 },
  outbox: {
    copy: true,
    key: ["id"],
    identity: "id",
    pageRows: PAGE,
    // A lease belonged to a process of the old store, stopped now: the row is free at once in the new one (its
    // attempts, back-off and last error stay; a send cut short is sent again with the same notification id).
    transform: (row) => ({ ...row, lease_until: null }),
  },
  notify_last: { copy: true, key: ["alert_id", "target"], pageRows: PAGE },
  users: { copy: true, key: ["name"], pageRows: PAGE },
  api_tokens: { copy: true, key: ["id"], pageRows: PAGE },
  sessions: {
    copy: false,
    key: ["id_hash"],
    why: "browser sessions: everyone signs in again (API tokens are copied)",
  },
  audit_log: { copy: true, key: ["id"], identity: "id", pageRows: PAGE },
  schedule_runs: { copy: true, key: ["job"], pageRows: PAGE },
  managed_endpoints: { copy: true, key: ["host", "port"], pageRows: PAGE },
  work_leases: {
    copy: false,
    key: ["name"],
    why: "leases of running workers (none run during a migrate): the next workers take them afresh",
  },
} as const satisfies Record<keyof Database, TablePlan>;

export type TableName = keyof Database;

/** The tables in copy order, with their plans. */
export const COPY_ORDER: readonly (readonly [TableName, TablePlan])[] = Object.entries(COPY_PLAN) as [
  TableName,
  TablePlan,
][];

/** Tables of a migrated store that hold no certwatch data: the migrations' own bookkeeping, and SQLite's. */
export const BOOKKEEPING_TABLES: readonly string[] = [
  "kysely_migration",
  "kysely_migration_lock",
  "sqlite_sequence",
];
