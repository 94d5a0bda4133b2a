/**
 * @module api/auth/guard
 * The per-route check: a caller is required (401 otherwise, 401 SESSION_EXPIRED for an ended session), a request
 * that changes state with the session cookie must carry the session's CSRF token (403 CSRF_FAILED), and the
 * caller's role must allow the route's action (403 FORBIDDEN). 401 means "who are you?", 403 "not you".
 */
import type { MiddlewareHandler } from "hono";
import { clearCookie, CSRF_COOKIE, SESSION_COOKIE } from "../../auth/cookies.js";
import { can, minimumRole, type Action } from "../../auth/roles.js";
import { csrfRequired, verifyCsrf } from "../../auth/session.js";
import { ApiError } from "../errors.js";
import type { ApiEnv } from "./principal.js";

/** The header the dashboard (and any cookie-authenticated client) echoes the CSRF token in. */
export const CSRF_HEADER = "X-CSRF-Token";

/** Set-Cookie headers deleting both cookies (an ended session must not be sent again and again). */
export function clearSessionCookies(secure: boolean): readonly string[] {
  return [clearCookie(SESSION_COOKIE, secure, true), clearCookie(CSRF_COOKIE, secure, false)];
}

export interface GuardOptions {
  /** What the caller's role must allow; null: any signed-in caller (who am I, logout). */
  readonly action: Action | null;
  /** Only a browser session will do (an API token cannot create tokens: a leaked one must not outlive revocation). */
  readonly sessionOnly?: boolean;
}

export function guard(options: GuardOptions, secure: boolean): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const auth = c.get("auth");
    if (auth.kind === "anonymous") {
      throw new ApiError(
        "UNAUTHENTICATED",
        "sign in, or send an API token as `Authorization: Bearer <token>`",
      );
    }
    if (auth.kind === "refused") {
      throw new ApiError(
        auth.code,
        auth.message,
        auth.clearSession ? { "Set-Cookie": clearSessionCookies(secure) } : {},
      );
    }
    const p = auth.principal;
    // Before the role: a forged cross-site request learns nothing, not even whether the role would allow it.
    if (p.via === "session" && csrfRequired(c.req.method)) {
      if (!verifyCsrf(c.req.header(CSRF_HEADER), p.csrfHash)) {
        throw new ApiError(
          "CSRF_FAILED",
          `missing or wrong ${CSRF_HEADER} header (it must echo the session's CSRF token)`,
        );
      }
    }
    if (options.sessionOnly === true && p.via !== "session") {
      throw new ApiError("SESSION_REQUIRED", "this needs a signed-in session; an API token cannot do it");
    }
    if (options.action !== null && !can(p.role, options.action)) {
      throw new ApiError(
        "FORBIDDEN",
        `this needs the ${minimumRole(options.action)} role (you are ${p.role === "admin" ? "an" : "a"} ${p.role})`,
      );
    }
    await next();
  };
}
