/**
 * @module pki/crl
 * Parses a DER CRL (RFC 5280 §5) with a hand-rolled DER walker over the one buffer — real CRLs hold
 * 100,000s of entries — into an O(1) map of revoked serials, and verifies its signature with node:crypto.
 */
import type { KeyObject } from "node:crypto";
import {
  RSASSA_PSS_OID,
  signatureAlgorithm,
  type SignatureAlgorithm,
  type SignatureHash,
} from "./algorithms.js";
export type { PssParams } from "./signature.js";
import { Der, fail, hex2, oidString, readTime } from "./der.js";
import { verifySignature, type PssParams } from "./signature.js";

/** RFC 5280 §5.3.1 reason names, indexed by their reasonCode (7 is unused). */
const REASONS: readonly (string | undefined)[] = [
  "unspecified",
  "keyCompromise",
  "cACompromise",
  "affiliationChanged",
  "superseded",
  "cessationOfOperation",
  "certificateHold",
  undefined,
  "removeFromCRL",
  "privilegeWithdrawn",
  "aACompromise",
];

export interface RevokedEntry {
  readonly revokedAt: Date;
  /** RFC 5280 name of the reasonCode entry extension; null when absent; `unrecognized(n)` otherwise. */
  readonly reason: string | null;
}

export interface IssuingDistributionPoint {
  readonly fullNameUris: readonly string[];
  /** The distribution point is named relative to the CRL issuer (no URI to compare). */
  readonly hasRelativeName: boolean;
  readonly onlyContainsUserCerts: boolean;
  readonly onlyContainsCACerts: boolean;
  readonly onlyContainsAttributeCerts: boolean;
  /** The CRL covers only some revocation reasons (a partition by reason). */
  readonly onlySomeReasons: boolean;
  readonly indirectCRL: boolean;
}

export interface ParsedCrl {
  readonly der: Uint8Array;
  /** The signed TBSCertList bytes: a view into `der`, not a copy. */
  readonly tbs: Uint8Array;
  readonly signature: Uint8Array;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly pss: PssParams | null;
  /** DER of the issuer Name, hex: compare with ParsedCertificate.subjectDer / issuerDer. */
  readonly issuerDer: string;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | null;
  readonly crlNumber: bigint | null;
  readonly authorityKeyId: string | null;
  readonly issuingDistributionPoint: IssuingDistributionPoint | null;
  /** BaseCRLNumber of the delta CRL indicator; non-null means this is a delta CRL. */
  readonly deltaBaseCrlNumber: bigint | null;
  /** Critical CRL or entry extensions not understood here: RFC 5280 says such a CRL must not be used. */
  readonly unsupportedCriticalExtensions: readonly string[];
  /** Distinct revoked certificates listed. */
  readonly revokedCount: number;
  /**
   * O(1). `serialHex` as ParsedCertificate.serialNumber spells it (any case, leading 00 bytes allowed);
   * `certIssuerDer` (hex) defaults to the CRL issuer and matters only for indirect CRLs.
   */
  revocation(serialHex: string, certIssuerDer?: string): RevokedEntry | null;
  isRevoked(serialHex: string, certIssuerDer?: string): boolean;
  /** Every entry, in CRL order (for display and tests; lookups should use `revocation`). */
  entries(): IterableIterator<RevokedListing>;
}

export interface RevokedListing extends RevokedEntry {
  readonly serialHex: string;
  /** Hex DER Name of the certificate's issuer: the CRL issuer unless a certificateIssuer entry extension said otherwise. */
  readonly issuerDer: string;
}

export type CrlParseResult =
  { readonly ok: true; readonly crl: ParsedCrl } | { readonly ok: false; readonly error: string };

