/**
 * @module store/migrations/007_schedule
 * The daemon's schedule: each job's last run (a restart resumes the rhythm instead of scanning everything at
 * once), and the managed endpoints (added through the API or discovered in CT) scanned beside certwatch.yaml's.
 */
import type { Kysely, Migration } from "kysely";
import type { StoreDialect } from "../dialect.js";

export function schedule(d: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("schedule_runs")
        .addColumn("job", d.textType, (c) => c.primaryKey())
        .addColumn("last_run_at", d.textType, (c) => c.notNull())
        .addColumn("duration_ms", "integer", (c) => c.notNull())
        .addColumn("error", d.textType)
        .execute();
      await db.schema
        .createTable("managed_endpoints")
        .addColumn("host", d.textType, (c) => c.notNull())
        .addColumn("port", "integer", (c) => c.notNull())
        // A JSON array of IP addresses; null: resolve the host.
        .addColumn("addresses", d.textType)
        .addColumn("server_name", d.textType)
        .addColumn("scan_interval_minutes", "integer")
        .addColumn("origin", d.textType, (c) => c.notNull())
        .addColumn("created_at", d.textType, (c) => c.notNull())
        .addColumn("created_by", d.textType)
        .addPrimaryKeyConstraint("managed_endpoints_pk", ["host", "port"])
        .execute();
    },
  };
}
