/**
 * @module app/ct/targets
 * A client per followed log (RFC 6962 or Static CT API), sharing one keep-alive HTTP client and honouring
 * the politeness settings of `ct`: each log has its own rate (fixed, or adaptive between
 * `requestsPerSecond` and `maxRequestsPerSecond`), as logs differ in what they allow.
 */
import type { CtLogDescriptor } from "../../sources/ct/log-list.js";
import { createRfc6962Client } from "../../sources/ct/rfc6962-client.js";
import { createStaticCtClient, defaultOrigin } from "../../sources/ct/static-ct-client.js";
import type { HttpClient } from "../../util/http-get.js";
import type { EntryMatchers } from "./logged-entry.js";
import type { LogTarget } from "./read-log.js";

export interface ClientSettings {
  readonly batchSize: number;
  readonly concurrency: number;
  /** The fixed rate, or with `adaptive` the rate to start at. */
  readonly requestsPerSecond: number;
  /** The rate adapts up to `maxRequestsPerSecond` (both needed; a fixed rate otherwise). */
  readonly adaptive?: boolean;
  readonly maxRequestsPerSecond?: number;
  readonly timeoutMs: number;
  readonly maxRetryAfterSeconds: number;
  /** Retries after a failed request and the first back-off delay (polite-http defaults when absent). */
  readonly retries?: { readonly maxRetries: number; readonly baseDelayMs: number };
}

export function logTargets(
  logs: readonly CtLogDescriptor[],
  matchers: EntryMatchers,
  http: HttpClient,
  s: ClientSettings,
  signal?: AbortSignal,
): LogTarget[] {
  return logs.map((descriptor) => {
    const common = {
      publicKey: descriptor.key,
      timeoutMs: s.timeoutMs,
      politeness: {
        concurrency: s.concurrency,
        requestsPerSecond: s.requestsPerSecond,
        ...(s.adaptive === true && s.maxRequestsPerSecond !== undefined
          ? { maxRequestsPerSecond: s.maxRequestsPerSecond }
          : {}),
        maxRetryAfterMs: s.maxRetryAfterSeconds * 1000,
        ...(s.retries ?? {}),
        client: http,
        ...(signal === undefined ? {} : { signal }),
      },
    };
    const client =
      descriptor.protocol === "rfc6962"
        ? createRfc6962Client({
            ...common,
            url: descriptor.url,
            batchSize: s.batchSize,
            prefetch: s.concurrency,
          })
        : createStaticCtClient({
            ...common,
            monitoringUrl: descriptor.url,
            // static-ct-api: the checkpoint origin is the submission prefix, schema-less, no trailing slash.
            ...(descriptor.submissionUrl === null ? {} : { origin: defaultOrigin(descriptor.submissionUrl) }),
          });
    return { descriptor, client, matchers };
  });
}
