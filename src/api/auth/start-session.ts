/**
 * @module api/auth/start-session
 * The end of every successful sign-in, password or single sign-on alike: a new session (never a promoted old one),
 * its session and CSRF cookies on the answer, and the `session.login` audit entry saying how the user signed in.
 */
import { csrfCookie, sessionCookie } from "../../auth/cookies.js";
import type { Role } from "../../auth/roles.js";
import { newSession, SESSION_POLICY } from "../../auth/session.js";
import { rfc3339 } from "../../domain/alert.js";
import type { SignInMethod } from "../../store/auth-records.js";
import type { ApiDeps } from "../deps.js";
import type { ApiContext } from "./principal.js";

export interface StartedSession {
  readonly user: { readonly name: string; readonly role: Role };
  /** Echoed in X-CSRF-Token by the client (also in the CSRF cookie). */
  readonly csrfToken: string;
  /** The absolute end, RFC 3339. */
  readonly expiresAt: string;
  readonly idleTimeoutSeconds: number;
}

/**
 * Start a session for `user` on this answer; `method` is recorded with the session and in the audit entry. A single
 * sign-on keeps the provider's ID token with the session when the sign-out will send it back to the provider.
 */
export async function startSession(
  c: ApiContext,
  deps: ApiDeps,
  user: { readonly name: string; readonly role: Role },
  method: SignInMethod,
  idTokenHint: string | null = null,
): Promise<StartedSession> {
  const { store, secure } = deps;
  const policy = deps.session ?? SESSION_POLICY;
  const now = deps.now();
  const ip = c.get("clientIp");
  // A session cookie from before (another account, or a stale one) is ended: one browser, one session.
  const before = c.get("auth");
  if (before.kind === "authenticated" && before.principal.via === "session") {
    await store.auth.deleteSession(before.principal.idHash);
  }
  await store.auth.pruneSessions(now, new Date(now.getTime() - policy.idleMs));
  const session = newSession(now, policy);
  await store.auth.createSession({
    idHash: session.idHash,
    userName: user.name,
    createdAt: session.createdAt,
    expiresAt: session.expiresAt,
    csrfHash: session.csrfHash,
    ip,
    userAgent: c.req.header("user-agent") ?? null,
    method,
    idTokenHint,
  });
  await store.auth.appendAudit(
    { actor: { kind: "user", name: user.name }, at: now, ip },
    { action: "session.login", target: user.name, details: { method } },
  );
  const maxAge = Math.floor(policy.absoluteMs / 1000);
  c.header("Set-Cookie", sessionCookie(session.id, secure, maxAge), { append: true });
  c.header("Set-Cookie", csrfCookie(session.csrfToken, secure, maxAge), { append: true });
  return {
    user: { name: user.name, role: user.role },
    csrfToken: session.csrfToken,
    expiresAt: rfc3339(session.expiresAt),
    idleTimeoutSeconds: Math.floor(policy.idleMs / 1000),
  };
}
