/**
 * @module sources/revocation/ocsp-signature
 * Verifies a signature over DER data given its AlgorithmIdentifier and a public key, by Node's OpenSSL.
 */
import "reflect-metadata";
import type { KeyObject } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import { RsaSaPssParams } from "@peculiar/asn1-rsa";
import type { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import { RSASSA_PSS_OID, signatureAlgorithm } from "../../pki/algorithms.js";
import { verifySignature, type PssParams, type SignatureCheck } from "../../pki/signature.js";

export type { SignatureCheck } from "../../pki/signature.js";

export function checkSignature(
  alg: AlgorithmIdentifier,
  data: Uint8Array,
  signature: Uint8Array,
  key: KeyObject,
): SignatureCheck {
  let pss: PssParams | null = null;
  let hashOid: string | undefined;
  if (alg.algorithm === RSASSA_PSS_OID) {
    try {
      const params = alg.parameters ? AsnConvert.parse(alg.parameters, RsaSaPssParams) : new RsaSaPssParams();
      hashOid = params.hashAlgorithm.algorithm;
      const hash = signatureAlgorithm(RSASSA_PSS_OID, hashOid).hash;
      // The MGF1 hash is taken to be the signature hash, as every deployed responder does.
      pss = { hash, mgf1Hash: hash, saltLength: params.saltLength };
    } catch {
      return "invalid";
    }
  }
  return verifySignature(signatureAlgorithm(alg.algorithm, hashOid), pss, data, signature, key);
}
