/**
 * @module store/migrations/007_schedule
 * The daemon's schedule: each job's last run (a restart resumes the rhythm instead of scanning everything at
 * once), and the managed endpoints (added through the API or discovered in CT) scanned beside certwatch.yaml's.
 */
import type { Kysely, Migration } from "kysely";

export function schedule(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("schedule_runs")
        .addColumn("job", "text", (c) => c.primaryKey())
        .addColumn("last_run_at", "text", (c) => c.notNull())
        .addColumn("duration_ms", "integer", (c) => c.notNull())
        .addColumn("error", "text")
        .execute();
      await db.schema
        .createTable("managed_endpoints")
        .addColumn("host", "text", (c) => c.notNull())
        .addColumn("port", "integer", (c) => c.notNull())
        // A JSON array of IP addresses; null: resolve the host.
        .addColumn("addresses", "text")
        .addColumn("server_name", "text")
        .addColumn("scan_interval_minutes", "integer")
        .addColumn("origin", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("created_by", "text")
        .addPrimaryKeyConstraint("managed_endpoints_pk", ["host", "port"])
        .execute();
    },
  };
}
