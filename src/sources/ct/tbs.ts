/**
 * @module sources/ct/tbs
 * What CT monitoring reads from a logged certificate or precertificate TBSCertificate (names, validity, key hash),
 * and its CT identity: the TBS hashed without the poison and SCT list extensions, shared by a precertificate and its certificate.
 */
import "reflect-metadata";
import { hash } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import {
  AuthorityKeyIdentifier,
  id_ce_authorityKeyIdentifier,
  id_ce_subjectAltName,
  SubjectAlternativeName,
  TBSCertificate,
} from "@peculiar/asn1-x509";
import { Name } from "@peculiar/x509";
import { NotOnFastPath, readTbsCertificate, type CertificateFields } from "../../pki/certificate-der.js";
import { normalizeIpv6 } from "../../pki/certificate.js";
import { Der, fail, MalformedDer } from "../../pki/der.js";
import type { TimestampedEntry } from "./entry.js";

/**
 * What the CT pipeline needs from a certificate or a precertificate's TBSCertificate: the fields of
 * pki/certificate-der.ts it reads (same formats), and the subject key's hash.
 */
export type LoggedCertificateFields = Pick<
  CertificateFields,
  | "serialNumber"
  | "subject"
  | "issuer"
  | "issuerDer"
  | "notBefore"
  | "notAfter"
  | "dnsNames"
  | "ipAddresses"
  | "commonNames"
  | "authorityKeyId"
> & {
  /** Hex SHA-256 of the subject's SubjectPublicKeyInfo DER. */
  readonly spkiSha256: string;
};

const SEQ = 0x30;
/** The DER of the extnID of the CT poison extension, 1.3.6.1.4.1.11129.2.4.3 (RFC 6962 §3.1); the SCT list (…2.4.2) differs in the last byte. */
const CT_OID_PREFIX = Buffer.from("060a2b06010401d6790204", "hex");
const POISON_ARC = 3;
const SCT_LIST_ARC = 2;

function asBuffer(data: Uint8Array): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new MalformedDer("expected bytes");
}

/**
 * Reads what CT monitoring needs from a bare TBSCertificate (which must fill `tbs` exactly). Throws
 * MalformedDer on malformed input. Names in string types the fast reader leaves alone (T61, BMP, …) go
 * through @peculiar/asn1-x509, exactly as `parseCertificate` does.
 */
export function readTbsFields(tbs: Buffer): LoggedCertificateFields {
  const b = asBuffer(tbs);
  let t;
  try {
    t = readTbsCertificate(b, 0, b.length, "ct");
  } catch (e) {
    if (e instanceof NotOnFastPath) return readTbsFieldsFull(b);
    throw e;
  }
  if (t.end !== b.length) fail(`TBSCertificate: ${b.length - t.end} unexpected bytes after it`, t.end);
  return {
    serialNumber: t.serialNumber,
    subject: t.subject,
    issuer: t.issuer,
    issuerDer: t.issuerDer,
    notBefore: new Date(t.notBefore),
    notAfter: new Date(t.notAfter),
    dnsNames: t.dnsNames,
    ipAddresses: t.ipAddresses,
    commonNames: t.commonNames,
    authorityKeyId: t.authorityKeyId,
    // Computed when asked: the CT path reads every entry's fields but needs the key hash of few.
    get spkiSha256(): string {
      const value = hash(
        "sha256",
        new Uint8Array(b.buffer, b.byteOffset + t.spkiStart, t.spkiEnd - t.spkiStart),
        "hex",
      );
      Object.defineProperty(this, "spkiSha256", { value, enumerable: true });
      return value;
    },
  };
}

/** The names a TBSCertificate is for, as readTbsFields reads them. */
export type LoggedCertificateNames = Pick<LoggedCertificateFields, "dnsNames" | "commonNames">;

/**
 * The names of a bare TBSCertificate, exactly as `readTbsFields` reads them, with the same checks: it throws
 * the same MalformedDer where readTbsFields throws (and takes the same reference path where the fast reader
 * declines). No other field is rendered: a CT follower asks every entry for its names, and only the few
 * that match for their fields.
 */
export function readTbsNames(tbs: Buffer): LoggedCertificateNames {
  const b = asBuffer(tbs);
  let t;
  try {
    t = readTbsCertificate(b, 0, b.length, "names");
  } catch (e) {
    if (e instanceof NotOnFastPath) return readTbsFieldsFull(b);
    throw e;
  }
  if (t.end !== b.length) fail(`TBSCertificate: ${b.length - t.end} unexpected bytes after it`, t.end);
  return t;
}

const toHex = (x: ArrayBuffer | Uint8Array): string => Buffer.from(x as Uint8Array).toString("hex");

