/**
 * @module store/migrations/003_ct
 * The CT monitor's tables: per-log position and tree state, the certificate inventory, roots seen per
 * watched domain, unparseable entries, and the cached signed log list.
 */
import type { Kysely, Migration } from "kysely";
import type { StoreDialect } from "../dialect.js";

export function ct(d: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // The CT identity (TBS without poison and SCT list) ties a precertificate to its certificate.
      await db.schema.alterTable("certificates").addColumn("identity", d.textType).execute();
      await db.schema
        .alterTable("certificates")
        .addColumn("precertificate", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createTable("ct_logs")
        .addColumn("log_id", d.textType, (c) => c.primaryKey())
        .addColumn("url", d.textType, (c) => c.notNull())
        .addColumn("protocol", d.textType, (c) => c.notNull())
        .addColumn("position", "bigint", (c) => c.notNull())
        .addColumn("frontier", d.textType, (c) => c.notNull())
        .addColumn("verified_size", "bigint", (c) => c.notNull())
        .addColumn("verified_root", d.textType, (c) => c.notNull())
        .addColumn("verified_timestamp", "bigint", (c) => c.notNull())
        .addColumn("verified_frontier", d.textType, (c) => c.notNull())
        .addColumn("backfill_until", "bigint", (c) => c.notNull())
        .addColumn("head_size", "bigint", (c) => c.notNull())
        .addColumn("head_timestamp", "bigint")
        .addColumn("last_entry_timestamp", "bigint")
        .addColumn("last_error", d.textType)
        .addColumn("updated_at", d.textType, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("ct_inventory")
        .addColumn("identity", d.textType, (c) => c.primaryKey())
        .addColumn("sha256", d.textType, (c) => c.notNull())
        .addColumn("log_id", d.textType, (c) => c.notNull())
        .addColumn("entry_index", "bigint", (c) => c.notNull())
        .addColumn("entry_type", d.textType, (c) => c.notNull())
        .addColumn("logged_at", "bigint", (c) => c.notNull())
        .addColumn("issuer_key_sha256", d.textType)
        .addColumn("root_spki_sha256", d.textType)
        .addColumn("root_subject", d.textType)
        .addColumn("domains", d.textType, (c) => c.notNull())
        .addColumn("first_seen", d.textType, (c) => c.notNull())
        .execute();
      await db.schema.createIndex("ct_inventory_sha256").on("ct_inventory").column("sha256").execute();

      await db.schema
        .createTable("ct_roots")
        .addColumn("domain", d.textType, (c) => c.notNull())
        .addColumn("root_spki_sha256", d.textType, (c) => c.notNull())
        .addColumn("root_subject", d.textType, (c) => c.notNull())
        .addColumn("first_seen", d.textType, (c) => c.notNull())
        .addPrimaryKeyConstraint("ct_roots_pk", ["domain", "root_spki_sha256"])
        .execute();

      await db.schema
        .createTable("ct_entry_errors")
        .addColumn("log_id", d.textType, (c) => c.notNull())
        .addColumn("entry_index", "bigint", (c) => c.notNull())
        .addColumn("error", d.textType, (c) => c.notNull())
        .addColumn("seen_at", d.textType, (c) => c.notNull())
        .addPrimaryKeyConstraint("ct_entry_errors_pk", ["log_id", "entry_index"])
        .execute();

      await db.schema
        .createTable("ct_log_list_cache")
        .addColumn("url", d.textType, (c) => c.primaryKey())
        .addColumn("json", d.binaryType, (c) => c.notNull())
        .addColumn("signature", d.binaryType)
        .addColumn("fetched_at", d.textType, (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const t of ["ct_log_list_cache", "ct_entry_errors", "ct_roots", "ct_inventory", "ct_logs"]) {
        await db.schema.dropTable(t).execute();
      }
      await db.schema.alterTable("certificates").dropColumn("precertificate").execute();
      await db.schema.alterTable("certificates").dropColumn("identity").execute();
    },
  };
}
