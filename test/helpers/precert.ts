/**
 * @module test/helpers/precert
 * Precertificates for CT tests: a poisoned precertificate and the final certificate (same TBS, SCT list instead of
 * poison) signed by a real test CA, and the TBS a log records for the precertificate, computed with @peculiar/asn1-x509.
 */
import "reflect-metadata";
import { createHash, randomBytes, webcrypto } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate, Extensions } from "@peculiar/asn1-x509";
import * as x509 from "@peculiar/x509";
import type { Issued } from "./pki.js";

x509.cryptoProvider.set(webcrypto);

export const POISON_OID = "1.3.6.1.4.1.11129.2.4.3";
export const SCT_LIST_OID = "1.3.6.1.4.1.11129.2.4.2";

export interface PrecertOptions {
  dnsNames?: string[];
  subject?: string;
  /** Hex; random by default. */
  serialNumber?: string;
  /** Only the poison (precertificate) or the SCT list (final certificate): no other extension. */
  onlyCtExtension?: boolean;
  /** Bytes of fake SCTs inside the SCT list extension (default 240: two SCTs' worth). */
  sctBytes?: number;
  /** The subject's key pair (a fresh P-256 pair by default). */
  keys?: webcrypto.CryptoKeyPair;
  /** More extensions, placed after the authority key identifier (e.g. AIA, CRL distribution points). */
  extraExtensions?: x509.Extension[];
  /** Where the poison / SCT list goes among the other extensions (default 4: after the SAN, before the AKI). */
  ctPosition?: number;
}

export interface PrecertPair {
  /** The poisoned precertificate, signed by the issuer. */
  precertDer: Uint8Array;
  /** The final certificate: the same TBS with the SCT list extension where the poison was. */
  certDer: Uint8Array;
  /** The TBSCertificate a log records for the precertificate (poison removed), re-encoded with asn1-x509. */
  loggedTbs: Uint8Array;
  /** SHA-256 of the issuer's SubjectPublicKeyInfo (`issuer_key_hash`). */
  issuerKeyHash: Uint8Array;
}

const DAY_MS = 86_400_000;

/** The extnValue of an SCT list extension: an OCTET STRING around a TLS SignedCertificateTimestampList of filler. */
function sctListValue(n: number): Uint8Array {
  if (n > 0xffff) throw new RangeError("an SCT list holds at most 65535 bytes");
  const list = Buffer.concat([Buffer.from([n >> 8, n & 0xff]), randomBytes(n)]);
  const len = list.length;
  const header =
    len < 0x80
      ? [0x04, len]
      : len < 0x100
        ? [0x04, 0x81, len]
        : len < 0x10000
          ? [0x04, 0x82, len >> 8, len & 0xff]
          : [0x04, 0x83, len >> 16, (len >> 8) & 0xff, len & 0xff];
  return Buffer.concat([Buffer.from(header), list]);
}

/** The embedded SCT list extension (RFC 6962 §3.3), non-critical, with `bytes` of filler SCTs. */
export function sctListExtension(bytes = 240): x509.Extension {
  return new x509.Extension(SCT_LIST_OID, false, sctListValue(bytes));
}

/** The precertificate poison extension (RFC 6962 §3.1): critical, ASN.1 NULL. */
export function poisonExtension(): x509.Extension {
  return new x509.Extension(POISON_OID, true, new Uint8Array([0x05, 0x00]));
}

/** A precertificate and its final certificate, issued by `issuer` with a fresh P-256 key. */
export async function issuePrecertPair(issuer: Issued, opts: PrecertOptions = {}): Promise<PrecertPair> {
  const keys =
    opts.keys ??
    (await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]));
  const dnsNames = opts.dnsNames ?? [`precert-${randomBytes(4).toString("hex")}.test`];
  const serialNumber = opts.serialNumber ?? `1${randomBytes(15).toString("hex")}`;
  const now = Date.now();
  const notBefore = new Date(Math.floor(now / 1000) * 1000 - DAY_MS);
  const notAfter = new Date(notBefore.getTime() + 90 * DAY_MS);
  const signingAlgorithm = issuer.keyType.startsWith("rsa")
    ? { name: "RSASSA-PKCS1-v1_5" }
    : { name: "ECDSA", hash: "SHA-256" };
  const aki = issuer.cert.getExtension(x509.SubjectKeyIdentifierExtension);

  const make = async (ct: x509.Extension): Promise<Uint8Array> => {
    const extensions: x509.Extension[] = opts.onlyCtExtension
      ? []
      : [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
          new x509.SubjectAlternativeNameExtension(
            dnsNames.map((value) => ({ type: "dns" as const, value })),
            false,
          ),
          ...(aki ? [new x509.AuthorityKeyIdentifierExtension(aki.keyId, false)] : []),
          ...(opts.extraExtensions ?? []),
        ];
    extensions.splice(opts.ctPosition ?? 4, 0, ct);
    const cert = await x509.X509CertificateGenerator.create(
      {
        serialNumber,
        subject: opts.subject ?? `CN=${dnsNames[0] ?? "precert.test"}`,
        issuer: issuer.cert.subject,
        notBefore,
        notAfter,
        publicKey: keys.publicKey,
        signingKey: issuer.key.privateKey,
        signingAlgorithm,
        extensions,
      },
      webcrypto,
    );
    return new Uint8Array(cert.rawData);
  };

  const precertDer = await make(poisonExtension());
  const certDer = await make(sctListExtension(opts.sctBytes ?? 240));
  return {
    precertDer,
    certDer,
    loggedTbs: tbsWithout(precertDer, [POISON_OID]),
    issuerKeyHash: createHash("sha256").update(new Uint8Array(issuer.cert.publicKey.rawData)).digest(),
  };
}

/** The certificate's TBSCertificate with the given extensions removed ([3] dropped when none is left), via asn1-x509. */
export function tbsWithout(certDer: Uint8Array, oids: readonly string[]): Uint8Array {
  const tbs = AsnConvert.parse(certDer, Certificate).tbsCertificate;
  const kept = (tbs.extensions ?? []).filter((e) => !oids.includes(e.extnID));
  if (kept.length === 0) delete tbs.extensions;
  else tbs.extensions = new Extensions(kept);
  return new Uint8Array(AsnConvert.serialize(tbs));
}
