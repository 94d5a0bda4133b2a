/**
 * @module sources/revocation/ocsp-response
 * Verifies a DER OCSPResponse (fetched or stapled) for one certificate: status, signer, CertID, freshness.
 */
import "reflect-metadata";
import { AsnConvert } from "@peculiar/asn1-schema";
import { CRLReasons, type Extension } from "@peculiar/asn1-x509";
import {
  BasicOCSPResponse,
  id_pkix_ocsp_basic,
  id_pkix_ocsp_nonce,
  OCSPResponse,
  OCSPResponseStatus,
  type SingleResponse,
} from "@peculiar/asn1-ocsp";
import type { ParsedCertificate } from "../../pki/certificate.js";
import { certIdMatcher } from "./ocsp-cert-id.js";
import { findSigner } from "./ocsp-signer.js";

/** RFC 5280 CRLReason names. */
export type CrlReasonName =
  | "unspecified"
  | "keyCompromise"
  | "cACompromise"
  | "affiliationChanged"
  | "superseded"
  | "cessationOfOperation"
  | "certificateHold"
  | "removeFromCRL"
  | "privilegeWithdrawn"
  | "aACompromise";

interface VerdictTimes {
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | null;
  readonly producedAt: Date;
  /** Who signed: the certificate's issuer itself, or a delegated responder certificate it issued. */
  readonly responder: "issuer" | "delegated";
}

/** Why a response was not accepted. */
export type OcspProblem =
  | "unparseable"
  | "unsuccessful-status"
  | "unsupported"
  | "bad-signature"
  | "unauthorized-responder"
  | "wrong-certificate"
  | "not-yet-valid"
  | "stale"
  | "nonce-mismatch";

export type OcspVerdict =
  | ({ readonly kind: "good" } & VerdictTimes)
  | ({ readonly kind: "unknown" } & VerdictTimes)
  | ({
      readonly kind: "revoked";
      readonly revokedAt: Date;
      /** null when the response gives no reason. */
      readonly reason: CrlReasonName | null;
    } & VerdictTimes)
  | { readonly kind: "invalid"; readonly problem: OcspProblem; readonly error: string };

export interface OcspVerifyOptions {
  readonly leaf: ParsedCertificate;
  readonly issuer: ParsedCertificate;
  readonly now: Date;
  /** How old thisUpdate may be when the response has no nextUpdate; default 7 days. */
  readonly maxAgeSeconds?: number;
  /** The nonce sent, if any: a response that echoes a different one is rejected (one that omits it is not). */
  readonly nonce?: Uint8Array;
}

const SKEW_MS = 5 * 60_000;
const DEFAULT_MAX_AGE_S = 7 * 86_400;
const STATUS_NAMES: Record<number, string> = {
  [OCSPResponseStatus.malformedRequest]: "malformedRequest",
  [OCSPResponseStatus.internalError]: "internalError",
  [OCSPResponseStatus.tryLater]: "tryLater",
  [OCSPResponseStatus.sigRequired]: "sigRequired",
  [OCSPResponseStatus.unauthorized]: "unauthorized",
};
const REASON_NAMES: Record<number, CrlReasonName> = {
  [CRLReasons.unspecified]: "unspecified",
  [CRLReasons.keyCompromise]: "keyCompromise",
  [CRLReasons.cACompromise]: "cACompromise",
  [CRLReasons.affiliationChanged]: "affiliationChanged",
  [CRLReasons.superseded]: "superseded",
  [CRLReasons.cessationOfOperation]: "cessationOfOperation",
  [CRLReasons.certificateHold]: "certificateHold",
  [CRLReasons.removeFromCRL]: "removeFromCRL",
  [CRLReasons.privilegeWithdrawn]: "privilegeWithdrawn",
  [CRLReasons.aACompromise]: "aACompromise",
};

const invalid = (problem: OcspProblem, error: string): OcspVerdict => ({ kind: "invalid", problem, error });
const iso = (d: Date): string => d.toISOString();

/** Verifies `der` as the OCSP answer about `leaf`; never throws. */
export function verifyOcspResponse(der: Uint8Array, options: OcspVerifyOptions): OcspVerdict {
  try {
    return verify(der, options);
  } catch (e) {
    return invalid("unparseable", `the OCSP response could not be processed: ${(e as Error).message}`);
  }
}

