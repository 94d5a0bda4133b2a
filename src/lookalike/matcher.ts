/**
 * @module lookalike/matcher
 * The CT-stream lookalike matcher (event 12): does a certificate name's registrable domain imitate a watched
 * domain? Confusable skeletons, typos (symmetric-delete index), embedded brands (Aho-Corasick), in a few hash probes.
 */
import type { LookalikeVerdict } from "../checks/lookalike.js";
import { domainToASCII, domainToUnicode } from "node:url";
import { getDomain } from "tldts";
import { ASCII_FOLD, foldAscii, foldForMatching, foldUncontracted, skeleton } from "./skeleton.js";

export type LookalikeReason = "confusable" | "typo" | "embedded-label" | "embedded-domain" | "permutation";

/** A lookalike found for one name: the verdict checks/lookalike.ts turns into event 12, its reasons typed. */
export interface LookalikeMatch extends LookalikeVerdict {
  readonly reasons: readonly LookalikeReason[];
}

export interface MatcherOptions {
  /** The organisation's own registrable domains (never lookalikes), besides the watched ones. */
  readonly own?: readonly string[];
  /** lookalikes.ignore: registrable domains that never alert (a name under one never alerts either). */
  readonly ignore?: readonly string[];
  /**
   * Precomputed candidates (e.g. from the generator), registrable domain → families; optional. Keys are
   * registrable domains (the lookup is by the name's registrable domain); lower-case ASCII keys are used
   * as given, without a copy.
   */
  readonly permutations?: ReadonlyMap<string, readonly string[]>;
  /**
   * Largest edit distance that still counts as a typo, by folded label length (default: 1 for labels ≤ 5
   * chars, 2 above; never for labels < 4). Applied to both labels: a pair counts when its distance is within
   * the smaller of the two limits. Clamped to 0..3.
   */
  readonly maxDistance?: (labelLength: number) => number;
}

/** Default `maxDistance`. */
export function defaultMaxDistance(labelLength: number): number {
  return labelLength < 4 ? 0 : labelLength <= 5 ? 1 : 2;
}

/**
 * Short common words: a watched label among these (and any one-character label) is never looked for inside
 * other domains — `shop.example` must not flag `shop-online.net`. Other short labels (`ibm`, `hp`) are
 * looked for as whole tokens only (`ibm-login.com`); labels of 5 characters or more also as plain substrings
 * (`contosologin`).
 */
const GENERIC_SHORT = new Set(
  (
    "am an as at be by do go he hi if in is it me mr my no of oh ok on or so to tv up us we air all app " +
    "art ask bar bay bed bee bet big bio bit biz box boy bus buy cam car cat cup cut dad day dev dig doc " +
    "dog eat eco edu eye fab fan fax fit fix fly fun gas gay get gov guy her him his hop hot hub ice ink " +
    "jet job joy key kid lab law log man map max med mix mob mom net new now one org our own pay pen pet " +
    "pic pin pod pop pro pub red run sea seo ski sky sol son spa sun tax tea the tip top toy two uni van " +
    "vet via vip war way web win yes you zoo apps auto baby bank bars base best bike blog blue boat body " +
    "book cafe cake call camp card care cars case cash chat city club code cook cool corp data date deal " +
    "diet dish docs door down easy face fair farm fast film find fire fish flat food foot form free fund " +
    "game gift girl give gold golf good grid guru hair hand help hero hide high hire home host hour idea " +
    "info jobs join just kids king lady land lead life like line link list live loan lock long look love " +
    "luck mail main make maps mart meet menu mind more move name news next nice node only open page paid " +
    "park part pets pick pink plan play plus post quiz race rain read real rent rest ride ring road rock " +
    "room safe sale save shop show sign site size snow soft spot star stay step stop sure swim taxi team " +
    "tech tell test text time tips tour town toys tree trip true tube type view wall well west wifi wiki " +
    "wine wise work yoga your zero zone"
  ).split(" "),
);

/** tldts options for names already known to be host names (no URL parsing, no validation). */
export const TLDTS_OPTIONS = {
  allowPrivateDomains: true,
  extractHostname: false,
  validateHostname: false,
  detectIp: false,
  mixedInputs: false,
} as const;

const MAX_K = 3;
const MAX_LEN = 256;
/** Polynomial rolling hash base (odd), arithmetic modulo 2^32. */
const B = 0x01000193;
const POW = (() => {
  const p = new Int32Array(MAX_LEN + 1);
  p[0] = 1;
  for (let i = 1; i <= MAX_LEN; i++) p[i] = Math.imul(p[i - 1]!, B);
  return p;
})();

function hashString(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, B) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * The filter of the deletion index: 2^20 bits (128 KiB) in 2,048 blocks of 512 bits (one 64-byte cache
 * line); a hash sets or tests 2 bits of one block. With 40,000 keys (1,000 watched labels) about 0.6% of
 * absent hashes pass. (256 KiB and 512 KiB measured no faster.)
 */
const FILTER_WORDS = 1 << 15;

function filterHas(filter: Int32Array, h: number): boolean {
  const g = Math.imul(h, 0x9e3779b1);
  const base = (g >>> 21) << 4;
  const b1 = (g >>> 11) & 511;
  const b2 = (g >>> 2) & 511;
  return (
    (filter[base + (b1 >>> 5)]! & (1 << (b1 & 31))) !== 0 &&
    (filter[base + (b2 >>> 5)]! & (1 << (b2 & 31))) !== 0
  );
}

function filterAdd(filter: Int32Array, h: number): void {
  const g = Math.imul(h, 0x9e3779b1);
  const base = (g >>> 21) << 4;
  const b1 = (g >>> 11) & 511;
  const b2 = (g >>> 2) & 511;
  filter[base + (b1 >>> 5)] = filter[base + (b1 >>> 5)]! | (1 << (b1 & 31));
  filter[base + (b2 >>> 5)] = filter[base + (b2 >>> 5)]! | (1 << (b2 & 31));
}

/** First slot for hash `h` in a table of 2^(32 - shift) slots. */
function slotOf(h: number, shift: number): number {
  return Math.imul(h, 0x85ebca77) >>> shift;
}

/** Every string reachable from `s` by at most `k` deletions of one UTF-16 unit each (s included). */
function deletions(s: string, k: number): Set<string> {
  const out = new Set<string>([s]);
  let frontier = [s];
  for (let d = 0; d < k; d++) {
    const next: string[] = [];
    for (const t of frontier) {
      for (let i = 0; i < t.length; i++) {
        const v = t.slice(0, i) + t.slice(i + 1);
        if (!out.has(v)) {
          out.add(v);
          next.push(v);
        }
      }
    }
    frontier = next;
  }
  return out;
}

