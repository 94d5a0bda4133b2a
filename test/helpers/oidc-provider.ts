/**
 * @module test/helpers/oidc-provider
 * A real OpenID Connect provider for tests: oidc-provider 8 over HTTPS on 127.0.0.1 (a certificate from a CA made at
 * run time, so the relying party needs its `caFile`), one confidential client that must use PKCE S256, test
 * accounts with a `groups` claim, and a browser stand-in that follows the provider's redirects with its own cookie
 * jar and "types" an account name (or cancels) at the interaction step, and answers the provider's sign-out prompt
 * (RP-initiated logout). A jar kept across calls is the browser's session at the provider.
 */
import { generateKeyPairSync } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { request } from "node:https";
import type { AddressInfo } from "node:net";
import Provider, { type KoaContext } from "oidc-provider";
import { createRootCa, issueLeaf } from "./pki.js";

export interface TestAccount {
  readonly sub: string;
  readonly preferred_username?: string;
  readonly email?: string;
  readonly email_verified?: boolean;
  readonly groups?: readonly string[];
}

export interface TestProviderOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  /** The client's registered post-logout redirect URIs (RP-initiated logout); none by default. */
  readonly postLogoutRedirectUris?: readonly string[];
  /** By account id (what is "typed" at the login step); the test may change them between sign-ins. */
  readonly accounts: Map<string, TestAccount>;
  /** Offer RP-initiated logout (`end_session_endpoint` in discovery); default true. */
  readonly endSession?: boolean;
}

/** What the user does at the provider's login page. */
export type AtTheProvider = { readonly login: string } | { readonly cancel: true };

/** A browser's cookies at the provider: kept from one call to the next, its session there. */
export type ProviderJar = Map<string, string>;

/** Where the provider sent the browser back, and whether it showed its login page on the way. */
export interface Authorized {
  readonly location: string;
  readonly askedToLogIn: boolean;
}

interface Answer {
  readonly status: number;
  readonly location: string | undefined;
  readonly body: string;
}

export class TestOidcProvider {
  private constructor(
    readonly issuer: string,
    /** PEM of the CA that issued the provider's certificate (the relying party's caFile). */
    readonly caPem: string,
    private readonly server: Server,
  ) {}

  static async start(o: TestProviderOptions): Promise<TestOidcProvider> {
    const ca = await createRootCa({ subject: "CN=certwatch test IdP CA" });
    const leaf = await issueLeaf(ca, { ipAddresses: ["127.0.0.1"] });
    let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
    const server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const jwk = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" });

    const provider = new Provider(issuer, {
      adapter: MemoryAdapter,
      clients: [
        {
          client_id: o.clientId,
          client_secret: o.clientSecret,
          redirect_uris: [o.redirectUri],
          ...(o.postLogoutRedirectUris !== undefined && {
            post_logout_redirect_uris: [...o.postLogoutRedirectUris],
          }),
          grant_types: ["authorization_code"],
          response_types: ["code"],
          token_endpoint_auth_method: "client_secret_basic",
          id_token_signed_response_alg: "ES256",
        },
      ],
      jwks: { keys: [{ ...jwk, kid: "test-key", use: "sig", alg: "ES256" }] },
      cookies: { keys: ["test-cookie-signing-key"] },
      pkce: { methods: ["S256"], required: () => true },
      scopes: ["openid", "email", "profile", "groups"],
      claims: {
        openid: ["sub"],
        email: ["email", "email_verified"],
        profile: ["preferred_username"],
        groups: ["groups"],
      },
      ttl: {
        Interaction: 600,
        Session: 600,
        Grant: 600,
        AccessToken: 600,
        IdToken: 600,
        AuthorizationCode: 60,
      },
      features: {
        devInteractions: { enabled: false },
        // The sign-out prompt (RP-initiated logout), plain: the default says so on the console at every use.
        rpInitiatedLogout: {
          enabled: o.endSession ?? true,
          logoutSource: (ctx: { body: unknown }, form: string) => {
            ctx.body = `<!DOCTYPE html><title>Sign out?</title>${form}<button form="op.logoutForm" name="logout" value="yes">Yes</button>`;
          },
        },
      },
      interactions: { url: (_ctx: unknown, i: { uid: string }) => `/interaction/${i.uid}` },
      findAccount: (_ctx: unknown, id: string) => {
        const account = o.accounts.get(id);
        if (account === undefined) return undefined;
        return { accountId: id, claims: () => ({ ...o.accounts.get(id) }) };
      },
      // Consent is not what is tested: the scopes asked for are granted.
      loadExistingGrant: async (ctx: KoaContext) => {
        const grant = new ctx.oidc.provider.Grant({
          clientId: ctx.oidc.client.clientId,
          accountId: ctx.oidc.session.accountId,
        });
        grant.addOIDCScope("openid email profile groups");
        await grant.save();
        return grant;
      },
    });
    const callback = provider.callback();
    handle = (req, res) => {
      if (req.method === "POST" && req.url?.startsWith("/interaction/") === true) {
        void interact(provider, req, res);
        return;
      }
      callback(req, res);
    };
    return new TestOidcProvider(issuer, ca.certPem, server);
  }

