/**
 * @module lookalike/gen-idna
 * Turns a candidate label (Unicode, lower case) into its ASCII form, or rejects it: LDH rules, a per-code-point
 * IDNA validity cache built once with `node:url` (UTS #46), and an RFC 3492 Punycode encoder for the hot path.
 */
import { domainToASCII, domainToUnicode } from "node:url";

/** Longest label in octets (RFC 1035), checked on the ASCII (punycode) form. */
export const MAX_LABEL = 63;
/** Longest name in octets without the trailing dot (RFC 1035). */
export const MAX_NAME = 253;

const enum CpClass {
  /** Never valid in a label (disallowed, mapped to something else, a symbol or punctuation). */
  Invalid = 0,
  /** Valid anywhere in a left-to-right label: a letter or digit that UTS #46 keeps as is. */
  Simple = 1,
  /** Valid only in some contexts (combining marks, right-to-left scripts, conjoining jamo): check the label. */
  Contextual = 2,
}

const classes = new Map<number, CpClass>();
const LETTER_OR_DIGIT = /^[\p{L}\p{Nd}]$/u;
const MARK = /^\p{M}$/u;

function roundTrips(s: string): boolean {
  const a = domainToASCII(s);
  return a !== "" && !a.includes(".") && domainToUnicode(a) === s;
}

function classify(cp: number): CpClass {
  const s = String.fromCodePoint(cp);
  if (MARK.test(s)) return CpClass.Contextual;
  if (!LETTER_OR_DIGIT.test(s)) return CpClass.Invalid;
  // Hangul conjoining jamo compose with their neighbours under NFC.
  if ((cp >= 0x1100 && cp <= 0x11ff) || (cp >= 0xa960 && cp <= 0xa97f) || (cp >= 0xd7b0 && cp <= 0xd7ff)) {
    return CpClass.Contextual;
  }
  const alone = domainToASCII(s);
  if (alone !== "" && domainToUnicode(alone) !== s) return CpClass.Invalid; // UTS #46 maps it (case, width, …)
  if (roundTrips(`a${s}a`)) return alone === "" ? CpClass.Contextual : CpClass.Simple;
  // Right-to-left letters and digits are valid only in right-to-left labels (RFC 5893).
  return alone !== "" || roundTrips(`\u0627${s}`) || roundTrips(`\u05d0${s}`)
    ? CpClass.Contextual
    : CpClass.Invalid;
}

/** Classes of BMP code points, offset by one (0 = not computed yet); astral ones go to `classes`. */
const bmpClasses = new Uint8Array(0x10000);

/** The IDNA class of a non-ASCII code point (cached). */
function classOf(cp: number): CpClass {
  if (cp < 0x10000) {
    const k = bmpClasses[cp]!;
    if (k !== 0) return k - 1;
    const c = classify(cp);
    bmpClasses[cp] = c + 1;
    return c;
  }
  let c = classes.get(cp);
  if (c === undefined) {
    c = classify(cp);
    classes.set(cp, c);
  }
  return c;
}

/**
 * Whether a code point may stand in a label next to Latin letters and digits: an ASCII letter, digit or
 * hyphen, or a Unicode letter or digit UTS #46 keeps unchanged. The characters generators substitute in.
 */
export function isSimpleLabelChar(cp: number): boolean {
  if (cp < 0x80) return (cp >= 0x61 && cp <= 0x7a) || (cp >= 0x30 && cp <= 0x39) || cp === 0x2d;
  return classOf(cp) === CpClass.Simple;
}

/** Whether a code point can be valid in some label at all (not disallowed, not mapped to something else). */
export function isPossibleLabelChar(cp: number): boolean {
  if (cp < 0x80) return (cp >= 0x61 && cp <= 0x7a) || (cp >= 0x30 && cp <= 0x39) || cp === 0x2d;
  return classOf(cp) !== CpClass.Invalid;
}

// RFC 3492 parameters.
const BASE = 36;
const TMIN = 1;
const TMAX = 26;
const SKEW = 38;
const DAMP = 700;

function adapt(delta: number, numPoints: number, first: boolean): number {
  let d = first ? Math.floor(delta / DAMP) : delta >> 1;
  d += Math.floor(d / numPoints);
  let k = 0;
  while (d > ((BASE - TMIN) * TMAX) >> 1) {
    d = Math.floor(d / (BASE - TMIN));
    k += BASE;
  }
  return k + Math.floor(((BASE - TMIN + 1) * d) / (d + SKEW));
}

/** a-z then 0-9, as character codes: the Punycode digit values 0..35. */
const DIGIT_CODES = Uint8Array.from("abcdefghijklmnopqrstuvwxyz0123456789", (c) => c.charCodeAt(0));
/** Room for one label (≤ 63 octets, more is rejected early) and a name's worth of suffix. */
const out = Buffer.alloc(1024);

