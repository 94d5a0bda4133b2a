/**
 * @module store/migrations/006_triage
 * Alert triage (issue 12): the triage state on each alert (acknowledged, snoozed, resolved by hand, the last note),
 * the alert_history table (lifecycle changes and triage actions), and the indexes the API pages on: alerts by
 * (first_seen, id), certificates by (not_after, sha256) and by CT identity.
 * Existing alerts get their history so far: opened at first_seen, resolved at resolved_at.
 */
import { sql, type Kysely, type Migration } from "kysely";
import type { StoreDialect } from "../dialect.js";

const TRIAGE_COLUMNS = [
  "acknowledged_at",
  "acknowledged_by",
  "snoozed_until",
  "snoozed_by",
  "resolved_by",
  "triage_note",
] as const;

export function triage(d: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // One column per statement: SQLite's ALTER TABLE adds one at a time.
      for (const column of TRIAGE_COLUMNS) {
        await db.schema.alterTable("alerts").addColumn(column, d.textType).execute();
      }
      await db.schema
        .createIndex("alerts_first_seen_id")
        .on("alerts")
        .columns(["first_seen", "id"])
        .execute();
      // The API's certificate inventory pages by expiry, and lists one certificate per CT identity.
      await db.schema
        .createIndex("certificates_not_after_sha256")
        .on("certificates")
        .columns(["not_after", "sha256"])
        .execute();
      await db.schema.createIndex("certificates_identity").on("certificates").column("identity").execute();

      await db.schema
        .createTable("alert_history")
        .addColumn("id", d.idType, (c) => d.idColumn(c))
        .addColumn("alert_id", d.textType, (c) => c.notNull())
        .addColumn("at", d.textType, (c) => c.notNull())
        .addColumn("kind", d.textType, (c) => c.notNull())
        .addColumn("actor", d.textType)
        .addColumn("actor_kind", d.textType, (c) => c.notNull())
        .addColumn("scope", d.textType)
        .addColumn("note", d.textType)
        .addColumn("until", d.textType)
        .execute();
      await db.schema
        .createIndex("alert_history_alert")
        .on("alert_history")
        .columns(["alert_id", "id"])
        .execute();

      await sql`insert into alert_history (alert_id, at, kind, actor, actor_kind, scope)
        select id, first_seen, 'opened', null, 'check', last_scope from alerts order by first_seen, id`.execute(
        db,
      );
      await sql`insert into alert_history (alert_id, at, kind, actor, actor_kind, scope)
        select id, resolved_at, 'resolved', null, 'check', last_scope from alerts
        where status = 'resolved' and resolved_at is not null order by resolved_at, id`.execute(db);
    },
  };
}
