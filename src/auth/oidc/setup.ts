/**
 * @module auth/oidc/setup
 * Single sign-on as the REST API uses it, built from `auth.oidc` at start: the provider client (its client secret
 * and CA file read now, so a missing one stops the start with exit 2), the user policy, and the addresses derived
 * from `publicUrl` (the redirect URI and the post-logout redirect URI to register at the provider, the login URL, the
 * dashboard).
 */
import type { OidcConfig } from "../../config/auth-schema.js";
import { readSecret, type SecretSource } from "../../notify/secrets.js";
import { readCaFile } from "../../notify/targets.js";
import { OidcProviderClient, type BeginResult, type CompleteResult } from "./provider-client.js";
import type { SsoUserPolicy } from "./sso-user.js";

/** The two steps of a sign-in at the provider (OidcProviderClient; a test may give another). */
export interface ProviderSignIn {
  begin(): Promise<BeginResult>;
  complete(params: URLSearchParams, sealed: string | undefined): Promise<CompleteResult>;
  /** The provider's sign-out URL, made without a request; null when it has none (OidcProviderClient). */
  endSessionUrl(postLogoutRedirectUri: string, idTokenHint: string | null): string | null;
  /** The same, discovering the provider first (bounded) when this process has not yet. */
  endSessionUrlSoon(postLogoutRedirectUri: string, idTokenHint: string | null): Promise<string | null>;
  /** Discover the provider in the background (at start); never rejects. */
  prefetch(): Promise<void>;
}

export interface OidcSignIn {
  /** The sign-in button's label. */
  readonly name: string;
  readonly provider: ProviderSignIn;
  readonly policy: SsoUserPolicy;
  /** `<publicUrl>/api/v1/session/oidc/login`: where the dashboard's button leads. */
  readonly loginUrl: string;
  /** `<publicUrl>/api/v1/session/oidc/callback`: the redirect URI registered at the provider. */
  readonly redirectUri: string;
  /**
   * `<publicUrl>/`: the dashboard, where the browser goes after the sign-in (or with `?login_error=`), and after
   * the provider's sign-out (its `post_logout_redirect_uri`, registered at the provider).
   */
  readonly homeUrl: string;
  /** auth.oidc.providerLogout: signing out of a single sign-on session also signs out at the provider. */
  readonly providerLogout: boolean;
}

export interface OidcPaths {
  /** The API's mount point, `/api/v1`. */
  readonly apiBase: string;
  readonly loginPath: string;
  readonly callbackPath: string;
}

/** The configured sign-in. Throws SecretError or ConfigFileError (exit 2) when its secret or CA file is unusable. */
export function oidcSignInFromConfig(
  cfg: OidcConfig,
  publicUrl: string,
  paths: OidcPaths,
  source: SecretSource,
): OidcSignIn {
  const base = publicUrl.replace(/\/+$/, "");
  const redirectUri = `${base}${paths.apiBase}${paths.callbackPath}`;
  const clientSecret = readSecret(cfg.clientSecret, "auth.oidc.clientSecret", source);
  const ca =
    cfg.caFile === undefined ? undefined : readCaFile(cfg.caFile, "auth.oidc.caFile", source.configDir);
  const provider = new OidcProviderClient({
    issuer: cfg.issuer,
    clientId: cfg.clientId,
    clientSecret,
    scopes: cfg.scopes,
    redirectUri,
    ...(ca !== undefined ? { ca } : {}),
  });
  return {
    name: cfg.name,
    provider,
    policy: {
      roleClaim: cfg.roleClaim,
      roles: cfg.roles,
      defaultRole: cfg.defaultRole,
      autoProvision: cfg.autoProvision,
      ...(cfg.userNameClaim !== undefined ? { userNameClaim: cfg.userNameClaim } : {}),
    },
    loginUrl: `${base}${paths.apiBase}${paths.loginPath}`,
    redirectUri,
    homeUrl: `${base}/`,
    providerLogout: cfg.providerLogout,
  };
}
