// @ts-check
/**
 * @module web/api
 * The dashboard's only way to the server: JSON calls to the REST API (/api/v1) with the session cookie, the
 * CSRF token on every change, a timeout, and one hook for "signed out" (401) so any page falls back to login.
 */

export const API_BASE = "/api/v1";

/** How long a call may take before it is abandoned. */
const TIMEOUT_MS = 30_000;

/** An answer the API refused, with its stable code (docs/api.md#errors). */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {number | null} [retryAfterSeconds]
   */
  constructor(status, code, message, retryAfterSeconds = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** @typedef {Record<string, string | number | boolean | null | undefined>} Query */
/**
 * @typedef {object} CallOptions
 * @property {Query} [query]  parameters; null, undefined and "" are left out
 * @property {unknown} [body]  sent as JSON
 * @property {AbortSignal} [signal]  aborts the call (the page was left)
 */

/** @type {string | null} */
let csrfToken = null;
/** @type {(error: ApiError) => void} */
let onSignedOut = () => {};

/**
 * The session's CSRF token (from the login answer or GET /session), sent as X-CSRF-Token on changes.
 * @param {string | null} token
 */
export function setCsrfToken(token) {
  csrfToken = token;
}

/**
 * What to do when a call answers 401 (the session ended, or there never was one): show the login form.
 * @param {(error: ApiError) => void} handler
 */
export function onUnauthenticated(handler) {
  onSignedOut = handler;
}

/**
 * A path under the API with its query string (the dashboard's CSV links use it too).
 * @param {string} path  starting with "/"
 * @param {Query} [query]
 */
export function apiUrl(path, query = {}) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== null && v !== undefined && v !== "") params.set(k, String(v));
  }
  const qs = params.toString();
  return `${API_BASE}${path}${qs === "" ? "" : `?${qs}`}`;
}

/**
 * One API call. Resolves with the parsed JSON (undefined for an empty answer); rejects with ApiError.
 * @param {"GET" | "POST" | "PATCH" | "DELETE"} method
 * @param {string} path
 * @param {CallOptions} [options]
 * @returns {Promise<unknown>}
 */
export async function call(method, path, options = {}) {
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken !== null) headers["X-CSRF-Token"] = csrfToken;
  const signals = [AbortSignal.timeout(TIMEOUT_MS)];
  if (options.signal) signals.push(options.signal);
  /** @type {Response} */
  let res;
  try {
    res = await fetch(apiUrl(path, options.query), {
      method,
      headers,
      credentials: "same-origin",
      cache: "no-store",
      redirect: "error",
      signal: AbortSignal.any(signals),
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
  } catch (e) {
    if (options.signal?.aborted) throw e;
    const timedOut = e instanceof DOMException && e.name === "TimeoutError";
    throw new ApiError(
      0,
      "NETWORK",
      timedOut ? "the server did not answer in time" : "the server cannot be reached",
    );
  }
  const text = await res.text();
  /** @type {unknown} */
  let json;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (res.ok) return json;
  const body = /** @type {{ error?: { code?: unknown, message?: unknown } } | undefined} */ (json);
  const code = typeof body?.error?.code === "string" ? body.error.code : `HTTP_${res.status}`;
  const message = typeof body?.error?.message === "string" ? body.error.message : `HTTP ${res.status}`;
  const retry = Number(res.headers.get("Retry-After"));
  const error = new ApiError(res.status, code, message, Number.isFinite(retry) && retry > 0 ? retry : null);
  if (res.status === 401 && path !== "/session") onSignedOut(error);
  throw error;
}

/**
 * @param {string} path
 * @param {Query} [query]
 * @param {AbortSignal} [signal]
 */
export const get = (path, query, signal) =>
  call("GET", path, { ...(query && { query }), ...(signal && { signal }) });

/**
 * @param {string} path
 * @param {unknown} body
 * @param {AbortSignal} [signal]
 */
export const post = (path, body, signal) => call("POST", path, { body, ...(signal && { signal }) });

/**
 * @param {string} path
 * @param {unknown} body
 * @param {AbortSignal} [signal]
 */
export const patch = (path, body, signal) => call("PATCH", path, { body, ...(signal && { signal }) });

/**
 * @param {string} path
 * @param {AbortSignal} [signal]
 */
export const del = (path, signal) => call("DELETE", path, signal ? { signal } : {});

/**
 * Every item of a cursor-paged list (`{ items, nextCursor }`), reading at most `maxPages` pages: `complete` is
 * false when more were left.
 * @template T
 * @param {string} path
 * @param {Query} query  the filters (and `limit`)
 * @param {AbortSignal} signal
 * @param {number} maxPages
 * @returns {Promise<{ items: T[], complete: boolean }>}
 */
export async function getPages(path, query, signal, maxPages) {
  /** @type {T[]} */
  const items = [];
  /** @type {string | null} */
  let cursor = null;
  for (let page = 0; page < maxPages; page++) {
    const answer = /** @type {{ items: T[], nextCursor: string | null }} */ (
      await get(path, { ...query, cursor }, signal)
    );
    items.push(...answer.items);
    cursor = answer.nextCursor;
    if (cursor === null) break;
  }
  return { items, complete: cursor === null };
}
