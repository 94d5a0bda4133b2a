/**
 * @module sources/revocation/ocsp-signer
 * Who signed a BasicOCSPResponse: the issuer itself, or an authorised delegated responder (RFC 6960 §4.2.2.2).
 */
import "reflect-metadata";
import { AsnConvert } from "@peculiar/asn1-schema";
import { id_kp_OCSPSigning, type BasicOCSPResponse, type ResponderID } from "@peculiar/asn1-ocsp";
import { Name } from "@peculiar/x509";
import { parseCertificate, signedBy, type ParsedCertificate } from "../../pki/certificate.js";
import { keyHashSha1 } from "./ocsp-cert-id.js";
import { checkSignature, type SignatureCheck } from "./ocsp-signature.js";

export type SignerResult =
  | { readonly kind: "issuer" }
  | { readonly kind: "delegated"; readonly cert: ParsedCertificate }
  | {
      readonly kind: "invalid";
      readonly problem: "bad-signature" | "unauthorized-responder" | "unsupported";
      readonly error: string;
    };

/** Responses carry the responder certificate and sometimes its chain; more than this is not looked at. */
const MAX_CERTS = 8;

const hexOf = (b: ArrayBuffer | Uint8Array): string =>
  Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString("hex");

export function findSigner(basic: BasicOCSPResponse, issuer: ParsedCertificate, now: Date): SignerResult {
  const data = new Uint8Array(basic.tbsResponseDataRaw ?? AsnConvert.serialize(basic.tbsResponseData));
  const signature = new Uint8Array(basic.signature);
  const check = (key: ParsedCertificate): SignatureCheck =>
    checkSignature(basic.signatureAlgorithm, data, signature, key.node.publicKey);
  const responderId = basic.tbsResponseData.responderID;

  const byIssuer = check(issuer);
  if (byIssuer === "valid") {
    return namesCert(responderId, issuer)
      ? { kind: "issuer" }
      : unauthorized("the responder ID of the OCSP response does not name the issuer that signed it");
  }

  let unsupported = typeof byIssuer === "object" ? byIssuer.unsupported : null;
  const certs = basic.certs ?? [];
  for (const asn of certs.slice(0, MAX_CERTS)) {
    const parsed = parseCertificate(new Uint8Array(AsnConvert.serialize(asn)));
    if (!parsed.ok) continue;
    const c = check(parsed.cert);
    if (typeof c === "object") unsupported ??= c.unsupported;
    if (c !== "valid") continue;
    const refusal = delegationRefusal(parsed.cert, issuer, now);
    if (refusal !== null) return unauthorized(refusal);
    if (!namesCert(responderId, parsed.cert)) {
      return unauthorized(
        "the responder ID of the OCSP response does not name the certificate that signed it",
      );
    }
    return { kind: "delegated", cert: parsed.cert };
  }
  if (unsupported !== null && certs.length === 0)
    return { kind: "invalid", problem: "unsupported", error: unsupported };
  return {
    kind: "invalid",
    problem: "bad-signature",
    error: `the OCSP response signature verifies with neither the issuer's key nor any of the ${certs.length} certificate(s) it includes`,
  };
}

const unauthorized = (error: string): SignerResult => ({
  kind: "invalid",
  problem: "unauthorized-responder",
  error,
});

/** Why `cert` may not sign OCSP responses for `issuer`'s certificates, or null when it may. */
function delegationRefusal(cert: ParsedCertificate, issuer: ParsedCertificate, now: Date): string | null {
  const who = `the delegated OCSP responder certificate "${cert.subject}"`;
  if (cert.issuerDer !== issuer.subjectDer || !signedBy(cert, issuer)) {
    return `${who} is not issued by the certificate's issuer "${issuer.subject}"`;
  }
  if (!(cert.extendedKeyUsages ?? []).includes(id_kp_OCSPSigning)) {
    return `${who} lacks the OCSP-signing extended key usage (id-kp-OCSPSigning)`;
  }
  if (now < cert.notBefore || now > cert.notAfter) {
    return `${who} is not valid now (${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()})`;
  }
  return null;
}

/** Does the ResponderID name `cert` (by SHA-1 key hash, or by subject name)? */
function namesCert(id: ResponderID, cert: ParsedCertificate): boolean {
  if (id.byKey) return hexOf(id.byKey.buffer) === keyHashSha1(cert).toString("hex");
  if (id.byName) {
    if (hexOf(AsnConvert.serialize(id.byName)) === cert.subjectDer) return true;
    // Same name, other string types (PrintableString vs UTF8String): compare the text form.
    return new Name(id.byName).toString() === cert.subject;
  }
  return false;
}
