/**
 * @module server/metrics-route
 * `GET /metrics`: the Prometheus exposition, never cached. Shared by serve's app and the worker's.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { MetricsResponse } from "../metrics/handler.js";

export function mountMetrics(app: OpenAPIHono, metrics: () => Promise<MetricsResponse>): void {
  app.get("/metrics", async (c) => {
    const m = await metrics();
    c.header("content-type", m.contentType);
    c.header("cache-control", "no-store");
    return c.body(m.body);
  });
}
