/**
 * @module store/migrations/005_auth
 * Authentication for the daemon: local and SSO users, API tokens and sessions (secrets only as hashes), and
 * the audit log. Deleting a user deletes its tokens and sessions; the audit log keeps names as text, so
 * history outlives the accounts it mentions.
 */
import type { Kysely, Migration } from "kysely";
import type { StoreDialect } from "../dialect.js";

export function auth(d: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("users")
        .addColumn("name", d.textType, (c) => c.primaryKey())
        .addColumn("role", d.textType, (c) => c.notNull())
        // Null for a user who only signs in through OIDC.
        .addColumn("password_hash", d.textType)
        .addColumn("oidc_issuer", d.textType)
        .addColumn("oidc_subject", d.textType)
        .addColumn("created_at", d.textType, (c) => c.notNull())
        .addColumn("disabled", "integer", (c) => c.notNull().defaultTo(0))
        // NULLs are distinct in both engines: many local users, one account per SSO identity.
        .addUniqueConstraint("users_oidc_identity", ["oidc_issuer", "oidc_subject"])
        .execute();

      await db.schema
        .createTable("api_tokens")
        .addColumn("id", d.textType, (c) => c.primaryKey())
        .addColumn("user_name", d.textType, (c) => c.notNull().references("users.name").onDelete("cascade"))
        .addColumn("name", d.textType, (c) => c.notNull())
        .addColumn("secret_hash", d.textType, (c) => c.notNull())
        .addColumn("created_at", d.textType, (c) => c.notNull())
        .addColumn("last_used_at", d.textType)
        .addColumn("expires_at", d.textType)
        .addColumn("revoked_at", d.textType)
        .execute();
      await db.schema.createIndex("api_tokens_user").on("api_tokens").column("user_name").execute();

      await db.schema
        .createTable("sessions")
        .addColumn("id_hash", d.textType, (c) => c.primaryKey())
        .addColumn("user_name", d.textType, (c) => c.notNull().references("users.name").onDelete("cascade"))
        .addColumn("created_at", d.textType, (c) => c.notNull())
        .addColumn("last_seen_at", d.textType, (c) => c.notNull())
        .addColumn("expires_at", d.textType, (c) => c.notNull())
        .addColumn("csrf_hash", d.textType, (c) => c.notNull())
        .addColumn("ip", d.textType)
        .addColumn("user_agent", d.textType)
        .execute();
      await db.schema.createIndex("sessions_user").on("sessions").column("user_name").execute();
      await db.schema.createIndex("sessions_expires").on("sessions").column("expires_at").execute();

      await db.schema
        .createTable("audit_log")
        .addColumn("id", d.idType, (c) => d.idColumn(c))
        .addColumn("at", d.textType, (c) => c.notNull())
        .addColumn("actor", d.textType, (c) => c.notNull())
        .addColumn("actor_kind", d.textType, (c) => c.notNull())
        .addColumn("action", d.textType, (c) => c.notNull())
        .addColumn("target", d.textType)
        .addColumn("details", d.textType, (c) => c.notNull())
        .addColumn("ip", d.textType)
        .execute();
      await db.schema.createIndex("audit_log_at").on("audit_log").column("at").execute();
    },
  };
}
