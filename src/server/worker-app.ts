/**
 * @module server/worker-app
 * What `certwatch worker --listen` answers: `/healthz`, `/readyz` and `/metrics`, nothing else (every other path,
 * the API and the dashboard included, is 404). It holds no API, no session and no store data beyond the worker's
 * own metrics, so it needs no authentication; it is plain HTTP, meant for a private interface (docs/scale-out.md).
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { ServerDeps } from "./deps.js";
import { mountHealth } from "./health.js";
import { mountMetrics } from "./metrics-route.js";

export type WorkerHttpDeps = Pick<ServerDeps, "readiness" | "log"> & Required<Pick<ServerDeps, "metrics">>;

export function createWorkerHttpApp(deps: WorkerHttpDeps): OpenAPIHono {
  const app = new OpenAPIHono();
  app.use("*", async (c, next) => {
    await next();
    c.header("x-content-type-options", "nosniff");
  });
  mountHealth(app, deps);
  mountMetrics(app, deps.metrics);
  app.notFound((c) => c.json({ error: "not found" }, 404));
  app.onError((err, c) => {
    deps.log.error("request failed", { method: c.req.method, path: c.req.path, error: err.message });
    return c.json({ error: "internal error" }, 500);
  });
  return app;
}
