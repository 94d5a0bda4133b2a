/**
 * @module pki/certificate-der
 * The fast path of certificate parsing: one pass of the DER reader over the buffer, no object per
 * ASN.1 element. `parseCertificate` falls back to the @peculiar/asn1-x509 parser for anything this
 * path does not handle, and a test cross-checks both on every bundled root and generated certificate.
 */
import { signatureAlgorithm, RSASSA_PSS_OID, type SignatureAlgorithm } from "./algorithms.js";
import { Der, fail, oidString, readTime } from "./der.js";

/** Everything a certificate's bytes say that checks use (Node supplies keys and verification). */
export interface CertificateFields {
  readonly serialNumber: string;
  readonly subject: string;
  readonly issuer: string;
  readonly subjectDer: string;
  readonly issuerDer: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly commonNames: readonly string[];
  readonly hasSanExtension: boolean;
  readonly isCa: boolean;
  readonly pathLength: number | null;
  readonly keyCertSign: boolean | null;
  readonly extendedKeyUsages: readonly string[] | null;
  readonly subjectKeyId: string | null;
  readonly authorityKeyId: string | null;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly spki: Uint8Array;
  readonly crlDistributionPoints: readonly string[];
  readonly ocspUrls: readonly string[];
  readonly caIssuerUrls: readonly string[];
}

/** Thrown when the fast path meets something it leaves to the full parser (not an error in itself). */
export class NotOnFastPath extends Error {}

const SEQ = 0x30;
/** The tag of the last header read (a call, so TypeScript does not narrow it across reads). */
const tagOf = (d: Der): number => d.tag;
const NAMES: Readonly<Record<string, string>> = {
  "2.5.4.3": "CN",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.6": "C",
  "0.9.2342.19200300.100.1.25": "DC",
  "1.2.840.113549.1.9.1": "E",
  "2.5.4.42": "G",
  "2.5.4.43": "I",
  "2.5.4.4": "SN",
  "2.5.4.12": "T",
};

export function readCertificateFields(bytes: Uint8Array): CertificateFields {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const d = new Der(b);
  d.whole(0, b.length, SEQ, "Certificate");
  const certEnd = d.ve;
  const {
    end: tbsEnd,
    spkiStart,
    spkiEnd,
    notBefore,
    notAfter,
    ...tbs
  } = readTbsCertificate(b, d.vs, certEnd, "certificate", d);

  d.expect(tbsEnd, certEnd, SEQ, "signatureAlgorithm");
  const algEnd = d.ve;
  d.expect(d.vs, algEnd, 0x06, "signatureAlgorithm");
  const sigOid = oidString(b, d.vs, d.ve);
  let pssHash: string | undefined;
  if (sigOid === RSASSA_PSS_OID) pssHash = readPssHash(d, d.ve, algEnd);

  return {
    ...tbs,
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
    signatureAlgorithm: signatureAlgorithm(sigOid, pssHash),
    spki: bytes.subarray(spkiStart, spkiEnd),
  };
}

/**
 * What `readTbsCertificate` reads from one TBSCertificate: the fields of `CertificateFields` that live in
 * it (times as epoch ms), where its SubjectPublicKeyInfo sits, and where the TBSCertificate ends.
 */
export interface TbsFields extends Omit<
  CertificateFields,
  "notBefore" | "notAfter" | "signatureAlgorithm" | "spki"
> {
  readonly notBefore: number;
  readonly notAfter: number;
  /** [spkiStart, spkiEnd): the SubjectPublicKeyInfo element (header included) in the buffer read. */
  readonly spkiStart: number;
  readonly spkiEnd: number;
  /** The byte after the TBSCertificate element. */
  readonly end: number;
}

/**
 * How much of a TBSCertificate to read. `certificate`: everything `readCertificateFields` reports.
 * `ct`: only what Certificate Transparency monitoring needs — of the extensions, only subjectAltName and
 * authorityKeyIdentifier are read (the others are skipped unparsed, so `isCa`, `pathLength`,
 * `keyCertSign`, `extendedKeyUsages`, `subjectKeyId` and the URL lists keep their defaults), and
 * `subjectDer` is left empty. `names`: the same walk and the same checks as `ct` (what `ct` rejects,
 * `names` rejects with the same error, and declines what `ct` declines), but only `dnsNames` and
 * `commonNames` are read: every other string is left empty (`ipAddresses` too) and `authorityKeyId` null.
 * A CT follower reads every entry's names and the rest only for the few that match.
 */
