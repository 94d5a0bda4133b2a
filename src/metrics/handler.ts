/**
 * @module metrics/handler
 * What the daemon's HTTP server answers at `/metrics`: the exposition text and its content type. The server
 * mounts it (`app.get("/metrics", …)`); this module knows nothing of HTTP frameworks.
 */
import { metricsRegistry, type CertwatchMetrics, type MetricsDeps } from "./registry.js";

export interface MetricsResponse {
  readonly body: string;
  readonly contentType: string;
}

/**
 * A scrape function over `metrics` (the daemon's, which it also observes scan durations on), or over a registry
 * built from `deps`.
 */
export function metricsHandler(source: CertwatchMetrics | MetricsDeps): () => Promise<MetricsResponse> {
  const metrics = "scrape" in source ? source : metricsRegistry(source);
  return async () => ({ body: await metrics.scrape(), contentType: metrics.contentType });
}
