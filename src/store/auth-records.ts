/**
 * @module store/auth-records
 * What the daemon's authentication keeps in the store (users, API tokens, sessions, the audit log) and the
 * AuthStore interface over it. Secrets never reach the store: passwords, token secrets, session ids and CSRF
 * tokens arrive already hashed, and audit details are typed (and checked) so that none can be written there.
 */
import type { Role } from "../auth/roles.js";
import { CertwatchError } from "../errors.js";

/** An account as listed: nothing secret, not even the password hash. */
export interface UserInfo {
  readonly name: string;
  readonly role: Role;
  /** Signs in through this OIDC identity (null: local only). */
  readonly oidc: OidcIdentity | null;
  /** A local password is set. */
  readonly hasPassword: boolean;
  /** RFC 3339 UTC. */
  readonly createdAt: string;
  readonly disabled: boolean;
}

/**
 * Awaiting its first single sign-on ("invited"): no password and no linked identity, so nobody can sign in as it
 * until a provider account of its name does (auth/oidc/sso-user.ts), which then links to it. Only an admin makes
 * one (POST /users without a password, `certwatch user add --sso`, or removing a password).
 */
export function isInvited(u: Pick<UserInfo, "hasPassword" | "oidc">): boolean {
  return !u.hasPassword && u.oidc === null;
}

/** An account with its password hash, for login only. */
export interface UserRecord extends UserInfo {
  /** PHC scrypt string (auth/password.ts); null for an SSO-only user. */
  readonly passwordHash: string | null;
}

export interface OidcIdentity {
  readonly issuer: string;
  readonly subject: string;
}

export interface NewUser {
  /** Canonical (auth/user-name.ts). */
  readonly name: string;
  readonly role: Role;
  readonly passwordHash: string | null;
  readonly oidc?: OidcIdentity;
}

/** What updateUser may change; a password change or disabling also ends the user's sessions. */
export interface UserChange {
  readonly role?: Role;
  readonly passwordHash?: string | null;
  readonly disabled?: boolean;
}

/**
 * What linkOidc did: linked; or refused, changing nothing — no such user, a user that is not (or no longer)
 * invited, a disabled one, or an identity already linked to another user.
 */
export type OidcLinkResult = "linked" | "no_such_user" | "not_invited" | "disabled" | "identity_taken";

/** An API token as listed: no secret, no hash. */
export interface ApiTokenInfo {
  /** The public part of `cw_<id>_<secret>`. */
  readonly id: string;
  readonly userName: string;
  /** What the user called it ("grafana", "ci"). */
  readonly name: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
}

/** An API token with the SHA-256 of its secret, for authentication only. */
export interface ApiTokenRecord extends ApiTokenInfo {
  readonly secretHash: string;
}

export interface NewApiToken {
  readonly id: string;
  readonly userName: string;
  readonly name: string;
  readonly secretHash: string;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
}

export interface SessionRecord {
  /** SHA-256 of the cookie value. */
  readonly idHash: string;
  readonly userName: string;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  /** The absolute end; the idle end follows from lastSeenAt and the policy (auth/session.ts). */
  readonly expiresAt: string;
  readonly csrfHash: string;
  readonly ip: string | null;
  /** Truncated to MAX_USER_AGENT characters. */
  readonly userAgent: string | null;
  /** How the session was started. */
  readonly method: SignInMethod;
  /**
   * A single sign-on session's ID token from the provider, sent back to it only as the `id_token_hint` of the
   * sign-out (RP-initiated logout); null for password sessions and when it was not kept. Never logged.
   */
  readonly idTokenHint: string | null;
}

/** How a session was started: a password (POST /session) or single sign-on. */
export type SignInMethod = "password" | "oidc";

export interface NewSession {
  readonly idHash: string;
  readonly userName: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly csrfHash: string;
  readonly ip: string | null;
  readonly userAgent: string | null;
  /** Default `password`. */
  readonly method?: SignInMethod;
  /** Default null; at most MAX_ID_TOKEN_HINT characters (the caller keeps none rather than a longer one). */
  readonly idTokenHint?: string | null;
}

/** The longest ID token a session keeps for the sign-out (it goes into a URL; 16 KiB holds large group claims). */
export const MAX_ID_TOKEN_HINT = 16_384;

export const MAX_USER_AGENT = 256;

/** Who did it: a signed-in user, an API token (and whose), or certwatch itself (CLI, first run, daemon). */
export type AuditActor =
  | { readonly kind: "user"; readonly name: string }
  | { readonly kind: "token"; readonly name: string; readonly tokenId: string }
  | { readonly kind: "system" };

/** Who, when and from where: every change takes one, and writes its audit entry in its own transaction. */
export interface AuditContext {
  readonly actor: AuditActor;
  readonly at: Date;
  readonly ip: string | null;
}

/** A detail value: a scalar or a list of strings. Nothing nested, where a secret could hide unnoticed. */
export type AuditValue = string | number | boolean | null | readonly string[];

