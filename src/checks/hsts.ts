/**
 * @module checks/hsts
 * Strict-Transport-Security (RFC 6797): 42 hsts-missing, 103 hsts-weak (short max-age or malformed).
 */
import type { Endpoint } from "../domain/endpoint.js";
import type { Finding } from "../domain/finding.js";
import type { HttpProbe } from "../sources/tls/observation.js";
import { endpointFinding } from "./finding-helpers.js";

export type HstsPolicy =
  | {
      readonly ok: true;
      readonly maxAge: number;
      readonly includeSubDomains: boolean;
      readonly preload: boolean;
    }
  | { readonly ok: false; readonly error: string };

/** Parses one header value per RFC 6797 §6.1: `directive *( ";" directive )`, max-age required. */
export function parseHsts(value: string): HstsPolicy {
  const seen = new Set<string>();
  let maxAge: number | null = null;
  for (const raw of value.split(";")) {
    const part = raw.trim();
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    let arg = eq < 0 ? null : part.slice(eq + 1).trim();
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name))
      return { ok: false, error: `invalid directive name "${name}"` };
    if (seen.has(name)) return { ok: false, error: `directive "${name}" appears more than once` };
    seen.add(name);
    if (arg !== null && arg.startsWith('"')) {
      if (!arg.endsWith('"') || arg.length < 2)
        return { ok: false, error: `unterminated quoted value for "${name}"` };
      arg = arg.slice(1, -1);
    }
    if (name === "max-age") {
      if (arg === null || !/^\d{1,15}$/.test(arg))
        return { ok: false, error: `max-age must be a number of seconds (got ${JSON.stringify(arg ?? "")})` };
      maxAge = Number(arg);
    }
  }
  if (maxAge === null) return { ok: false, error: "max-age directive is missing" };
  return { ok: true, maxAge, includeSubDomains: seen.has("includesubdomains"), preload: seen.has("preload") };
}

export function hstsFindings(endpoint: Endpoint, http: HttpProbe, minMaxAge: number): Finding[] {
  if (http.kind !== "response" && http.kind !== "too-large") return [];
  const first = http.hsts[0];
  if (first === undefined && http.kind === "too-large") {
    // The header may come after the cap, but HSTS cannot be confirmed (and a client or proxy with a smaller
    // limit refuses such a response): raised as missing, with the reason, rather than nothing at all.
    return [
      endpointFinding("hsts-missing", endpoint, "endpoint", null, {
        httpStatus: http.status,
        reason: "headers-too-large",
        maxHeaderBytes: http.maxBytes,
      }),
    ];
  }
  if (first === undefined) {
    return [endpointFinding("hsts-missing", endpoint, "endpoint", null, { httpStatus: http.status })];
  }
  // A user agent honours only the first header (RFC 6797 §8.1).
  const policy = parseHsts(first);
  const header = first.length > 512 ? `${first.slice(0, 512)}…` : first;
  if (!policy.ok) {
    return [
      endpointFinding("hsts-weak", endpoint, "endpoint", null, {
        reason: "malformed",
        error: policy.error,
        header,
      }),
    ];
  }
  if (policy.maxAge < minMaxAge) {
    return [
      endpointFinding("hsts-weak", endpoint, "endpoint", null, {
        reason: "short-max-age",
        maxAge: policy.maxAge,
        minimum: minMaxAge,
        header,
      }),
    ];
  }
  return [];
}
