/**
 * @module auth/oidc/sso-user
 * Which local user a verified identity signs in as: the user linked to (issuer, subject), else an invited user of
 * its name (linked at this first sign-in), or — when allowed — one created for it. The role follows the provider's claims at every sign-in (a change there
 * applies here at the next one); a disabled user, an unmapped identity or a name taken by someone else is refused.
 */
import type { Role } from "../roles.js";
import {
  AuthStoreError,
  isInvited,
  type AuditContext,
  type AuthStore,
  type OidcIdentity,
  type UserRecord,
} from "../../store/auth-records.js";
import { mapRole, userNameFromClaims, type Claims, type RoleMapping } from "./role-mapping.js";

export interface SsoUserPolicy extends RoleMapping {
  /** Create a user for an identity not seen before (else only linked identities sign in). */
  readonly autoProvision: boolean;
  /** The claim a new user's name comes from (default preferred_username, else email). */
  readonly userNameClaim?: string;
}

/** Why a verified identity may not sign in (the `login_error` the browser is sent to). */
export type SsoUserRefusal =
  "no_role" | "disabled" | "not_provisioned" | "user_name_unusable" | "user_name_taken" | "last_admin";

export type SsoUserResult =
  | {
      readonly ok: true;
      readonly user: { readonly name: string; readonly role: Role };
      /** Created at this sign-in. */
      readonly created: boolean;
      /** An invited user, linked to the identity at this sign-in. */
      readonly linked?: true;
      /** The role before this sign-in changed it (undefined: unchanged or new). */
      readonly previousRole?: Role;
    }
  | {
      readonly ok: false;
      readonly reason: SsoUserRefusal;
      /** The local user concerned, when there is one (the audit entry's target). */
      readonly userName: string | null;
      /** For the log and the audit entry. */
      readonly detail: string;
    };

const refused = (reason: SsoUserRefusal, userName: string | null, detail: string): SsoUserResult => ({
  ok: false,
  reason,
  userName,
  detail,
});

/**
 * Find or create the local user of this identity and bring its role in line with the claims. Changes are made
 * (and audited) by the store as `ctx` says; the caller audits the sign-in itself.
 */
export async function resolveSsoUser(
  store: AuthStore,
  identity: OidcIdentity,
  claims: Claims,
  policy: SsoUserPolicy,
  ctx: AuditContext,
): Promise<SsoUserResult> {
  const role = mapRole(claims, policy);
  const linked = await store.getUserByOidc(identity);
  if (linked !== undefined) return signInLinked(store, linked, role, policy, ctx);
  if (role === null) {
    return refused("no_role", null, `no value of the ${policy.roleClaim} claim maps to a role`);
  }
  const named = userNameFromClaims(claims, policy.userNameClaim);
  const existing = named.ok ? await store.getUser(named.name) : undefined;
  if (existing !== undefined) {
    // Only an invited user (no password, no identity: made by an admin for exactly this) is linked by name.
    if (isInvited(existing)) return linkInvited(store, existing, identity, role, ctx);
    // Never linked by name otherwise: a provider account called "admin" must not become the local admin.
    return refused(
      "user_name_taken",
      existing.name,
      `a user named ${existing.name} exists and is not linked to it`,
    );
  }
  if (!policy.autoProvision) {
    return refused(
      "not_provisioned",
      null,
      "no user is linked to this identity or invited under its name (auto-provisioning is off)",
    );
  }
  if (!named.ok) {
    return refused(
      "user_name_unusable",
      null,
      `the ${named.claim} claim is missing or not a valid user name`,
    );
  }
  try {
    await store.createUser({ name: named.name, role, passwordHash: null, oidc: identity }, ctx);
  } catch (e) {
    // Another sign-in created the name (or linked the identity) meanwhile.
    if (e instanceof AuthStoreError && e.code === "USER_EXISTS") {
      return refused("user_name_taken", named.name, "the user was created by another sign-in meanwhile");
    }
    throw e;
  }
  return { ok: true, user: { name: named.name, role }, created: true };
}

/**
 * The first sign-in of an invited user: the admin made it for this name, so the identity of that name links to
 * it (whatever autoProvision says) and takes the claims' role. Only once: a second identity of the same name
 * finds a linked user, which is never linked again.
 */
async function linkInvited(
  store: AuthStore,
  user: UserRecord,
  identity: OidcIdentity,
  role: Role,
  ctx: AuditContext,
): Promise<SsoUserResult> {
  if (user.disabled) return refused("disabled", user.name, "the invited user is disabled");
  let result;
  try {
    result = await store.linkOidc(user.name, identity, ctx, role);
  } catch (e) {
    if (e instanceof AuthStoreError && e.code === "LAST_ADMIN") {
      return refused("last_admin", user.name, `the provider demotes ${user.name}, the last enabled admin`);
    }
    throw e;
  }
  switch (result) {
    case "linked":
      return {
        ok: true,
        user: { name: user.name, role },
        created: false,
        linked: true,
        ...(role !== user.role && { previousRole: user.role }),
      };
    case "disabled":
      return refused("disabled", user.name, "the invited user was disabled meanwhile");
    case "identity_taken":
      return refused("user_name_taken", user.name, "this identity was linked to another user meanwhile");
    default:
      // Linked by another sign-in, given a password or deleted meanwhile.
      return refused("user_name_taken", user.name, `${user.name} is no longer awaiting its first sign-in`);
  }
}

async function signInLinked(
  store: AuthStore,
  user: UserRecord,
  role: Role | null,
  policy: SsoUserPolicy,
  ctx: AuditContext,
): Promise<SsoUserResult> {
  if (user.disabled) return refused("disabled", user.name, "the user is disabled");
  if (role === null) {
    return refused("no_role", user.name, `no value of the ${policy.roleClaim} claim maps to a role`);
  }
  if (role === user.role) return { ok: true, user: { name: user.name, role }, created: false };
  try {
    await store.updateUser(user.name, { role }, ctx);
  } catch (e) {
    if (e instanceof AuthStoreError && e.code === "LAST_ADMIN") {
      return refused("last_admin", user.name, `the provider demotes ${user.name}, the last enabled admin`);
    }
    throw e;
  }
  return { ok: true, user: { name: user.name, role }, created: false, previousRole: user.role };
}