/** Keys that would carry a secret: refused by the type here, and (with any key that names one) at run time. */
type SecretKey =
  | "password"
  | "passwordHash"
  | "secret"
  | "secretHash"
  | "token"
  | "apiToken"
  | "csrf"
  | "csrfToken"
  | "cookie"
  | "session"
  | "sessionId"
  | "authorization";

export type AuditDetails = { readonly [key: string]: AuditValue } & { readonly [K in SecretKey]?: never };

/** What happened: `<object>.<verb>` (user.create, token.revoke, login.failure, alert.acknowledge …). */
export type AuditAction = `${string}.${string}`;

export interface AuditEvent {
  readonly action: AuditAction;
  /** What it was done to (a user name, a token id, an alert id), when anything. */
  readonly target: string | null;
  readonly details?: AuditDetails;
}

export interface AuditEntry extends AuditContext {
  readonly id: number;
  readonly action: string;
  readonly target: string | null;
  readonly details: Readonly<Record<string, AuditValue>>;
}

export interface AuditFilter {
  /** Entries with a smaller id (the cursor: the last id of the previous page). */
  readonly before?: number;
  /** Default 100, at most 1,000. */
  readonly limit?: number;
  /** A user name: their own actions and their tokens'. */
  readonly actor?: string;
  readonly action?: string;
}

export type AuthStoreErrorCode =
  "USER_EXISTS" | "NO_SUCH_USER" | "LAST_ADMIN" | "TOKEN_EXISTS" | "AUDIT_DETAILS_REFUSED";

/** A refused change; `code` says which rule (the HTTP layer maps it to 409, 404, 400). */
export class AuthStoreError extends CertwatchError {
  constructor(
    readonly code: AuthStoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "AuthStoreError";
  }
}

export interface AuthStore {
  // --- Users. Every change writes its audit entry in the same transaction. ---------------------------------
  /** USER_EXISTS when the name, or the OIDC identity, is taken. */
  createUser(user: NewUser, ctx: AuditContext): Promise<void>;
  getUser(name: string): Promise<UserRecord | undefined>;
  getUserByOidc(identity: OidcIdentity): Promise<UserRecord | undefined>;
  listUsers(): Promise<UserInfo[]>;
  /**
   * Change a user; false when there is none. A new (or removed) password or disabling ends the user's sessions.
   * LAST_ADMIN when no enabled admin would remain (nobody could manage users any more), or when a removed password
   * would leave no enabled admin with a password or a linked identity (nobody could sign in as one).
   */
  updateUser(name: string, change: UserChange, ctx: AuditContext): Promise<boolean>;
  /**
   * Link an invited user (isInvited, and not disabled) to this identity, setting `role` in the same transaction
   * when given. A compare-and-set: of two sign-ins racing for one invitation, one links and the other gets
   * `not_invited`. Audited as `user.link-sso` (and a role change as `user.update`, as for any SSO sign-in);
   * LAST_ADMIN when the role would leave no enabled admin (nothing is linked then).
   */
  linkOidc(name: string, identity: OidcIdentity, ctx: AuditContext, role?: Role): Promise<OidcLinkResult>;
  /** Delete a user with its tokens and sessions; false when there is none. LAST_ADMIN as for updateUser. */
  deleteUser(name: string, ctx: AuditContext): Promise<boolean>;

  // --- API tokens -----------------------------------------------------------------------------------------
  /** NO_SUCH_USER, TOKEN_EXISTS (an id collision: generate another). */
  createApiToken(token: NewApiToken, ctx: AuditContext): Promise<void>;
  getApiToken(id: string): Promise<ApiTokenRecord | undefined>;
  /** Every token, or one user's, newest first. */
  listApiTokens(userName?: string): Promise<ApiTokenInfo[]>;
  /** Record a use (not audited: reads are not changes). */
  touchApiToken(id: string, now: Date): Promise<void>;
  /** False when unknown or already revoked. */
  revokeApiToken(id: string, ctx: AuditContext): Promise<boolean>;

  // --- Sessions (login and logout are audited by the caller, with appendAudit) ----------------------------
  createSession(session: NewSession): Promise<void>;
  getSession(idHash: string): Promise<SessionRecord | undefined>;
  touchSession(idHash: string, now: Date): Promise<void>;
  deleteSession(idHash: string): Promise<boolean>;
  deleteUserSessions(userName: string): Promise<number>;
  /** Delete sessions past their absolute end (`expires_at <= now`) or idle since `idleBefore`; returns how many. */
  pruneSessions(now: Date, idleBefore: Date): Promise<number>;

  // --- Audit log --------------------------------------------------------------------------------------------
  /** Append one entry; AUDIT_DETAILS_REFUSED when a detail looks like a secret. Returns its id. */
  appendAudit(ctx: AuditContext, event: AuditEvent): Promise<number>;
  /** Newest first. */
  listAudit(filter?: AuditFilter): Promise<AuditEntry[]>;
}
