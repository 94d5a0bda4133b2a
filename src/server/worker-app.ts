/**
 * @module server/worker-app
 * What `certwatch worker --listen` answers: `/healthz`, `/readyz` and `/metrics`, nothing else (every other path,
 * the API and the dashboard included, is 404). It holds no API, no session and no store data beyond the worker's
 * own metrics, so it needs no authentication; it is plain HTTP, meant for a private interface (docs/scale-out.md).
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { jsonNotFoundAndErrors, noSniff } from "./common-handlers.js";
import type { ServerDeps } from "./deps.js";
import { mountHealth } from "./health.js";
import { mountMetrics } from "./metrics-route.js";

export type WorkerHttpDeps = Pick<ServerDeps, "readiness" | "log"> & Required<Pick<ServerDeps, "metrics">>;

export function createWorkerHttpApp(deps: WorkerHttpDeps): OpenAPIHono {
  const app = new OpenAPIHono();
  noSniff(app);
  mountHealth(app, deps);
  mountMetrics(app, deps.metrics);
  jsonNotFoundAndErrors(app, deps.log);
  return app;
}
