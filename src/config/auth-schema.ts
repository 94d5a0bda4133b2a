/**
 * @module config/auth-schema
 * The `auth:` block of certwatch.yaml: how long a browser session of the dashboard and REST API lasts, and single
 * sign-on through an OpenID Connect provider (`auth.oidc`). Users and API tokens live in the store (`certwatch user
 * add`), never in the configuration; the client secret is a reference to an environment variable or a file.
 */
import { z } from "zod";
import { ROLES } from "../auth/roles.js";
import type { SessionPolicy } from "../auth/session.js";
import { SESSION_POLICY } from "../auth/session.js";
import { secretRef } from "./notify-schema.js";
import type { Parsed } from "./schema-kit.js";
import { filePath, int, parsedString, quote, strict } from "./schema-kit.js";

/**
 * The provider's issuer identifier: https only (the identity of every user rests on what it answers), no user
 * name or password, no query or fragment (OpenID Connect Discovery §2). A provider under a private CA is reached
 * over https with `caFile`.
 */
export function parseIssuer(input: string): Parsed<string> {
  let u: URL;
  try {
    u = new URL(input.trim());
  } catch {
    return { error: `must be the provider's issuer URL, https://… (got ${quote(input)})` };
  }
  if (u.protocol !== "https:") {
    return {
      error: `must be an https:// URL (got ${quote(u.protocol)}): sign-in trusts what the issuer answers; for a provider under a private CA, set caFile`,
    };
  }
  if (u.username !== "" || u.password !== "") return { error: "must not hold a user name or password" };
  if (u.search !== "" || u.hash !== "") return { error: "must not have a query (?…) or a fragment (#…)" };
  // The issuer as the provider states it: a bare origin without its trailing slash (https://idp.example.com).
  return { value: u.pathname === "/" ? u.origin : u.href.replace(/\/+$/, "") };
}

/** An OAuth scope token (RFC 6749 §3.3). */
const scope = z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/, "must be one scope name, without spaces");

/** A claim name: a top-level claim (`groups`, `https://example.com/roles`) or a dotted path into one. */
const claimName = z.string().trim().min(1).max(256);

export const oidcSchema = strict({
  /** The provider's issuer identifier; its discovery document is at <issuer>/.well-known/openid-configuration. */
  issuer: parsedString(parseIssuer),
  clientId: z.string().trim().min(1).max(256),
  /** `{ env: VARIABLE }` or `{ file: ./path }`, never the secret itself. */
  clientSecret: secretRef,
  /** The sign-in button's label on the dashboard. */
  name: z.string().trim().min(1).max(64).default("Single sign-on"),
  scopes: z
    .array(scope)
    .min(1)
    .max(32)
    .default(["openid", "email", "profile"])
    .refine((s) => s.includes("openid"), "must include openid (an OpenID Connect sign-in needs it)")
    .transform((s) => [...new Set(s)]),
  /** The claim whose values (a string or a list of strings) are looked up in `roles`. */
  roleClaim: claimName.default("groups"),
  /** Claim value → role; of several matching values the highest role wins. */
  roles: z.record(z.string().min(1).max(256), z.enum(ROLES)).default({}),
  /** The role of a user none of whose claim values is in `roles`; `none` refuses the sign-in. */
  defaultRole: z.enum([...ROLES, "none"] as const).default("none"),
  /** Create the local user at the first sign-in of an identity certwatch has not seen. */
  autoProvision: z.boolean().default(true),
  /** The claim that names a new user; default `preferred_username`, else `email`. */
  userNameClaim: claimName.optional(),
  /** PEM roots trusted for the provider instead of the bundled ones (relative to this file). */
  caFile: filePath.optional(),
  /**
   * Signing out of a single sign-on session also ends the provider's session (RP-initiated logout), when the
   * provider advertises an end_session_endpoint.
   */
  providerLogout: z.boolean().default(true),
});

export type OidcConfig = z.output<typeof oidcSchema>;

export const authSchema = strict({
  /** Signed out after this long without a request (OWASP: minutes, not hours). */
  sessionIdleMinutes: int(1, 1440, SESSION_POLICY.idleMs / 60_000),
  /** And this long after signing in, however active. */
  sessionMaxHours: int(1, 720, SESSION_POLICY.absoluteMs / 3_600_000),
  oidc: oidcSchema.optional(),
}).prefault({});

/** The session policy the API enforces for this configuration. */
export function sessionPolicyOf(auth: z.output<typeof authSchema>): SessionPolicy {
  return {
    ...SESSION_POLICY,
    idleMs: auth.sessionIdleMinutes * 60_000,
    absoluteMs: auth.sessionMaxHours * 3_600_000,
  };
}

/**
 * Checks across blocks: single sign-on needs `publicUrl`, because the redirect URI registered at the provider is
 * built from it (behind a proxy, the address a request arrived on is not the one the browser used).
 */
export function checkAuthAgainstConfig(
  config: { readonly publicUrl?: string | undefined; readonly auth: { readonly oidc?: unknown } },
  ctx: z.RefinementCtx,
): void {
  if (config.auth.oidc !== undefined && config.publicUrl === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["auth", "oidc"],
      message:
        "single sign-on needs publicUrl (the address people open the dashboard at): the redirect URI to register at the provider is <publicUrl>/api/v1/session/oidc/callback",
    });
  }
}
