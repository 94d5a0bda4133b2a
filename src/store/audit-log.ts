/**
 * @module store/audit-log
 * The audit log: one row per change, written by the changing transaction. Details are checked before they are
 * written: a key that names a secret may only hold a flag or a count, and no value may look like a credential.
 */
import type { Kysely, Selectable } from "kysely";
import { rfc3339 } from "../domain/alert.js";
import type {
  AuditActor,
  AuditContext,
  AuditEntry,
  AuditEvent,
  AuditFilter,
  AuditValue,
} from "./auth-records.js";
import { AuthStoreError } from "./auth-records.js";
import type { AuditLogTable, Database } from "./schema.js";

/** Keys that name a secret ("passwordChanged: true" is fine; "password: '…'" is not). */
const SECRET_KEY =
  /passw(or)?d|passphrase|secret|token|cookie|csrf|session|authori[sz]ation|credential|api_?key|private_?key/i;
/** Values that look like a credential whatever their key: an API token, a password hash, an Authorization header. */
const SECRET_VALUE = [/cw_[a-z2-7]{10}_[A-Za-z0-9_-]{8}/, /\$scrypt\$/, /^\s*(bearer|basic)\s+\S/i];

const MAX_KEYS = 32;
const MAX_KEY_LENGTH = 64;
const MAX_STRING = 1000;
const MAX_LIST = 100;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

function refuse(why: string): never {
  throw new AuthStoreError("AUDIT_DETAILS_REFUSED", `audit details refused: ${why}`);
}

function checkString(key: string, value: string): string {
  if (SECRET_VALUE.some((re) => re.test(value))) refuse(`the value of "${key}" looks like a credential`);
  return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
}

/**
 * The details as stored JSON. Throws AUDIT_DETAILS_REFUSED (a programming error: the caller passed something it
 * must not log) rather than storing a secret; long strings and lists are cut, not refused.
 */
export function auditDetailsJson(details: Readonly<Record<string, unknown>> = {}): string {
  const keys = Object.keys(details);
  if (keys.length > MAX_KEYS) refuse(`more than ${MAX_KEYS} keys`);
  const out: Record<string, AuditValue> = {};
  for (const key of keys) {
    const value = details[key];
    if (key.length > MAX_KEY_LENGTH) refuse("a key is too long");
    const flagOrCount = typeof value === "boolean" || typeof value === "number";
    if (SECRET_KEY.test(key) && !flagOrCount)
      refuse(`"${key}" names a secret (only a flag or a count may be kept)`);
    if (value === null || typeof value === "boolean") out[key] = value;
    else if (typeof value === "number")
      out[key] = Number.isFinite(value) ? value : refuse(`"${key}" is not finite`);
    else if (typeof value === "string") out[key] = checkString(key, value);
    else if (Array.isArray(value) && value.every((v): v is string => typeof v === "string")) {
      out[key] = value.slice(0, MAX_LIST).map((v) => checkString(key, v));
    } else refuse(`"${key}" is not a string, number, boolean, null or list of strings`);
  }
  return JSON.stringify(out);
}

/** How an actor is stored: a user by name, a token as `<user>/<token id>` (user names have no `/`). */
function actorColumns(actor: AuditActor): { actor: string; actor_kind: AuditActor["kind"] } {
  switch (actor.kind) {
    case "user":
      return { actor: actor.name, actor_kind: "user" };
    case "token":
      return { actor: `${actor.name}/${actor.tokenId}`, actor_kind: "token" };
    case "system":
      return { actor: "system", actor_kind: "system" };
  }
}

function actorFromRow(actor: string, kind: string): AuditActor {
  if (kind === "user") return { kind: "user", name: actor };
  if (kind === "token") {
    const slash = actor.indexOf("/");
    return { kind: "token", name: actor.slice(0, slash), tokenId: actor.slice(slash + 1) };
  }
  return { kind: "system" };
}

function entryFromRow(r: Selectable<AuditLogTable>): AuditEntry {
  return {
    id: Number(r.id),
    at: new Date(r.at),
    actor: actorFromRow(r.actor, r.actor_kind),
    ip: r.ip,
    action: r.action,
    target: r.target,
    details: JSON.parse(r.details) as Record<string, AuditValue>,
  };
}

/** Append one entry (inside the caller's transaction when `db` is one); returns its id. */
export async function insertAudit(
  db: Kysely<Database>,
  ctx: AuditContext,
  event: AuditEvent,
): Promise<number> {
  const row = await db
    .insertInto("audit_log")
    .values({
      at: rfc3339(ctx.at),
      ...actorColumns(ctx.actor),
      action: event.action,
      target: event.target,
      details: auditDetailsJson(event.details),
      ip: ctx.ip,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

/** Newest first, paged by id. */
export async function listAudit(db: Kysely<Database>, filter: AuditFilter = {}): Promise<AuditEntry[]> {
  const limit = Math.max(1, Math.min(MAX_LIMIT, filter.limit ?? DEFAULT_LIMIT));
  let q = db.selectFrom("audit_log").selectAll();
  if (filter.before !== undefined) q = q.where("id", "<", filter.before);
  if (filter.action !== undefined) q = q.where("action", "=", filter.action);
  const name = filter.actor;
  if (name !== undefined) {
    // The user's own rows, and their tokens' (`name/…`: every such string sorts in [name/, name0), '0'
    // being the character after '/'). A range, not LIKE, because user names may contain `_`.
    q = q.where((eb) =>
      eb.or([
        eb.and([eb("actor_kind", "=", "user"), eb("actor", "=", name)]),
        eb.and([eb("actor_kind", "=", "token"), eb("actor", ">=", `${name}/`), eb("actor", "<", `${name}0`)]),
      ]),
    );
  }
  const rows = await q.orderBy("id", "desc").limit(limit).execute();
  return rows.map(entryFromRow);
}
