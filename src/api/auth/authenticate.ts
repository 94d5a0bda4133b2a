/**
 * @module api/auth/authenticate
 * Turns a request's credentials into a principal, once, before any route: an `Authorization: Bearer cw_…` API
 * token, else the session cookie. It never answers by itself: a route that needs a caller asks `guard`, which
 * turns "anonymous" and "refused" into 401 — so the login route and the OpenAPI document stay reachable.
 */
import { getConnInfo } from "@hono/node-server/conninfo";
import type { MiddlewareHandler } from "hono";
import { cookieName, readCookie, SESSION_COOKIE } from "../../auth/cookies.js";
import { hashSessionId, SESSION_POLICY, sessionState, shouldTouch } from "../../auth/session.js";
import { parseApiToken, tokenSecretMatches, tokenState } from "../../auth/tokens.js";
import type { ApiDeps } from "../deps.js";
import type { ApiEnv, AuthOutcome } from "./principal.js";

/** last_used_at of a token is written at most this often (a write per request would be wasted work). */
const TOKEN_TOUCH_MS = 60_000;

/** The peer's address as the socket has it (a reverse proxy's address when behind one). */
function clientIp(c: Parameters<MiddlewareHandler<ApiEnv>>[0]): string | null {
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null; // not served by @hono/node-server (app.request in a unit test)
  }
}

const refused = (
  code: "UNAUTHENTICATED" | "SESSION_EXPIRED",
  message: string,
  clearSession = false,
): AuthOutcome => ({ kind: "refused", code, message, clearSession });

/** An API token: parsed, found, secret compared in constant time, alive, and its user enabled. */
async function byToken(deps: ApiDeps, header: string): Promise<AuthOutcome> {
  const m = /^Bearer +(\S+) *$/i.exec(header);
  const presented = m?.[1];
  const invalid = refused("UNAUTHENTICATED", "the API token is not valid (unknown, revoked or expired)");
  if (presented === undefined) {
    return refused("UNAUTHENTICATED", "the Authorization header must be `Bearer <API token>`");
  }
  const parsed = parseApiToken(presented);
  if (parsed === undefined) return invalid;
  const record = await deps.store.auth.getApiToken(parsed.id);
  if (record === undefined || !tokenSecretMatches(parsed, record.secretHash)) return invalid;
  const now = deps.now();
  if (tokenState(record, now) !== "active") return invalid;
  const user = await deps.store.auth.getUser(record.userName);
  if (user === undefined || user.disabled) return invalid;
  const last = record.lastUsedAt === null ? NaN : Date.parse(record.lastUsedAt);
  if (!(now.getTime() - last < TOKEN_TOUCH_MS)) await deps.store.auth.touchApiToken(record.id, now);
  return {
    kind: "authenticated",
    principal: { via: "token", user: user.name, role: user.role, tokenId: record.id },
  };
}

/** The session cookie: a live session (idle and absolute limits) of an enabled user. */
async function bySession(deps: ApiDeps, presented: string): Promise<AuthOutcome> {
  const idHash = hashSessionId(presented);
  if (idHash === undefined) return refused("UNAUTHENTICATED", "no valid session", true);
  const session = await deps.store.auth.getSession(idHash);
  if (session === undefined) return refused("SESSION_EXPIRED", "the session has ended: sign in again", true);
  const now = deps.now();
  const policy = deps.session ?? SESSION_POLICY;
  const times = {
    createdAt: new Date(session.createdAt),
    lastSeenAt: new Date(session.lastSeenAt),
    expiresAt: new Date(session.expiresAt),
  };
  if (sessionState(times, now, policy) !== "active") {
    await deps.store.auth.deleteSession(idHash);
    return refused("SESSION_EXPIRED", "the session has ended: sign in again", true);
  }
  const user = await deps.store.auth.getUser(session.userName);
  if (user === undefined || user.disabled) {
    await deps.store.auth.deleteSession(idHash);
    return refused("SESSION_EXPIRED", "the session has ended: sign in again", true);
  }
  if (shouldTouch(times.lastSeenAt, now, policy)) await deps.store.auth.touchSession(idHash, now);
  return {
    kind: "authenticated",
    principal: {
      via: "session",
      user: user.name,
      role: user.role,
      idHash,
      csrfHash: session.csrfHash,
      expiresAt: session.expiresAt,
      method: session.method,
    },
  };
}

/**
 * Resolve the caller. An Authorization header wins over a cookie (a script's explicit credential); a request that
 * presents a bad one is refused rather than falling back to the cookie, so a mistake is never silently someone
 * else's identity.
 */
export function authenticate(deps: ApiDeps): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    c.set("clientIp", clientIp(c));
    const authorization = c.req.header("authorization");
    const cookie = readCookie(c.req.header("cookie"), cookieName(SESSION_COOKIE, deps.secure));
    let outcome: AuthOutcome = { kind: "anonymous" };
    if (authorization !== undefined) outcome = await byToken(deps, authorization);
    else if (cookie !== undefined && cookie !== "") outcome = await bySession(deps, cookie);
    c.set("auth", outcome);
    await next();
  };
}
