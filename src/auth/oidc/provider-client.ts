/**
 * @module auth/oidc/provider-client
 * The relying party's half of an OpenID Connect sign-in (authorization code flow with PKCE S256, state and nonce),
 * over openid-client: `begin` makes the provider's authorization URL and the sealed state for the browser's cookie;
 * `complete` checks the provider's answer against that state, exchanges the code and returns the verified identity
 * and its claims (and the raw ID token, for the sign-out); `endSessionUrl` makes the provider's sign-out URL
 * (RP-Initiated Logout 1.0) from the metadata already discovered. Every request to the provider goes through the
 * bounded fetch; failures are results with a reason the browser may see and a detail for the log (never a token, a
 * code or the client secret).
 */
import * as oidc from "openid-client";
import type { Claims } from "./role-mapping.js";
import { boundedFetch, OIDC_FETCH_DEFAULTS } from "./bounded-fetch.js";
import {
  LOGIN_STATE_TTL_MS,
  loginStateKey,
  openLoginState,
  sealLoginState,
  type LoginState,
} from "./login-state.js";

export interface ProviderClientSettings {
  /** The issuer identifier (https). */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scopes: readonly string[];
  /** Where the provider sends the browser back (registered at the provider). */
  readonly redirectUri: string;
  /** PEM roots for the provider (auth.oidc.caFile); Node's bundled roots otherwise. */
  readonly ca?: readonly string[];
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  /** The clock of the login state's deadline (milliseconds); tests move it. */
  readonly now?: () => number;
}

/** Why a sign-in through the provider did not give an identity (the `login_error` the browser is sent to). */
export type ProviderFailure =
  "provider_unavailable" | "access_denied" | "provider_error" | "login_expired" | "state_mismatch";

export interface Failed {
  readonly ok: false;
  readonly reason: ProviderFailure;
  /** For the server log: what went wrong, without secrets. */
  readonly detail: string;
}

export type BeginResult =
  { readonly ok: true; readonly authorizationUrl: string; readonly cookie: string } | Failed;

export interface VerifiedIdentity {
  readonly ok: true;
  /** The ID token's `iss` (checked against the discovered issuer). */
  readonly issuer: string;
  readonly subject: string;
  /** The ID token's claims over the userinfo answer's. */
  readonly claims: Claims;
  /** The ID token as the provider sent it: only ever sent back to it as the sign-out's `id_token_hint`. */
  readonly idToken: string;
}

export type CompleteResult = VerifiedIdentity | Failed;

/** The provider's metadata is discovered again after this long (keys rotate on their own: JWKS is refetched). */
const DISCOVERY_TTL_MS = 60 * 60_000;
/** OpenID Connect Core §2: `sub` is at most 255 ASCII characters. */
const MAX_SUBJECT = 255;
const MAX_DETAIL = 300;

const failed = (reason: ProviderFailure, detail: string): Failed => ({
  ok: false,
  reason,
  detail: detail.replace(/[\r\n]+/g, " ").slice(0, MAX_DETAIL),
});

/** An error's words for the log: its message and code, and an OAuth error code the provider sent. */
function describe(e: unknown): string {
  if (!(e instanceof Error)) return "unexpected failure";
  const parts = [e.message];
  const { code, error } = e as { code?: unknown; error?: unknown };
  if (typeof code === "string") parts.push(`(${code})`);
  if (typeof error === "string" && /^[\x20-\x7E]{1,64}$/.test(error)) parts.push(`error=${error}`);
  return parts.join(" ");
}

/** A failed request to the provider (refused, timed out, over the cap) rather than a bad answer. */
const unreachable = (e: unknown): boolean =>
  e instanceof TypeError && e.message.startsWith("identity provider request failed");

