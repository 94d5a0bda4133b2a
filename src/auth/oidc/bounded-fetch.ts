/**
 * @module auth/oidc/bounded-fetch
 * The fetch that openid-client uses for every request to the identity provider (discovery, JWKS, token endpoint,
 * userinfo): certwatch's bounded HTTP client underneath, so each answer has a deadline and a byte cap, and a
 * private CA (`auth.oidc.caFile`) is the only trust anchor when one is configured.
 */
import type { CustomFetch } from "openid-client";
import { HttpClient } from "../../util/http-get.js";

export interface BoundedFetchOptions {
  /** The whole exchange (connect, headers, body) must finish within this. */
  readonly timeoutMs: number;
  /** Largest answer accepted (discovery documents, key sets and token answers are a few KiB). */
  readonly maxBytes: number;
  /** PEM roots replacing Node's bundled ones (a provider under a private CA). */
  readonly ca?: readonly string[];
}

export const OIDC_FETCH_DEFAULTS: Pick<BoundedFetchOptions, "timeoutMs" | "maxBytes"> = {
  timeoutMs: 10_000,
  maxBytes: 1024 * 1024,
};

/** Statuses whose Response must have no body (the Fetch standard's "null body status"). */
const NULL_BODY = new Set([204, 205, 304]);

/** The request body as bytes or text; openid-client sends form parameters, JSON or nothing. */
function bodyOf(body: unknown): string | Uint8Array | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string") return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  throw new TypeError("unsupported request body for the identity provider");
}

/**
 * A fetch for openid-client's `customFetch`. It rejects (as fetch does, with a TypeError) on a network error, a
 * timeout or an answer over the cap; the message names the URL and the fault, never a request body (which holds
 * the client secret or the authorization code).
 */
export function boundedFetch(options: BoundedFetchOptions): CustomFetch {
  // No keep-alive: sign-ins are rare, and no idle socket should outlive the request (or hold the process open).
  const client = new HttpClient({
    keepAlive: false,
    userAgent: "certwatch-oidc",
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
  });
  const fetch: CustomFetch = async (url, init) => {
    const body = bodyOf(init.body);
    const r = await client.request(url, {
      method: init.method,
      headers: init.headers,
      timeoutMs: options.timeoutMs,
      maxBytes: options.maxBytes,
      ...(body !== undefined ? { body } : {}),
      ...(init.signal !== undefined ? { signal: init.signal } : {}),
    });
    if (r.kind === "error") throw new TypeError(`identity provider request failed: ${r.error}`);
    if (r.status < 200 || r.status > 599) {
      throw new TypeError(`identity provider answered with HTTP status ${r.status}`);
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(r.headers)) {
      if (value === undefined) continue;
      // The body is already decoded: announcing its encoding (or its wire length) again would mislead.
      if (name === "content-encoding" || name === "content-length" || name === "transfer-encoding") continue;
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
    }
    return new Response(NULL_BODY.has(r.status) ? null : r.body, { status: r.status, headers });
  };
  return fetch;
}
