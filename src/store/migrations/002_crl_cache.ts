/**
 * @module store/migrations/002_crl_cache
 * Downloaded CRLs kept by URL until their nextUpdate, so a restart does not refetch every CRL.
 */
import type { Kysely, Migration } from "kysely";
import type { StoreDialect } from "../dialect.js";

export function crlCache(d: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("crl_cache")
        .addColumn("url", d.textType, (c) => c.primaryKey())
        .addColumn("der", d.binaryType, (c) => c.notNull())
        .addColumn("etag", d.textType)
        .addColumn("last_modified", d.textType)
        .addColumn("this_update", d.textType, (c) => c.notNull())
        .addColumn("next_update", d.textType)
        .addColumn("fetched_at", d.textType, (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable("crl_cache").execute();
    },
  };
}