export class OidcProviderClient {
  readonly #s: ProviderClientSettings;
  readonly #key: Buffer;
  readonly #fetch: oidc.CustomFetch;
  readonly #now: () => number;
  #discovered: { readonly config: Promise<oidc.Configuration>; readonly at: number } | null = null;
  /** The last configuration discovered successfully (for the sign-out, which makes no request of its own). */
  #ready: oidc.Configuration | null = null;

  constructor(settings: ProviderClientSettings) {
    this.#s = settings;
    this.#key = loginStateKey(settings.clientSecret);
    this.#now = settings.now ?? Date.now;
    this.#fetch = boundedFetch({
      timeoutMs: settings.timeoutMs ?? OIDC_FETCH_DEFAULTS.timeoutMs,
      maxBytes: settings.maxBytes ?? OIDC_FETCH_DEFAULTS.maxBytes,
      ...(settings.ca !== undefined ? { ca: settings.ca } : {}),
    });
  }

  /** The provider's configuration, discovered once (again after an hour, and after a failure). */
  #configuration(): Promise<oidc.Configuration> {
    const now = this.#now();
    if (this.#discovered !== null && now - this.#discovered.at < DISCOVERY_TTL_MS) {
      return this.#discovered.config;
    }
    const config = this.#discover();
    this.#discovered = { config, at: now };
    void config.then(
      (ready) => {
        this.#ready = ready;
      },
      () => {
        if (this.#discovered?.config === config) this.#discovered = null;
      },
    );
    return config;
  }

  async #discover(): Promise<oidc.Configuration> {
    const { issuer, clientId, clientSecret } = this.#s;
    const timeout = Math.max(1, Math.ceil((this.#s.timeoutMs ?? OIDC_FETCH_DEFAULTS.timeoutMs) / 1000));
    const config = await oidc.discovery(
      new URL(issuer),
      clientId,
      undefined,
      oidc.ClientSecretBasic(clientSecret),
      { [oidc.customFetch]: this.#fetch, timeout },
    );
    // client_secret_basic is the default of RFC 6749; a provider that only takes the secret in the body gets that.
    const methods = config.serverMetadata().token_endpoint_auth_methods_supported;
    if (methods?.includes("client_secret_basic") === false && methods.includes("client_secret_post")) {
      const post = new oidc.Configuration(
        config.serverMetadata(),
        clientId,
        undefined,
        oidc.ClientSecretPost(clientSecret),
      );
      post[oidc.customFetch] = this.#fetch;
      post.timeout = timeout;
      return post;
    }
    return config;
  }

  /** Where to send the browser, and the sealed state for its login cookie. */
  async begin(): Promise<BeginResult> {
    let config: oidc.Configuration;
    try {
      config = await this.#configuration();
    } catch (e) {
      return failed("provider_unavailable", `discovery of ${this.#s.issuer} failed: ${describe(e)}`);
    }
    const state: LoginState = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier: oidc.randomPKCECodeVerifier(),
      expiresAt: this.#now() + LOGIN_STATE_TTL_MS,
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.#s.redirectUri,
      scope: this.#s.scopes.join(" "),
      state: state.state,
      nonce: state.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(state.codeVerifier),
      code_challenge_method: "S256",
    });
    return { ok: true, authorizationUrl: url.href, cookie: sealLoginState(state, this.#key) };
  }

  /**
   * Check the provider's answer (the callback's query) against the browser's login cookie, exchange the code
   * (with the PKCE verifier), verify the ID token (signature, issuer, audience, expiry, nonce) and read userinfo.
   */
  async complete(params: URLSearchParams, sealed: string | undefined): Promise<CompleteResult> {
    if (sealed === undefined || sealed === "") {
      return failed("login_expired", "no sign-in in progress in this browser (the login cookie is missing)");
    }
    const opened = openLoginState(sealed, this.#key, this.#now());
    if (!opened.ok) {
      return failed(
        "login_expired",
        opened.reason === "expired"
          ? "the sign-in took longer than the login cookie lives"
          : "the login cookie is not valid",
      );
    }
    const expected = opened.value;
    if (params.get("state") !== expected.state) {
      return failed("state_mismatch", "the state the provider sent back is not this browser's");
    }
    const error = params.get("error");
    if (error !== null) {
      const code = /^[\x20-\x7E]{1,64}$/.test(error) ? error : "malformed";
      return failed(
        error === "access_denied" ? "access_denied" : "provider_error",
        `the provider answered error=${code}`,
      );
    }
    let config: oidc.Configuration;
    try {
      config = await this.#configuration();
    } catch (e) {
      return failed("provider_unavailable", `discovery of ${this.#s.issuer} failed: ${describe(e)}`);
    }
    // The URL the provider redirected to, as registered: behind a proxy the request's own URL differs.
    const current = new URL(this.#s.redirectUri);
    current.search = params.toString();
    try {
      const tokens = await oidc.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: expected.codeVerifier,
        expectedState: expected.state,
        expectedNonce: expected.nonce,
        idTokenExpected: true,
      });
      const idClaims = tokens.claims();
      const idToken = tokens.id_token;
      if (idClaims === undefined || idToken === undefined) {
        return failed("provider_error", "the provider sent no ID token");
      }
      const subject = idClaims.sub;
      if (subject.length === 0 || subject.length > MAX_SUBJECT) {
        return failed("provider_error", "the ID token's subject is empty or too long");
      }
      let userinfo: Claims = {};
      if (config.serverMetadata().userinfo_endpoint !== undefined) {
        userinfo = await oidc.fetchUserInfo(config, tokens.access_token, subject);
      }
      return { ok: true, issuer: idClaims.iss, subject, claims: { ...userinfo, ...idClaims }, idToken };
    } catch (e) {
      return failed(unreachable(e) ? "provider_unavailable" : "provider_error", describe(e));
    }
  }

  /**
   * Where to send the browser to end its session at the provider too: the discovered `end_session_endpoint` with
   * `client_id`, `post_logout_redirect_uri` and the ID token as `id_token_hint` when there is one. Made from the
   * metadata discovered at sign-in, without a request; null when the provider advertises no (https) end-session
   * endpoint, or nothing has been discovered since this process started.
   */
  endSessionUrl(postLogoutRedirectUri: string, idTokenHint: string | null): string | null {
    const config = this.#ready;
    return config === null ? null : endSessionUrlOf(config, postLogoutRedirectUri, idTokenHint);
  }

  /**
   * The sign-out URL, discovering the provider first when nothing was discovered yet (a sign-out right after a
   * restart, before any sign-in), waiting at most `waitMs` for it: a provider that does not answer costs the
   * sign-out that long, then it ends certwatch's session alone.
   */
  async endSessionUrlSoon(
    postLogoutRedirectUri: string,
    idTokenHint: string | null,
    waitMs = END_SESSION_WAIT_MS,
  ): Promise<string | null> {
    if (this.#ready === null) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)));
      await Promise.race([this.prefetch(), late]).finally(() => clearTimeout(timer));
    }
    return this.endSessionUrl(postLogoutRedirectUri, idTokenHint);
  }

  /** Discover the provider now if it is not known (the daemon's start); never rejects. */
  prefetch(): Promise<void> {
    return this.#configuration().then(
      () => undefined,
      () => undefined,
    );
  }
}

/** How long a sign-out waits for a provider not discovered yet. */
const END_SESSION_WAIT_MS = 3000;

function endSessionUrlOf(
  config: oidc.Configuration,
  postLogoutRedirectUri: string,
  idTokenHint: string | null,
): string | null {
  if (config.serverMetadata().end_session_endpoint === undefined) return null;
  const params: Record<string, string> = { post_logout_redirect_uri: postLogoutRedirectUri };
  if (idTokenHint !== null) params["id_token_hint"] = idTokenHint;
  try {
    return oidc.buildEndSessionUrl(config, params).href;
  } catch {
    return null; // not an https URL: the provider gets no browser sent to it
  }
}