/** Scratch rows of `damerauLevenshtein` (grown on demand; the function is synchronous). */
const rows: Int32Array[] = [new Int32Array(64), new Int32Array(64), new Int32Array(64)];

/**
 * Optimal-string-alignment Damerau-Levenshtein distance (insertions, deletions, substitutions, adjacent
 * transpositions), or `max + 1` as soon as it is certain to exceed `max`.
 */
export function damerauLevenshtein(a: string, b: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = a.length;
  const m = b.length;
  if (Math.abs(n - m) > max) return max + 1;
  if (n === 0) return m;
  if (m === 0) return n;
  if (rows[0]!.length < m + 1) for (let r = 0; r < 3; r++) rows[r] = new Int32Array(m + 1);
  let prev2 = rows[0]!;
  let prev = rows[1]!;
  let cur = rows[2]!;
  for (let j = 0; j <= m; j++) prev[j] = j;
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    let rowMin = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= m; j++) {
      const cb = b.charCodeAt(j - 1);
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (ca === cb ? 0 : 1));
      if (i > 1 && j > 1 && ca === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === cb) {
        v = Math.min(v, prev2[j - 2]! + 1);
      }
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    const t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  return prev[m]!;
}

/** One watched domain. */
interface Watched {
  /** As configured (ASCII, lower case). */
  readonly domain: string;
  readonly registrable: string;
  /** The registrable domain's first label, ASCII. */
  readonly label: string;
  /** The same label decoded. */
  readonly labelUnicode: string;
}

/** Watched domains whose registrable labels fold to one key. */
interface Brand {
  /** `foldForMatching` of the label: the skeleton key. */
  readonly key: string;
  /** `foldUncontracted` of the label (equal to `key` unless the label has m, w, rn or vv). */
  readonly keyU: string;
  /** Sorted by domain; never empty. */
  readonly watched: Watched[];
  /** Looked for as a whole `-`-separated token of other registrable labels. */
  readonly embedToken: boolean;
  /** Looked for as any substring of other registrable labels (≥ 5 characters). */
  readonly embedSubstring: boolean;
  /** The typo limit for this label (0: not in the deletion index), by the length of `key` and of `keyU`. */
  readonly k: number;
  readonly kU: number;
}

/** What step 3 of `match` (skeleton and typo indexes) found for a registrable label. */
type LabelVerdict = Pick<Acc, "brand" | "confusable" | "distance" | "typoFamily">;
/** Step 3 found nothing. */
const NO_LABEL_HIT: LabelVerdict = { brand: -1, confusable: false, distance: null, typoFamily: null };
/** Labels remembered (cleared when full). */
const LABEL_CACHE_SIZE = 16_384;

/** A hit being assembled for one brand. */
interface Acc {
  brand: number;
  confusable: boolean;
  distance: number | null;
  typoFamily: string | null;
  permutation: readonly string[] | null;
  embeddedToken: boolean;
  embeddedSubstring: boolean;
  embeddedDomain: Watched | null;
}

function newAcc(brand: number): Acc {
  return {
    brand,
    confusable: false,
    distance: null,
    typoFamily: null,
    permutation: null,
    embeddedToken: false,
    embeddedSubstring: false,
    embeddedDomain: null,
  };
}

const SEP = 1; // the Aho-Corasick symbol of both '.' and '-'

function isIpv4Like(n: string): boolean {
  // A name whose last label is all digits is an IPv4 address (or junk): no top-level domain is numeric.
  const dot = n.lastIndexOf(".");
  if (dot === n.length - 1) return false;
  for (let i = dot + 1; i < n.length; i++) {
    const c = n.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 128) return false;
  return true;
}

/** Lower-case ASCII form of a configured domain, or null when it has none. */
function normaliseDomain(d: string): string | null {
  let n = d.trim().toLowerCase().replace(/\.$/, "");
  if (n.startsWith("*.")) n = n.slice(2);
  if (n === "") return null;
  if (!isAscii(n)) {
    n = domainToASCII(n);
    if (n === "") return null;
  }
  return n;
}

function decodeLabel(label: string): string {
  if (!label.startsWith("xn--")) return label;
  const u = domainToUnicode(label);
  return u === "" || u.includes(".") ? label : u;
}

function toUnicode(domain: string): string {
  if (!domain.includes("xn--")) return domain;
  const u = domainToUnicode(domain);
  return u === "" ? domain : u;
}

/** The folded form of a whole name: every label folded, `.` kept. */
function foldName(n: string): string {
  if (!n.includes("xn--")) {
    const fast = foldAscii(n);
    if (fast !== null) return fast;
  }
  return n
    .split(".")
    .map((l) => foldForMatching(decodeLabel(l)))
    .join(".");
}

const VOWELS = new Set(["a", "e", "i", "o", "u"]);

/** The dnstwist family of a distance-1 edit turning `w` (watched key) into `c` (candidate key). */
function typoFamily(c: string, w: string): string | null {
  let i = 0;
  while (i < c.length && i < w.length && c[i] === w[i]) i++;
  if (c.length === w.length - 1) return "omission";
  if (c.length === w.length + 1) {
    if (c[i] === "-") return "hyphenation";
    if (i === w.length) return "addition";
    if (c[i] === c[i - 1] || c[i] === c[i + 1]) return "repetition";
    return "insertion";
  }
  if (c.length !== w.length || i >= c.length) return null;
  if (i + 1 < c.length && c[i] === w[i + 1] && c[i + 1] === w[i] && c.slice(i + 2) === w.slice(i + 2)) {
    return "transposition";
  }
  const x = c.charCodeAt(i) ^ w.charCodeAt(i);
  if (VOWELS.has(c[i]!) && VOWELS.has(w[i]!)) return "vowel-swap";
  if ((x & (x - 1)) === 0) return "bitsquatting";
  return "replacement";
}

