/**
 * @module store/migrations/001_initial
 * The first schema: endpoints, certificates (+ their names), observations, alerts and the scopes holding them.
 */
import type { Kysely, Migration } from "kysely";
import type { StoreDialect } from "../dialect.js";

export function initial(d: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("endpoints")
        .addColumn("host", d.textType, (c) => c.notNull())
        .addColumn("port", "integer", (c) => c.notNull())
        .addColumn("address", d.textType, (c) => c.notNull())
        .addColumn("first_seen", d.textType, (c) => c.notNull())
        .addColumn("last_seen", d.textType, (c) => c.notNull())
        .addColumn("last_outcome", d.textType, (c) => c.notNull())
        .addPrimaryKeyConstraint("endpoints_pk", ["host", "port", "address"])
        .execute();

      await db.schema
        .createTable("certificates")
        .addColumn("sha256", d.textType, (c) => c.primaryKey())
        .addColumn("der", d.binaryType, (c) => c.notNull())
        .addColumn("serial", d.textType, (c) => c.notNull())
        .addColumn("subject", d.textType, (c) => c.notNull())
        .addColumn("issuer", d.textType, (c) => c.notNull())
        .addColumn("not_before", d.textType, (c) => c.notNull())
        .addColumn("not_after", d.textType, (c) => c.notNull())
        .addColumn("dns_names", d.textType, (c) => c.notNull())
        .addColumn("ip_addresses", d.textType, (c) => c.notNull())
        .addColumn("first_seen", d.textType, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("certificate_names")
        .addColumn("sha256", d.textType, (c) => c.notNull().references("certificates.sha256"))
        .addColumn("name", d.textType, (c) => c.notNull())
        .addPrimaryKeyConstraint("certificate_names_pk", ["sha256", "name"])
        .execute();
      await db.schema.createIndex("certificate_names_name").on("certificate_names").column("name").execute();

      await db.schema
        .createTable("observations")
        .addColumn("id", d.idType, (c) => d.idColumn(c))
        .addColumn("host", d.textType, (c) => c.notNull())
        .addColumn("port", "integer", (c) => c.notNull())
        .addColumn("address", d.textType, (c) => c.notNull())
        .addColumn("observed_at", d.textType, (c) => c.notNull())
        .addColumn("outcome", d.textType, (c) => c.notNull())
        .addColumn("protocol", d.textType)
        .addColumn("chain", d.textType, (c) => c.notNull())
        .addColumn("details", d.textType, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("observations_endpoint_time")
        .on("observations")
        .columns(["host", "port", "observed_at"])
        .execute();

      await db.schema
        .createTable("alerts")
        .addColumn("id", d.textType, (c) => c.primaryKey())
        .addColumn("event_id", "integer", (c) => c.notNull())
        .addColumn("name", d.textType, (c) => c.notNull())
        .addColumn("key", d.textType, (c) => c.notNull())
        .addColumn("severity", d.textType, (c) => c.notNull())
        .addColumn("source", d.textType, (c) => c.notNull())
        .addColumn("subject", d.textType, (c) => c.notNull())
        .addColumn("endpoint", d.textType)
        .addColumn("certificate", d.textType)
        .addColumn("details", d.textType, (c) => c.notNull())
        .addColumn("status", d.textType, (c) => c.notNull())
        .addColumn("first_seen", d.textType, (c) => c.notNull())
        .addColumn("last_seen", d.textType, (c) => c.notNull())
        .addColumn("resolved_at", d.textType)
        .addColumn("last_scope", d.textType, (c) => c.notNull())
        .execute();
      await db.schema.createIndex("alerts_status").on("alerts").column("status").execute();
      await db.schema.createIndex("alerts_event_id").on("alerts").column("event_id").execute();
      await db.schema.createIndex("alerts_last_scope").on("alerts").column("last_scope").execute();

      await db.schema
        .createTable("alert_scopes")
        .addColumn("alert_id", d.textType, (c) => c.notNull().references("alerts.id"))
        .addColumn("scope", d.textType, (c) => c.notNull())
        .addPrimaryKeyConstraint("alert_scopes_pk", ["alert_id", "scope"])
        .execute();
      await db.schema.createIndex("alert_scopes_scope").on("alert_scopes").column("scope").execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      for (const t of [
        "alert_scopes",
        "alerts",
        "observations",
        "certificate_names",
        "certificates",
        "endpoints",
      ]) {
        await db.schema.dropTable(t).execute();
      }
    },
  };
}
