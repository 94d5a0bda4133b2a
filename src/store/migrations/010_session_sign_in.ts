/**
 * @module store/migrations/010_session_sign_in
 * How a session was started (`password` or `oidc`), and for single sign-on the provider's ID token, kept only to
 * end the provider's session at sign-out (RP-initiated logout's `id_token_hint`). Sessions from before are password
 * sessions: their users sign out of certwatch alone, as before.
 */
import type { Kysely, Migration } from "kysely";
import type { StoreDialect } from "../dialect.js";

export function sessionSignIn(d: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable("sessions")
        .addColumn("method", d.textType, (c) => c.notNull().defaultTo("password"))
        .execute();
      await db.schema.alterTable("sessions").addColumn("id_token_hint", d.textType).execute();
    },
  };
}