/**
 * The score, 0..100, for triage. Each reason gives a base:
 * - confusable: 95 when the labels are confusable under the plain UTS #39 skeleton (`cоntoso` with a Cyrillic
 *   о), 90 when only the stricter fold makes them equal (`c0ntoso`, `cöntoso`, `rnicrosoft`), 85 when the
 *   label is the watched label itself under another suffix (TLD swap);
 * - typo at distance d from a watched label of length L: round(80 × (1 − d / (L + 1))), so 70 for one edit
 *   in a 7-letter label, 53 for two edits in a 5-letter one — always below any confusable;
 * - embedded-domain (`contoso.com.evil.net`): 75;
 * - embedded-label: 70 as a whole token (`contoso-login`), 55 as a bare substring (`contosologin`);
 * - permutation (in the generator's set, no other reason): 65.
 * score = min(100, highest base + 5 × (number of reasons − 1)).
 */
function scoreOf(a: Acc, brand: Brand, confusableBase: number): number {
  let best = 0;
  let n = 0;
  if (a.confusable) {
    best = Math.max(best, confusableBase);
    n++;
  }
  if (a.distance !== null && !a.confusable) {
    best = Math.max(best, Math.round(80 * (1 - a.distance / (brand.key.length + 1))));
    n++;
  }
  if (a.permutation !== null) {
    best = Math.max(best, 65);
    n++;
  }
  if (a.embeddedDomain !== null) {
    best = Math.max(best, 75);
    n++;
  }
  if (a.embeddedToken || a.embeddedSubstring) {
    best = Math.max(best, a.embeddedToken ? 70 : 55);
    n++;
  }
  return Math.min(100, best + 5 * Math.max(0, n - 1));
}

/**
 * Symmetric-delete index over brand keys: the 32-bit polynomial hash of every deletion variant, in an
 * open-addressing table of `[hash, postings start, postings count]` triples (count 0: empty slot), behind a
 * blocked Bloom filter (`filterHas`) that turns away nearly every probe of a name that is no typo with one
 * cache line.
 */
class DeletionIndex {
  readonly #shift: number;
  readonly #mask: number;
  readonly #table: Int32Array;
  readonly #filter = new Int32Array(FILTER_WORDS);
  readonly #postings: Int32Array;
  /** lengthK[len] = the largest limit among indexed keys of that length (0: none). */
  readonly #lengthK: Uint8Array;
  readonly size: number;

