/**
 * @module test/helpers/crl-ca
 * CRLs from the test PKI at run time: X509CrlGenerator for ordinary ones (reasons, IDP partitions, delta,
 * wrong key) and a small DER writer signed once with node:crypto for CRLs with 100,000s of entries.
 */
import "reflect-metadata";
import { createPrivateKey, randomBytes, sign, webcrypto, type KeyObject } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { AsnConvert } from "@peculiar/asn1-schema";
import {
  BaseCRLNumber,
  CRLNumber,
  CRLReason,
  DistributionPointName,
  GeneralName,
  GeneralNames,
  IssuingDistributionPoint,
  Name,
  Reason,
  ReasonFlags,
} from "@peculiar/asn1-x509";
import { parseCertificate } from "../../src/pki/certificate.js";
import type { Issued, SignatureHash } from "./pki.js";

x509.cryptoProvider.set(webcrypto);

export const CRL_REASONS = [
  "unspecified",
  "keyCompromise",
  "cACompromise",
  "affiliationChanged",
  "superseded",
  "cessationOfOperation",
  "certificateHold",
  "removeFromCRL",
  "privilegeWithdrawn",
  "aACompromise",
] as const;
export type CrlReasonName = (typeof CRL_REASONS)[number];

const REASON_CODE: Record<CrlReasonName, number> = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
};

export interface CrlEntrySpec {
  serialHex: string;
  /** Default: one day ago (whole seconds). */
  revokedAt?: Date;
  reason?: CrlReasonName;
  /** Indirect CRLs: the certificateIssuer entry extension naming this CA's subject. */
  certificateIssuer?: Issued;
  /** Adds a critical entry extension with this unknown OID. */
  unknownCriticalOid?: string;
}

