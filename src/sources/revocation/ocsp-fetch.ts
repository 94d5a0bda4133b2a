/**
 * @module sources/revocation/ocsp-fetch
 * Sends an OCSP request over HTTP (GET when small, RFC 6960 appendix A; else POST) through the bounded client
 * (util/http-get), whose address policy decides which responders may be reached, with one deadline and a byte
 * cap. Redirects are not followed (RFC 5019 responders answer directly). Never throws.
 */
import type { HttpClient, HttpGetErrorReason } from "../../util/http-get.js";

export interface OcspFetchOptions {
  /** Carries the address policy: a responder URL is chosen by the certificate's issuer. */
  readonly client: HttpClient;
  /** Deadline for the whole exchange, GET and its POST retry included. */
  readonly timeoutMs: number;
  /** Largest response body accepted. */
  readonly maxBytes: number;
}

export type OcspFetchError = "timeout" | "too-large" | "http-status" | "network" | "forbidden-address";

export type OcspFetchResult =
  | { readonly kind: "ok"; readonly der: Uint8Array; readonly method: "GET" | "POST" }
  | {
      readonly kind: "error";
      readonly reason: OcspFetchError;
      readonly error: string;
      /** The HTTP status, for reason "http-status". */
      readonly status?: number;
    };

/** RFC 5019 §5: GET when the whole URL, request included, fits in 255 bytes. */
const MAX_GET_URL = 255;

/** The GET URL for `request` at `url`: the URL-encoded base64 DER appended as a path segment. */
export function ocspGetUrl(url: string, request: Uint8Array): string {
  const b64 = encodeURIComponent(Buffer.from(request).toString("base64"));
  return `${url}${url.endsWith("/") ? "" : "/"}${b64}`;
}

/** Queries the responder at `url`; never throws. */
export async function queryOcsp(
  url: string,
  request: Uint8Array,
  options: OcspFetchOptions,
): Promise<OcspFetchResult> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return { kind: "error", reason: "network", error: `invalid OCSP responder URL ${JSON.stringify(url)}` };
  }
  if (target.protocol !== "http:" && target.protocol !== "https:") {
    return {
      kind: "error",
      reason: "network",
      error: `unsupported OCSP responder URL scheme ${JSON.stringify(target.protocol)}`,
    };
  }
  const deadline = Date.now() + options.timeoutMs;
  const getUrl = ocspGetUrl(url, request);
  if (getUrl.length <= MAX_GET_URL) {
    const got = await exchange(getUrl, null, deadline, options);
    // A responder that refuses GET (405, or 4xx for a path it does not understand) gets one POST.
    const refused = got.kind === "error" && got.status !== undefined && got.status >= 400 && got.status < 500;
    if (!refused) return got;
  }
  return exchange(url, request, deadline, options);
}

async function exchange(
  url: string,
  body: Uint8Array | null,
  deadline: number,
  options: OcspFetchOptions,
): Promise<OcspFetchResult> {
  const method = body === null ? "GET" : "POST";
  const r = await options.client.request(url, {
    method,
    timeoutMs: Math.max(1, deadline - Date.now()),
    maxBytes: options.maxBytes,
    headers: {
      accept: "application/ocsp-response",
      ...(body !== null ? { "content-type": "application/ocsp-request" } : {}),
    },
    ...(body !== null ? { body } : {}),
  });
  if (r.kind === "error") {
    const host = hostOf(url);
    if (r.reason === "timeout") {
      return {
        kind: "error",
        reason: "timeout",
        error: `the OCSP responder ${host} did not answer within ${options.timeoutMs} ms`,
      };
    }
    // The client's texts name the whole URL, which for a GET carries the request: name the host instead.
    const error = [url, new URL(url).href].reduce((text, u) => text.split(u).join(host), r.error);
    return { kind: "error", reason: reasonOf(r.reason), error };
  }
  if (r.status !== 200) {
    return {
      kind: "error",
      reason: "http-status",
      error: `the OCSP responder answered HTTP ${r.status} to ${method}`,
      status: r.status,
    };
  }
  return { kind: "ok", der: new Uint8Array(r.body.buffer, r.body.byteOffset, r.body.length), method };
}

function reasonOf(reason: HttpGetErrorReason): OcspFetchError {
  switch (reason) {
    case "timeout":
    case "too-large":
    case "network":
    case "forbidden-address":
      return reason;
    case "bad-encoding":
    case "redirect":
      return "network";
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "the responder";
  }
}
