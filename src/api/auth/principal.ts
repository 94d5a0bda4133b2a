/**
 * @module api/auth/principal
 * Who is calling: a user signed in with a session cookie, or an API token acting as its user. Resolved once per
 * request (authenticate.ts) into the request's context; routes read it through these helpers.
 */
import type { Context } from "hono";
import type { Role } from "../../auth/roles.js";
import type { AuditContext, SignInMethod } from "../../store/auth-records.js";
import type { ApiErrorCode } from "../errors.js";

export interface SessionPrincipal {
  readonly via: "session";
  readonly user: string;
  /** The user's role now (read on every request, so a demotion takes effect at once). */
  readonly role: Role;
  readonly idHash: string;
  readonly csrfHash: string;
  /** The absolute end, RFC 3339. */
  readonly expiresAt: string;
  /** How the session was started (a single sign-on session may end the provider's session at sign-out). */
  readonly method: SignInMethod;
}

export interface TokenPrincipal {
  readonly via: "token";
  readonly user: string;
  readonly role: Role;
  readonly tokenId: string;
}

export type Principal = SessionPrincipal | TokenPrincipal;

/** What authentication made of the request's credentials. */
export type AuthOutcome =
  | { readonly kind: "anonymous" }
  | { readonly kind: "authenticated"; readonly principal: Principal }
  /** Credentials were presented but are not valid; the route answers 401 with this code if it needs any. */
  | {
      readonly kind: "refused";
      readonly code: ApiErrorCode;
      readonly message: string;
      readonly clearSession: boolean;
    };

/** The request-scoped values of the API's Hono app. */
export interface ApiEnv {
  Variables: {
    auth: AuthOutcome;
    /** The peer's address (null when unknown). */
    clientIp: string | null;
  };
}

export type ApiContext = Context<ApiEnv>;

/** The caller, for a route behind `guard` (which has already refused anonymous requests). */
export function principalOf(c: Context<ApiEnv>): Principal {
  const auth = c.get("auth");
  if (auth.kind !== "authenticated") throw new Error("principalOf used on a route without a guard");
  return auth.principal;
}

/** Who did a change, for the audit log: a user, or a token as its user. */
export function auditContextOf(c: Context<ApiEnv>, now: Date): AuditContext {
  const p = principalOf(c);
  return {
    actor:
      p.via === "token"
        ? { kind: "token", name: p.user, tokenId: p.tokenId }
        : { kind: "user", name: p.user },
    at: now,
    ip: c.get("clientIp"),
  };
}
