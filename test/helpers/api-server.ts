/**
 * @module test/helpers/api-server
 * The REST API served for real: `apiApp` mounted under /api/v1 (as the daemon mounts it), @hono/node-server on
 * 127.0.0.1 port 0, a real SQLite store in a temp directory and a clock the test moves. `ApiClient` is a small
 * HTTP client with a cookie jar and the CSRF header, recording every answer so a test can scan them all for
 * secrets.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve, type ServerType } from "@hono/node-server";
import { OpenAPIHono } from "@hono/zod-openapi";
import { apiApp, API_BASE_PATH, type ApiDeps } from "../../src/api/index.js";
import type { ApiEnv } from "../../src/api/auth/principal.js";
import { hashPassword, type ScryptParams } from "../../src/auth/password.js";
import type { Role } from "../../src/auth/roles.js";
import type { SessionPolicy } from "../../src/auth/session.js";
import type { DeliveryRoute } from "../../src/notify/routing.js";
import { openStore } from "../../src/store/open.js";
import type { Store } from "../../src/store/store.js";

/** Cheap scrypt: tests hash many passwords; the product never uses these parameters. */
export const TEST_PASSWORD_PARAMS: ScryptParams = { ln: 4, r: 8, p: 1 };

export interface ApiAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The body's bytes as sent (text has a byte order mark removed). */
  readonly bytes: Uint8Array;
  /** The body as JSON (undefined when empty or not JSON). */
  readonly json: unknown;
}

/** The error body's code, or undefined. */
export function codeOf(a: ApiAnswer): string | undefined {
  const j = a.json as { error?: { code?: string } } | undefined;
  return j?.error?.code;
}

export interface LogLine {
  readonly level: "info" | "warn" | "error";
  readonly message: string;
  readonly fields: Record<string, unknown> | undefined;
}

export interface ApiServerOptions {
  readonly secure?: boolean;
  readonly session?: SessionPolicy;
  readonly start?: Date;
  readonly extra?: Partial<
    Pick<
      ApiDeps,
      | "scanNow"
      | "testDelivery"
      | "publicUrl"
      | "scanTargets"
      | "refreshTargets"
      | "maxManagedEndpoints"
      | "watchedDomains"
    >
  >;
  /** Serve this SQLite file (the CLI's store) instead of a fresh one in a temp directory. */
  readonly sqlitePath?: string;
  /** Delivery routes the store is opened with (alert changes then write outbox rows for them). */
  readonly routes?: readonly DeliveryRoute[];
}

export class ApiServer {
  /** Every answer any client got (for the secrets scan). */
  readonly answers: { method: string; path: string; answer: ApiAnswer }[] = [];
  readonly logs: LogLine[] = [];
  #now: Date;

  private constructor(
    readonly store: Store,
    /** The API app as mounted (its routes, its OpenAPI registry). */
    readonly app: OpenAPIHono<ApiEnv>,
    readonly server: ServerType,
    /** http://127.0.0.1:port */
    readonly origin: string,
    private readonly dir: string,
    start: Date,
  ) {
    this.#now = start;
  }

  static async start(options: ApiServerOptions = {}): Promise<ApiServer> {
    const dir = mkdtempSync(join(tmpdir(), "certwatch-api-"));
    const store = await openStore(`sqlite:${options.sqlitePath ?? join(dir, "certwatch.db")}`, {
      routes: options.routes ?? [],
    });
    const ref: { self?: ApiServer } = {};
    const deps: ApiDeps = {
      store,
      now: () => ref.self?.now ?? options.start ?? new Date(),
      log: {
        info: (message, fields) => ref.self?.logs.push({ level: "info", message, fields }),
        warn: (message, fields) => ref.self?.logs.push({ level: "warn", message, fields }),
        error: (message, fields) => ref.self?.logs.push({ level: "error", message, fields }),
      },
      secure: options.secure ?? false,
      passwordParams: TEST_PASSWORD_PARAMS,
      ...(options.session !== undefined && { session: options.session }),
      ...options.extra,
    };
    const app = apiApp(deps);
    const root = new OpenAPIHono();
    root.route(API_BASE_PATH, app);
    const server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: root.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
    });
    const { port } = server.address() as AddressInfo;
    const self = new ApiServer(
      store,
      app,
      server,
      `http://127.0.0.1:${port}`,
      dir,
      options.start ?? new Date(),
    );
    ref.self = self;
    return self;
  }

  get now(): Date {
    return this.#now;
  }

  /** Move the clock (milliseconds). */
  advance(ms: number): void {
    this.#now = new Date(this.#now.getTime() + ms);
  }

  async addUser(name: string, role: Role, password: string): Promise<void> {
    await this.store.auth.createUser(
      { name, role, passwordHash: await hashPassword(password, TEST_PASSWORD_PARAMS) },
      { actor: { kind: "system" }, at: this.#now, ip: null },
    );
  }

  client(): ApiClient {
    return new ApiClient(this);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      (this.server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
    });
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface CallOptions {
  readonly body?: unknown;
  /** A raw body (with its content type) instead of JSON. */
  readonly raw?: { readonly contentType: string; readonly data: string };
  /** Send the CSRF header when the client has a token (default true). */
  readonly csrf?: boolean;
  readonly headers?: Record<string, string>;
}

/** A client: a cookie jar (what a browser keeps), an optional bearer token, and the CSRF token from login. */
export class ApiClient {
  readonly cookies = new Map<string, string>();
  csrfToken: string | undefined;
  bearer: string | undefined;

  constructor(private readonly server: ApiServer) {}

  async call(method: string, path: string, options: CallOptions = {}): Promise<ApiAnswer> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.cookies.size > 0) {
      headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    }
    if (this.bearer !== undefined) headers.authorization = `Bearer ${this.bearer}`;
    if (options.csrf !== false && this.csrfToken !== undefined) headers["x-csrf-token"] = this.csrfToken;
    let body: string | undefined;
    if (options.raw !== undefined) {
      headers["content-type"] = options.raw.contentType;
      body = options.raw.data;
    } else if (options.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.body);
    }
    const res = await fetch(`${this.server.origin}${API_BASE_PATH}${path}`, {
      method,
      headers,
      ...(body !== undefined && { body }),
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (/Max-Age=0/.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    const text = new TextDecoder().decode(bytes);
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    const answer = { status: res.status, headers: res.headers, text, bytes, json };
    this.server.answers.push({ method, path, answer });
    return answer;
  }

  /** Sign in; keeps the cookies and the CSRF token. */
  async login(name: string, password: string): Promise<ApiAnswer> {
    const a = await this.call("POST", "/session", { body: { name, password } });
    if (a.status === 200) this.csrfToken = (a.json as { csrfToken: string }).csrfToken;
    return a;
  }

  get = (path: string, options?: CallOptions): Promise<ApiAnswer> => this.call("GET", path, options);
  post = (path: string, body?: unknown, options?: CallOptions): Promise<ApiAnswer> =>
    this.call("POST", path, { ...options, body });
  patch = (path: string, body?: unknown, options?: CallOptions): Promise<ApiAnswer> =>
    this.call("PATCH", path, { ...options, body });
  delete = (path: string, options?: CallOptions): Promise<ApiAnswer> => this.call("DELETE", path, options);
}
