/**
 * @module auth/oidc/role-mapping
 * What an identity provider's claims mean locally: the role (values of one claim looked up in a map, the highest
 * match winning, else a default or a refusal) and the name of a user created at first sign-in. Pure functions.
 */
import { ROLES, roleAtLeast, type Role } from "../roles.js";
import { parseUserName } from "../user-name.js";

export interface RoleMapping {
  /** The claim whose values are looked up: a top-level name, or a dotted path (`realm_access.roles`). */
  readonly roleClaim: string;
  /** Claim value → role. */
  readonly roles: Readonly<Record<string, Role>>;
  /** For a user none of whose values is mapped; "none" refuses the sign-in. */
  readonly defaultRole: Role | "none";
}

/** Claims as the provider sent them (the ID token's, with the userinfo answer's). */
export type Claims = Readonly<Record<string, unknown>>;

/** Most values of the role claim looked at: a provider listing thousands of groups gets the first ones. */
const MAX_VALUES = 1000;
const MAX_DEPTH = 8;

/**
 * A claim by name: the top-level claim of exactly that name when there is one (claim names may hold dots, e.g.
 * `https://example.com/roles`), else the dotted path into nested objects.
 */
export function claimAt(claims: Claims, name: string): unknown {
  if (Object.hasOwn(claims, name)) return claims[name];
  const steps = name.split(".");
  if (steps.length < 2 || steps.length > MAX_DEPTH) return undefined;
  let at: unknown = claims;
  for (const step of steps) {
    if (typeof at !== "object" || at === null || Array.isArray(at) || !Object.hasOwn(at, step)) {
      return undefined;
    }
    at = (at as Record<string, unknown>)[step];
  }
  return at;
}

/** The claim's string values: a string is one value, a list its strings; anything else none. */
export function claimValues(claims: Claims, name: string): string[] {
  const v = claimAt(claims, name);
  if (typeof v === "string") return [v];
  if (Array.isArray(v)) return v.slice(0, MAX_VALUES).filter((x): x is string => typeof x === "string");
  return [];
}

/** The role these claims give, or null when the mapping refuses the user. */
export function mapRole(claims: Claims, mapping: RoleMapping): Role | null {
  let best: Role | null = null;
  for (const value of claimValues(claims, mapping.roleClaim)) {
    // hasOwn: a group named "toString" or "__proto__" must not reach the map through its prototype.
    if (!Object.hasOwn(mapping.roles, value)) continue;
    const role = mapping.roles[value];
    if (role === undefined || !(ROLES as readonly string[]).includes(role)) continue;
    if (best === null || roleAtLeast(role, best)) best = role;
  }
  if (best !== null) return best;
  return mapping.defaultRole === "none" ? null : mapping.defaultRole;
}

/** The claims a new user's name is taken from, in order, when none is configured. */
export const DEFAULT_USER_NAME_CLAIMS = ["preferred_username", "email"] as const;

export type UserNameFromClaims =
  | { readonly ok: true; readonly name: string; readonly claim: string }
  | { readonly ok: false; readonly claim: string };

/**
 * The local name of a user created at first sign-in: the configured claim, else `preferred_username`, else
 * `email`; it must be a valid user name (auth/user-name.ts) as it stands (nothing is rewritten into one, so two
 * identities cannot be squeezed into the same name). `claim` says which claim was used, or looked for.
 *
 * `email` counts only with `email_verified: true` (OpenID Connect Core §5.1): some providers let people type any
 * address there, and a name decides which invited user an identity is linked to (the "nOAuth" takeover).
 */
export function userNameFromClaims(claims: Claims, userNameClaim?: string): UserNameFromClaims {
  const candidates = userNameClaim !== undefined ? [userNameClaim] : DEFAULT_USER_NAME_CLAIMS;
  for (const claim of candidates) {
    const v = claimAt(claims, claim);
    if (typeof v !== "string" || v === "") continue;
    if (claim === "email" && claims.email_verified !== true) continue;
    const parsed = parseUserName(v);
    return parsed.ok ? { ok: true, name: parsed.name, claim } : { ok: false, claim };
  }
  return { ok: false, claim: candidates.join(" or ") };
}