export interface CrlSpec {
  entries: CrlEntrySpec[];
  /** Default: one hour ago. */
  thisUpdate?: Date;
  /** Default: in seven days; null omits nextUpdate. */
  nextUpdate?: Date | null;
  /** Sign with this certificate's key instead of the CA's (the CRL still names the CA). */
  signWith?: Issued;
  idp?: {
    uris?: string[];
    onlyContainsUserCerts?: boolean;
    onlyContainsCACerts?: boolean;
    onlySomeReasons?: boolean;
    indirectCRL?: boolean;
  };
  /** Default 1; null omits the extension. */
  crlNumber?: number | null;
  /** Makes a delta CRL over this base CRL number. */
  deltaOf?: number;
  /** Default SHA-256. */
  hash?: SignatureHash;
  /** RSA keys only: sign with RSASSA-PSS (salt = hash length). */
  pss?: boolean;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const wholeSeconds = (ms: number): Date => new Date(Math.floor(ms / 1000) * 1000);

export function pemToDer(text: string): Uint8Array {
  const b64 = text.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  return new Uint8Array(Buffer.from(b64, "base64"));
}

export function crlPem(der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString("base64")
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN X509 CRL-----\n${lines.join("\n")}\n-----END X509 CRL-----\n`;
}

const ext = (oid: string, critical: boolean, value: ArrayBuffer): x509.Extension =>
  new x509.Extension(oid, critical, value);

function subjectName(ca: Issued): Name {
  return AsnConvert.parse(ca.cert.subjectName.toArrayBuffer(), Name);
}

function entryParams(e: CrlEntrySpec): x509.X509CrlEntryParams {
  const extensions: x509.Extension[] = [];
  if (e.reason !== undefined) {
    extensions.push(ext("2.5.29.21", false, AsnConvert.serialize(new CRLReason(REASON_CODE[e.reason]))));
  }
  if (e.certificateIssuer !== undefined) {
    const names = new GeneralNames([new GeneralName({ directoryName: subjectName(e.certificateIssuer) })]);
    extensions.push(ext("2.5.29.29", true, AsnConvert.serialize(names)));
  }
  if (e.unknownCriticalOid !== undefined) {
    extensions.push(ext(e.unknownCriticalOid, true, new Uint8Array([0x05, 0x00]).buffer));
  }
  return {
    serialNumber: e.serialHex,
    revocationDate: e.revokedAt ?? wholeSeconds(Date.now() - DAY_MS),
    extensions,
  };
}

function crlExtensions(ca: Issued, spec: CrlSpec): x509.Extension[] {
  const out: x509.Extension[] = [];
  const ski = ca.cert.getExtension(x509.SubjectKeyIdentifierExtension);
  if (ski) out.push(new x509.AuthorityKeyIdentifierExtension(ski.keyId, false));
  const crlNumber = spec.crlNumber === undefined ? 1 : spec.crlNumber;
  if (crlNumber !== null) out.push(ext("2.5.29.20", false, AsnConvert.serialize(new CRLNumber(crlNumber))));
  if (spec.deltaOf !== undefined) {
    out.push(ext("2.5.29.27", true, AsnConvert.serialize(new BaseCRLNumber(spec.deltaOf))));
  }
  if (spec.idp) {
    const { uris = [], onlyContainsUserCerts = false, onlyContainsCACerts = false } = spec.idp;
    const idp = new IssuingDistributionPoint({ onlyContainsUserCerts, onlyContainsCACerts });
    if (uris.length > 0) {
      const fullName = uris.map((u) => new GeneralName({ uniformResourceIdentifier: u }));
      idp.distributionPoint = new DistributionPointName({ fullName });
    }
    if (spec.idp.onlySomeReasons) idp.onlySomeReasons = new Reason(ReasonFlags.keyCompromise);
    if (spec.idp.indirectCRL) idp.indirectCRL = true;
    out.push(ext("2.5.29.28", true, AsnConvert.serialize(idp)));
  }
  return out;
}

/** A CRL issued by `ca` (through @peculiar/x509's X509CrlGenerator), as DER. */
export async function issueCrl(ca: Issued, spec: CrlSpec): Promise<Uint8Array> {
  const signer = spec.signWith ?? ca;
  const hash = spec.hash ?? "SHA-256";
  const rsa = signer.keyType.startsWith("rsa");
  const curve = signer.keyType === "ec-p384" ? "P-384" : "P-256";
  const keyAlg = spec.pss
    ? { name: "RSA-PSS", hash }
    : rsa
      ? { name: "RSASSA-PKCS1-v1_5", hash }
      : { name: "ECDSA", namedCurve: curve };
  const signingKey = await webcrypto.subtle.importKey("pkcs8", pemToDer(signer.keyPem), keyAlg, false, [
    "sign",
  ]);
  const hashBytes = hash === "SHA-384" ? 48 : hash === "SHA-1" ? 20 : 32;
  const signingAlgorithm = spec.pss
    ? { name: "RSA-PSS", saltLength: hashBytes }
    : rsa
      ? { name: "RSASSA-PKCS1-v1_5" }
      : { name: "ECDSA", hash };
  const now = Date.now();
  const params: x509.X509CrlCreateParams = {
    issuer: ca.cert.subjectName,
    thisUpdate: spec.thisUpdate ?? wholeSeconds(now - HOUR_MS),
    signingAlgorithm,
    signingKey,
    extensions: crlExtensions(ca, spec),
    entries: spec.entries.map(entryParams),
  };
  if (spec.nextUpdate !== null) params.nextUpdate = spec.nextUpdate ?? wholeSeconds(now + 7 * DAY_MS);
  const crl = await x509.X509CrlGenerator.create(params, webcrypto);
  return new Uint8Array(crl.rawData);
}

// ---- a small DER writer, for CRLs too large for X509CrlGenerator (its duplicate check is O(n²)) ----

function tlv(tag: number, ...parts: Uint8Array[]): Buffer {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const head =
    len < 0x80
      ? [tag, len]
      : len < 0x100
        ? [tag, 0x81, len]
        : len < 0x10000
          ? [tag, 0x82, len >> 8, len & 0xff]
          : [tag, 0x83, len >> 16, (len >> 8) & 0xff, len & 0xff];
  return Buffer.concat([Buffer.from(head), ...parts], head.length + len);
}

function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split(".").map(Number);
  const bytes = [a * 40 + b];
  for (const arc of rest) {
    const groups = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) groups.unshift((v & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function utcTime(d: Date): Buffer {
  const iso = d.toISOString(); // 2025-01-02T03:04:05.000Z
  const s = iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16);
  return tlv(0x17, Buffer.from(`${s}${iso.slice(17, 19)}Z`, "latin1"));
}

export interface RawCrlSigner {
  issuerNameDer: Uint8Array;
  privateKey: KeyObject;
  /** null for Ed25519. */
  hash: SignatureHash | null;
  authorityKeyId?: Uint8Array;
}

const SIG_OIDS: Record<string, string> = {
  "rsa:SHA-1": "1.2.840.113549.1.1.5",
  "rsa:SHA-256": "1.2.840.113549.1.1.11",
  "rsa:SHA-384": "1.2.840.113549.1.1.12",
  "ec:SHA-1": "1.2.840.10045.4.1",
  "ec:SHA-256": "1.2.840.10045.4.3.2",
  "ec:SHA-384": "1.2.840.10045.4.3.3",
  "ed25519:null": "1.3.101.112",
};

/** The signer for `ca`'s own key. */
export function rawSigner(ca: Issued, hash: SignatureHash = "SHA-256"): RawCrlSigner {
  const c = parseCertificate(ca.certDer);
  if (!c.ok) throw new Error(c.error);
  const signer: RawCrlSigner = {
    issuerNameDer: Buffer.from(c.cert.subjectDer, "hex"),
    privateKey: createPrivateKey(ca.keyPem),
    hash,
  };
  if (c.cert.subjectKeyId !== null) signer.authorityKeyId = Buffer.from(c.cert.subjectKeyId, "hex");
  return signer;
}

export interface RawEntry {
  serial: Uint8Array;
  revokedAt: Date;
  reason?: CrlReasonName;
}

/** Writes and signs a v2 CRL by hand: TBS built once, one signature. */
export function writeCrl(
  signer: RawCrlSigner,
  entries: Iterable<RawEntry>,
  opts: { thisUpdate?: Date; nextUpdate?: Date; crlNumber?: number } = {},
): Uint8Array {
  const keyType = signer.privateKey.asymmetricKeyType ?? "";
  const algOid = SIG_OIDS[`${keyType}:${signer.hash}`];
  if (algOid === undefined) throw new Error(`no signature algorithm for ${keyType} with ${signer.hash}`);
  const alg = keyType === "rsa" ? tlv(0x30, oid(algOid), Buffer.from([5, 0])) : tlv(0x30, oid(algOid));
  const reasonOid = oid("2.5.29.21");
  const list: Buffer[] = [];
  for (const e of entries) {
    const serial = (e.serial[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), e.serial]) : e.serial;
    const fields = [tlv(0x02, serial), utcTime(e.revokedAt)];
    if (e.reason !== undefined) {
      const reason = tlv(0x04, tlv(0x0a, Buffer.from([REASON_CODE[e.reason]])));
      fields.push(tlv(0x30, tlv(0x30, reasonOid, reason)));
    }
    list.push(tlv(0x30, ...fields));
  }
  const now = Date.now();
  const exts = [tlv(0x30, oid("2.5.29.20"), tlv(0x04, tlv(0x02, Buffer.from([opts.crlNumber ?? 1]))))];
  if (signer.authorityKeyId) {
    exts.push(tlv(0x30, oid("2.5.29.35"), tlv(0x04, tlv(0x30, tlv(0x80, signer.authorityKeyId)))));
  }
  const tbs = tlv(
    0x30,
    tlv(0x02, Buffer.from([1])),
    alg,
    signer.issuerNameDer,
    utcTime(opts.thisUpdate ?? wholeSeconds(now - HOUR_MS)),
    utcTime(opts.nextUpdate ?? wholeSeconds(now + 7 * DAY_MS)),
    ...(list.length > 0 ? [tlv(0x30, ...list)] : []),
    tlv(0xa0, tlv(0x30, ...exts)),
  );
  const digest = signer.hash === null ? null : signer.hash.replace("-", "").toLowerCase();
  const signature = sign(digest, tbs, signer.privateKey);
  return new Uint8Array(tlv(0x30, tbs, alg, tlv(0x03, Buffer.from([0]), signature)));
}

/** A CRL by `ca` listing `count` random 16-byte serials (half with a reason), and those serials in hex. */
export function largeCrl(ca: Issued, count: number): { der: Uint8Array; serials: string[] } {
  const serials: string[] = [];
  const revokedAt = wholeSeconds(Date.now() - 30 * DAY_MS);
  const pool = randomBytes(16 * count);
  function* entries(): Generator<RawEntry> {
    for (let i = 0; i < count; i++) {
      const serial = pool.subarray(i * 16, i * 16 + 16);
      serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01; // positive, no leading zero byte
      serials.push(serial.toString("hex"));
      const entry: RawEntry = { serial, revokedAt: new Date(revokedAt.getTime() + i * 1000) };
      if (i % 2 === 0) entry.reason = CRL_REASONS[(i >> 1) % CRL_REASONS.length] ?? "unspecified";
      yield entry;
    }
  }
  return { der: writeCrl(rawSigner(ca), entries()), serials };
}