function verify(der: Uint8Array, o: OcspVerifyOptions): OcspVerdict {
  let basic: BasicOCSPResponse;
  try {
    const outer = AsnConvert.parse(der, OCSPResponse);
    if (outer.responseStatus !== OCSPResponseStatus.successful) {
      const name = STATUS_NAMES[outer.responseStatus] ?? `status ${outer.responseStatus}`;
      return invalid("unsuccessful-status", `the OCSP responder answered ${name}`);
    }
    if (!outer.responseBytes)
      return invalid("unparseable", "a successful OCSP response without responseBytes");
    if (outer.responseBytes.responseType !== id_pkix_ocsp_basic) {
      return invalid("unsupported", `unsupported OCSP response type ${outer.responseBytes.responseType}`);
    }
    basic = AsnConvert.parse(outer.responseBytes.response, BasicOCSPResponse);
  } catch (e) {
    return invalid("unparseable", `not a DER OCSP response: ${(e as Error).message}`);
  }

  const signer = findSigner(basic, o.issuer, o.now);
  if (signer.kind === "invalid") return invalid(signer.problem, signer.error);

  const data = basic.tbsResponseData;
  const matches = certIdMatcher(o.leaf, o.issuer);
  const single = data.responses.find((r) => matches(r.certID));
  if (!single) {
    return invalid(
      "wrong-certificate",
      `the OCSP response has no status for serial ${o.leaf.serialNumber} of this issuer (${data.responses.length} response(s))`,
    );
  }

  if (o.nonce !== undefined) {
    const echoed = nonceOf(data.responseExtensions);
    if (echoed !== null && !echoed.equals(Buffer.from(o.nonce))) {
      return invalid("nonce-mismatch", "the OCSP response echoes a different nonce than the request sent");
    }
  }

  const freshness = checkFreshness(single, data.producedAt, o);
  if (freshness) return freshness;

  const times: VerdictTimes = {
    thisUpdate: single.thisUpdate,
    nextUpdate: single.nextUpdate ?? null,
    producedAt: data.producedAt,
    responder: signer.kind,
  };
  const status = single.certStatus;
  if (status.revoked) {
    const code = status.revoked.revocationReason?.reason;
    return {
      kind: "revoked",
      revokedAt: status.revoked.revocationTime,
      reason: code === undefined ? null : (REASON_NAMES[code] ?? null),
      ...times,
    };
  }
  if (status.good !== undefined) return { kind: "good", ...times };
  if (status.unknown !== undefined) return { kind: "unknown", ...times };
  return invalid("unparseable", "the certificate status is neither good, revoked nor unknown");
}

function checkFreshness(single: SingleResponse, producedAt: Date, o: OcspVerifyOptions): OcspVerdict | null {
  const now = o.now.getTime();
  if (single.thisUpdate.getTime() > now + SKEW_MS) {
    return invalid(
      "not-yet-valid",
      `the OCSP response's thisUpdate ${iso(single.thisUpdate)} is in the future`,
    );
  }
  if (producedAt.getTime() > now + SKEW_MS) {
    return invalid("not-yet-valid", `the OCSP response's producedAt ${iso(producedAt)} is in the future`);
  }
  if (single.nextUpdate) {
    if (single.nextUpdate.getTime() < now - SKEW_MS) {
      return invalid("stale", `the OCSP response expired: its nextUpdate ${iso(single.nextUpdate)} is past`);
    }
    return null;
  }
  const maxAgeMs = (o.maxAgeSeconds ?? DEFAULT_MAX_AGE_S) * 1000;
  if (single.thisUpdate.getTime() < now - maxAgeMs) {
    return invalid(
      "stale",
      `the OCSP response has no nextUpdate and its thisUpdate ${iso(single.thisUpdate)} is older than ${maxAgeMs / 1000} s`,
    );
  }
  return null;
}

function nonceOf(extensions: readonly Extension[] | undefined): Buffer | null {
  const ext = extensions?.find((e) => e.extnID === id_pkix_ocsp_nonce);
  if (!ext) return null;
  const raw = Buffer.from(ext.extnValue.buffer);
  // RFC 8954: the value is an OCTET STRING; some responders put the bare bytes. Compare the content.
  if (raw.length >= 2 && raw[0] === 0x04 && raw[1] === raw.length - 2) return raw.subarray(2);
  return raw;
}
