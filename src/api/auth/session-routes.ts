/**
 * @module api/auth/session-routes
 * `POST /session` (login with a name and a password), `GET /session` (who am I, and the CSRF token),
 * `DELETE /session` (logout; after single sign-on, with the provider's sign-out URL when it has one). Login is throttled per user name and per address before any hashing, costs the same
 * for unknown names, SSO-only and disabled users as for a wrong password, answers all of them alike, and is
 * audited either way.
 */
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { CSRF_COOKIE, cookieName, readCookie } from "../../auth/cookies.js";
import {
  dummyVerify,
  hashPassword,
  needsRehash,
  PASSWORD_PARAMS,
  verifyPassword,
} from "../../auth/password.js";
import type { LoginThrottle } from "../../auth/rate-limit.js";
import { ROLES } from "../../auth/roles.js";
import { SESSION_POLICY, verifyCsrf } from "../../auth/session.js";
import { parseUserName } from "../../auth/user-name.js";
import type { AuditContext, AuditDetails } from "../../store/auth-records.js";
import type { ApiDeps } from "../deps.js";
import { ApiError } from "../errors.js";
import { apiRoute } from "../route.js";
import { clearSessionCookies } from "./guard.js";
import { principalOf, type ApiEnv } from "./principal.js";
import { startSession } from "./start-session.js";

const LoginRequest = z
  .object({
    name: z.string().min(1).max(256).openapi({ example: "alice" }),
    password: z.string().min(1).max(4096),
  })
  .openapi("LoginRequest");

const SessionInfo = z
  .object({
    user: z.object({ name: z.string(), role: z.enum(ROLES) }),
    via: z.enum(["session", "token"]),
    csrfToken: z
      .string()
      .nullable()
      .openapi({ description: "Echo it in the X-CSRF-Token header of every request that changes state." }),
    expiresAt: z.string().nullable().openapi({ description: "The session's absolute end (RFC 3339)." }),
    idleTimeoutSeconds: z.number().int().nullable(),
  })
  .openapi("Session");

const ProviderLogout = z
  .object({
    logoutUrl: z.string().openapi({
      description:
        "The provider's end-session endpoint with client_id, post_logout_redirect_uri (the dashboard) and " +
        "id_token_hint: open it in the browser (a top-level navigation) to sign out at the provider too.",
      example: "https://login.example.com/oidc/session/end?client_id=certwatch&post_logout_redirect_uri=…",
    }),
  })
  .openapi("ProviderLogout");

/** What a failed login was, for the audit log only (the client always hears the same). */
type FailureReason = "unknown-user" | "no-password" | "wrong-password" | "disabled";

/**
 * `throttle` is shared with single sign-on (oidc-routes.ts): a client address has one budget of failed sign-ins,
 * whatever the method.
 */
