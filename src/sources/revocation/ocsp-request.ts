/**
 * @module sources/revocation/ocsp-request
 * Builds the DER OCSPRequest for one certificate: an unsigned request with a SHA-1 CertID, nonce optional.
 */
import "reflect-metadata";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { Extension } from "@peculiar/asn1-x509";
import { id_pkix_ocsp_nonce, OCSPRequest, Request, TBSRequest } from "@peculiar/asn1-ocsp";
import type { ParsedCertificate } from "../../pki/certificate.js";
import { certIdFor } from "./ocsp-cert-id.js";

export interface OcspRequestOptions {
  /**
   * Nonce (RFC 8954: 1 to 32 bytes). Off by default: most CA responders serve pre-signed responses and
   * ignore it, and it makes the GET form longer and uncacheable.
   */
  readonly nonce?: Uint8Array;
}

/** DER OCSPRequest for `leaf` issued by `issuer` (throws only when a certificate's DER does not parse). */
export function buildOcspRequest(
  leaf: ParsedCertificate,
  issuer: ParsedCertificate,
  options: OcspRequestOptions = {},
): Uint8Array {
  const tbs = new TBSRequest({ requestList: [new Request({ reqCert: certIdFor(leaf, issuer) })] });
  if (options.nonce !== undefined) {
    tbs.requestExtensions = [
      new Extension({
        extnID: id_pkix_ocsp_nonce,
        critical: false,
        extnValue: new OctetString(AsnConvert.serialize(new OctetString(options.nonce))),
      }),
    ];
  }
  return new Uint8Array(AsnConvert.serialize(new OCSPRequest({ tbsRequest: tbs })));
}
