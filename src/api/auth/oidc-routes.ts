/**
 * @module api/auth/oidc-routes
 * Single sign-on over OpenID Connect: `GET /session/methods` (how one may sign in, for the dashboard's login page),
 * `GET /session/oidc/login` (to the provider, with PKCE, state and nonce sealed in a 10-minute cookie) and
 * `GET /session/oidc/callback` (the provider's answer checked, the identity mapped to a local user and role, the
 * same session as a password login). Browser navigations: outcomes are redirects to the dashboard, failures with
 * `?login_error=<code>`; each failure is audited and throttled per address like a wrong password.
 */
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { cookieName, readCookie, serializeCookie } from "../../auth/cookies.js";
import { SSO_LOGIN_ERRORS, type SsoLoginError } from "../../auth/oidc/login-errors.js";
import { LOGIN_STATE_TTL_MS } from "../../auth/oidc/login-state.js";
import { oidcSignInFromConfig, type OidcSignIn } from "../../auth/oidc/setup.js";
import { resolveSsoUser } from "../../auth/oidc/sso-user.js";
import type { LoginThrottle } from "../../auth/rate-limit.js";
import type { ResolvedConfig } from "../../config/schema.js";
import type { AuditDetails } from "../../store/auth-records.js";
import type { ApiDeps } from "../deps.js";
import { ApiError } from "../errors.js";
import { API_BASE_PATH } from "../openapi.js";
import { apiRoute } from "../route.js";
import type { ApiContext, ApiEnv } from "./principal.js";
import { startSession } from "./start-session.js";

/** The sign-in in progress (auth/oidc/login-state.ts): HttpOnly, SameSite=Lax, 10 minutes. */
export const OIDC_LOGIN_COOKIE = "cw_oidc";
export const OIDC_LOGIN_PATH = "/session/oidc/login";
export const OIDC_CALLBACK_PATH = "/session/oidc/callback";

/**
 * The API's single sign-on for this configuration (none without \`auth.oidc\`). Reads the client secret and the CA
 * file now: SecretError or ConfigFileError (exit 2) when they are unusable, so a daemon never starts half set up.
 */
export function oidcDepsOf(
  config: Pick<ResolvedConfig, "auth" | "publicUrl" | "configDir">,
  env: Readonly<Record<string, string | undefined>> = process.env,
): { oidc: OidcSignIn } | Record<string, never> {
  const cfg = config.auth.oidc;
  // The schema refuses auth.oidc without publicUrl; checked again for a config built in code.
  if (cfg === undefined || config.publicUrl === undefined) return {};
  const paths = { apiBase: API_BASE_PATH, loginPath: OIDC_LOGIN_PATH, callbackPath: OIDC_CALLBACK_PATH };
  const oidc = oidcSignInFromConfig(cfg, config.publicUrl, paths, { env, configDir: config.configDir });
  // Known before the first sign-out: a session from before a restart still signs out at the provider.
  if (oidc.providerLogout) void oidc.provider.prefetch();
  return { oidc };
}

const SignInMethods = z
  .object({
    password: z.boolean().openapi({ description: "Local users sign in with POST /session." }),
    oidc: z
      .object({
        name: z.string().openapi({ description: "The sign-in button's label.", example: "Contoso SSO" }),
        loginUrl: z.string().openapi({
          description: "Open it in the browser (a top-level navigation, not a fetch).",
          example: "https://certwatch.contoso.com/api/v1/session/oidc/login",
        }),
      })
      .nullable()
      .openapi({ description: "Single sign-on, when configured (auth.oidc)." }),
  })
  .openapi("SignInMethods");

const param = z.string().max(4096).optional();
const CallbackQuery = z.object({
  code: param,
  state: param,
  iss: param,
  error: param,
  error_description: param,
});

const redirect = (description: string) => ({
  description,
  headers: z.object({ Location: z.string().openapi({ description: "Where the browser goes next." }) }),
});