/**
 * Writes Punycode (RFC 3492) of `count` code points into `out` from `o`; returns the new end, or -1 past
 * `limit`. The code points are those of one label; basic (ASCII) ones come first, then a hyphen.
 */
function punycodeInto(cps: ArrayLike<number>, count: number, o: number, limit: number): number {
  const start = o;
  for (let i = 0; i < count; i++) {
    const c = cps[i]!;
    if (c < 0x80) out[o++] = c;
  }
  const basic = o - start;
  let h = basic;
  if (basic > 0) out[o++] = 0x2d;
  let n = 0x80;
  let delta = 0;
  let bias = 72;
  while (h < count) {
    let m = 0x110000;
    for (let i = 0; i < count; i++) {
      const c = cps[i]!;
      if (c >= n && c < m) m = c;
    }
    delta += (m - n) * (h + 1);
    n = m;
    for (let i = 0; i < count; i++) {
      const c = cps[i]!;
      if (c < n) delta++;
      else if (c === n) {
        let q = delta;
        for (let k = BASE; ; k += BASE) {
          const t = k <= bias ? TMIN : k >= bias + TMAX ? TMAX : k - bias;
          if (q < t) break;
          out[o++] = DIGIT_CODES[t + ((q - t) % (BASE - t))]!;
          q = Math.floor((q - t) / (BASE - t));
        }
        out[o++] = DIGIT_CODES[q]!;
        if (o > limit) return -1;
        bias = adapt(delta, h + 1, h === basic);
        delta = 0;
        h++;
      }
    }
    delta++;
    n++;
  }
  return o;
}

/** Punycode (RFC 3492) of a string, without the `xn--` prefix. */
export function punycodeEncode(s: string): string {
  const cps = Array.from(s, (c) => c.codePointAt(0)!);
  const end = punycodeInto(cps, cps.length, 0, out.length - 8);
  if (end < 0) throw new RangeError("label too long to encode");
  return out.toString("latin1", 0, end);
}

const scratch = new Int32Array(256);

/**
 * The ASCII form of one candidate label (already lower case and NFC), or null when it cannot be a DNS label:
 * empty, over 63 octets, a leading or trailing hyphen, hyphens in positions 3 and 4, a character outside
 * letters/digits/hyphen, or a Unicode label UTS #46 rejects or would change. Equivalent to
 * `domainToASCII` + round trip for every label the generator builds, without crossing into C++ for most.
 */
export function labelToAscii(label: string): string | null {
  return labelToAsciiWith(label, "");
}

/**
 * `labelToAscii(label) + tail` in one allocation (the generator passes `.` + the suffix), or null when the
 * label is not valid. `tail` must be ASCII.
 */
export function labelToAsciiWith(label: string, tail: string): string | null {
  const len = label.length;
  if (len === 0) return null;
  if (label.charCodeAt(0) === 0x2d || label.charCodeAt(len - 1) === 0x2d) return null;
  let ascii = true;
  for (let i = 0; i < len; i++) {
    const c = label.charCodeAt(i);
    if (c >= 0x80) {
      ascii = false;
      break;
    }
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d)) return null;
  }
  if (ascii) {
    if (len > MAX_LABEL) return null;
    if (len >= 4 && label.charCodeAt(2) === 0x2d && label.charCodeAt(3) === 0x2d) return null;
    return tail === "" ? label : label + tail;
  }
  if (len > 4 * MAX_LABEL || tail.length > MAX_NAME) return null; // cannot encode to 63 octets
  const cps = scratch;
  let count = 0;
  let contextual = false;
  for (let i = 0; i < len; i++) {
    let c = label.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < len) {
      c = label.codePointAt(i)!;
      i++;
    }
    if (c < 0x80) {
      if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d)) return null;
    } else {
      const k = classOf(c);
      if (k === CpClass.Invalid) return null;
      if (k === CpClass.Contextual) contextual = true;
    }
    cps[count++] = c;
  }
  if (count >= 4 && cps[2] === 0x2d && cps[3] === 0x2d) return null;
  if (contextual) {
    const a = domainToASCII(label);
    if (a === "" || a.includes(".") || a.length > MAX_LABEL || domainToUnicode(a) !== label) return null;
    return tail === "" ? a : a + tail;
  }
  out[0] = 0x78; // "xn--"
  out[1] = 0x6e;
  out[2] = 0x2d;
  out[3] = 0x2d;
  let o = punycodeInto(cps, count, 4, MAX_LABEL);
  if (o < 0 || o > MAX_LABEL) return null;
  for (let i = 0; i < tail.length; i++) out[o++] = tail.charCodeAt(i);
  return out.toString("latin1", 0, o);
}