export type TbsScope = "certificate" | "ct" | "names";

/**
 * Reads the TBSCertificate element that starts at `start` and must end by `limit` (a bare TBSCertificate,
 * or the first element of a Certificate). Throws MalformedDer, or NotOnFastPath for what it leaves to the
 * full parser (exotic string types in names, unusual iPAddress lengths).
 */
export function readTbsCertificate(
  b: Buffer,
  start: number,
  limit: number,
  scope: TbsScope = "certificate",
  d: Der = new Der(b),
): TbsFields {
  const all = scope === "certificate";
  const namesOnly = scope === "names";
  d.expect(start, limit, SEQ, "TBSCertificate");
  const tbsEnd = d.ve;
  let p = d.vs;

  d.at(p, tbsEnd, "version");
  if (tagOf(d) === 0xa0) {
    p = d.ve;
    d.at(p, tbsEnd, "serialNumber");
  }
  if (tagOf(d) !== 0x02) fail("serialNumber: expected INTEGER", p);
  // Hex without its leading zero bytes, keeping at least one byte.
  let serialStart = d.vs;
  while (serialStart < d.ve - 1 && b[serialStart] === 0) serialStart++;
  const serialNumber = namesOnly ? "" : b.toString("hex", serialStart, d.ve);
  p = d.ve;
  d.expect(p, tbsEnd, SEQ, "signature");
  p = d.ve;
  d.expect(p, tbsEnd, SEQ, "issuer");
  const issuer = all
    ? readName(d, p, d.ve, true)
    : namesOnly
      ? checkName(d, p, d.ve, false)
      : readIssuerName(d, p, d.ve);
  p = issuer.end;
  d.expect(p, tbsEnd, SEQ, "validity");
  const validityEnd = d.ve;
  d.at(d.vs, validityEnd, "notBefore");
  const notBefore = readTime(d, "notBefore");
  d.at(d.ve, validityEnd, "notAfter");
  const notAfter = readTime(d, "notAfter");
  p = validityEnd;
  d.expect(p, tbsEnd, SEQ, "subject");
  const subject = namesOnly ? checkName(d, p, d.ve, true) : readName(d, p, d.ve, all);
  p = subject.end;
  d.expect(p, tbsEnd, SEQ, "subjectPublicKeyInfo");
  const spkiStart = p;
  const spkiEnd = d.ve;
  p = d.ve;

  const f: MutableFields = {
    dnsNames: [],
    ipAddresses: [],
    hasSanExtension: false,
    isCa: false,
    pathLength: null,
    keyCertSign: null,
    extendedKeyUsages: null,
    subjectKeyId: null,
    authorityKeyId: null,
    crlDistributionPoints: [],
    ocspUrls: [],
    caIssuerUrls: [],
  };
  while (p < tbsEnd) {
    d.at(p, tbsEnd, "TBSCertificate field");
    const next = d.ve;
    if (tagOf(d) === 0xa3) {
      if (all) readExtensions(d, d.vs, d.ve, f);
      else readCtExtensions(d, d.vs, d.ve, f, namesOnly);
    } else if (tagOf(d) !== 0x81 && tagOf(d) !== 0x82) fail("unexpected field in TBSCertificate", p);
    p = next;
  }

  return {
    serialNumber,
    subject: subject.text,
    issuer: issuer.text,
    subjectDer: subject.hex,
    issuerDer: issuer.hex,
    notBefore,
    notAfter,
    commonNames: subject.commonNames,
    spkiStart,
    spkiEnd,
    end: tbsEnd,
    dnsNames: f.dnsNames,
    ipAddresses: f.ipAddresses,
    hasSanExtension: f.hasSanExtension,
    isCa: f.isCa,
    pathLength: f.pathLength,
    keyCertSign: f.keyCertSign,
    extendedKeyUsages: f.extendedKeyUsages,
    subjectKeyId: f.subjectKeyId,
    authorityKeyId: f.authorityKeyId,
    crlDistributionPoints: f.crlDistributionPoints,
    ocspUrls: f.ocspUrls,
    caIssuerUrls: f.caIssuerUrls,
  };
}