export function parseCrl(der: Uint8Array): CrlParseResult {
  try {
    return { ok: true, crl: walk(der) };
  } catch (e) {
    return { ok: false, error: `malformed CRL: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** Serial hex as ParsedCertificate.serialNumber spells it: lower case, leading 00 bytes stripped. */
export function normalizeSerial(serialHex: string): string {
  return serialHex.toLowerCase().replace(/^(00)+(?=.)/, "");
}

/** The map key of a serial: lower-case hex without leading 00 bytes; null if not hex. */
function serialKey(serialHex: string): string | null {
  if (!HEX.test(serialHex)) return null;
  const even = serialHex.length % 2 === 0 ? serialHex : `0${serialHex}`;
  return normalizeSerial(even);
}

const HEX = /^[0-9a-fA-F]+$/;

/** Smallest revoked entry: SEQUENCE header 2 + INTEGER 3 + UTCTime 15. Bounds the slots to allocate. */
const MIN_ENTRY_BYTES = 20;
const NO_REASON = 255;

/**
 * The revoked serials: key → slot, with dates and reasons in typed arrays beside the map, so that
 * 100,000s of entries cost one map entry each and almost nothing to the garbage collector.
 */
class RevokedSet {
  /** Serials of the CRL issuer's certificates. */
  readonly own = new Map<string, number>();
  /** Indirect CRLs: `issuerDerHex/serialKey` for certificates of other issuers. */
  readonly foreign = new Map<string, number>();
  readonly times: Float64Array;
  readonly reasons: Uint8Array;
  count = 0;

  constructor(capacity: number) {
    this.times = new Float64Array(capacity);
    this.reasons = new Uint8Array(capacity);
  }

  add(key: string, own: boolean, time: number, reason: number): void {
    const map = own ? this.own : this.foreign;
    if (map.has(key)) return; // a serial listed twice: the first entry wins
    const slot = this.count++;
    map.set(key, slot);
    this.times[slot] = time;
    this.reasons[slot] = reason;
  }

  get(key: string, own: boolean): RevokedEntry | null {
    const slot = (own ? this.own : this.foreign).get(key);
    return slot === undefined ? null : this.entry(slot);
  }

  entry(slot: number): RevokedEntry {
    const code = this.reasons[slot] as number;
    const reason = code === NO_REASON ? null : (REASONS[code] ?? `unrecognized(${code})`);
    return { revokedAt: new Date(this.times[slot] as number), reason };
  }

  *list(crlIssuer: string): IterableIterator<RevokedListing> {
    const all = [...this.own.entries()].map(([k, slot]) => [crlIssuer, k, slot] as const);
    for (const [k, slot] of this.foreign) {
      const cut = k.indexOf("/");
      all.push([k.slice(0, cut), k.slice(cut + 1), slot]);
    }
    all.sort((a, b) => a[2] - b[2]);
    for (const [issuerDer, k, slot] of all) {
      yield { serialHex: k, issuerDer, ...this.entry(slot) };
    }
  }
}

function walk(der: Uint8Array): ParsedCrl {
  const b = Buffer.from(der.buffer, der.byteOffset, der.byteLength);
  const d = new Der(b);
  d.whole(0, b.length, 0x30, "CertificateList");
  const tbsTlv = d.vs;
  d.expect(tbsTlv, b.length, 0x30, "TBSCertList");
  const tbsStart = d.vs;
  const tbsEnd = d.ve;
  const alg = readAlgorithm(d, tbsEnd, b.length, "signatureAlgorithm");
  d.whole(alg.end, b.length, 0x03, "signatureValue");
  if (d.ve === d.vs || b[d.vs] !== 0) fail("signatureValue: not a whole number of bytes", d.vs);
  const signature = der.subarray(d.vs + 1, d.ve);

  let p = tbsStart;
  d.at(p, tbsEnd, "TBSCertList version");
  if (d.tag === 0x02) {
    if (d.ve - d.vs !== 1 || b[d.vs] !== 1) fail("unsupported CRL version (only v2 may be present)", p);
    p = d.ve;
  }
  d.expect(p, tbsEnd, 0x30, "TBSCertList signature");
  if (b.compare(b, tbsEnd, alg.end, p, d.ve) !== 0) {
    fail("the signature algorithm inside TBSCertList differs from the outer one", p);
  }
  p = d.ve;
  d.expect(p, tbsEnd, 0x30, "issuer");
  const issuerDer = b.toString("hex", p, d.ve);
  p = d.ve;
  d.at(p, tbsEnd, "thisUpdate");
  const thisUpdate = new Date(readTime(d, "thisUpdate"));
  p = d.ve;
  let nextUpdate: Date | null = null;
  if (p < tbsEnd) {
    d.at(p, tbsEnd, "nextUpdate");
    if (d.tag === 0x17 || d.tag === 0x18) {
      nextUpdate = new Date(readTime(d, "nextUpdate"));
      p = d.ve;
    }
  }
  const critical = new Set<string>();
  let revoked = new RevokedSet(0);
  if (p < tbsEnd) {
    d.at(p, tbsEnd, "revokedCertificates");
    if (d.tag === 0x30) {
      p = d.ve;
      revoked = new RevokedSet(Math.ceil((d.ve - d.vs) / MIN_ENTRY_BYTES));
      readEntries(d, d.vs, d.ve, issuerDer, revoked, critical);
    }
  }
  let ext: CrlExtensions | null = null;
  if (p < tbsEnd) {
    d.whole(p, tbsEnd, 0xa0, "crlExtensions");
    ext = readCrlExtensions(d, d.vs, d.ve, critical);
  }

  const lookup = (serialHex: string, certIssuerDer?: string): RevokedEntry | null => {
    const serial = serialKey(serialHex);
    if (serial === null) return null;
    const own = certIssuerDer === undefined || certIssuerDer.toLowerCase() === issuerDer;
    return revoked.get(own ? serial : `${certIssuerDer.toLowerCase()}/${serial}`, own);
  };
  return {
    der,
    tbs: der.subarray(tbsTlv, tbsEnd),
    signature,
    signatureAlgorithm: alg.algorithm,
    pss: alg.pss,
    issuerDer,
    thisUpdate,
    nextUpdate,
    crlNumber: ext?.crlNumber ?? null,
    authorityKeyId: ext?.authorityKeyId ?? null,
    issuingDistributionPoint: ext?.idp ?? null,
    deltaBaseCrlNumber: ext?.deltaBase ?? null,
    unsupportedCriticalExtensions: [...critical],
    revokedCount: revoked.count,
    revocation: lookup,
    isRevoked: (serialHex, certIssuerDer) => lookup(serialHex, certIssuerDer) !== null,
    entries: () => revoked.list(issuerDer),
  };
}

/** The hot loop: one pass; per entry, only the serial string and its map entry are allocated. */
function readEntries(
  d: Der,
  start: number,
  end: number,
  crlIssuer: string,
  revoked: RevokedSet,
  critical: Set<string>,
): void {
  const b = d.b;
  let issuerPrefix = ""; // RFC 5280 §5.3.3: a certificateIssuer applies to this entry and the ones after it
  let p = start;
  while (p < end) {
    d.expect(p, end, 0x30, "revoked entry");
    const entryEnd = d.ve;
    d.expect(d.vs, entryEnd, 0x02, "revoked entry serial");
    let s = d.vs;
    const se = d.ve;
    if (s === se) fail("revoked entry serial: empty INTEGER", p);
    while (s < se - 1 && b[s] === 0) s++;
    const serial = b.toString("hex", s, se);
    d.at(se, entryEnd, "revocationDate");
    const revokedAt = readTime(d, "revocationDate");
    let reason = NO_REASON;
    if (d.ve < entryEnd) {
      d.whole(d.ve, entryEnd, 0x30, "crlEntryExtensions");
      let q = d.vs;
      while (q < entryEnd) {
        const x = readExtension(d, q, entryEnd, "entry extension");
        const o = x.oidStart;
        const id = x.oidEnd - o === 3 && b[o] === 0x55 && b[o + 1] === 0x1d ? (b[o + 2] as number) : -1;
        if (id === 21) reason = readReason(d, x.vs, x.ve);
        else if (id === 29) issuerPrefix = certificateIssuerKey(d, x.vs, x.ve, crlIssuer);
        else if (id !== 24 && x.critical) critical.add(oidString(b, x.oidStart, x.oidEnd));
        q = x.end;
      }
    }
    if (issuerPrefix === "") revoked.add(serial, true, revokedAt, reason);
    else revoked.add(issuerPrefix + serial, false, revokedAt, reason);
    p = entryEnd;
  }
}

interface ExtensionTlv {
  oidStart: number;
  oidEnd: number;
  critical: boolean;
  /** extnValue contents. */
  vs: number;
  ve: number;
  end: number;
}

const scratch: ExtensionTlv = { oidStart: 0, oidEnd: 0, critical: false, vs: 0, ve: 0, end: 0 };

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }. */
function readExtension(d: Der, pos: number, limit: number, what: string): ExtensionTlv {
  const b = d.b;
  d.expect(pos, limit, 0x30, what);
  const end = d.ve;
  d.expect(d.vs, end, 0x06, what);
  scratch.oidStart = d.vs;
  scratch.oidEnd = d.ve;
  d.at(d.ve, end, what);
  scratch.critical = false;
  if (d.tag === 0x01) {
    scratch.critical = d.ve - d.vs === 1 && b[d.vs] !== 0;
    d.at(d.ve, end, what);
  }
  if (d.tag !== 0x04 || d.ve !== end)
    fail(`${what}: extnValue must be an OCTET STRING ending the extension`, d.vs);
  scratch.vs = d.vs;
  scratch.ve = d.ve;
  scratch.end = end;
  return scratch;
}

/** The reasonCode, capped at 254 (255 means "no reason"). */
function readReason(d: Der, s: number, e: number): number {
  d.whole(s, e, 0x0a, "reasonCode");
  return Math.min(readSmallInt(d, "reasonCode"), NO_REASON - 1);
}

function readSmallInt(d: Der, what: string): number {
  const len = d.ve - d.vs;
  if (len < 1 || len > 4) fail(`${what}: ${len}-byte integer`, d.vs);
  let n = 0;
  for (let i = d.vs; i < d.ve; i++) n = n * 256 + (d.b[i] as number);
  return n;
}

/** The map-key prefix for entries of another issuer; "" when the entry names the CRL issuer itself. */
function certificateIssuerKey(d: Der, s: number, e: number, crlIssuer: string): string {
  d.whole(s, e, 0x30, "certificateIssuer");
  const end = d.ve;
  let p = d.vs;
  while (p < end) {
    d.at(p, end, "certificateIssuer name");
    const next = d.ve;
    if (d.tag === 0xa4) {
      const nameStart = d.vs;
      d.whole(nameStart, d.ve, 0x30, "certificateIssuer directoryName");
      const name = d.b.toString("hex", nameStart, d.ve);
      return name === crlIssuer ? "" : `${name}/`;
    }
    p = next;
  }
  return `names:${d.b.toString("hex", s, e)}/`;
}

interface CrlExtensions {
  crlNumber: bigint | null;
  deltaBase: bigint | null;
  authorityKeyId: string | null;
  idp: IssuingDistributionPoint | null;
}

/** CRL extensions this module reads or may safely ignore. */
const UNDERSTOOD = new Set(["2.5.29.20", "2.5.29.27", "2.5.29.28", "2.5.29.35", "2.5.29.46", "2.5.29.18"]);

function readCrlExtensions(d: Der, s: number, e: number, critical: Set<string>): CrlExtensions {
  const out: CrlExtensions = { crlNumber: null, deltaBase: null, authorityKeyId: null, idp: null };
  d.whole(s, e, 0x30, "crlExtensions");
  const seen = new Set<string>();
  let p = d.vs;
  while (p < e) {
    const x = readExtension(d, p, e, "CRL extension");
    const oid = oidString(d.b, x.oidStart, x.oidEnd);
    if (seen.has(oid)) fail(`CRL extension ${oid} appears twice`, p);
    seen.add(oid);
    const { vs, ve, end } = x;
    if (oid === "2.5.29.20") out.crlNumber = readBigInt(d, vs, ve, "cRLNumber");
    else if (oid === "2.5.29.27") out.deltaBase = readBigInt(d, vs, ve, "deltaCRLIndicator");
    else if (oid === "2.5.29.35") out.authorityKeyId = readAki(d, vs, ve);
    else if (oid === "2.5.29.28") out.idp = readIdp(d, vs, ve);
    else if (x.critical && !UNDERSTOOD.has(oid)) critical.add(oid);
    p = end;
  }
  return out;
}

function readBigInt(d: Der, s: number, e: number, what: string): bigint {
  d.whole(s, e, 0x02, what);
  const len = d.ve - d.vs;
  if (len < 1 || len > 64) fail(`${what}: ${len}-byte integer`, s);
  return BigInt.asIntN(len * 8, BigInt(`0x${d.b.toString("hex", d.vs, d.ve)}`));
}

function readAki(d: Der, s: number, e: number): string | null {
  d.whole(s, e, 0x30, "authorityKeyIdentifier");
  const end = d.ve;
  let p = d.vs;
  while (p < end) {
    d.at(p, end, "authorityKeyIdentifier field");
    if (d.tag === 0x80) return d.b.toString("hex", d.vs, d.ve);
    p = d.ve;
  }
  return null;
}

function readIdp(d: Der, s: number, e: number): IssuingDistributionPoint {
  const b = d.b;
  d.whole(s, e, 0x30, "issuingDistributionPoint");
  const end = d.ve;
  const fullNameUris: string[] = [];
  let hasRelativeName = false;
  const flags = [false, false, false, false, false, false];
  let p = d.vs;
  while (p < end) {
    d.at(p, end, "issuingDistributionPoint field");
    const { tag, vs, ve } = d;
    const next = ve;
    if (tag === 0xa0) {
      const choice = b[vs] === 0xa1 ? 0xa1 : 0xa0;
      d.whole(vs, ve, choice, "distributionPoint");
      if (choice === 0xa1) hasRelativeName = true;
      else {
        for (let q = d.vs; q < ve; q = d.ve) {
          d.at(q, ve, "distributionPoint fullName");
          if (d.tag === 0x86) fullNameUris.push(b.toString("latin1", d.vs, d.ve));
        }
      }
    } else if (tag >= 0x81 && tag <= 0x85) {
      // [3] onlySomeReasons is a BIT STRING; its presence is what matters here.
      flags[tag & 0x0f] = tag === 0x83 || (ve - vs === 1 && b[vs] !== 0);
    } else {
      fail(`issuingDistributionPoint: unexpected field ${hex2(tag)}`, p);
    }
    p = next;
  }
  return {
    fullNameUris,
    hasRelativeName,
    onlyContainsUserCerts: flags[1] === true,
    onlyContainsCACerts: flags[2] === true,
    onlySomeReasons: flags[3] === true,
    indirectCRL: flags[4] === true,
    onlyContainsAttributeCerts: flags[5] === true,
  };
}

interface AlgorithmRead {
  algorithm: SignatureAlgorithm;
  pss: PssParams | null;
  end: number;
}

const hashOf = (oid: string): SignatureHash => signatureAlgorithm(RSASSA_PSS_OID, oid).hash;

function readAlgorithm(d: Der, pos: number, limit: number, what: string): AlgorithmRead {
  d.expect(pos, limit, 0x30, what);
  const end = d.ve;
  d.expect(d.vs, end, 0x06, what);
  const oid = oidString(d.b, d.vs, d.ve);
  if (oid !== RSASSA_PSS_OID) return { algorithm: signatureAlgorithm(oid), pss: null, end };
  const pss = { hash: "SHA-1" as SignatureHash, mgf1Hash: "SHA-1" as SignatureHash, saltLength: 20 };
  let hashOid: string | undefined;
  if (d.ve < end && d.b[d.ve] !== 0x05) {
    d.whole(d.ve, end, 0x30, "RSASSA-PSS parameters");
    for (let p = d.vs, pe = d.ve; p < pe; p = d.ve) {
      d.at(p, pe, "RSASSA-PSS parameter");
      const { tag, vs, ve } = d;
      if (tag === 0xa0) {
        hashOid = innerOid(d, vs, ve, "hashAlgorithm");
        pss.hash = hashOf(hashOid);
      } else if (tag === 0xa1) {
        d.whole(vs, ve, 0x30, "maskGenAlgorithm");
        d.expect(d.vs, ve, 0x06, "maskGenAlgorithm");
        const mgfEnd = ve;
        const mgf = oidString(d.b, d.vs, d.ve);
        pss.mgf1Hash = mgf === "1.2.840.113549.1.1.8" ? hashOf(innerOid(d, d.ve, mgfEnd, "MGF1 hash")) : null;
      } else if (tag === 0xa2) {
        d.whole(vs, ve, 0x02, "saltLength");
        pss.saltLength = readSmallInt(d, "saltLength");
      }
      d.ve = ve;
    }
  }
  return { algorithm: signatureAlgorithm(oid, hashOid), pss, end };
}

/** The OID of the AlgorithmIdentifier that fills [s, e). */
function innerOid(d: Der, s: number, e: number, what: string): string {
  d.whole(s, e, 0x30, what);
  d.expect(d.vs, d.ve, 0x06, what);
  return oidString(d.b, d.vs, d.ve);
}

/** Does `issuerPublicKey` carry the CRL's signature? False for unknown algorithms or a key of the wrong type. */
export function verifyCrlSignature(crl: ParsedCrl, issuerPublicKey: KeyObject): boolean {
  return (
    verifySignature(crl.signatureAlgorithm, crl.pss, crl.tbs, crl.signature, issuerPublicKey) === "valid"
  );
}