/** The reference path (as `parseFull` in pki/certificate.ts), for what the fast reader declines. */
function readTbsFieldsFull(b: Buffer): LoggedCertificateFields {
  new Der(b).whole(0, b.length, SEQ, "TBSCertificate");
  let tbs: TBSCertificate;
  try {
    tbs = AsnConvert.parse(b, TBSCertificate);
  } catch (e) {
    throw new MalformedDer(`TBSCertificate: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    const ext = (oid: string) => tbs.extensions?.find((x) => x.extnID === oid);
    const sanExt = ext(id_ce_subjectAltName);
    const akiExt = ext(id_ce_authorityKeyIdentifier);
    const san = sanExt ? AsnConvert.parse(sanExt.extnValue, SubjectAlternativeName) : null;
    const aki = akiExt ? AsnConvert.parse(akiExt.extnValue, AuthorityKeyIdentifier) : null;
    const dnsNames: string[] = [];
    const ipAddresses: string[] = [];
    for (const g of san ?? []) {
      if (g.dNSName !== undefined) dnsNames.push(g.dNSName.toLowerCase());
      if (g.iPAddress !== undefined) {
        ipAddresses.push(g.iPAddress.includes(":") ? normalizeIpv6(g.iPAddress) : g.iPAddress);
      }
    }
    const subject = new Name(tbs.subject);
    return {
      serialNumber: toHex(tbs.serialNumber).replace(/^(00)+(?=.)/, ""),
      subject: subject.toString(),
      issuer: new Name(tbs.issuer).toString(),
      issuerDer: toHex(AsnConvert.serialize(tbs.issuer)),
      notBefore: tbs.validity.notBefore.getTime(),
      notAfter: tbs.validity.notAfter.getTime(),
      dnsNames,
      ipAddresses,
      commonNames: subject
        .getField("CN")
        .map((cn) => cn.toLowerCase())
        .filter((cn) => cn !== ""),
      authorityKeyId: aki?.keyIdentifier ? toHex(aki.keyIdentifier.buffer) : null,
      spkiSha256: hash("sha256", new Uint8Array(AsnConvert.serialize(tbs.subjectPublicKeyInfo)), "hex"),
    };
  } catch (e) {
    if (e instanceof MalformedDer) throw e;
    throw new MalformedDer(`TBSCertificate: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The TBSCertificate element of a DER certificate (a subarray, header included). Throws MalformedDer. */
export function tbsOfCertificate(certDer: Buffer): Buffer {
  const b = asBuffer(certDer);
  const d = new Der(b);
  d.whole(0, b.length, SEQ, "Certificate");
  const certEnd = d.ve;
  const start = d.vs;
  d.expect(start, certEnd, SEQ, "TBSCertificate");
  return b.subarray(start, d.ve);
}

/** The TBSCertificate a log entry is about: the certificate's (x509) or the logged one (precert). */
export function tbsOfEntry(entry: Pick<TimestampedEntry, "type" | "certOrTbs">): Buffer {
  return entry.type === "x509" ? tbsOfCertificate(entry.certOrTbs) : entry.certOrTbs;
}

// --- identity ---------------------------------------------------------------------------------------

/** Is the extnID at `o` (its DER, header included) the poison or the SCT list OID? */
function isCtExtension(b: Buffer, o: number): boolean {
  const arc = b[o + 11];
  if (arc !== POISON_ARC && arc !== SCT_LIST_ARC) return false;
  for (let i = 0; i < 11; i++) if (b[o + i] !== CT_OID_PREFIX[i]) return false;
  return true;
}

/** Bytes of a DER header for `tag` with content length `len` (minimal length encoding). */
function headerLength(len: number): number {
  return len < 0x80 ? 2 : len < 0x100 ? 3 : len < 0x10000 ? 4 : len < 0x1000000 ? 5 : 6;
}

function writeHeader(out: Buffer, at: number, tag: number, len: number): number {
  out[at++] = tag;
  if (len < 0x80) {
    out[at++] = len;
    return at;
  }
  const n = headerLength(len) - 2;
  out[at++] = 0x80 | n;
  for (let i = n - 1; i >= 0; i--) out[at++] = Math.floor(len / 256 ** i) & 0xff;
  return at;
}

/** Reused for stripped TBSCertificates (sync code only: never held across calls). */
let scratch = Buffer.allocUnsafe(8192);

/**
 * The TBSCertificate with the CT poison and SCT list extensions removed, as a view: `tbs` itself when it
 * has neither, else a view of `scratch` valid until the next call.
 */
function stripView(tbs: Buffer): Buffer {
  const b = asBuffer(tbs);
  const d = new Der(b);
  d.whole(0, b.length, SEQ, "TBSCertificate");
  const tbsEnd = d.ve;
  let p = d.vs;
  const contentStart = p;
  // Find the [3] extensions field (after version … subjectPublicKeyInfo, [1], [2]).
  let a3 = -1;
  while (p < tbsEnd) {
    d.at(p, tbsEnd, "TBSCertificate field");
    if (d.tag === 0xa3) {
      a3 = p;
      break;
    }
    p = d.ve;
  }
  if (a3 < 0) return b;
  const a3End = d.ve;
  d.whole(d.vs, a3End, SEQ, "Extensions");
  const extsStart = d.vs;
  // Removed extension ranges, as [start, end) pairs; most certificates have at most one.
  let removed: number[] | null = null;
  let removedBytes = 0;
  for (let q = extsStart; q < a3End;) {
    d.expect(q, a3End, SEQ, "Extension");
    const extEnd = d.ve;
    const o = d.vs;
    if (extEnd - o > 12 && b[o + 1] === 0x0a && isCtExtension(b, o)) {
      (removed ??= []).push(q, extEnd);
      removedBytes += extEnd - q;
    }
    q = extEnd;
  }
  if (removed === null) return b;

  const extsLen = a3End - extsStart - removedBytes;
  const a3Len = extsLen === 0 ? 0 : headerLength(extsLen) + extsLen;
  const a3Total = extsLen === 0 ? 0 : headerLength(a3Len) + a3Len;
  const tbsLen = tbsEnd - contentStart - (a3End - a3) + a3Total;

  // Copy the TBSCertificate once, then edit the copy: close the gaps the removed extensions leave, and
  // rewrite the three headers, right-aligned so that the bulk before the extensions does not move
  // (Buffer#copy costs more per call than per byte at these sizes).
  if (scratch.length < b.length) scratch = Buffer.allocUnsafe(Math.max(b.length, scratch.length * 2));
  const out = scratch;
  out.set(b);
  let w = removed[0] as number;
  for (let i = 1; i < removed.length; i += 2) {
    const from = removed[i] as number;
    const to = i + 1 < removed.length ? (removed[i + 1] as number) : tbsEnd;
    move(out, from, to, w);
    w += to - from;
  }
  // out: [TBS header][fields][[3] header][Extensions header][kept extensions][after [3]], ending at w.
  let fieldsStart = contentStart;
  if (extsLen === 0) {
    move(out, extsStart, w, a3);
    w -= extsStart - a3;
  } else {
    const headers = headerLength(a3Len) + headerLength(extsLen);
    const shift = extsStart - a3 - headers;
    if (shift > 0) {
      move(out, contentStart, a3, contentStart + shift);
      fieldsStart += shift;
    }
    writeHeader(out, writeHeader(out, a3 + shift, 0xa3, a3Len), SEQ, extsLen);
  }
  const start = fieldsStart - headerLength(tbsLen);
  writeHeader(out, start, SEQ, tbsLen);
  return out.subarray(start, w);
}

/** Moves out[from, to) to `at` within `out` (the ranges may overlap). */
function move(out: Buffer, from: number, to: number, at: number): void {
  const n = to - from;
  if (n <= 0 || from === at) return;
  if (n > 32) {
    out.copyWithin(at, from, to);
  } else if (at < from) {
    for (let i = 0; i < n; i++) out[at + i] = out[from + i] as number;
  } else {
    for (let i = n - 1; i >= 0; i--) out[at + i] = out[from + i] as number;
  }
}

/**
 * The TBSCertificate with the CT poison (1.3.6.1.4.1.11129.2.4.3) and embedded SCT list
 * (1.3.6.1.4.1.11129.2.4.2) extensions removed, lengths re-encoded in DER and the [3] wrapper dropped
 * when no extension is left (a copy; `tbs` itself when there was nothing to remove). Throws MalformedDer.
 */
export function stripCtExtensions(tbs: Buffer): Buffer {
  const v = stripView(tbs);
  return v.buffer === scratch.buffer ? Buffer.from(v) : v;
}

/**
 * The certificate's CT identity: hex SHA-256 of its TBSCertificate with the CT poison extension
 * (1.3.6.1.4.1.11129.2.4.3) and the embedded SCT list extension (1.3.6.1.4.1.11129.2.4.2) removed
 * (lengths re-encoded in DER; the extensions [3] wrapper dropped entirely if it becomes empty). A
 * precertificate (its logged TBS, or the poisoned precertificate itself) and the final certificate issued
 * from it have the same identity. (A precertificate signed by a Precertificate Signing Certificate names
 * that certificate as issuer: only its logged TBS, where the log has put back the real issuer, matches.)
 */
export function identityOfTbs(tbs: Buffer): string {
  return hash("sha256", stripView(tbs), "hex");
}

export function identityOfCertificate(certDer: Buffer): string {
  return identityOfTbs(tbsOfCertificate(certDer));
}
