/**
 * @module server/app
 * The daemon's HTTP application: health routes, `/metrics`, the REST API under `/api/v1` (src/api/) and the
 * dashboard (`/` and `/assets/`, src/web/). Pure request handling: binding a socket is `listen.ts`'s job, so
 * tests can call `app.request()`.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { register } from "prom-client";
import { API_BASE_PATH, apiApp, type ApiDeps } from "../api/index.js";
import { oidcDepsOf } from "../api/auth/oidc-routes.js";
import { sessionPolicyOf } from "../config/auth-schema.js";
import { jsonNotFoundAndErrors, noSniff } from "./common-handlers.js";
import type { ServerDeps } from "./deps.js";
import { mountHealth } from "./health.js";
import { mountMetrics } from "./metrics-route.js";
import { mountDashboard } from "../web/dashboard.js";

/** The largest request body any route accepts (the API's JSON bodies are smaller still); bigger is 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

export function createHttpApp(deps: ServerDeps): OpenAPIHono {
  const app = new OpenAPIHono();
  app.use(
    "*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => c.json({ error: "request body too large", maxBytes: MAX_BODY_BYTES }, 413),
    }),
  );
  noSniff(app);
  mountHealth(app, deps);
  mountMetrics(app, deps.metrics ?? defaultMetrics);
  app.route(API_BASE_PATH, apiApp(apiDeps(deps)));
  mountDashboard(app, { log: deps.log });
  jsonNotFoundAndErrors(app, deps.log);
  return app;
}

async function defaultMetrics(): Promise<{ body: string; contentType: string }> {
  return { body: await register.metrics(), contentType: register.contentType };
}

/**
 * What the API gets. Cookies are `Secure` when the daemon serves TLS itself or is reached through an https://
 * publicUrl (a TLS-terminating proxy); sessions last as `auth:` says. Read at start: changes to `server`,
 * `publicUrl` and `auth` need a restart.
 */
export function apiDeps(deps: ServerDeps): ApiDeps {
  const config = deps.config();
  const scans = deps.scans;
  return {
    store: deps.store,
    now: deps.now,
    log: deps.log,
    secure: config.server.tls !== undefined || (config.publicUrl?.startsWith("https:") ?? false),
    ...(config.publicUrl !== undefined ? { publicUrl: config.publicUrl } : {}),
    session: sessionPolicyOf(config.auth),
    ...(scans
      ? {
          scanNow: async (target: string) => {
            const hp = splitTarget(target);
            const accepted = hp !== null && (await scans.scanNow(hp.host, hp.port));
            return {
              accepted,
              message: accepted ? `scan of ${target} queued` : `${target} is not a scanned endpoint`,
            };
          },
        }
      : {}),
    ...(scans ? { scanTargets: () => scans.targets(), refreshTargets: () => scans.refreshTargets() } : {}),
    maxManagedEndpoints: () => deps.config().schedule.maxManagedEndpoints,
    watchedDomains: () => deps.config().domains,
    ...(deps.testDelivery ? { testDelivery: deps.testDelivery } : {}),
    ...oidcDepsOf(config),
  };
}

/** `host:port` or `[v6]:port` → host (lower case, no brackets) and port; null when malformed. */
export function splitTarget(target: string): { host: string; port: number } | null {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):([0-9]{1,5})$/.exec(target.trim());
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (host === undefined || !(port >= 1 && port <= 65_535)) return null;
  return { host: host.toLowerCase(), port };
}
