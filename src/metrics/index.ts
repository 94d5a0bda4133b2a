/**
 * @module metrics
 * The Prometheus metrics of `certwatch serve` (docs/metrics.md): `metricsRegistry(deps)` builds the registry
 * (the daemon observes scan durations on it), `metricsHandler` renders it for `/metrics`.
 */
export { metricsHandler, type MetricsResponse } from "./handler.js";
export {
  DEFAULT_METRICS_LIMITS,
  metricsRegistry,
  type CertwatchMetrics,
  type MetricsDeps,
  type MetricsLimits,
} from "./registry.js";
