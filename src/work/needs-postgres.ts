/**
 * @module work/needs-postgres
 * Work shared by several processes needs a store they can all write at once: PostgreSQL. `certwatch worker` and
 * `serve --no-work` on an SQLite store stop at once (exit 2), saying what to run instead.
 */
import type { ResolvedConfig } from "../config/schema.js";
import { CertwatchError } from "../errors.js";

export class WorkNeedsPostgresError extends CertwatchError {
  readonly code = "WORK_NEEDS_POSTGRES";
}

/** Throws unless the configured store is PostgreSQL; `what` names the command ("certwatch worker"). */
export function requirePostgres(config: ResolvedConfig, what: string): void {
  if (config.store.kind === "postgres") return;
  throw new WorkNeedsPostgresError(
    `${config.configPath}: store: ${what} shares the work with other processes through PostgreSQL, and this store is an SQLite file (one process only): run \`certwatch serve\`, or set store: postgres://… (docs/scale-out.md)`,
  );
}
