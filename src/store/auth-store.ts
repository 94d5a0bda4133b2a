/**
 * @module store/auth-store
 * The authentication half of KyselyStore: users, API tokens and sessions over one Kysely instance (SQLite or
 * PostgreSQL). Every change to a user or a token writes its audit entry in the same transaction.
 */
import type { Kysely, Selectable, Transaction } from "kysely";
import { isRole, type Role } from "../auth/roles.js";
import { rfc3339 } from "../domain/alert.js";
import { insertAudit, listAudit } from "./audit-log.js";
import type {
  ApiTokenInfo,
  ApiTokenRecord,
  AuditContext,
  AuthStore,
  NewApiToken,
  NewSession,
  NewUser,
  OidcIdentity,
  OidcLinkResult,
  SessionRecord,
  UserChange,
  UserInfo,
  UserRecord,
} from "./auth-records.js";
import { AuthStoreError, isInvited, MAX_ID_TOKEN_HINT, MAX_USER_AGENT } from "./auth-records.js";
import type { StoreDialect } from "./dialect.js";
import type { ApiTokensTable, Database, SessionsTable, UsersTable } from "./schema.js";

type Db = Kysely<Database>;
type Trx = Transaction<Database>;

/** Serializes user changes on PostgreSQL, so two admins demoting each other cannot both succeed. */
const USERS_LOCK = "auth:users";

function userFromRow(r: Selectable<UsersTable>): UserRecord {
  // A role this version does not know (a newer version wrote it, or the row was edited) cannot sign in.
  const role = r.role;
  const known = isRole(role);
  return {
    name: r.name,
    role: known ? role : "viewer",
    oidc:
      r.oidc_issuer !== null && r.oidc_subject !== null
        ? { issuer: r.oidc_issuer, subject: r.oidc_subject }
        : null,
    hasPassword: r.password_hash !== null,
    passwordHash: r.password_hash,
    createdAt: r.created_at,
    disabled: !known || Number(r.disabled) !== 0,
  };
}

function infoOf(u: UserRecord): UserInfo {
  const { passwordHash: _hash, ...info } = u;
  return info;
}

function tokenFromRow(r: Selectable<ApiTokensTable>): ApiTokenRecord {
  return {
    id: r.id,
    userName: r.user_name,
    name: r.name,
    secretHash: r.secret_hash,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
  };
}

function sessionFromRow(r: Selectable<SessionsTable>): SessionRecord {
  return {
    idHash: r.id_hash,
    userName: r.user_name,
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
    expiresAt: r.expires_at,
    csrfHash: r.csrf_hash,
    ip: r.ip,
    userAgent: r.user_agent,
    method: r.method === "oidc" ? "oidc" : "password",
    idTokenHint: r.id_token_hint,
  };
}

async function findUser(db: Db, name: string): Promise<UserRecord | undefined> {
  const row = await db.selectFrom("users").selectAll().where("name", "=", name).executeTakeFirst();
  return row === undefined ? undefined : userFromRow(row);
}

