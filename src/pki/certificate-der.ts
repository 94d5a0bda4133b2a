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
  d.expect(d.vs, certEnd, SEQ, "TBSCertificate");
  const tbsEnd = d.ve;
  let p = d.vs;

  d.at(p, tbsEnd, "version");
  if (tagOf(d) === 0xa0) {
    p = d.ve;
    d.at(p, tbsEnd, "serialNumber");
  }
  if (tagOf(d) !== 0x02) fail("serialNumber: expected INTEGER", p);
  const serialNumber = b.toString("hex", d.vs, d.ve).replace(/^(00)+(?=.)/, "");
  p = d.ve;
  d.expect(p, tbsEnd, SEQ, "signature");
  p = d.ve;
  d.expect(p, tbsEnd, SEQ, "issuer");
  const issuer = readName(d, p, d.ve);
  p = issuer.end;
  d.expect(p, tbsEnd, SEQ, "validity");
  const validityEnd = d.ve;
  d.at(d.vs, validityEnd, "notBefore");
  const notBefore = readTime(d, "notBefore");
  d.at(d.ve, validityEnd, "notAfter");
  const notAfter = readTime(d, "notAfter");
  p = validityEnd;
  d.expect(p, tbsEnd, SEQ, "subject");
  const subject = readName(d, p, d.ve);
  p = subject.end;
  d.expect(p, tbsEnd, SEQ, "subjectPublicKeyInfo");
  const spki = bytes.subarray(p, d.ve);
  p = d.ve;

  const f = {
    dnsNames: [] as string[],
    ipAddresses: [] as string[],
    hasSanExtension: false,
    isCa: false,
    pathLength: null as number | null,
    keyCertSign: null as boolean | null,
    extendedKeyUsages: null as string[] | null,
    subjectKeyId: null as string | null,
    authorityKeyId: null as string | null,
    crlDistributionPoints: [] as string[],
    ocspUrls: [] as string[],
    caIssuerUrls: [] as string[],
  };
  while (p < tbsEnd) {
    d.at(p, tbsEnd, "TBSCertificate field");
    const next = d.ve;
    if (tagOf(d) === 0xa3) readExtensions(d, d.vs, d.ve, f);
    else if (tagOf(d) !== 0x81 && tagOf(d) !== 0x82) fail("unexpected field in TBSCertificate", p);
    p = next;
  }

  d.expect(tbsEnd, certEnd, SEQ, "signatureAlgorithm");
  const algEnd = d.ve;
  d.expect(d.vs, algEnd, 0x06, "signatureAlgorithm");
  const sigOid = oidString(b, d.vs, d.ve);
  let pssHash: string | undefined;
  if (sigOid === RSASSA_PSS_OID) pssHash = readPssHash(d, d.ve, algEnd);

  return {
    serialNumber,
    subject: subject.text,
    issuer: issuer.text,
    subjectDer: subject.hex,
    issuerDer: issuer.hex,
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
    commonNames: subject.commonNames,
    signatureAlgorithm: signatureAlgorithm(sigOid, pssHash),
    spki,
    ...f,
  };
}

interface NameRead {
  readonly text: string;
  readonly hex: string;
  readonly commonNames: string[];
  readonly end: number;
}

/** A Name rendered as @peculiar/x509's Name.toString does (RDNs in encoded order, ", " between). */
function readName(d: Der, start: number, end: number): NameRead {
  const b = d.b;
  const hex = b.toString("hex", start, end);
  const rdns: string[] = [];
  const commonNames: string[] = [];
  let p = d.vs;
  while (p < end) {
    d.expect(p, end, 0x31, "RelativeDistinguishedName");
    const rdnEnd = d.ve;
    const parts: string[] = [];
    let q = d.vs;
    while (q < rdnEnd) {
      d.expect(q, rdnEnd, SEQ, "AttributeTypeAndValue");
      const atvEnd = d.ve;
      d.expect(d.vs, atvEnd, 0x06, "attribute type");
      const oid = oidString(b, d.vs, d.ve);
      d.at(d.ve, atvEnd, "attribute value");
      const value = directoryString(d);
      parts.push(`${NAMES[oid] ?? oid}=${escape(value)}`);
      if (oid === "2.5.4.3" && value !== "") commonNames.push(value.toLowerCase());
      q = atvEnd;
    }
    rdns.push(parts.join("+"));
    p = rdnEnd;
  }
  return { text: rdns.join(", "), hex, commonNames, end };
}

function directoryString(d: Der): string {
  switch (d.tag) {
    case 0x0c: // UTF8String
      return d.b.toString("utf8", d.vs, d.ve);
    case 0x13: // PrintableString
    case 0x16: // IA5String
      for (let i = d.vs; i < d.ve; i++)
        if ((d.b[i] as number) > 0x7e) throw new NotOnFastPath("non-ASCII in an ASCII string");
      return d.b.toString("latin1", d.vs, d.ve);
    default:
      // T61, BMP, Universal and other types: left to the full parser, which knows their quirks.
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

function readExtensions(d: Der, start: number, end: number, f: MutableFields): void {
  const b = d.b;
  d.whole(start, end, SEQ, "Extensions");
  let p = d.vs;
  while (p < end) {
    d.expect(p, end, SEQ, "Extension");
    const extEnd = d.ve;
    d.expect(d.vs, extEnd, 0x06, "extnID");
    const oid = oidString(b, d.vs, d.ve);
    d.at(d.ve, extEnd, "extension");
    if (tagOf(d) === 0x01) d.at(d.ve, extEnd, "extnValue");
    if (tagOf(d) !== 0x04) fail("extnValue: expected OCTET STRING", d.vs);
    const vs = d.vs;
    const ve = d.ve;
    switch (oid) {
      case "2.5.29.17":
        f.hasSanExtension = true;
        readGeneralNames(d, vs, ve, SEQ, (tag, s, e) => {
          if (tag === 0x82) f.dnsNames.push(b.toString("latin1", s, e).toLowerCase());
          else if (tag === 0x87) f.ipAddresses.push(ipString(b, s, e));
        });
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
        d.whole(vs, ve, SEQ, "authorityKeyIdentifier");
        if (d.vs < d.ve) {
          const akiEnd = d.ve;
          d.at(d.vs, akiEnd, "keyIdentifier");
          if (tagOf(d) === 0x80) f.authorityKeyId = b.toString("hex", d.vs, d.ve);
        }
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
    p = extEnd;
  }
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