/**
 * Issuer names read in the `ct` scope, by their DER bytes (as a latin1 string): a log holds millions of
 * entries from a few hundred issuers. Bounded: cleared when full.
 */
const issuerNames = new Map<string, { readonly text: string; readonly hex: string }>();
const ISSUER_CACHE_SIZE = 4096;

/** readName for an issuer in the `ct` scope: the rendering and hex of the same bytes are reused. */
function readIssuerName(d: Der, start: number, end: number): NameRead {
  const key = d.b.toString("latin1", start, end);
  const hit = issuerNames.get(key);
  if (hit !== undefined) return { text: hit.text, hex: hit.hex, commonNames: NO_NAMES, end };
  const read = readName(d, start, end, true);
  if (issuerNames.size >= ISSUER_CACHE_SIZE) issuerNames.clear();
  issuerNames.set(key, { text: read.text, hex: read.hex });
  return read;
}
const NO_NAMES: string[] = [];

interface NameRead {
  readonly text: string;
  readonly hex: string;
  readonly commonNames: string[];
  readonly end: number;
}

/**
 * A Name rendered as @peculiar/x509's Name.toString does (RDNs in encoded order, ", " between); `hex` is
 * the Name's DER in hex, or "" when `withHex` is false.
 */
function readName(d: Der, start: number, end: number, withHex: boolean): NameRead {
  const b = d.b;
  const hex = withHex ? b.toString("hex", start, end) : "";
  const raw = b.toString("latin1", start, end);
  // RDNs joined by ", " and attributes by "+", as Array.join would (an empty RDN renders as "").
  let text = "";
  let firstRdn = true;
  const commonNames: string[] = [];
  let p = d.vs;
  while (p < end) {
    d.expect(p, end, 0x31, "RelativeDistinguishedName");
    const rdnEnd = d.ve;
    let rdn = "";
    let firstAtv = true;
    let q = d.vs;
    while (q < rdnEnd) {
      d.expect(q, rdnEnd, SEQ, "AttributeTypeAndValue");
      const atvEnd = d.ve;
      d.expect(d.vs, atvEnd, 0x06, "attribute type");
      const label = attributeLabel(b, d.vs, d.ve);
      d.at(d.ve, atvEnd, "attribute value");
      const value = directoryString(d, raw, start);
      const part = `${label}=${NEEDS_ESCAPE.test(value) ? escape(value) : value}`;
      rdn = firstAtv ? part : `${rdn}+${part}`;
      firstAtv = false;
      if (label === "CN" && value !== "") commonNames.push(value.toLowerCase());
      q = atvEnd;
    }
    text = firstRdn ? rdn : `${text}, ${rdn}`;
    firstRdn = false;
    p = rdnEnd;
  }
  return { text, hex, commonNames, end };
}

/**
 * readName's walk and checks without its rendering (the `names` scope): the same errors, and the CN values
 * as readName lists them when `wantCns` (else none); `text` and `hex` are empty.
 */
function checkName(d: Der, start: number, end: number, wantCns: boolean): NameRead {
  const b = d.b;
  let commonNames = NO_NAMES;
  let p = d.vs;
  while (p < end) {
    d.expect(p, end, 0x31, "RelativeDistinguishedName");
    const rdnEnd = d.ve;
    let q = d.vs;
    while (q < rdnEnd) {
      d.expect(q, rdnEnd, SEQ, "AttributeTypeAndValue");
      const atvEnd = d.ve;
      d.expect(d.vs, atvEnd, 0x06, "attribute type");
      // (attributeLabel's checks too: an OID outside the id-at short form is decoded, and may be malformed)
      const cn = isIdAtShortForm(b, d.vs, d.ve)
        ? wantCns && b[d.vs + 2] === 3
        : attributeLabel(b, d.vs, d.ve) === "CN" && wantCns;
      d.at(d.ve, atvEnd, "attribute value");
      const value = directoryValue(d, cn);
      if (cn && value !== "") {
        if (commonNames === NO_NAMES) commonNames = [];
        commonNames.push(value.toLowerCase());
      }
      q = atvEnd;
    }
    p = rdnEnd;
  }
  return { text: "", hex: "", commonNames, end };
}

/** Is the OID in [s, e) a one-byte arc under 2.5.4 (attributeLabel's table)? */
function isIdAtShortForm(b: Buffer, s: number, e: number): boolean {
  return e - s === 3 && b[s] === 0x55 && b[s + 1] === 0x04 && (b[s + 2] as number) < 0x80;
}