async function enabledAdmins(trx: Trx): Promise<number> {
  const row = await trx
    .selectFrom("users")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("role", "=", "admin")
    .where("disabled", "=", 0)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** After a change to `before` (an enabled admin until now): refuse it when no enabled admin is left. */
async function keepAnAdmin(trx: Trx, before: UserRecord): Promise<void> {
  if (before.role !== "admin" || before.disabled) return;
  if ((await enabledAdmins(trx)) === 0) {
    throw new AuthStoreError("LAST_ADMIN", `${before.name} is the last enabled admin`);
  }
}

/**
 * After a password was removed from `before`: refuse it when no enabled admin is left that someone can sign in as
 * (with a password or a linked identity). An invited admin does not count: if single sign-on stops working (or
 * its claims never map to admin), nobody could become it.
 */
async function keepASignInAdmin(trx: Trx, before: UserRecord): Promise<void> {
  if (before.role !== "admin" || before.disabled || before.oidc !== null) return;
  const row = await trx
    .selectFrom("users")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("role", "=", "admin")
    .where("disabled", "=", 0)
    .where((eb) => eb.or([eb("password_hash", "is not", null), eb("oidc_issuer", "is not", null)]))
    .executeTakeFirstOrThrow();
  if (Number(row.n) === 0) {
    throw new AuthStoreError(
      "LAST_ADMIN",
      `${before.name} is the last enabled admin with a password or a single sign-on identity`,
    );
  }
}

export async function createUser(db: Db, d: StoreDialect, user: NewUser, ctx: AuditContext): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await d.lockKeys(trx, [USERS_LOCK]);
    if ((await findUser(trx, user.name)) !== undefined) {
      throw new AuthStoreError("USER_EXISTS", `user ${user.name} exists`);
    }
    if (user.oidc !== undefined && (await getUserByOidc(trx, user.oidc)) !== undefined) {
      throw new AuthStoreError("USER_EXISTS", `another user signs in as this OIDC identity`);
    }
    await trx
      .insertInto("users")
      .values({
        name: user.name,
        role: user.role,
        password_hash: user.passwordHash,
        oidc_issuer: user.oidc?.issuer ?? null,
        oidc_subject: user.oidc?.subject ?? null,
        created_at: rfc3339(ctx.at),
        disabled: 0,
      })
      .execute();
    await insertAudit(trx, ctx, {
      action: "user.create",
      target: user.name,
      details: {
        role: user.role,
        hasPassword: user.passwordHash !== null,
        sso: user.oidc !== undefined,
        // Neither: awaiting its first single sign-on (an invitation).
        ...(user.passwordHash === null && user.oidc === undefined && { invited: true }),
      },
    });
  });
}

export function getUser(db: Db, name: string): Promise<UserRecord | undefined> {
  return findUser(db, name);
}

export async function getUserByOidc(db: Db, identity: OidcIdentity): Promise<UserRecord | undefined> {
  const row = await db
    .selectFrom("users")
    .selectAll()
    .where("oidc_issuer", "=", identity.issuer)
    .where("oidc_subject", "=", identity.subject)
    .executeTakeFirst();
  return row === undefined ? undefined : userFromRow(row);
}

export async function listUsers(db: Db): Promise<UserInfo[]> {
  const rows = await db.selectFrom("users").selectAll().orderBy("name").execute();
  return rows.map((r) => infoOf(userFromRow(r)));
}

export async function updateUser(
  db: Db,
  d: StoreDialect,
  name: string,
  change: UserChange,
  ctx: AuditContext,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await d.lockKeys(trx, [USERS_LOCK]);
    const before = await findUser(trx, name);
    if (before === undefined) return false;
    const set: { role?: string; password_hash?: string | null; disabled?: number } = {};
    if (change.role !== undefined) set.role = change.role;
    if (change.passwordHash !== undefined) set.password_hash = change.passwordHash;
    if (change.disabled !== undefined) set.disabled = change.disabled ? 1 : 0;
    if (Object.keys(set).length === 0) return true;
    await trx.updateTable("users").set(set).where("name", "=", name).execute();
    await keepAnAdmin(trx, before);
    if (change.passwordHash === null && before.passwordHash !== null) await keepASignInAdmin(trx, before);
    // Whoever held the old password, or a session of a now disabled account, is signed out.
    const endSessions = change.passwordHash !== undefined || change.disabled === true;
    const ended = endSessions ? await deleteUserSessions(trx, name) : 0;
    await insertAudit(trx, ctx, {
      action: "user.update",
      target: name,
      details: {
        ...(change.role !== undefined && { role: change.role, previousRole: before.role }),
        ...(change.disabled !== undefined && { disabled: change.disabled }),
        ...(change.passwordHash !== undefined &&
          (change.passwordHash === null ? { passwordRemoved: true } : { passwordChanged: true })),
        ...(endSessions && { sessionsEnded: ended }),
      },
    });
    return true;
  });
}

