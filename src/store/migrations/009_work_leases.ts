/**
 * @module store/migrations/009_work_leases
 * Leases of the work several `certwatch worker` processes share (issue 13): who holds a CT log, a scan target's run
 * or the planner, until when (the database's clock, in milliseconds). A holder renews; another takes over after.
 */
import type { Kysely, Migration } from "kysely";
import type { StoreDialect } from "../dialect.js";

export function workLeases(d: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("work_leases")
        .addColumn("name", d.textType, (c) => c.primaryKey())
        .addColumn("holder", d.textType, (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("taken_at", "bigint", (c) => c.notNull())
        .execute();
    },
  };
}
