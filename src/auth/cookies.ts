/**
 * @module auth/cookies
 * Set-Cookie values for the session and CSRF cookies (pure string building) and reading one cookie back.
 */

/** The session cookie: HttpOnly, the browser's script never sees it. */
export const SESSION_COOKIE = "cw_session";
/** The CSRF cookie: readable by the dashboard's script, which echoes it in the X-CSRF-Token header. */
export const CSRF_COOKIE = "cw_csrf";

export interface CookieOptions {
  /** Served over TLS: adds Secure and the `__Host-` prefix (no Domain, Path=/, so no subdomain can set it). */
  readonly secure: boolean;
  /** Default Strict. Lax only for a cookie that must survive a cross-site top-level redirect (OIDC state). */
  readonly sameSite?: "Strict" | "Lax";
  readonly httpOnly: boolean;
  /** Omitted: a browser-session cookie. 0 deletes it. */
  readonly maxAgeSeconds?: number;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** RFC 6265 cookie-octet: no space, quote, comma, semicolon or backslash (so no header injection). */
const VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]{0,4096}$/;
const MAX_HEADER = 8192;

/** The name a cookie is sent under: `__Host-<base>` when Secure. */
export function cookieName(base: string, secure: boolean): string {
  return secure ? `__Host-${base}` : base;
}

/** A Set-Cookie header value. Throws on a name or value that would need quoting (a programming error). */
export function serializeCookie(base: string, value: string, options: CookieOptions): string {
  if (!NAME.test(base)) throw new TypeError("invalid cookie name");
  if (!VALUE.test(value)) throw new TypeError("invalid cookie value");
  const parts = [`${cookieName(base, options.secure)}=${value}`, "Path=/"];
  if (options.maxAgeSeconds !== undefined) {
    if (!Number.isInteger(options.maxAgeSeconds) || options.maxAgeSeconds < 0) {
      throw new RangeError("Max-Age must be a non-negative integer");
    }
    parts.push(`Max-Age=${options.maxAgeSeconds}`);
  }
  if (options.httpOnly) parts.push("HttpOnly");
  parts.push(`SameSite=${options.sameSite ?? "Strict"}`);
  if (options.secure) parts.push("Secure");
  return parts.join("; ");
}

/** The session cookie for a new session, living until its absolute end. */
export function sessionCookie(id: string, secure: boolean, maxAgeSeconds: number): string {
  return serializeCookie(SESSION_COOKIE, id, { secure, httpOnly: true, maxAgeSeconds });
}

/** The CSRF cookie beside it (not HttpOnly on purpose: the double submit needs the script to read it). */
export function csrfCookie(token: string, secure: boolean, maxAgeSeconds: number): string {
  return serializeCookie(CSRF_COOKIE, token, { secure, httpOnly: false, maxAgeSeconds });
}

/** Delete a cookie (logout): same name and attributes, empty value, Max-Age=0. */
export function clearCookie(base: string, secure: boolean, httpOnly: boolean): string {
  return serializeCookie(base, "", { secure, httpOnly, maxAgeSeconds: 0 });
}

/**
 * The value of one cookie in a Cookie request header. Undefined when absent, when the header is oversized, or
 * when the name appears twice: a second copy can only be planted (cookie tossing), and guessing which is
 * ours is how fixation attacks win.
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined || header.length > MAX_HEADER) return undefined;
  let found: string | undefined;
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    if (found !== undefined) return undefined;
    found = pair.slice(eq + 1).trim();
  }
  return found;
}