export async function linkOidc(
  db: Db,
  d: StoreDialect,
  name: string,
  identity: OidcIdentity,
  ctx: AuditContext,
  role?: Role,
): Promise<OidcLinkResult> {
  return db.transaction().execute(async (trx) => {
    await d.lockKeys(trx, [USERS_LOCK]);
    const holder = await getUserByOidc(trx, identity);
    if (holder !== undefined) return holder.name === name ? "not_invited" : "identity_taken";
    // The compare-and-set: only a user still invited and enabled takes the identity, whatever ran meanwhile.
    const linked = await trx
      .updateTable("users")
      .set({ oidc_issuer: identity.issuer, oidc_subject: identity.subject })
      .where("name", "=", name)
      .where("password_hash", "is", null)
      .where("oidc_issuer", "is", null)
      .where("oidc_subject", "is", null)
      .where("disabled", "=", 0)
      .executeTakeFirst();
    if (Number(linked.numUpdatedRows) !== 1) {
      const user = await findUser(trx, name);
      if (user === undefined) return "no_such_user";
      return user.disabled && isInvited(user) ? "disabled" : "not_invited";
    }
    await insertAudit(trx, ctx, {
      action: "user.link-sso",
      target: name,
      details: { issuer: identity.issuer, subject: identity.subject },
    });
    const before = await findUser(trx, name);
    if (role !== undefined && before !== undefined && before.role !== role) {
      await trx.updateTable("users").set({ role }).where("name", "=", name).execute();
      await keepAnAdmin(trx, before);
      await insertAudit(trx, ctx, {
        action: "user.update",
        target: name,
        details: { role, previousRole: before.role },
      });
    }
    return "linked";
  });
}

export async function deleteUser(db: Db, d: StoreDialect, name: string, ctx: AuditContext): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await d.lockKeys(trx, [USERS_LOCK]);
    const before = await findUser(trx, name);
    if (before === undefined) return false;
    // Explicit, not only ON DELETE CASCADE: a connection opened without foreign keys must not leave them.
    const sessions = await deleteUserSessions(trx, name);
    const tokens = await trx.deleteFrom("api_tokens").where("user_name", "=", name).executeTakeFirst();
    await trx.deleteFrom("users").where("name", "=", name).execute();
    await keepAnAdmin(trx, before);
    await insertAudit(trx, ctx, {
      action: "user.delete",
      target: name,
      details: { role: before.role, sessionsEnded: sessions, tokensDeleted: Number(tokens.numDeletedRows) },
    });
    return true;
  });
}

export async function createApiToken(db: Db, token: NewApiToken, ctx: AuditContext): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if ((await findUser(trx, token.userName)) === undefined) {
      throw new AuthStoreError("NO_SUCH_USER", `no user ${token.userName}`);
    }
    const taken = await trx
      .selectFrom("api_tokens")
      .select("id")
      .where("id", "=", token.id)
      .executeTakeFirst();
    if (taken !== undefined) throw new AuthStoreError("TOKEN_EXISTS", `token id ${token.id} is taken`);
    const expiresAt = token.expiresAt === null ? null : rfc3339(token.expiresAt);
    await trx
      .insertInto("api_tokens")
      .values({
        id: token.id,
        user_name: token.userName,
        name: token.name,
        secret_hash: token.secretHash,
        created_at: rfc3339(token.createdAt),
        last_used_at: null,
        expires_at: expiresAt,
        revoked_at: null,
      })
      .execute();
    await insertAudit(trx, ctx, {
      action: "token.create",
      target: token.id,
      details: { user: token.userName, name: token.name, expiresAt },
    });
  });
}

export async function getApiToken(db: Db, id: string): Promise<ApiTokenRecord | undefined> {
  const row = await db.selectFrom("api_tokens").selectAll().where("id", "=", id).executeTakeFirst();
  return row === undefined ? undefined : tokenFromRow(row);
}

export async function listApiTokens(db: Db, userName?: string): Promise<ApiTokenInfo[]> {
  let q = db.selectFrom("api_tokens").selectAll();
  if (userName !== undefined) q = q.where("user_name", "=", userName);
  const rows = await q.orderBy("created_at", "desc").orderBy("id").execute();
  return rows.map((r) => {
    const { secretHash: _hash, ...info } = tokenFromRow(r);
    return info;
  });
}

export async function touchApiToken(db: Db, id: string, now: Date): Promise<void> {
  await db
    .updateTable("api_tokens")
    .set({ last_used_at: rfc3339(now) })
    .where("id", "=", id)
    .execute();
}