export function oidcRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps, throttle: LoginThrottle): void {
  const { secure } = deps;
  const loginCookie = (value: string, maxAgeSeconds: number): string =>
    // Lax, not Strict: the provider's redirect back is a cross-site navigation, which Strict would strip it from.
    serializeCookie(OIDC_LOGIN_COOKIE, value, { secure, httpOnly: true, sameSite: "Lax", maxAgeSeconds });

  const configured = (): OidcSignIn => {
    if (deps.oidc === undefined) {
      throw new ApiError("NOT_IMPLEMENTED", "single sign-on is not configured on this server (auth.oidc)");
    }
    return deps.oidc;
  };

  /** Back to the dashboard with the reason; logged and audited (no secret: reasons and subjects only). */
  const refuse = async (
    c: ApiContext,
    sso: OidcSignIn,
    reason: SsoLoginError,
    log: { detail: string; user?: string | null; subject?: string },
  ): Promise<Response> => {
    const ip = c.get("clientIp");
    // An outage of the provider is nobody's failed sign-in: logged, neither counted nor audited.
    if (reason !== "rate_limited" && reason !== "provider_unavailable") {
      throttle.failedAddress(ip ?? "unknown");
      const details: AuditDetails = {
        method: "oidc",
        reason,
        ...(log.subject !== undefined && { subject: log.subject }),
      };
      await deps.store.auth.appendAudit(
        { actor: { kind: "system" }, at: deps.now(), ip },
        { action: "session.login-failed", target: log.user ?? null, details },
      );
    }
    // A throttled address is not logged each time: that would hand it a lever on the log.
    if (reason !== "rate_limited")
      deps.log.warn("single sign-on refused", { reason, detail: log.detail, ip });
    return c.redirect(`${sso.homeUrl}?login_error=${reason}`, 302);
  };

  app.openapi(
    apiRoute(
      {
        method: "get",
        path: "/session/methods",
        tags: ["session"],
        summary: "How one may sign in",
        description:
          "For the login page: password sign-in, and single sign-on's button label and URL when configured.",
        access: "public",
        responses: {
          200: {
            description: "The sign-in methods",
            content: { "application/json": { schema: SignInMethods } },
          },
        },
      },
      secure,
    ),
    (c) =>
      c.json(
        {
          password: true,
          oidc: deps.oidc === undefined ? null : { name: deps.oidc.name, loginUrl: deps.oidc.loginUrl },
        },
        200,
      ),
  );

  app.openapi(
    apiRoute(
      {
        method: "get",
        path: OIDC_LOGIN_PATH,
        tags: ["session"],
        summary: "Start single sign-on",
        description:
          "Redirects the browser to the OpenID Connect provider (authorization code flow with PKCE S256, state and " +
          `nonce), keeping them in the \`${OIDC_LOGIN_COOKIE}\` cookie (sealed, HttpOnly, SameSite=Lax, 10 minutes). ` +
          "When the provider cannot be reached, or the address is throttled, redirects to the dashboard with " +
          "`?login_error=provider_unavailable` or `rate_limited`.",
        access: "public",
        errors: ["NOT_IMPLEMENTED"],
        responses: { 302: redirect("To the provider's authorization endpoint, or back with ?login_error=") },
      },
      secure,
    ),
    async (c) => {
      const sso = configured();
      c.header("Referrer-Policy", "no-referrer");
      const verdict = throttle.checkAddress(c.get("clientIp") ?? "unknown");
      if (!verdict.allowed) return refuse(c, sso, "rate_limited", { detail: "address throttled" });
      const begun = await sso.provider.begin();
      if (!begun.ok) return refuse(c, sso, begun.reason, { detail: begun.detail });
      c.header("Set-Cookie", loginCookie(begun.cookie, LOGIN_STATE_TTL_MS / 1000), { append: true });
      return c.redirect(begun.authorizationUrl, 302);
    },
  );

  app.openapi(
    apiRoute(
      {
        method: "get",
        path: OIDC_CALLBACK_PATH,
        tags: ["session"],
        summary: "Finish single sign-on (the redirect URI)",
        description:
          "Where the provider sends the browser back. Checks the state against the login cookie, exchanges the code " +
          "with the PKCE verifier, verifies the ID token (signature, issuer, audience, expiry, nonce), reads " +
          "userinfo, maps the identity to a local user and its role, and starts the same session as POST /session " +
          "(the session and CSRF cookies), then redirects to the dashboard. A refusal redirects to the dashboard " +
          `with \`?login_error=\` one of: ${Object.keys(SSO_LOGIN_ERRORS).join(", ")}.`,
        access: "public",
        errors: ["NOT_IMPLEMENTED"],
        request: { query: CallbackQuery },
        responses: { 302: redirect("To the dashboard, signed in or with ?login_error=") },
      },
      secure,
    ),
    async (c) => {
      const sso = configured();
      c.header("Referrer-Policy", "no-referrer");
      // The login cookie is single-use: whatever happens next, the browser forgets it.
      c.header("Set-Cookie", loginCookie("", 0), { append: true });
      const ip = c.get("clientIp");
      const verdict = throttle.checkAddress(ip ?? "unknown");
      if (!verdict.allowed) return refuse(c, sso, "rate_limited", { detail: "address throttled" });
      const params = new URL(c.req.url).searchParams;
      const sealed = readCookie(c.req.header("cookie"), cookieName(OIDC_LOGIN_COOKIE, secure));
      const verified = await sso.provider.complete(params, sealed);
      if (!verified.ok) return refuse(c, sso, verified.reason, { detail: verified.detail });
      const identity = { issuer: verified.issuer, subject: verified.subject };
      const resolved = await resolveSsoUser(deps.store.auth, identity, verified.claims, sso.policy, {
        actor: { kind: "system" },
        at: deps.now(),
        ip,
      });
      if (!resolved.ok) {
        return refuse(c, sso, resolved.reason, {
          detail: resolved.detail,
          user: resolved.userName,
          subject: verified.subject,
        });
      }
      // The ID token is kept only when the sign-out will hand it back to the provider (id_token_hint).
      const keep = sso.providerLogout && sso.provider.endSessionUrl(sso.homeUrl, null) !== null;
      await startSession(c, deps, resolved.user, "oidc", keep ? verified.idToken : null);
      return c.redirect(sso.homeUrl, 302);
    },
  );
}
