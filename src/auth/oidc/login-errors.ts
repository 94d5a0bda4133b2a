/**
 * @module auth/oidc/login-errors
 * Why a single sign-on did not sign the browser in: the `login_error` query parameter the browser is sent back to
 * the dashboard with (`/?login_error=no_role`). A contract with the dashboard, like the API's error codes: a code
 * never changes meaning; docs/api.md lists them (a test keeps it in step).
 */
import type { ProviderFailure } from "./provider-client.js";
import type { SsoUserRefusal } from "./sso-user.js";

export type SsoLoginError = ProviderFailure | SsoUserRefusal | "rate_limited";

export const SSO_LOGIN_ERRORS = {
  rate_limited: "too many failed sign-ins from this address: try again later",
  provider_unavailable: "the identity provider could not be reached, or its answer was too slow or too large",
  access_denied: "the sign-in was cancelled or refused at the identity provider",
  provider_error: "the identity provider's answer did not verify (code exchange, ID token, userinfo)",
  login_expired: "no sign-in was in progress in this browser, or it took longer than 10 minutes: start again",
  state_mismatch:
    "the answer does not belong to the sign-in this browser started (a forged or crossed request)",
  no_role: "the identity provider's claims map to no role in certwatch",
  disabled: "the certwatch user of this identity is disabled",
  not_provisioned:
    "no certwatch user is linked to this identity or invited under its name, and auto-provisioning is off",
  user_name_unusable: "the claim a new user's name comes from is missing or not a valid user name",
  user_name_taken:
    "a certwatch user of that name exists, is not linked to this identity, and awaits no first sign-in",
  last_admin: "the identity provider's claims would demote the last enabled admin",
} as const satisfies Record<SsoLoginError, string>;
