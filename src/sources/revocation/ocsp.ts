/**
 * @module sources/revocation/ocsp
 * OCSP for one certificate: build the request, query the responder, verify the answer (or a stapled one).
 */
import type { ParsedCertificate } from "../../pki/certificate.js";
import { queryOcsp, type OcspFetchOptions, type OcspFetchResult } from "./ocsp-fetch.js";
import { buildOcspRequest } from "./ocsp-request.js";
import { verifyOcspResponse, type OcspVerdict } from "./ocsp-response.js";

export { buildOcspRequest, type OcspRequestOptions } from "./ocsp-request.js";
export {
  ocspGetUrl,
  queryOcsp,
  type OcspFetchError,
  type OcspFetchOptions,
  type OcspFetchResult,
} from "./ocsp-fetch.js";
export {
  verifyOcspResponse,
  type CrlReasonName,
  type OcspProblem,
  type OcspVerdict,
  type OcspVerifyOptions,
} from "./ocsp-response.js";

export interface OcspCheckOptions extends OcspFetchOptions {
  readonly now: Date;
  readonly maxAgeSeconds?: number;
}

/** What asking one responder about one certificate gave: a transport failure, or a verdict on the answer. */
export type OcspOutcome =
  | Extract<OcspFetchResult, { kind: "error" }>
  | { readonly kind: "answered"; readonly method: "GET" | "POST"; readonly verdict: OcspVerdict };

/** Asks the responder at `url` about `leaf`; never throws. */
export async function checkOcsp(
  url: string,
  leaf: ParsedCertificate,
  issuer: ParsedCertificate,
  options: OcspCheckOptions,
): Promise<OcspOutcome> {
  let request: Uint8Array;
  try {
    request = buildOcspRequest(leaf, issuer);
  } catch (e) {
    return {
      kind: "error",
      reason: "network",
      error: `cannot build the OCSP request: ${(e as Error).message}`,
    };
  }
  const fetched = await queryOcsp(url, request, options);
  if (fetched.kind === "error") return fetched;
  const verdict = verifyOcspResponse(fetched.der, {
    leaf,
    issuer,
    now: options.now,
    ...(options.maxAgeSeconds === undefined ? {} : { maxAgeSeconds: options.maxAgeSeconds }),
  });
  return { kind: "answered", method: fetched.method, verdict };
}
