/**
 * @module test/e2e/sso-browser
 * A browser stand-in for the single sign-on tests over HTTP: its cookie jar at certwatch (Set-Cookie kept, Max-Age=0
 * deleting), the CSRF token once signed in, redirects not followed, and its cookies at the provider (its session
 * there, kept from one sign-in to the next). It signs in with a password or through the provider; every answer it
 * gets can be kept for a test to scan.
 */
import assert from "node:assert/strict";
import { hashSessionId } from "../../src/auth/session.js";
import type { Store } from "../../src/store/store.js";
import type { AtTheProvider, ProviderJar, TestOidcProvider } from "../helpers/oidc-provider.js";

const API = "/api/v1";

export interface Answer {
  readonly method: string;
  /** The path asked for. */
  readonly path: string;
  readonly status: number;
  readonly headers: Headers;
  /** The Location header, "" without one. */
  readonly location: string;
  /** The body. */
  readonly text: string;
  /** The body as JSON, undefined if it is not. */
  readonly json: unknown;
}

/** A whole single sign-on: where certwatch sends the browser at the end, and whether the provider asked to log in. */
export interface SignedIn {
  readonly landing: string;
  readonly askedToLogIn: boolean;
}

export class SsoBrowser {
  /** Cookies at certwatch. */
  readonly cookies = new Map<string, string>();
  /** Every Set-Cookie line certwatch sent, in order. */
  readonly setCookies: string[] = [];
  /** Cookies at the provider: the browser's session there. */
  readonly idpJar: ProviderJar = new Map();
  csrf: string | undefined;

  /** `answers` receives every answer this browser gets. */
  constructor(
    private readonly origin: string,
    private readonly idp: TestOidcProvider,
    private readonly answers: Answer[] = [],
  ) {}

  /** One request to certwatch (a path, or a full URL), with this browser's cookies and CSRF token. */
  async call(method: string, path: string, body?: unknown): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    if (this.csrf !== undefined) headers["x-csrf-token"] = this.csrf;
    if (body !== undefined) headers["content-type"] = "application/json";
    const url = path.startsWith("http") ? path : `${this.origin}${path}`;
    const res = await fetch(url, {
      method,
      headers,
      redirect: "manual",
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    for (const line of res.headers.getSetCookie()) {
      this.setCookies.push(line);
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      if (/Max-Age=0/.test(line)) this.cookies.delete(pair.slice(0, eq));
      else this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    const answer: Answer = {
      method,
      path: new URL(url).pathname,
      status: res.status,
      headers: res.headers,
      location: res.headers.get("location") ?? "",
      text,
      json,
    };
    this.answers.push(answer);
    return answer;
  }

  get = (path: string): Promise<Answer> => this.call("GET", path);

  /** Sign in with a password (POST /session), keeping the CSRF token. */
  async login(name: string, password: string): Promise<void> {
    const a = await this.call("POST", `${API}/session`, { name, password });
    assert.equal(a.status, 200, a.text);
    this.csrf = (a.json as { csrfToken: string }).csrfToken;
  }

  /** Click "sign in with SSO": certwatch → the provider (as `action` says) → back to certwatch's callback. */
  async startAtProvider(action: AtTheProvider): Promise<string> {
    return (await this.toProvider(action)).location;
  }

  async toProvider(action: AtTheProvider): Promise<{ location: string; askedToLogIn: boolean }> {
    const start = await this.get(`${API}/session/oidc/login`);
    assert.equal(start.status, 302, start.text);
    assert.ok(start.location.startsWith(`${this.idp.issuer}/auth?`), start.location);
    return this.idp.authorizeIn(this.idpJar, start.location, action);
  }

  /** Open the provider's redirect (certwatch's callback) in this browser; where certwatch sends it next. */
  async finish(callbackUrl: string): Promise<string> {
    assert.ok(callbackUrl.startsWith(`${this.origin}${API}/session/oidc/callback?`), callbackUrl);
    const done = await this.get(callbackUrl);
    assert.equal(done.status, 302, done.text);
    const csrf = this.cookies.get("cw_csrf");
    if (csrf !== undefined) this.csrf = csrf;
    return done.location;
  }

  /** The whole single sign-on; where certwatch sends the browser at the end. */
  async signIn(action: AtTheProvider): Promise<string> {
    return (await this.ssoSignIn(action)).landing;
  }

  /** The whole single sign-on, saying whether the provider showed its login page on the way. */
  async ssoSignIn(action: AtTheProvider): Promise<SignedIn> {
    const back = await this.toProvider(action);
    return { landing: await this.finish(back.location), askedToLogIn: back.askedToLogIn };
  }

  /** GET /session: the signed-in user, or the status when there is none. */
  async me(): Promise<unknown> {
    const a = await this.get(`${API}/session`);
    return a.status === 200 ? (a.json as { user: unknown }).user : a.status;
  }

  /** The store's record of this browser's session. */
  async session(store: Store) {
    const id = this.cookies.get("cw_session");
    assert.ok(id !== undefined, "signed in");
    return store.auth.getSession(hashSessionId(id) ?? "");
  }
}