  /**
   * The browser's part at the provider, from the authorization URL certwatch redirected to: returns the URL the
   * provider sends the browser back to (certwatch's callback with code and state, or with an error).
   */
  async authorize(authorizationUrl: string, action: AtTheProvider): Promise<string> {
    return (await this.authorizeIn(new Map(), authorizationUrl, action)).location;
  }

  /** `authorize` in a browser whose provider cookies are `jar` (a session there signs in without the login page). */
  async authorizeIn(jar: ProviderJar, authorizationUrl: string, action: AtTheProvider): Promise<Authorized> {
    let url = authorizationUrl;
    let askedToLogIn = false;
    for (let hop = 0; hop < 10; hop++) {
      const interaction = /^\/interaction\/[^/?]+$/.test(new URL(url).pathname);
      askedToLogIn ||= interaction;
      const body = !interaction
        ? undefined
        : "login" in action
          ? `login=${encodeURIComponent(action.login)}`
          : "cancel=1";
      const a = await this.#send(url, jar, body);
      if (a.location === undefined) throw new Error(`the provider answered ${a.status} at ${url}`);
      const next = new URL(a.location, url).href;
      if (!next.startsWith(this.issuer)) return { location: next, askedToLogIn };
      url = next;
    }
    throw new Error("the provider redirected too often");
  }

  /**
   * Open the provider's sign-out URL (its end_session_endpoint, from the relying party) in the browser whose provider
   * cookies are `jar`, and answer the provider's prompt "Do you want to sign-out?" with yes: returns where the
   * provider sends the browser afterwards (the post-logout redirect URI), or throws with what it answered instead.
   */
  async endSession(jar: ProviderJar, logoutUrl: string): Promise<string> {
    const prompt = await this.#send(logoutUrl, jar, undefined);
    if (prompt.status !== 200) throw new Error(`the provider answered ${prompt.status}: ${prompt.body}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(prompt.body)?.[1];
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(prompt.body)?.[1];
    if (action === undefined || xsrf === undefined) throw new Error(`no sign-out form: ${prompt.body}`);
    const confirm = new URL(action.replace(/&amp;/g, "&"), logoutUrl).href;
    const done = await this.#send(confirm, jar, `xsrf=${encodeURIComponent(xsrf)}&logout=yes`);
    if (done.location === undefined) throw new Error(`the provider answered ${done.status}: ${done.body}`);
    return new URL(done.location, confirm).href;
  }

  #send(url: string, jar: Map<string, string>, form: string | undefined): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      if (jar.size > 0) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
      if (form !== undefined) headers["content-type"] = "application/x-www-form-urlencoded";
      const req = request(
        url,
        { method: form === undefined ? "GET" : "POST", headers, ca: this.caPem },
        (res) => {
          for (const line of res.headers["set-cookie"] ?? []) {
            const [pair = ""] = line.split(";");
            const eq = pair.indexOf("=");
            jar.set(pair.slice(0, eq), pair.slice(eq + 1));
          }
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            if (body.length < 65_536) body += chunk;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body }));
        },
      );
      req.on("error", reject);
      req.end(form);
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

type Payload = Record<string, unknown> & { uid?: string; grantId?: string; consumed?: number };

/** The provider's storage, in memory (its own default says so on the console at every start). */
class MemoryAdapter {
  static readonly #all = new Map<string, Payload>();

  constructor(private readonly model: string) {}

  #key(id: string): string {
    return `${this.model}:${id}`;
  }

  upsert(id: string, payload: Payload): Promise<void> {
    MemoryAdapter.#all.set(this.#key(id), payload);
    return Promise.resolve();
  }

  find(id: string): Promise<Payload | undefined> {
    return Promise.resolve(MemoryAdapter.#all.get(this.#key(id)));
  }

  findByUid(uid: string): Promise<Payload | undefined> {
    const prefix = `${this.model}:`;
    for (const [k, v] of MemoryAdapter.#all)
      if (k.startsWith(prefix) && v.uid === uid) return Promise.resolve(v);
    return Promise.resolve(undefined);
  }

  findByUserCode(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  consume(id: string): Promise<void> {
    const p = MemoryAdapter.#all.get(this.#key(id));
    if (p !== undefined) p.consumed = Math.floor(Date.now() / 1000);
    return Promise.resolve();
  }

  destroy(id: string): Promise<void> {
    MemoryAdapter.#all.delete(this.#key(id));
    return Promise.resolve();
  }

  revokeByGrantId(grantId: string): Promise<void> {
    for (const [k, v] of MemoryAdapter.#all) if (v.grantId === grantId) MemoryAdapter.#all.delete(k);
    return Promise.resolve();
  }
}

/** The login step: the posted account name signs in, `cancel` denies (access_denied back to the client). */
async function interact(provider: Provider, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    let text = "";
    for await (const chunk of req) text += String(chunk);
    const form = new URLSearchParams(text);
    await provider.interactionDetails(req, res);
    const login = form.get("login");
    const result =
      login === null
        ? { error: "access_denied", error_description: "the user cancelled" }
        : { login: { accountId: login } };
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  } catch (e) {
    res.statusCode = 500;
    res.end(e instanceof Error ? e.message : "interaction failed");
  }
}