export async function revokeApiToken(db: Db, id: string, ctx: AuditContext): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom("api_tokens").selectAll().where("id", "=", id).executeTakeFirst();
    if (row === undefined || row.revoked_at !== null) return false;
    await trx
      .updateTable("api_tokens")
      .set({ revoked_at: rfc3339(ctx.at) })
      .where("id", "=", id)
      .execute();
    await insertAudit(trx, ctx, {
      action: "token.revoke",
      target: id,
      details: { user: row.user_name, name: row.name },
    });
    return true;
  });
}

export async function createSession(db: Db, s: NewSession): Promise<void> {
  await db
    .insertInto("sessions")
    .values({
      id_hash: s.idHash,
      user_name: s.userName,
      created_at: rfc3339(s.createdAt),
      last_seen_at: rfc3339(s.createdAt),
      expires_at: rfc3339(s.expiresAt),
      csrf_hash: s.csrfHash,
      ip: s.ip === null ? null : s.ip.slice(0, 64),
      user_agent: s.userAgent === null ? null : s.userAgent.slice(0, MAX_USER_AGENT),
      method: s.method ?? "password",
      id_token_hint:
        s.idTokenHint === undefined || s.idTokenHint === null || s.idTokenHint.length > MAX_ID_TOKEN_HINT
          ? null
          : s.idTokenHint,
    })
    .execute();
}

export async function getSession(db: Db, idHash: string): Promise<SessionRecord | undefined> {
  const row = await db.selectFrom("sessions").selectAll().where("id_hash", "=", idHash).executeTakeFirst();
  return row === undefined ? undefined : sessionFromRow(row);
}

export async function touchSession(db: Db, idHash: string, now: Date): Promise<void> {
  const at = rfc3339(now);
  // Never backwards: two requests finishing out of order must not shorten the idle deadline.
  await db
    .updateTable("sessions")
    .set({ last_seen_at: at })
    .where("id_hash", "=", idHash)
    .where("last_seen_at", "<", at)
    .execute();
}

export async function deleteSession(db: Db, idHash: string): Promise<boolean> {
  const r = await db.deleteFrom("sessions").where("id_hash", "=", idHash).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function deleteUserSessions(db: Db, userName: string): Promise<number> {
  const r = await db.deleteFrom("sessions").where("user_name", "=", userName).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function pruneSessions(db: Db, now: Date, idleBefore: Date): Promise<number> {
  // RFC 3339 UTC text of one fixed shape sorts as time does.
  const r = await db
    .deleteFrom("sessions")
    .where((eb) =>
      eb.or([eb("expires_at", "<=", rfc3339(now)), eb("last_seen_at", "<=", rfc3339(idleBefore))]),
    )
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** The AuthStore over one Kysely instance (what KyselyStore exposes as `store.auth`). */
export function authStoreOver(db: Db, d: StoreDialect): AuthStore {
  return {
    createUser: (user, ctx) => createUser(db, d, user, ctx),
    getUser: (name) => getUser(db, name),
    getUserByOidc: (identity) => getUserByOidc(db, identity),
    listUsers: () => listUsers(db),
    updateUser: (name, change, ctx) => updateUser(db, d, name, change, ctx),
    linkOidc: (name, identity, ctx, role) => linkOidc(db, d, name, identity, ctx, role),
    deleteUser: (name, ctx) => deleteUser(db, d, name, ctx),
    createApiToken: (token, ctx) => createApiToken(db, token, ctx),
    getApiToken: (id) => getApiToken(db, id),
    listApiTokens: (userName) => listApiTokens(db, userName),
    touchApiToken: (id, now) => touchApiToken(db, id, now),
    revokeApiToken: (id, ctx) => revokeApiToken(db, id, ctx),
    createSession: (s) => createSession(db, s),
    getSession: (idHash) => getSession(db, idHash),
    touchSession: (idHash, now) => touchSession(db, idHash, now),
    deleteSession: (idHash) => deleteSession(db, idHash),
    deleteUserSessions: (userName) => deleteUserSessions(db, userName),
    pruneSessions: (now, idleBefore) => pruneSessions(db, now, idleBefore),
    appendAudit: (ctx, event) => insertAudit(db, ctx, event),
    listAudit: (filter) => listAudit(db, filter),
  };
}