export function sessionRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps, throttle: LoginThrottle): void {
  const policy = deps.session ?? SESSION_POLICY;
  const params = deps.passwordParams ?? PASSWORD_PARAMS;
  const { store, secure } = deps;

  app.openapi(
    apiRoute(
      {
        method: "post",
        path: "/session",
        tags: ["session"],
        summary: "Sign in with a user name and password",
        description:
          "Sets the session cookie (HttpOnly, SameSite=Strict; Secure and `__Host-` over TLS) and the CSRF cookie, " +
          "and returns the CSRF token. Failed logins are throttled per user name (5 in 15 minutes) and per address " +
          "(20): then 429 with Retry-After.",
        access: "public",
        errors: ["INVALID_CREDENTIALS", "RATE_LIMITED", "UNSUPPORTED_MEDIA_TYPE", "BUSY"],
        request: { body: { required: true, content: { "application/json": { schema: LoginRequest } } } },
        responses: {
          200: { description: "Signed in", content: { "application/json": { schema: SessionInfo } } },
        },
      },
      secure,
    ),
    async (c) => {
      const { name: typed, password } = c.req.valid("json");
      const ip = c.get("clientIp");
      const parsed = parseUserName(typed);
      const key = parsed.ok ? parsed.name : typed;
      const verdict = throttle.check(key, ip ?? "unknown");
      if (!verdict.allowed) {
        throw new ApiError("RATE_LIMITED", "too many failed logins: retry later", {
          "Retry-After": String(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000))),
        });
      }
      const user = parsed.ok ? await store.auth.getUser(parsed.name) : undefined;
      let reason: FailureReason | undefined;
      if (user === undefined || user.passwordHash === null) {
        // The same work as a verification: timing does not tell unknown or SSO-only names from wrong passwords.
        await dummyVerify(password, params);
        reason = user === undefined ? "unknown-user" : "no-password";
      } else if (!(await verifyPassword(password, user.passwordHash))) {
        reason = "wrong-password";
      } else if (user.disabled) {
        reason = "disabled"; // verified anyway, so a disabled account answers in the same time
      }
      const now = deps.now();
      if (reason !== undefined || user === undefined) {
        throttle.failed(key, ip ?? "unknown");
        const details: AuditDetails = {
          reason: reason ?? "unknown-user",
          locked: !throttle.check(key, ip ?? "unknown").allowed,
        };
        // An unknown name is not recorded: people type their password into the name field.
        await store.auth.appendAudit(
          { actor: { kind: "system" }, at: now, ip },
          { action: "session.login-failed", target: user?.name ?? null, details },
        );
        throw new ApiError("INVALID_CREDENTIALS", "wrong user name or password");
      }
      throttle.succeeded(key);
      if (user.passwordHash !== null && needsRehash(user.passwordHash, params)) {
        // Parameters were raised since this hash was made: store a stronger one now that we have the password.
        const system: AuditContext = { actor: { kind: "system" }, at: now, ip };
        await store.auth.updateUser(
          user.name,
          { passwordHash: await hashPassword(password, params) },
          system,
        );
      }
      const started = await startSession(c, deps, user, "password");
      return c.json({ ...started, via: "session" as const }, 200);
    },
  );

  app.openapi(
    apiRoute(
      {
        method: "get",
        path: "/session",
        tags: ["session"],
        summary: "Who am I",
        description:
          "The caller's name and role. For a session, also its CSRF token (read back from the CSRF cookie; " +
          "null when that cookie is missing).",
        access: "signed-in",
        responses: {
          200: { description: "The caller", content: { "application/json": { schema: SessionInfo } } },
        },
      },
      secure,
    ),
    (c) => {
      const p = principalOf(c);
      if (p.via === "token") {
        return c.json(
          {
            user: { name: p.user, role: p.role },
            via: "token" as const,
            csrfToken: null,
            expiresAt: null,
            idleTimeoutSeconds: null,
          },
          200,
        );
      }
      const presented = readCookie(c.req.header("cookie"), cookieName(CSRF_COOKIE, secure));
      return c.json(
        {
          user: { name: p.user, role: p.role },
          via: "session" as const,
          csrfToken: presented !== undefined && verifyCsrf(presented, p.csrfHash) ? presented : null,
          expiresAt: p.expiresAt,
          idleTimeoutSeconds: Math.floor(policy.idleMs / 1000),
        },
        200,
      );
    },
  );

  app.openapi(
    apiRoute(
      {
        method: "delete",
        path: "/session",
        tags: ["session"],
        summary: "Sign out",
        description:
          "Ends the session and deletes its cookies. A session started by single sign-on, when " +
          "`auth.oidc.providerLogout` is on and the provider advertises an end-session endpoint, answers 200 with " +
          "the URL that ends the provider's session too (OpenID Connect RP-Initiated Logout); 204 otherwise.",
        access: "signed-in",
        sessionOnly: true,
        responses: {
          200: {
            description: "Signed out of certwatch; the browser goes on to the provider's sign-out",
            content: { "application/json": { schema: ProviderLogout } },
          },
          204: { description: "Signed out" },
        },
      },
      secure,
    ),
    async (c) => {
      const p = principalOf(c);
      if (p.via !== "session") throw new ApiError("SESSION_REQUIRED", "only a session can sign out");
      const sso = deps.oidc;
      let logoutUrl: string | null = null;
      if (p.method === "oidc" && sso?.providerLogout === true) {
        // Read before the session goes; the URL is made from the provider's metadata, discovered at the start or
        // at a sign-in (after a restart, at most a few seconds' wait for it here).
        const hint = (await store.auth.getSession(p.idHash))?.idTokenHint ?? null;
        logoutUrl = await sso.provider.endSessionUrlSoon(sso.homeUrl, hint);
      }
      await store.auth.deleteSession(p.idHash);
      await store.auth.appendAudit(
        { actor: { kind: "user", name: p.user }, at: deps.now(), ip: c.get("clientIp") },
        {
          action: "session.logout",
          target: p.user,
          ...(logoutUrl !== null && { details: { providerLogout: true } }),
        },
      );
      for (const cookie of clearSessionCookies(secure)) c.header("Set-Cookie", cookie, { append: true });
      if (logoutUrl !== null) return c.json({ logoutUrl }, 200);
      return c.body(null, 204);
    },
  );
}