/** Labels of the one-byte arcs under 2.5.4 (id-at), precomputed: the common case skips OID decoding. */
const ID_AT_LABELS: readonly string[] = Array.from(
  { length: 128 },
  (_, i) => NAMES[`2.5.4.${i}`] ?? `2.5.4.${i}`,
);

/** The label of an attribute type OID in [s, e): its short name (CN, O, …) or its dotted form. */
function attributeLabel(b: Buffer, s: number, e: number): string {
  if (isIdAtShortForm(b, s, e)) return ID_AT_LABELS[b[s + 2] as number] as string;
  const oid = oidString(b, s, e);
  return NAMES[oid] ?? oid;
}

/** Does `escape` change the value? (Most values have nothing to escape.) */
const NEEDS_ESCAPE = /[,+"\\<>;\r\n\t]|^[ #]| $/;

/**
 * The value of a name attribute. `raw` is the whole Name decoded as latin1 from byte `base`: ASCII values
 * are cut from it (a slice, not another decode of the buffer).
 */
function directoryString(d: Der, raw: string, base: number): string {
  const { b, vs, ve } = d;
  switch (d.tag) {
    case 0x0c: // UTF8String
      for (let i = vs; i < ve; i++) if ((b[i] as number) > 0x7f) return b.toString("utf8", vs, ve);
      return raw.slice(vs - base, ve - base);
    case 0x13: // PrintableString
    case 0x16: // IA5String
      for (let i = vs; i < ve; i++)
        if ((b[i] as number) > 0x7e) throw new NotOnFastPath("non-ASCII in an ASCII string");
      return raw.slice(vs - base, ve - base);
    default:
      // T61, BMP, Universal and other types: left to the full parser, which knows their quirks.
      throw new NotOnFastPath(`name attribute of tag 0x${d.tag.toString(16)}`);
  }
}

/**
 * directoryString's checks (the same types declined) for checkName: the value only when `wanted` (as
 * directoryString gives it), else "".
 */
function directoryValue(d: Der, wanted: boolean): string {
  const { b, vs, ve } = d;
  switch (d.tag) {
    case 0x0c: // UTF8String
      if (!wanted) return "";
      for (let i = vs; i < ve; i++) if ((b[i] as number) > 0x7f) return b.toString("utf8", vs, ve);
      return b.toString("latin1", vs, ve);
    case 0x13: // PrintableString
    case 0x16: // IA5String
      for (let i = vs; i < ve; i++)
        if ((b[i] as number) > 0x7e) throw new NotOnFastPath("non-ASCII in an ASCII string");
      return wanted ? b.toString("latin1", vs, ve) : "";
    default:
      throw new NotOnFastPath(`name attribute of tag 0x${d.tag.toString(16)}`);
  }
}

function escape(data: string): string {
  return data
    .replace(/([,+"\\<>;])/g, "\\$1")
    .replace(/^([ #])/, "\\$1")
    .replace(/([ ]$)/, "\\$1")
    .replace(/([\r\n\t])/, (c) => `\\${Buffer.from(c, "utf8").toString("hex").toUpperCase()}`);
}

type MutableFields = {
  -readonly [
    K in keyof Pick<
      CertificateFields,
      | "dnsNames"
      | "ipAddresses"
      | "hasSanExtension"
      | "isCa"
      | "pathLength"
      | "keyCertSign"
      | "extendedKeyUsages"
      | "subjectKeyId"
      | "authorityKeyId"
      | "crlDistributionPoints"
      | "ocspUrls"
      | "caIssuerUrls"
    >
  ]: CertificateFields[K] extends readonly (infer T)[] ? T[] : CertificateFields[K];
};

/**
 * Walks an Extensions SEQUENCE: for each extension whose extnID bytes `wanted` accepts (every one when null),
 * `visit` gets the extnID's content range and its extnValue's content range (the OCTET STRING's inside).
 */
function forEachExtension(
  d: Der,
  start: number,
  end: number,
  wanted: ((os: number, oe: number) => boolean) | null,
  visit: (os: number, oe: number, vs: number, ve: number) => void,
): void {
  d.whole(start, end, SEQ, "Extensions");
  let p = d.vs;
  while (p < end) {
    d.expect(p, end, SEQ, "Extension");
    const extEnd = d.ve;
    d.expect(d.vs, extEnd, 0x06, "extnID");
    const os = d.vs;
    const oe = d.ve;
    if (wanted === null || wanted(os, oe)) {
      d.at(oe, extEnd, "extension");
      if (tagOf(d) === 0x01) d.at(d.ve, extEnd, "extnValue");
      if (tagOf(d) !== 0x04) fail("extnValue: expected OCTET STRING", d.vs);
      visit(os, oe, d.vs, d.ve);
    }
    p = extEnd;
  }
}

/**
 * subjectAltName: dNSNames (lower-cased) and iPAddresses (only checked when `namesOnly`). One latin1 decode;
 * each name is a slice of it.
 */
function readSubjectAltName(d: Der, vs: number, ve: number, f: MutableFields, namesOnly = false): void {
  const b = d.b;
  f.hasSanExtension = true;
  d.whole(vs, ve, SEQ, "GeneralNames");
  const raw = b.toString("latin1", vs, ve);
  for (let q = d.vs, e = d.ve; q < e; q = d.ve) {
    d.at(q, e, "GeneralName");
    if (tagOf(d) === 0x82) {
      const name = raw.slice(d.vs - vs, d.ve - vs);
      f.dnsNames.push(lowerCaseFree(b, d.vs, d.ve) ? name : name.toLowerCase());
    } else if (tagOf(d) === 0x87) {
      if (!namesOnly) f.ipAddresses.push(ipString(b, d.vs, d.ve));
      else if (d.ve - d.vs !== 4 && d.ve - d.vs !== 16)
        throw new NotOnFastPath("iPAddress of unusual length");
    }
  }
}

function readAuthorityKeyId(d: Der, vs: number, ve: number, f: MutableFields, namesOnly = false): void {
  d.whole(vs, ve, SEQ, "authorityKeyIdentifier");
  if (d.vs < d.ve) {
    const akiEnd = d.ve;
    d.at(d.vs, akiEnd, "keyIdentifier");
    if (tagOf(d) === 0x80 && !namesOnly) f.authorityKeyId = d.b.toString("hex", d.vs, d.ve);
  }
}

function readExtensions(d: Der, start: number, end: number, f: MutableFields): void {
  const b = d.b;
  forEachExtension(d, start, end, null, (os, oe, vs, ve) => {
    switch (oidString(b, os, oe)) {
      case "2.5.29.17":
        readSubjectAltName(d, vs, ve, f);
        break;
      case "2.5.29.19": {
        d.whole(vs, ve, SEQ, "basicConstraints");
        let q = d.vs;
        const bcEnd = d.ve;
        while (q < bcEnd) {
          d.at(q, bcEnd, "basicConstraints");
          if (tagOf(d) === 0x01) f.isCa = b[d.vs] !== 0;
          else if (tagOf(d) === 0x02)
            f.pathLength = Number.parseInt(b.toString("hex", d.vs, d.ve) || "0", 16);
          q = d.ve;
        }
        break;
      }
      case "2.5.29.15":
        d.whole(vs, ve, 0x03, "keyUsage");
        f.keyCertSign = d.ve - d.vs > 1 && ((b[d.vs + 1] as number) & 0x04) !== 0;
        break;
      case "2.5.29.37": {
        d.whole(vs, ve, SEQ, "extKeyUsage");
        const list: string[] = [];
        for (let q = d.vs, e = d.ve; q < e;) {
          d.expect(q, e, 0x06, "KeyPurposeId");
          list.push(oidString(b, d.vs, d.ve));
          q = d.ve;
        }
        f.extendedKeyUsages = list;
        break;
      }
      case "2.5.29.14":
        d.whole(vs, ve, 0x04, "subjectKeyIdentifier");
        f.subjectKeyId = b.toString("hex", d.vs, d.ve);
        break;
      case "2.5.29.35":
        readAuthorityKeyId(d, vs, ve, f);
        break;
      case "1.3.6.1.5.5.7.1.1": {
        d.whole(vs, ve, SEQ, "authorityInfoAccess");
        for (let q = d.vs, e = d.ve; q < e;) {
          d.expect(q, e, SEQ, "AccessDescription");
          const adEnd = d.ve;
          d.expect(d.vs, adEnd, 0x06, "accessMethod");
          const method = oidString(b, d.vs, d.ve);
          d.at(d.ve, adEnd, "accessLocation");
          if (tagOf(d) === 0x86) {
            const uri = b.toString("latin1", d.vs, d.ve);
            if (method === "1.3.6.1.5.5.7.48.1") f.ocspUrls.push(uri);
            if (method === "1.3.6.1.5.5.7.48.2") f.caIssuerUrls.push(uri);
          }
          q = adEnd;
        }
        break;
      }
      case "2.5.29.31": {
        d.whole(vs, ve, SEQ, "cRLDistributionPoints");
        for (let q = d.vs, e = d.ve; q < e;) {
          d.expect(q, e, SEQ, "DistributionPoint");
          const dpEnd = d.ve;
          if (d.vs < dpEnd) {
            d.at(d.vs, dpEnd, "distributionPoint");
            if (tagOf(d) === 0xa0 && d.vs < d.ve) {
              const dpnEnd = d.ve;
              d.at(d.vs, dpnEnd, "DistributionPointName");
              if (tagOf(d) === 0xa0) {
                readGeneralNames(d, d.vs, d.ve, null, (tag, s, e2) => {
                  if (tag === 0x86) f.crlDistributionPoints.push(b.toString("latin1", s, e2));
                });
              }
            }
          }
          q = dpEnd;
        }
        break;
      }
      default:
        break;
    }
  });
}

/**
 * The `ct` scope of `readExtensions`: subjectAltName and authorityKeyIdentifier only, recognised by their
 * OID bytes (2.5.29.17 and 2.5.29.35); every other extension is skipped without decoding its OID.
 */
function readCtExtensions(d: Der, start: number, end: number, f: MutableFields, namesOnly: boolean): void {
  const b = d.b;
  const sanOrAki = (os: number, oe: number): boolean =>
    oe - os === 3 && b[os] === 0x55 && b[os + 1] === 0x1d && (b[os + 2] === 17 || b[os + 2] === 35);
  forEachExtension(d, start, end, sanOrAki, (os, _oe, vs, ve) => {
    if (b[os + 2] === 17) readSubjectAltName(d, vs, ve, f, namesOnly);
    else readAuthorityKeyId(d, vs, ve, f, namesOnly);
  });
}

/** Would toLowerCase leave the latin1 text of [s, e) as it is? (No A–Z and nothing above 0x7f.) */
function lowerCaseFree(b: Buffer, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    const c = b[i] as number;
    if ((c >= 0x41 && c <= 0x5a) || c > 0x7f) return false;
  }
  return true;
}

/** Visits each GeneralName in [start, end): inside a SEQUENCE when `outer` is given, else bare. */
function readGeneralNames(
  d: Der,
  start: number,
  end: number,
  outer: number | null,
  visit: (tag: number, s: number, e: number) => void,
): void {
  let p = start;
  let limit = end;
  if (outer !== null) {
    d.whole(start, end, outer, "GeneralNames");
    p = d.vs;
    limit = d.ve;
  }
  while (p < limit) {
    d.at(p, limit, "GeneralName");
    visit(d.tag, d.vs, d.ve);
    p = d.ve;
  }
}

function ipString(b: Buffer, s: number, e: number): string {
  if (e - s === 4) return `${b[s]}.${b[s + 1]}.${b[s + 2]}.${b[s + 3]}`;
  if (e - s === 16) {
    const groups: string[] = [];
    for (let i = s; i < e; i += 2) groups.push(b.readUInt16BE(i).toString(16));
    return new URL(`http://[${groups.join(":")}]/`).hostname.slice(1, -1);
  }
  throw new NotOnFastPath("iPAddress of unusual length");
}

/** The hash OID inside RSASSA-PSS parameters; undefined means the default (SHA-1). */
function readPssHash(d: Der, start: number, end: number): string | undefined {
  if (start >= end) return undefined;
  d.expect(start, end, SEQ, "RSASSA-PSS-params");
  const paramsEnd = d.ve;
  if (d.vs >= paramsEnd) return undefined;
  d.at(d.vs, paramsEnd, "hashAlgorithm");
  if (tagOf(d) !== 0xa0) return undefined;
  d.expect(d.vs, d.ve, SEQ, "hashAlgorithm");
  d.expect(d.vs, d.ve, 0x06, "hashAlgorithm");
  return oidString(d.b, d.vs, d.ve);
}
