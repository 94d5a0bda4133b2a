/**
 * @module store/migrations/004_outbox
 * The delivery outbox (one row per notification and target, written with the alert change) and when each target
 * last heard of each alert (for reminders).
 */
import type { Kysely, Migration } from "kysely";
import type { StoreDialect } from "../dialect.js";

export function outbox(d: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("outbox")
        .addColumn("id", d.idType, (c) => d.idColumn(c))
        .addColumn("notification_id", "text", (c) => c.notNull())
        .addColumn("target", "text", (c) => c.notNull())
        .addColumn("alert_id", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("payload", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("next_attempt_at", "text", (c) => c.notNull())
        .addColumn("lease_until", "text")
        .addColumn("last_error", "text")
        .addColumn("delivered_at", "text")
        .addUniqueConstraint("outbox_target_notification", ["target", "notification_id"])
        .execute();
      // Claims read a target's undelivered rows in id order and stop at the batch size: no sort, however long
      // the queue after an outage.
      await db.schema
        .createIndex("outbox_due")
        .on("outbox")
        .columns(["target", "delivered_at", "id"])
        .execute();
      await db.schema
        .createTable("notify_last")
        .addColumn("alert_id", "text", (c) => c.notNull())
        .addColumn("target", "text", (c) => c.notNull())
        .addColumn("notified_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("notify_last_pk", ["alert_id", "target"])
        .execute();
    },
  };
}
