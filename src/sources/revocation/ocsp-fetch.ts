/**
 * @module sources/revocation/ocsp-fetch
 * Sends an OCSP request over HTTP (GET when small, RFC 6960 appendix A; else POST) with a deadline and a byte cap.
 */
import * as http from "node:http";
import * as https from "node:https";

export interface OcspFetchOptions {
  /** Deadline for the whole exchange, GET and its POST retry included. */
  readonly timeoutMs: number;
  /** Largest response body accepted. */
  readonly maxBytes: number;
}

export type OcspFetchError = "timeout" | "too-large" | "http-status" | "network";

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

function exchange(
  url: string,
  body: Uint8Array | null,
  deadline: number,
  options: OcspFetchOptions,
): Promise<OcspFetchResult> {
  const method = body === null ? "GET" : "POST";
  return new Promise((resolve) => {
    let settled = false;
    let req: http.ClientRequest | null = null;
    const finish = (r: OcspFetchResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req?.destroy();
      resolve(r);
    };
    const fail = (reason: OcspFetchError, error: string, status?: number): void =>
      finish(
        status === undefined ? { kind: "error", reason, error } : { kind: "error", reason, error, status },
      );

    const remaining = Math.max(0, deadline - Date.now());
    const timer = setTimeout(
      () => fail("timeout", `the OCSP responder did not answer within ${options.timeoutMs} ms`),
      remaining,
    );
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      fail("network", `invalid OCSP responder URL "${url}"`);
      return;
    }
    const client = target.protocol === "http:" ? http : target.protocol === "https:" ? https : null;
    if (client === null) {
      fail("network", `unsupported OCSP responder URL scheme "${target.protocol}"`);
      return;
    }
    const headers: http.OutgoingHttpHeaders = {
      accept: "application/ocsp-response",
      "user-agent": "certwatch",
    };
    if (body !== null) {
      headers["content-type"] = "application/ocsp-request";
      headers["content-length"] = body.length;
    }
    try {
      req = client.request(target, { method, headers, agent: false });
    } catch (e) {
      fail("network", `OCSP request failed: ${(e as Error).message}`);
      return;
    }
    req.on("error", (e) => fail("network", `OCSP request to ${target.host} failed: ${e.message}`));
    req.on("response", (res) => {
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        fail("http-status", `the OCSP responder answered HTTP ${status} to ${method}`, status);
        return;
      }
      const declared = Number(res.headers["content-length"]);
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        fail("too-large", `the OCSP response (${declared} bytes) exceeds the ${options.maxBytes}-byte cap`);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) {
          fail("too-large", `the OCSP response exceeds the ${options.maxBytes}-byte cap`);
          return;
        }
        chunks.push(chunk);
      });
      res.on("end", () => finish({ kind: "ok", der: new Uint8Array(Buffer.concat(chunks, size)), method }));
      res.on("error", (e) => fail("network", `reading the OCSP response failed: ${e.message}`));
      res.on("close", () => fail("network", "the OCSP responder closed the connection mid-response"));
    });
    req.end(body === null ? undefined : Buffer.from(body));
  });
}
