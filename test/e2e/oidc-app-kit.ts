/**
 * @module test/e2e/oidc-app-kit
 * What the single sign-on tests share: certwatch's HTTP app listening on loopback before it exists (the provider
 * registers its redirect URI first), a real OpenID provider, and the YAML config that points `auth.oidc` at it
 * (client secret and the provider's CA in files beside it); and the world around them (`startOidcWorld`): a
 * temporary directory, a SQLite store, and certwatch's HTTP app over them, as the daemon serves it.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../src/config/load.js";
import type { ResolvedConfig } from "../../src/config/schema.js";
import { jsonLog } from "../../src/daemon/json-log.js";
import { createHttpApp } from "../../src/server/app.js";
import { listen, type RunningHttpServer } from "../../src/server/listen.js";
import { openStore } from "../../src/store/open.js";
import type { Store } from "../../src/store/store.js";
import { TestOidcProvider, type TestAccount } from "../helpers/oidc-provider.js";

export interface OidcAppOptions {
  /** Where certwatch.yaml, the client secret and the provider's CA are written. */
  readonly dir: string;
  readonly clientSecret: string;
  /** The provider's accounts; the provider reads the map as it is at each sign-in. */
  readonly accounts: Map<string, TestAccount>;
  /** `auth.oidc.scopes` and `auth.oidc.roles`, as YAML flow text, e.g. "[openid, groups]", "{ cw-ops: operator }". */
  readonly scopes: string;
  readonly roles: string;
  /** More `auth.oidc` settings, one `key: value` each (e.g. "autoProvision: false"). */
  readonly oidc?: readonly string[];
  /** The provider offers RP-initiated logout (default true). */
  readonly endSession?: boolean;
}

export interface OidcApp {
  readonly server: RunningHttpServer;
  readonly idp: TestOidcProvider;
  /** certwatch.yaml: publicUrl is the server, `auth.oidc` the provider (client "certwatch", named "Contoso SSO"). */
  readonly config: ResolvedConfig;
  /** The app the server serves from now on. */
  serve(app: OpenAPIHono): void;
}

export async function startOidcApp(o: OidcAppOptions): Promise<OidcApp> {
  // The port first: the redirect URI (from publicUrl) is registered at the provider before the app exists.
  const holder: { app?: OpenAPIHono } = {};
  const server = await listen(
    { fetch: (req, env) => (holder.app as OpenAPIHono).fetch(req, env) },
    { host: "127.0.0.1", port: 0, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 },
  );
  const idp = await TestOidcProvider.start({
    clientId: "certwatch",
    clientSecret: o.clientSecret,
    redirectUri: `${server.url}/api/v1/session/oidc/callback`,
    // The dashboard, where the provider's sign-out sends the browser back (RP-initiated logout).
    postLogoutRedirectUris: [`${server.url}/`],
    accounts: o.accounts,
    ...(o.endSession !== undefined && { endSession: o.endSession }),
  });
  writeFileSync(join(o.dir, "idp-ca.pem"), idp.caPem);
  writeFileSync(join(o.dir, "oidc-client-secret"), `${o.clientSecret}\n`);
  const config = parseConfig(
    [
      `publicUrl: ${server.url}/`,
      "auth:",
      "  oidc:",
      `    issuer: ${idp.issuer}`,
      "    clientId: certwatch",
      "    clientSecret: { file: ./oidc-client-secret }",
      "    name: Contoso SSO",
      `    scopes: ${o.scopes}`,
      `    roles: ${o.roles}`,
      "    caFile: ./idp-ca.pem",
      ...(o.oidc ?? []).map((line) => `    ${line}`),
      "",
    ].join("\n"),
    join(o.dir, "certwatch.yaml"),
  );
  return {
    server,
    idp,
    config,
    serve: (app) => {
      holder.app = app;
    },
  };
}

export interface OidcWorldOptions extends Omit<OidcAppOptions, "dir"> {
  /** Names the temporary directory (certwatch-<name>-…). */
  readonly name: string;
}

/** certwatch's HTTP app from `auth.oidc` YAML over a SQLite store in a temporary directory, and the provider. */
export interface OidcWorld {
  readonly dir: string;
  readonly store: Store;
  readonly app: OidcApp;
  /** certwatch's base URL (`publicUrl` without the slash). */
  readonly url: string;
  /** Every line certwatch logged. */
  readonly logLines: string[];
  /** certwatch's app built again over the same store and configuration: what a restart of the daemon gives. */
  serveAnew(): void;
  /** Stops the server and the provider, closes the store and removes the directory. */
  close(): Promise<void>;
}

export async function startOidcWorld(o: OidcWorldOptions): Promise<OidcWorld> {
  const { name, ...appOptions } = o;
  const dir = mkdtempSync(join(tmpdir(), `certwatch-${name}-`));
  let store: Store | undefined;
  try {
    store = await openStore(`sqlite:${join(dir, "certwatch.db")}`);
    const app = await startOidcApp({ ...appOptions, dir });
    const opened = store;
    const logLines: string[] = [];
    const serveAnew = (): void => {
      const { config } = app;
      app.serve(
        createHttpApp({
          store: opened,
          config: () => config,
          now: () => new Date(),
          log: jsonLog((line) => logLines.push(line)),
          readiness: () => Promise.resolve([]),
        }),
      );
    };
    serveAnew();
    return {
      dir,
      store,
      app,
      url: app.server.url,
      logLines,
      serveAnew,
      close: async () => {
        try {
          await app.server.close(0);
          await app.idp.close();
          await opened.close();
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (e) {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