  constructor(brands: readonly Brand[]) {
    const byHash = new Map<number, number[]>();
    this.#lengthK = new Uint8Array(MAX_LEN + MAX_K + 2);
    brands.forEach((b, id) => {
      const variants = new Set<string>();
      for (const [key, k] of [
        [b.key, b.k],
        [b.keyU, b.kU],
      ] as const) {
        if (k <= 0 || key.length > MAX_LEN) continue;
        this.#lengthK[key.length] = Math.max(this.#lengthK[key.length]!, k);
        for (const v of deletions(key, k)) variants.add(v);
      }
      for (const v of variants) {
        const h = hashString(v);
        const list = byHash.get(h);
        if (list === undefined) byHash.set(h, [id]);
        else if (list[list.length - 1] !== id) list.push(id);
      }
    });
    this.size = byHash.size;
    let bits = 4;
    while (1 << bits < byHash.size * 2) bits++;
    this.#shift = 32 - bits;
    this.#mask = (1 << bits) - 1;
    this.#table = new Int32Array((1 << bits) * 3);
    let total = 0;
    for (const l of byHash.values()) total += l.length;
    this.#postings = new Int32Array(total);
    let at = 0;
    for (const [h, list] of byHash) {
      filterAdd(this.#filter, h);
      let slot = slotOf(h, this.#shift);
      while (this.#table[slot * 3 + 2] !== 0) slot = (slot + 1) & this.#mask;
      this.#table[slot * 3] = h;
      this.#table[slot * 3 + 1] = at;
      this.#table[slot * 3 + 2] = list.length;
      for (const id of list) this.#postings[at++] = id;
    }
  }

  /** Whether a key of `len` characters with query limit `k` can be within reach of any indexed key. */
  reachable(len: number, k: number): boolean {
    for (let l = Math.max(0, len - k); l <= len + k && l < this.#lengthK.length; l++) {
      if (this.#lengthK[l]! > 0) return true;
    }
    return false;
  }

  /** Adds to `out` every brand with a deletion variant of hash `h`. */
  probe(h: number, out: Candidates): void {
    if (!filterHas(this.#filter, h)) return;
    const table = this.#table;
    for (let slot = slotOf(h, this.#shift); ; slot = (slot + 1) & this.#mask) {
      const count = table[slot * 3 + 2]!;
      if (count === 0) return;
      if (table[slot * 3] === h) {
        const s = table[slot * 3 + 1]!;
        for (let i = s; i < s + count; i++) out.add(this.#postings[i]!);
      }
    }
  }
}

function equals(key: string, q: Uint16Array, len: number): boolean {
  if (key.length !== len) return false;
  for (let i = 0; i < len; i++) if (key.charCodeAt(i) !== q[i]) return false;
  return true;
}

/** Brand keys by hash (the same polynomial hash), so a label is looked up without slicing it out of the name. */
class ExactIndex {
  readonly #shift: number;
  readonly #mask: number;
  /** `[hash, brand id + 1]` pairs; 0: empty. */
  readonly #table: Int32Array;
  readonly #keys: readonly string[];

  constructor(keys: readonly string[]) {
    this.#keys = keys;
    let bits = 4;
    while (1 << bits < keys.length * 2) bits++;
    this.#shift = 32 - bits;
    this.#mask = (1 << bits) - 1;
    this.#table = new Int32Array((1 << bits) * 2);
    keys.forEach((k, id) => {
      const h = hashString(k);
      let slot = slotOf(h, this.#shift);
      while (this.#table[slot * 2 + 1] !== 0) slot = (slot + 1) & this.#mask;
      this.#table[slot * 2] = h;
      this.#table[slot * 2 + 1] = id + 1;
    });
  }

  /** The brand whose key is the `len` code units of `q` (of hash `h`), or -1. */
  find(q: Uint16Array, len: number, h: number): number {
    const table = this.#table;
    for (let slot = slotOf(h, this.#shift); ; slot = (slot + 1) & this.#mask) {
      const id = table[slot * 2 + 1]! - 1;
      if (id < 0) return -1;
      if (table[slot * 2] === h && equals(this.#keys[id]!, q, len)) return id;
    }
  }
}

/** A reusable, allocation-free set of brand ids. */
class Candidates {
  readonly #stamp: Int32Array;
  #tick = 1;
  readonly ids: Int32Array;
  length = 0;
  constructor(n: number) {
    this.#stamp = new Int32Array(Math.max(1, n));
    this.ids = new Int32Array(Math.max(1, n));
  }
  reset(): void {
    this.length = 0;
    this.#tick++;
    if (this.#tick === 0x7fffffff) {
      this.#stamp.fill(0);
      this.#tick = 1;
    }
  }
  add(id: number): void {
    if (this.#stamp[id] === this.#tick) return;
    this.#stamp[id] = this.#tick;
    this.ids[this.length++] = id;
  }
}

/** Aho-Corasick automaton (full DFA) over folded patterns; `.` and `-` are the same symbol. */
class Automaton {
  /** Raw ASCII code → symbol, with the fold applied (`0` is the symbol of `o`, `-` and `.` are SEP). */
  readonly #ascii = new Int32Array(128);
  readonly #other = new Map<number, number>();
  readonly #nSym: number;
  /**
   * The full DFA: entry `state·nSym + symbol` holds `(next·nSym) << 1 | 1 when next ends a pattern (itself
   * or through its dictionary suffix links)`: one read per character.
   */
  readonly #delta: Int32Array;
  /** The first state on the dictionary-suffix chain that ends a pattern (the state itself included), or -1. */
  readonly #firstOut: Int32Array;
  readonly #dictNext: Int32Array;
  readonly #outStart: Int32Array;
  readonly #outCount: Int32Array;
  readonly #outIds: Int32Array;
  readonly #lengths: Int32Array;
  /** Raw position of the last 256 folded characters (patterns are at most 253 characters long). */
  readonly #ring = new Int32Array(256);
  readonly states: number;

  /** `patterns[i]` (folded text) is matched and reported as payload `i`. */
  constructor(patterns: readonly string[]) {
    let nSym = 2;
    const sym = new Int32Array(128);
    sym[46] = SEP;
    sym[45] = SEP;
    const symOf = (c: number): number => {
      if (c < 128) {
        if (sym[c] === 0) sym[c] = nSym++;
        return sym[c]!;
      }
      let s = this.#other.get(c);
      if (s === undefined) this.#other.set(c, (s = nSym++));
      return s;
    };
    const children: Map<number, number>[] = [new Map<number, number>()];
    const ends: number[][] = [[]];
    this.#lengths = new Int32Array(patterns.length);
    patterns.forEach((p, id) => {
      this.#lengths[id] = p.length;
      let st = 0;
      for (let i = 0; i < p.length; i++) {
        const sy = symOf(p.charCodeAt(i));
        let nx = children[st]!.get(sy);
        if (nx === undefined) {
          nx = children.length;
          children.push(new Map<number, number>());
          ends.push([]);
          children[st]!.set(sy, nx);
        }
        st = nx;
      }
      ends[st]!.push(id);
    });
    for (let c = 0; c < 128; c++) {
      const f = ASCII_FOLD[c]!;
      this.#ascii[c] = sym[f >= 0 ? f : c]!;
    }
    this.#nSym = nSym;
    const n = children.length;
    this.states = n;
    const next = new Int32Array(n * nSym);
    const fail = new Int32Array(n);
    const firstOut = new Int32Array(n).fill(-1);
    const dictNext = new Int32Array(n).fill(-1);
    const order: number[] = [];
    for (const [sy, nx] of children[0]!) {
      next[sy] = nx;
      fail[nx] = 0;
      order.push(nx);
    }
    for (let qi = 0; qi < order.length; qi++) {
      const st = order[qi]!;
      const f = fail[st]!;
      // dictionary links: the nearest proper suffix state that ends a pattern
      dictNext[st] = firstOut[f]!;
      firstOut[st] = ends[st]!.length > 0 ? st : firstOut[f]!;
      for (let sy = 1; sy < nSym; sy++) {
        const nx = children[st]!.get(sy);
        if (nx === undefined) next[st * nSym + sy] = next[f * nSym + sy]!;
        else {
          next[st * nSym + sy] = nx;
          fail[nx] = next[f * nSym + sy]!;
          order.push(nx);
        }
      }
    }
    const delta = new Int32Array(n * nSym);
    for (let i = 0; i < delta.length; i++) {
      const nx = next[i]!;
      delta[i] = ((nx * nSym) << 1) | (firstOut[nx]! >= 0 ? 1 : 0);
    }
    this.#delta = delta;
    this.#firstOut = firstOut;
    this.#dictNext = dictNext;
    this.#outStart = new Int32Array(n);
    this.#outCount = new Int32Array(n);
    let total = 0;
    for (const e of ends) total += e.length;
    this.#outIds = new Int32Array(total);
    let at = 0;
    for (let st = 0; st < n; st++) {
      this.#outStart[st] = at;
      this.#outCount[st] = ends[st]!.length;
      for (const id of ends[st]!) this.#outIds[at++] = id;
    }
  }

  /**
   * Runs over `text[0, end)`, folding as it goes (the `ASCII_FOLD` digits, `rn` → `m`, `vv` → `w`; text
   * that is already folded passes unchanged), and calls `report(payload, start, end)` with raw positions for
   * every occurrence. Nothing is allocated; `report` is only called on occurrences.
   */
  scan(text: string, end: number, report: (payload: number, s: number, e: number) => void): void {
    const delta = this.#delta;
    const ascii = this.#ascii;
    const ring = this.#ring;
    let st = 0;
    let folded = 0;
    for (let i = 0; i < end;) {
      const at = i;
      let c = text.charCodeAt(i++);
      if (c === 114 && i < end && text.charCodeAt(i) === 110) {
        c = 109;
        i++;
      } else if (c === 118 && i < end && text.charCodeAt(i) === 118) {
        c = 119;
        i++;
      }
      ring[folded++ & 255] = at;
      const sym = c < 128 ? ascii[c]! : (this.#other.get(c) ?? 0);
      if (sym === 0) {
        st = 0;
        continue;
      }
      const v = delta[st + sym]!;
      st = v >>> 1;
      if ((v & 1) === 0) continue;
      for (let t = this.#firstOut[st / this.#nSym]!; t >= 0; t = this.#dictNext[t]!) {
        const s = this.#outStart[t]!;
        const e = s + this.#outCount[t]!;
        for (let k = s; k < e; k++) {
          const id = this.#outIds[k]!;
          report(id, ring[(folded - this.#lengths[id]!) & 255]!, i);
        }
      }
    }
  }
}

/** What one pattern of the automaton stands for. */
interface Payload {
  readonly kind: "label" | "domain";
  readonly brand: number;
  /** For a domain pattern: the watched domain whose registrable domain it is. */
  readonly watched: Watched | null;
}

// What one pass over a name finds (`classify`).
const F_UPPER = 1;
const F_NON_ASCII = 2;
/** A character no host name has (`:` of IPv6, spaces, `/`, `@`, …): not a name we judge. */
const F_BAD = 4;
/** A punycode label (`xn--`). */
const F_PUNY = 16;
/** A character outside `[a-z0-9._-]` that is not bad (`*` inside a name, …): the slow fold handles it. */
const F_OTHER = 32;
/** The last label is all digits: an IPv4 address (no top-level domain is numeric). */
const F_NUMERIC = 64;

/** Flags of `F_*` for a name, in one pass. */
function classify(n: string): number {
  let flags = 0;
  let digitsOnly = true;
  let prev = 46;
  for (let i = 0; i < n.length; i++) {
    const c = n.charCodeAt(i);
    if (c >= 97 && c <= 122) {
      digitsOnly = false;
    } else if (c === 46) {
      digitsOnly = true;
    } else if (c >= 48 && c <= 57) {
      // digits keep digitsOnly
    } else if (c === 45) {
      digitsOnly = false;
      if (prev === 45 && i >= 3 && n.charCodeAt(i - 2) === 110 && n.charCodeAt(i - 3) === 120) {
        if (i === 3 || n.charCodeAt(i - 4) === 46) flags |= F_PUNY;
      }
    } else if (c >= 65 && c <= 90) {
      digitsOnly = false;
      flags |= F_UPPER;
    } else if (c >= 128) {
      digitsOnly = false;
      flags |= F_NON_ASCII;
    } else if (c === 95) {
      digitsOnly = false;
    } else if (c <= 32 || c === 47 || c === 58 || c === 64 || c === 92 || c === 127) {
      flags |= F_BAD;
    } else {
      digitsOnly = false;
      flags |= F_OTHER;
    }
    prev = c;
  }
  if (digitsOnly) flags |= F_NUMERIC;
  return flags;
}

/**
 * The matcher: built once from the watched domains (indexes below), then `match` per certificate name.
 *
 * One `match(name)`:
 * 1. one pass over the name (case, trailing dot, `*.`, IP addresses, punycode, odd characters), then its
 *    registrable domain (tldts: Public Suffix List, private domains included);
 * 2. plain ASCII names are folded on the fly by the loops below (`ASCII_FOLD`, `rn` → `m`, `vv` → `w`); a
 *    name with punycode or unusual characters is folded up front, label by label (`foldForMatching`);
 * 3. the folded registrable label and its prefix hashes are computed in one loop into scratch arrays; its
 *    hash is looked up in the skeleton index (confusable, TLD swap), else its deletion variants in the
 *    deletion index (typo: every string reachable from a watched label by ≤ k deletions, as 32-bit rolling
 *    hashes; the query's own variants are hashed in O(1) each without building strings, behind a Bloom
 *    filter; candidates are verified with Damerau-Levenshtein). A label with rn or vv is also probed in
 *    its uncontracted form (`foldUncontracted`), so an edit that makes or breaks such a pair is one edit;
 * 4. one Aho-Corasick pass over the name up to the registrable label's end (`.` and `-` are one symbol)
 *    finds watched labels inside the registrable label (embedded-label) and whole watched domains as
 *    consecutive labels (embedded-domain);
 * 5. the registrable domain is looked up in the precomputed permutation set, if any.
 * Only then, and only for a hit, the exclusions (under a watched or own domain, ignored) and the result.
 * What step 3 finds for a plain ASCII name depends on its registrable label alone, and is remembered per
 * label (a bounded map): a log repeats registrable domains across a certificate's names and across
 * certificates. The no-match path allocates nothing beyond tldts' own result, the label's string (and a
 * lower-cased copy of a name with capitals).
 */
export class LookalikeMatcher {
  readonly #excluded = new Set<string>();
  /** Watched or own domains that are public suffixes themselves: a name under one is excluded too. */
  readonly #excludedSuffixes: string[] = [];
  readonly #ignore: Set<string>;
  readonly #permutations: ReadonlyMap<string, readonly string[]> | null;
  readonly #kOf: (len: number) => number;
  readonly #brands: Brand[] = [];
  readonly #exact: ExactIndex;
  readonly #deletions: DeletionIndex;
  readonly #candidates: Candidates;
  readonly #automaton: Automaton;
  readonly #payloads: Payload[] = [];
  // Scratch arrays of the rolling hashes of the registrable label (see #typo).
  readonly #Q = new Uint16Array(MAX_LEN);
  readonly #P = new Int32Array(MAX_LEN + 1);
  readonly #QU = new Uint16Array(MAX_LEN);
  readonly #PU = new Int32Array(MAX_LEN + 1);
  readonly #C = new Int32Array(MAX_LEN);
  readonly #A2 = new Int32Array(MAX_LEN);
  readonly #A3 = new Int32Array(MAX_LEN);
  /** registrable domain → brand, for permutation hits that no other detector explains. */
  readonly #nearest = new Map<string, number>();
  /**
   * Registrable label (of a plain ASCII name) → what step 3 found for it: a log names the same registrable
   * domains over and over (`example.com`, `www.example.com`, `*.example.com` in one certificate; a hoster's
   * customers in many), and step 3 depends on that label alone.
   */
  readonly #labels = new Map<string, LabelVerdict>();

  // Scratch state of the current `match` (set before each scan; read by #report).
  #text = "";
  #rs = 0;
  #re = 0;
  #accs: Acc[] | null = null;
  readonly #report = (payload: number, s: number, e: number): void => this.#onOccurrence(payload, s, e);

  constructor(watched: readonly string[], opts: MatcherOptions = {}) {
    const kOf = opts.maxDistance ?? defaultMaxDistance;
    this.#kOf = (len) => {
      const k = Math.floor(kOf(len));
      return Number.isFinite(k) ? Math.max(0, Math.min(MAX_K, k)) : 0;
    };

    const exclude = (d: string): void => {
      const n = normaliseDomain(d);
      if (n === null) return;
      this.#excluded.add(n);
      const r = getDomain(n, TLDTS_OPTIONS);
      if (r === null) this.#excludedSuffixes.push(n);
      else this.#excluded.add(r);
    };
    for (const d of watched) exclude(d);
    for (const d of opts.own ?? []) exclude(d);
    this.#excludedSuffixes.sort();

    this.#ignore = new Set<string>();
    for (const d of opts.ignore ?? []) {
      const n = normaliseDomain(d);
      if (n !== null) this.#ignore.add(n);
    }

    // The permutation set is used as given when its keys are already lower-case ASCII (the generator's
    // output): a set of millions of candidates is not copied. Otherwise a normalised copy is made.
    const perms = opts.permutations;
    if (perms === undefined) this.#permutations = null;
    else if (
      [...perms.keys()].every(
        (d) => (classify(d) & (F_UPPER | F_NON_ASCII | F_BAD)) === 0 && !d.endsWith("."),
      )
    ) {
      this.#permutations = perms;
    } else {
      const m = new Map<string, readonly string[]>();
      for (const [d, families] of perms) {
        const n = normaliseDomain(d);
        if (n === null) continue;
        const prev = m.get(n);
        m.set(n, prev === undefined ? families : [...new Set([...prev, ...families])]);
      }
      this.#permutations = m;
    }

    // Brands: watched registrable labels grouped by folded key, in sorted order (determinism).
    const seen = new Set<string>();
    const list: Watched[] = [];
    for (const d of watched) {
      const n = normaliseDomain(d);
      if (n === null || seen.has(n) || isIpv4Like(n) || n.includes(":")) continue;
      seen.add(n);
      const registrable = getDomain(n, TLDTS_OPTIONS);
      if (registrable === null) continue;
      const label = registrable.slice(0, registrable.indexOf("."));
      list.push({ domain: n, registrable, label, labelUnicode: decodeLabel(label) });
    }
    list.sort((a, b) => (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0));
    const members = new Map<string, Watched[]>();
    for (const w of list) {
      const key = foldForMatching(w.labelUnicode);
      if (key === "") continue;
      const m = members.get(key);
      if (m === undefined) members.set(key, [w]);
      else m.push(w);
    }
    for (const [key, ws] of members) {
      const generic = key.length < 2 || (key.length < 5 && GENERIC_SHORT.has(key));
      // (labels sharing a key but not an uncontracted key — `modern` and `modem` both watched — keep the
      // first one's; the other's typos are still found through the key, at one more edit only where an
      // edit makes or breaks an rn)
      const keyU = foldUncontracted(ws[0]!.labelUnicode);
      this.#brands.push({
        key,
        keyU,
        watched: ws,
        embedToken: !generic,
        embedSubstring: key.length >= 5,
        k: this.#kOf(key.length),
        kU: this.#kOf(keyU.length),
      });
    }

    this.#exact = new ExactIndex(this.#brands.map((b) => b.key));
    this.#deletions = new DeletionIndex(this.#brands);
    this.#candidates = new Candidates(this.#brands.length);

    // Patterns: brand labels to look for inside registrable labels, and every watched registrable domain
    // (folded, label by label) to look for as consecutive labels of other names.
    const patterns: string[] = [];
    this.#brands.forEach((b, id) => {
      if (!b.embedToken && !b.embedSubstring) return;
      patterns.push(b.key);
      this.#payloads.push({ kind: "label", brand: id, watched: null });
    });
    const domains = new Set<string>();
    this.#brands.forEach((b, id) => {
      for (const w of b.watched) {
        if (domains.has(w.registrable)) continue;
        domains.add(w.registrable);
        const folded = foldName(w.registrable);
        patterns.push(folded);
        this.#payloads.push({ kind: "domain", brand: id, watched: w });
      }
    });
    this.#automaton = new Automaton(patterns);
  }

  /** Sizes of the indexes, for benchmarks and logs. */
  get stats(): { brands: number; deletionKeys: number; automatonStates: number; patterns: number } {
    return {
      brands: this.#brands.length,
      deletionKeys: this.#deletions.size,
      automatonStates: this.#automaton.states,
      patterns: this.#payloads.length,
    };
  }

  /** null when the name is not a lookalike (including: the name is under a watched/own domain, ignored, or unrelated). */
  match(name: string): LookalikeMatch | null {
    // 1. normalise: one pass finds what the name needs
    let n = name;
    if (n.length > 0 && n.charCodeAt(n.length - 1) === 46) n = n.slice(0, -1);
    let shown = n;
    if (n.length > 1 && n.charCodeAt(0) === 42 && n.charCodeAt(1) === 46) n = n.slice(2);
    if (n.length === 0 || n.length > 253) return null;
    let flags = classify(n);
    if ((flags & F_BAD) !== 0) return null;
    if ((flags & F_UPPER) !== 0) {
      n = n.toLowerCase();
      shown = shown.toLowerCase();
      flags = classify(n);
    }
    if ((flags & F_NON_ASCII) !== 0) {
      n = domainToASCII(n);
      if (n === "") return null;
      flags = classify(n);
    }
    if ((flags & F_NUMERIC) !== 0) return null;
    const registrable = getDomain(n, TLDTS_OPTIONS);
    if (registrable === null) return null;

    // 2. the text to match: the name itself (folded on the fly below), or, with punycode or unusual
    //    characters, its fully folded form; the registrable label is text[rs, re)
    const text = (flags & (F_PUNY | F_OTHER)) === 0 ? n : foldName(n);
    let rs: number;
    let re: number;
    if (text === n) {
      rs = n.length - registrable.length;
      re = rs + registrable.indexOf(".");
      if (rs < 0 || (rs > 0 && n.charCodeAt(rs - 1) !== 46)) return null; // tldts rewrote the name: not ours to judge
    } else {
      // folding may change lengths but never the labels: count them from the end
      re = text.length;
      for (let i = registrable.indexOf("."); i >= 0; i = registrable.indexOf(".", i + 1)) {
        re = text.lastIndexOf(".", re - 1);
      }
      rs = re <= 0 ? 0 : text.lastIndexOf(".", re - 1) + 1;
    }
    if (re <= rs) return null;

    this.#text = text;
    this.#rs = rs;
    this.#re = re;
    this.#accs = null;

    // 3. the folded registrable label into #Q with its prefix hashes in #P; skeleton index, else deletions
    const Q = this.#Q;
    const P = this.#P;
    let len = 0;
    let paired = false; // an rn or vv was contracted: the uncontracted key differs
    for (let i = rs; i < re && len < MAX_LEN;) {
      let c = text.charCodeAt(i++);
      if (c === 114 && i < re && text.charCodeAt(i) === 110) {
        c = 109;
        i++;
        paired = true;
      } else if (c === 118 && i < re && text.charCodeAt(i) === 118) {
        c = 119;
        i++;
        paired = true;
      } else if (c < 128) {
        const f = ASCII_FOLD[c]!;
        if (f >= 0) c = f;
      }
      Q[len] = c;
      P[len + 1] = (Math.imul(P[len]!, B) + c) | 0;
      len++;
    }
    // (step 3 depends only on the label when the name is plain ASCII: remembered per label)
    const label = text === n ? text.slice(rs, re) : null;
    const known = label === null ? undefined : this.#labels.get(label);
    if (known !== undefined) {
      if (known !== NO_LABEL_HIT) {
        const a = this.#acc(known.brand);
        a.confusable = known.confusable;
        a.distance = known.distance;
        a.typoFamily = known.typoFamily;
      }
    } else {
      this.#labelVerdict(text, n, registrable, rs, re, len, paired);
      if (label !== null) {
        const a = (this.#accs as Acc[] | null)?.[0]; // (the cast: see below)
        if (this.#labels.size >= LABEL_CACHE_SIZE) this.#labels.clear();
        this.#labels.set(
          label,
          a === undefined
            ? NO_LABEL_HIT
            : { brand: a.brand, confusable: a.confusable, distance: a.distance, typoFamily: a.typoFamily },
        );
      }
    }

    // 4. embedded labels and domains
    this.#automaton.scan(text, re, this.#report);

    // 5. permutation set
    const families = this.#permutations?.get(registrable);
    // (the cast: TypeScript keeps the `null` assigned above, not seeing #acc and #report set the field)
    const found = this.#accs as Acc[] | null;
    this.#accs = null;
    this.#text = "";
    if (found === null && families === undefined) return null;

    // a hit: now (rarely) the exclusions
    if (this.#excluded.has(registrable)) return null;
    if (this.#excludedSuffixes.length > 0 && this.#underAny(n, this.#excludedSuffixes)) return null;
    if (this.#ignore.size > 0 && (this.#ignore.has(registrable) || this.#underAny(n, this.#ignore)))
      return null;
    const key = String.fromCharCode(...Q.subarray(0, len));
    let accs = found;
    if (families !== undefined) {
      if (accs === null) {
        const a = newAcc(this.#nearestBrand(registrable, key));
        a.permutation = families;
        accs = [a];
      } else for (const a of accs) a.permutation = families;
    }
    if (accs === null) return null;
    return this.#result(accs, registrable, key, shown);
  }

  /**
   * Step 3 for the label text[rs, re), folded into #Q/#P (`len` units; `paired`: an rn or vv was
   * contracted): the skeleton index, else the typo index. Leaves at most one hit in #accs.
   */
  #labelVerdict(
    text: string,
    n: string,
    registrable: string,
    rs: number,
    re: number,
    len: number,
    paired: boolean,
  ): void {
    const Q = this.#Q;
    const exact = this.#exact.find(Q, len, this.#P[len]!);
    if (exact >= 0) {
      this.#acc(exact).confusable = true;
      return;
    }
    // the uncontracted key, when it differs: the ASCII fold alone, or (punycode) from the decoded label
    let lenU = -1;
    if (text !== n) {
      const u = foldUncontracted(decodeLabel(registrable.slice(0, registrable.indexOf("."))));
      if (u.length <= MAX_LEN && !equals(u, Q, len)) lenU = this.#load(u);
    } else if (paired) {
      lenU = 0;
      for (let i = rs; i < re && lenU < MAX_LEN; i++) {
        const c = text.charCodeAt(i);
        const f = c < 128 ? ASCII_FOLD[c]! : -1;
        this.#QU[lenU] = f >= 0 ? f : c;
        this.#PU[lenU + 1] = (Math.imul(this.#PU[lenU]!, B) + this.#QU[lenU]!) | 0;
        lenU++;
      }
    }
    this.#typo(len, lenU);
  }

  #underAny(n: string, domains: Iterable<string>): boolean {
    for (const d of domains) {
      if (n === d || (n.length > d.length && n.endsWith(d) && n.charCodeAt(n.length - d.length - 1) === 46)) {
        return true;
      }
    }
    return false;
  }

  #acc(brand: number): Acc {
    const accs = (this.#accs ??= []);
    for (const a of accs) if (a.brand === brand) return a;
    const a = newAcc(brand);
    accs.push(a);
    return a;
  }

  /** Puts `u` in #QU/#PU (chars and prefix hashes); returns its length. */
  #load(u: string): number {
    for (let i = 0; i < u.length; i++) {
      this.#QU[i] = u.charCodeAt(i);
      this.#PU[i + 1] = (Math.imul(this.#PU[i]!, B) + u.charCodeAt(i)) | 0;
    }
    return u.length;
  }

  /**
   * The nearest brand within typo distance of the registrable label: its key is in #Q/#P (`n` units), and
   * its uncontracted key in #QU/#PU (`nU` units) when that differs (else nU is -1). Every deletion variant
   * of both is probed; candidates are verified with Damerau-Levenshtein, key against key and uncontracted
   * against uncontracted, the smaller distance counting.
   */
  #typo(n: number, nU: number): void {
    const kq = this.#kOf(n);
    const kqU = nU >= 0 ? this.#kOf(nU) : kq;
    const cands = this.#candidates;
    cands.reset();
    if (kq > 0 && this.#deletions.reachable(n, kq)) this.#probeVariants(this.#P, n, kq);
    if (nU >= 0 && kqU > 0 && this.#deletions.reachable(nU, kqU)) this.#probeVariants(this.#PU, nU, kqU);
    if (cands.length === 0) return;
    const q = String.fromCharCode(...this.#Q.subarray(0, n));
    const qU = nU >= 0 ? String.fromCharCode(...this.#QU.subarray(0, nU)) : q;
    let best = -1;
    let bestD = Infinity;
    let bestU = false;
    for (let c = 0; c < cands.length; c++) {
      const id = cands.ids[c]!;
      const b = this.#brands[id]!;
      let d = Infinity;
      let viaU = false;
      const k = Math.min(kq, b.k);
      if (k > 0) {
        const d1 = damerauLevenshtein(q, b.key, k);
        if (d1 <= k) d = d1;
      }
      if (qU !== q || b.keyU !== b.key) {
        const kU = Math.min(kqU, b.kU);
        if (kU > 0) {
          const d2 = damerauLevenshtein(qU, b.keyU, kU);
          if (d2 <= kU && d2 < d) {
            d = d2;
            viaU = true;
          }
        }
      }
      if (d === 0 || d === Infinity) continue;
      if (d < bestD || (d === bestD && id < best)) {
        best = id;
        bestD = d;
        bestU = viaU;
      }
    }
    if (best < 0) return;
    const a = this.#acc(best);
    a.distance = bestD;
    const b = this.#brands[best]!;
    a.typoFamily = bestD === 1 ? (bestU ? typoFamily(qU, b.keyU) : typoFamily(q, b.key)) : null;
  }

  /**
   * Probes the deletion index with every variant of the key of prefix hashes `P` (`n` units) up to `kq`
   * deletions. The hash of the key with position i deleted is C[i] = P[i]·B^(n−1−i) + hash(key[i+1, n));
   * with positions i < j deleted it is A2[i] + C[j], where A2[i] = (P[i] − P[i+1])·B^(n−2−i); with
   * i < j < l, A3[i] + A2[j] + C[l] (A3 with B^(n−3−i)). So each probe is an addition and a filter read,
   * with no string built.
   */
  #probeVariants(P: Int32Array, n: number, kq: number): void {
    const C = this.#C;
    const A2 = this.#A2;
    const A3 = this.#A3;
    const full = P[n]!;
    for (let i = 0; i < n; i++) {
      const suffix = (full - Math.imul(P[i + 1]!, POW[n - i - 1]!)) | 0;
      C[i] = (Math.imul(P[i]!, POW[n - 1 - i]!) + suffix) | 0;
      if (i < n - 1) A2[i] = Math.imul((P[i]! - P[i + 1]!) | 0, POW[n - 2 - i]!);
      if (i < n - 2) A3[i] = Math.imul((P[i]! - P[i + 1]!) | 0, POW[n - 3 - i]!);
    }
    const idx = this.#deletions;
    const cands = this.#candidates;
    idx.probe(full, cands);
    for (let i = 0; i < n; i++) {
      idx.probe(C[i]!, cands);
      if (kq < 2) continue;
      const a2 = A2[i]!;
      for (let j = i + 1; j < n; j++) {
        idx.probe((a2 + C[j]!) | 0, cands);
        if (kq < 3) continue;
        const a3 = (A3[i]! + A2[j]!) | 0;
        for (let l = j + 1; l < n; l++) idx.probe((a3 + C[l]!) | 0, cands);
      }
    }
  }

  #onOccurrence(payload: number, s: number, e: number): void {
    const p = this.#payloads[payload]!;
    const t = this.#text;
    const rs = this.#rs;
    const re = this.#re;
    if (p.kind === "label") {
      if (s < rs || (s === rs && e === re)) return;
      const b = this.#brands[p.brand]!;
      const bounded = (s === rs || t.charCodeAt(s - 1) === 45) && (e === re || t.charCodeAt(e) === 45);
      if (bounded ? b.embedToken : b.embedSubstring) {
        const a = this.#acc(p.brand);
        if (bounded) a.embeddedToken = true;
        else a.embeddedSubstring = true;
      }
      return;
    }
    // a whole watched domain as consecutive labels (or '-'-joined tokens), ending at or before the
    // registrable label's end: not the name's own public suffix
    const before = s === 0 ? 46 : t.charCodeAt(s - 1);
    const after = t.charCodeAt(e);
    if ((before === 46 || before === 45) && (after === 46 || after === 45)) {
      const a = this.#acc(p.brand);
      a.embeddedDomain ??= p.watched;
    }
  }

  /** The brand closest to a permutation no detector explained (cached per registrable domain). */
  #nearestBrand(registrable: string, key: string): number {
    const cached = this.#nearest.get(registrable);
    if (cached !== undefined) return cached;
    let best = 0;
    let bestD = Infinity;
    this.#brands.forEach((b, id) => {
      const d = damerauLevenshtein(key, b.key, Number.isFinite(bestD) ? bestD : Number.MAX_SAFE_INTEGER);
      if (d < bestD) {
        bestD = d;
        best = id;
      }
    });
    if (this.#nearest.size >= 10_000) this.#nearest.clear();
    this.#nearest.set(registrable, best);
    return best;
  }

  #result(accs: readonly Acc[], registrable: string, key: string, name: string): LookalikeMatch | null {
    const dot = registrable.indexOf(".");
    const label = registrable.slice(0, dot);
    const labelUnicode = decodeLabel(label);
    let best: { a: Acc; score: number; watched: Watched; confusableBase: number } | null = null;
    for (const a of accs) {
      const brand = this.#brands[a.brand];
      if (brand === undefined) continue;
      const watched = a.embeddedDomain ?? brand.watched.find((w) => w.label === label) ?? brand.watched[0]!;
      const confusableBase =
        watched.label === label ? 85 : skeleton(labelUnicode) === skeleton(watched.labelUnicode) ? 95 : 90;
      const score = scoreOf(a, brand, confusableBase);
      if (best === null || score > best.score || (score === best.score && a.brand < best.a.brand)) {
        best = { a, score, watched, confusableBase };
      }
    }
    if (best === null) return null;
    const { a, score, watched, confusableBase } = best;
    const brand = this.#brands[a.brand]!;
    const reasons: LookalikeReason[] = [];
    const families = new Set<string>();
    if (a.confusable) {
      reasons.push("confusable");
      families.add(confusableBase === 85 ? "tld-swap" : "homoglyph");
    }
    if (a.distance !== null) {
      reasons.push("typo");
      if (a.typoFamily !== null) families.add(a.typoFamily);
    }
    if (a.permutation !== null) {
      reasons.push("permutation");
      for (const f of a.permutation) families.add(f);
    }
    if (a.embeddedDomain !== null) reasons.push("embedded-domain");
    if (a.embeddedToken || a.embeddedSubstring) reasons.push("embedded-label");
    let distance = a.confusable ? 0 : a.distance;
    if (distance === null && a.permutation !== null) distance = damerauLevenshtein(key, brand.key);
    return {
      lookalike: registrable,
      unicode: toUnicode(registrable),
      watched: watched.domain,
      name,
      reasons,
      distance,
      score,
      details: {
        skeleton: key,
        watchedSkeleton: brand.key,
        families: [...families].sort(),
        ...(a.embeddedToken || a.embeddedSubstring
          ? { embedded: a.embeddedToken ? "token" : "substring" }
          : {}),
        ...(a.embeddedDomain !== null ? { embeddedDomain: a.embeddedDomain.registrable } : {}),
      },
    };
  }
}
