/**
 * @module pki/der
 * A minimal DER reader over one buffer (no object per element) shared by the certificate and CRL
 * parsers: TLV headers with strict bounds, OBJECT IDENTIFIERs, and X.509 times.
 */

/** Thrown by the reader; parsers catch it and turn it into a result. */
export class MalformedDer extends Error {}

export function fail(what: string, at: number): never {
  throw new MalformedDer(`${what} (at byte ${at})`);
}

export const hex2 = (n: number): string => `0x${n.toString(16).padStart(2, "0")}`;

/** One TLV header at a time; the last header read sits in `tag`/`vs`/`ve` (no object per element). */
export class Der {
  tag = 0;
  vs = 0;
  ve = 0;
  constructor(readonly b: Buffer) {}

  /** Reads the header at `pos`; the element must end by `limit`. */
  at(pos: number, limit: number, what: string): void {
    const b = this.b;
    if (pos + 2 > limit) fail(`${what}: truncated`, pos);
    const tag = b[pos] as number;
    if ((tag & 0x1f) === 0x1f) fail(`${what}: unsupported high tag number`, pos);
    let len = b[pos + 1] as number;
    let p = pos + 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0) fail(`${what}: indefinite length (BER, not DER)`, pos);
      if (n > 4) fail(`${what}: ${n}-byte length field`, pos);
      if (p + n > limit) fail(`${what}: truncated length`, pos);
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + (b[p++] as number);
    }
    if (len > limit - p)
      fail(`${what}: declared length ${len} runs past the end (${limit - p} bytes left)`, pos);
    this.tag = tag;
    this.vs = p;
    this.ve = p + len;
  }

  expect(pos: number, limit: number, tag: number, what: string): void {
    this.at(pos, limit, what);
    if (this.tag !== tag) fail(`${what}: expected tag ${hex2(tag)}, found ${hex2(this.tag)}`, pos);
  }

  /** Reads an element that must fill [pos, limit) exactly. */
  whole(pos: number, limit: number, tag: number, what: string): void {
    this.expect(pos, limit, tag, what);
    if (this.ve !== limit) fail(`${what}: ${limit - this.ve} unexpected bytes after it`, this.ve);
  }
}

export function oidString(b: Buffer, s: number, e: number): string {
  if (s === e || ((b[e - 1] as number) & 0x80) !== 0) fail("malformed OBJECT IDENTIFIER", s);
  const arcs: string[] = [];
  let v = 0n;
  for (let i = s; i < e; i++) {
    const byte = b[i] as number;
    v = (v << 7n) | BigInt(byte & 0x7f);
    if (byte & 0x80) continue;
    if (arcs.length === 0)
      arcs.push(v < 40n ? "0" : v < 80n ? "1" : "2", String(v < 80n ? v % 40n : v - 80n));
    else arcs.push(String(v));
    v = 0n;
  }
  return arcs.join(".");
}

function digits2(b: Buffer, i: number, what: string): number {
  const x = (b[i] as number) - 48;
  const y = (b[i + 1] as number) - 48;
  if (x < 0 || x > 9 || y < 0 || y > 9) fail(`${what}: not a digit`, i);
  return x * 10 + y;
}

/** UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSS[.f]Z (RFC 5280 §4.1.2.5) → epoch ms. */
export function readTime(d: Der, what: string): number {
  const { b, tag, vs, ve } = d;
  let i = vs;
  let year: number;
  if (tag === 0x17) {
    if (ve - vs !== 13) fail(`${what}: UTCTime must be YYMMDDHHMMSSZ`, vs);
    const yy = digits2(b, i, what);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
    i += 2;
  } else if (tag === 0x18) {
    if (ve - vs < 15) fail(`${what}: GeneralizedTime must be YYYYMMDDHHMMSSZ`, vs);
    year = digits2(b, i, what) * 100 + digits2(b, i + 2, what);
    i += 4;
  } else {
    return fail(`${what}: expected UTCTime or GeneralizedTime, found tag ${hex2(tag)}`, vs);
  }
  const month = digits2(b, i, what);
  const day = digits2(b, i + 2, what);
  const hour = digits2(b, i + 4, what);
  const minute = digits2(b, i + 6, what);
  const second = digits2(b, i + 8, what);
  i += 10;
  let ms = 0;
  if (tag === 0x18 && b[i] === 0x2e) {
    const f = ++i;
    for (let scale = 100; i < ve - 1 && (b[i] as number) >= 48 && (b[i] as number) <= 57; i++, scale /= 10) {
      ms += ((b[i] as number) - 48) * scale;
    }
    if (i === f) fail(`${what}: empty fraction`, i);
  }
  if (i !== ve - 1 || b[i] !== 0x5a) fail(`${what}: time must end in Z`, i);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    fail(`${what}: date out of range`, vs);
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, Math.floor(ms));
}
