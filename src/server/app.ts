/**
 * @module server/app
 * The daemon's HTTP application: health routes, `/metrics`, the REST API under `/api/v1` (src/api/) and, later,
 * the dashboard. Pure request handling: binding a socket is `listen.ts`'s job, so tests can call `app.request()`.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { register } from "prom-client";
import type { ServerDeps } from "./deps.js";
import { mountHealth } from "./health.js";

/** The largest request body any route accepts (the API's JSON bodies are small); bigger is 413. */
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
  app.use("*", async (c, next) => {
    await next();
    c.header("x-content-type-options", "nosniff");
  });
  mountHealth(app, deps);
  // Metrics: the metrics module's handler replaces this placeholder (prom-client's default registry).
  app.get("/metrics", async (c) => {
    c.header("content-type", register.contentType);
    return c.body(await register.metrics());
  });
  // REST API mount point: app.route("/api/v1", apiApp(deps)) once src/api/index.ts exists.
  app.notFound((c) => c.json({ error: "not found" }, 404));
  app.onError((err, c) => {
    // The message may quote a request; the log line escapes it. The client learns nothing of the internals.
    deps.log.error("request failed", { method: c.req.method, path: c.req.path, error: err.message });
    return c.json({ error: "internal error" }, 500);
  });
  return app;
}
