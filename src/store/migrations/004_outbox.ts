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
        .addColumn("notification_id", d.textType, (c) => c.notNull())
        .addColumn("target", d.textType, (c) => c.notNull())
        .addColumn("alert_id", d.textType, (c) => c.notNull())
        .addColumn("kind", d.textType, (c) => c.notNull())
        .addColumn("payload", d.textType, (c) => c.notNull())
        .addColumn("created_at", d.textType, (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("next_attempt_at", d.textType, (c) => c.notNull())
        .addColumn("lease_until", d.textType)
        .addColumn("last_error", d.textType)
        .addColumn("delivered_at", d.textType)
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
        .addColumn("alert_id", d.textType, (c) => c.notNull())
        .addColumn("target", d.textType, (c) => c.notNull())
        .addColumn("notified_at", d.textType, (c) => c.notNull())
        .addPrimaryKeyConstraint("notify_last_pk", ["alert_id", "target"])
        .execute();
    },
  };
}
