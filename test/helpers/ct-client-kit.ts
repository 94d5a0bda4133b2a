/**
 * @module test/helpers/ct-client-kit
 * What the CT client tests share: politeness that does not slow a test down, a distinct leaf per index,
 * and unwrapping a Fetched result with a readable failure.
 */
import assert from "node:assert/strict";
import type { Fetched } from "../../src/sources/ct/log-client.js";
import type { PoliteHttpOptions } from "../../src/sources/ct/polite-http.js";

/** No rate limit, short back-off, two retries. */
export const FAST_POLITENESS: PoliteHttpOptions = {
  requestsPerSecond: Infinity,
  baseDelayMs: 5,
  maxDelayMs: 20,
  maxRetries: 2,
};

/** The value of an "ok" result; any other kind fails the test with its error. */
export function value<T>(r: Fetched<T>): T {
  assert.equal(r.kind, "ok", r.kind !== "ok" ? `${r.kind}: ${r.error}` : "");
  return (r as { value: T }).value;
}

/** The misbehaviour reason of a result, or its kind. */
export function reason<T>(r: Fetched<T>): string {
  return r.kind === "misbehaving" ? r.reason : r.kind;
}

/** A distinct leaf per index. */
export const leaf = (i: number): Buffer => Buffer.from(`leaf-${i}`);
