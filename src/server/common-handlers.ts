/**
 * @module server/common-handlers
 * What both of the daemon's HTTP apps (serve's, and a worker's health listener) do to every answer: `nosniff` on
 * each, a JSON 404 for a path no route answers, and a JSON 500 that tells the client nothing of the internals
 * (the error is logged, escaped by the log).
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { ServerDeps } from "./deps.js";

/** `X-Content-Type-Options: nosniff` on every answer. Mount it before the routes. */
export function noSniff(app: OpenAPIHono): void {
  app.use("*", async (c, next) => {
    await next();
    c.header("x-content-type-options", "nosniff");
  });
}

/** The JSON 404 and 500. Mount them after the routes. */
export function jsonNotFoundAndErrors(app: OpenAPIHono, log: ServerDeps["log"]): void {
  app.notFound((c) => c.json({ error: "not found" }, 404));
  app.onError((err, c) => {
    // The message may quote a request; the log line escapes it. The client learns nothing of the internals.
    log.error("request failed", { method: c.req.method, path: c.req.path, error: err.message });
    return c.json({ error: "internal error" }, 500);
  });
}
