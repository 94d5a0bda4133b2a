/**
 * @module store/migrations/008_alert_paging
 * Indexes for the API's alert list filtered by status or by event (bench:api, issue 12): (status, first_seen, id)
 * and (event_id, first_seen, id) hand out a page in keyset order, where (status) and (event_id) alone made every
 * page sort all the matching alerts (150 ms for the open ones of 100,000). They replace those two indexes.
 */
import type { Kysely, Migration } from "kysely";

export function alertPaging(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createIndex("alerts_status_first_seen_id")
        .on("alerts")
        .columns(["status", "first_seen", "id"])
        .execute();
      await db.schema
        .createIndex("alerts_event_id_first_seen_id")
        .on("alerts")
        .columns(["event_id", "first_seen", "id"])
        .execute();
      // A lookup by status or by event alone uses the new indexes' first column just as well.
      await db.schema.dropIndex("alerts_status").execute();
      await db.schema.dropIndex("alerts_event_id").execute();
    },
  };
}
