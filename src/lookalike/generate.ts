/**
 * @module lookalike/generate
 * The lookalike candidate generator: every dnstwist permutation family plus TR39 confusables, mixed scripts
 * and keyboard layouts, for one watched domain, as punycode + Unicode registrable domains, bounded and ordered.
 */
import { domainToASCII, domainToUnicode } from "node:url";
import { parse } from "tldts";
import { Label, type Emit } from "./gen-label.js";
import { labelToAscii, labelToAsciiWith, MAX_NAME } from "./gen-idna.js";
import { KEYBOARD_LAYOUTS, neighbours, type KeyboardLayout } from "./gen-keyboards.js";
import { DEFAULT_DICTIONARY } from "./gen-dictionary.js";
import { DEFAULT_TLDS } from "./gen-tlds.js";
import * as typo from "./families-typo.js";
import * as glyph from "./families-glyph.js";
import * as affix from "./families-affix.js";

export type Family =
  | "addition"
  | "bitsquatting"
  | "cyrillic"
  | "homoglyph"
  | "hyphenation"
  | "insertion"
  | "omission"
  | "plural"
  | "repetition"
  | "replacement"
  | "subdomain"
  | "transposition"
  | "vowel-swap"
  | "dictionary"
  | "tld-swap"
  | "various" // dnstwist's families
  | "confusable"
  | "mixed-script"
  | "keyboard"; // beyond dnstwist

/** Every family, in the order `Candidate.families` lists them. */
export const FAMILIES: readonly Family[] = [
  "addition",
  "bitsquatting",
  "cyrillic",
  "homoglyph",
  "hyphenation",
  "insertion",
  "omission",
  "plural",
  "repetition",
  "replacement",
  "subdomain",
  "transposition",
  "vowel-swap",
  "dictionary",
  "tld-swap",
  "various",
  "confusable",
  "mixed-script",
  "keyboard",
];

/**
 * The order families run in, which is the order of the output and what the cap keeps: single typing errors
 * first, then affixes and suffixes, then look-alike characters, the largest family (homoglyph) last.
 */
export const GENERATION_ORDER: readonly Family[] = [
  "omission",
  "transposition",
  "repetition",
  "replacement",
  "insertion",
  "keyboard",
  "vowel-swap",
  "hyphenation",
  "addition",
  "bitsquatting",
  "plural",
  "subdomain",
  "various",
  "tld-swap",
  "dictionary",
  "cyrillic",
  "mixed-script",
  "confusable",
  "homoglyph",
];

export interface Candidate {
  /** The candidate registrable domain (or the full name for the subdomain family), ASCII (punycode), lower case. */
  readonly domain: string;
  /** The same in Unicode (differs for IDN candidates). */
  readonly unicode: string;
  /** Every family that produced it (deduplicated, in `FAMILIES` order). */
  readonly families: readonly Family[];
}

export interface GenerateOptions {
  /** Words for the dictionary family (default `DEFAULT_DICTIONARY`); lower-case letters and digits. */
  readonly dictionary?: readonly string[];
  /** Public suffixes for tld-swap (default `DEFAULT_TLDS`), e.g. `net`, `co.uk`, `рф`. */
  readonly tlds?: readonly string[];
  /** Layouts for replacement, insertion and keyboard (default all three). */
  readonly keyboards?: readonly KeyboardLayout[];
  /**
   * At most this many candidates (default `DEFAULT_MAX_CANDIDATES`); generation stops when reached, or after
   * `WORK_PER_CANDIDATE` times as many permutations were tried (labels whose permutations are mostly too long
   * or not valid IDNA would otherwise run on).
   */
  readonly maxCandidates?: number;
}

export const DEFAULT_MAX_CANDIDATES = 50_000;
/** Permutations tried per candidate allowed (typical domains need about 2; see `maxCandidates`). */
export const WORK_PER_CANDIDATE = 8;

/** The parts of a watched domain the families work on. */
export interface WatchedParts {
  /** The registrable domain, ASCII (`xn--bcher-kva.de`). */
  readonly registrable: string;
  /** Its first label in Unicode (`bücher`). */
  readonly label: string;
  /** Its public suffix, ASCII (`de`, `co.uk`, `github.io`). */
  readonly suffix: string;
  /** Labels below the registrable domain, Unicode ("" for most watched domains). */
  readonly subdomain: string;
}

/**
 * Splits a watched domain (Unicode or punycode, any case, trailing dot or `*.` allowed) with the Public
 * Suffix List, private suffixes included (`foo.github.io` → `foo` + `github.io`) unless the name is itself
 * a private suffix. Throws on something that is not a domain name under a public suffix.
 */
export function splitWatched(watched: string): WatchedParts {
  let s = watched.trim().toLowerCase();
  if (s.endsWith(".")) s = s.slice(0, -1);
  if (s.startsWith("*.")) s = s.slice(2);
  const ascii = s === "" ? "" : domainToASCII(s);
  if (ascii === "") throw new Error(`not a valid domain name: ${JSON.stringify(watched)}`);
  let p = parse(ascii, { allowPrivateDomains: true });
  if (p.domain === null) p = parse(ascii);
  if (p.isIp === true || p.domain === null || p.domainWithoutSuffix === null || p.publicSuffix === null) {
    throw new Error(`no registrable domain in ${JSON.stringify(watched)} (a public suffix or an address)`);
  }
  return {
    registrable: p.domain,
    label: domainToUnicode(p.domainWithoutSuffix),
    suffix: p.publicSuffix,
    subdomain: p.subdomain === null || p.subdomain === "" ? "" : domainToUnicode(p.subdomain),
  };
}

const BIT: Readonly<Record<Family, number>> = Object.fromEntries(
  FAMILIES.map((f, i) => [f, 1 << i]),
) as Record<Family, number>;

const familyLists = new Map<number, readonly Family[]>();
function familiesOf(mask: number): readonly Family[] {
  let l = familyLists.get(mask);
  if (l === undefined) {
    l = Object.freeze(FAMILIES.filter((f) => (mask & BIT[f]) !== 0));
    familyLists.set(mask, l);
  }
  return l;
}

/** Called for nearly every candidate: a local binding, not a property of the module namespace. */
const toAsciiWith = labelToAsciiWith;

const suffixUnicode = new Map<string, string>();
function unicodeSuffix(ascii: string): string {
  let u = suffixUnicode.get(ascii);
  if (u === undefined) {
    u = domainToUnicode(ascii);
    suffixUnicode.set(ascii, u);
  }
  return u;
}

/**
 * Deduplicates by the Unicode name, validates and encodes each new name once, keeps insertion order. Names
 * under the watched suffix with a one-label left part (nearly all) are keyed by that label alone; the rest by
 * the whole Unicode name. The two cannot meet: a one-label left part under another suffix has another label
 * count or another last label, and dotted left parts only ever come with the watched suffix. A key maps to
 * the candidate's index, or -1 for a name that is excluded or not valid.
 */
class Collector {
  readonly #main = new Map<string, number>();
  readonly #byName = new Map<string, number>();
  readonly #suffix: string;
  readonly #suffixUnicode: string;
  readonly #dotSuffix: string;
  readonly #max: number;
  /** Permutations that may still be tried. */
  #budget: number;
  /** The candidates so far, and the family bits of each. */
  readonly #out: { domain: string; unicode: string; families: readonly Family[] }[] = [];
  readonly #masks: number[] = [];
  full: boolean;

  constructor(suffix: string, max: number) {
    this.#suffix = suffix;
    this.#suffixUnicode = unicodeSuffix(suffix);
    this.#dotSuffix = `.${suffix}`;
    this.#max = max;
    this.#budget = Math.max(0, max) * WORK_PER_CANDIDATE;
    this.full = max <= 0;
  }

  /** Marks a name (left part + suffix) as never a candidate. */
  exclude(left: string, suffix: string): void {
    if (suffix === this.#suffix && !left.includes(".")) this.#main.set(left, -1);
    else this.#byName.set(`${left}.${unicodeSuffix(suffix)}`, -1);
  }

  /** Records one candidate under the watched suffix with a one-label left part (the hot path). */
  addLabel(bit: number, label: string): boolean {
    if (--this.#budget < 0) this.full = true;
    const hit = this.#main.get(label);
    if (hit !== undefined) {
      if (hit >= 0) this.#addFamily(hit, bit);
      return !this.full;
    }
    if (this.full) return false;
    const domain = toAsciiWith(label, this.#dotSuffix);
    if (domain === null || domain.length > MAX_NAME) {
      this.#main.set(label, -1);
      return true;
    }
    this.#main.set(label, this.#out.length);
    return this.#record(domain, `${label}.${this.#suffixUnicode}`, bit);
  }

  /** Records one candidate; false once the cap is reached (the caller stops). */
  add(bit: number, left: string, suffix: string): boolean {
    if (suffix === this.#suffix && !left.includes(".")) return this.addLabel(bit, left);
    if (--this.#budget < 0) this.full = true;
    const key = `${left}.${unicodeSuffix(suffix)}`;
    const hit = this.#byName.get(key);
    if (hit !== undefined) {
      if (hit >= 0) this.#addFamily(hit, bit);
      return !this.full;
    }
    if (this.full) return false;
    let ascii: string | null = "";
    for (const part of left.split(".")) {
      const a = labelToAscii(part);
      if (a === null) {
        ascii = null;
        break;
      }
      ascii = ascii === "" ? a : `${ascii}.${a}`;
    }
    const domain = ascii === null ? null : `${ascii}.${suffix}`;
    if (domain === null || domain.length > MAX_NAME) {
      this.#byName.set(key, -1);
      return true;
    }
    this.#byName.set(key, this.#out.length);
    return this.#record(domain, key, bit);
  }

  #addFamily(index: number, bit: number): void {
    const mask = this.#masks[index]!;
    if ((mask & bit) !== 0) return;
    this.#masks[index] = mask | bit;
    this.#out[index]!.families = familiesOf(mask | bit);
  }

  #record(domain: string, unicode: string, bit: number): boolean {
    this.#out.push({ domain, unicode, families: familiesOf(bit) });
    this.#masks.push(bit);
    if (this.#out.length >= this.#max) this.full = true;
    return !this.full;
  }

  candidates(): Candidate[] {
    return this.#out;
  }
}

const normalisedTlds = new WeakMap<readonly string[], readonly string[]>();

/** Suffixes as ASCII, lower case, without dots at the ends, deduplicated (memoised per list). */
function normaliseTlds(tlds: readonly string[]): readonly string[] {
  let out = normalisedTlds.get(tlds);
  if (out !== undefined) return out;
  const list: string[] = [];
  const seen = new Set<string>();
  for (const t of tlds) {
    let s = t.trim().toLowerCase();
    if (s.startsWith(".")) s = s.slice(1);
    if (s.endsWith(".")) s = s.slice(0, -1);
    const a = s === "" ? "" : domainToASCII(s);
    if (a !== "" && !seen.has(a)) {
      seen.add(a);
      list.push(a);
    }
  }
  out = list;
  normalisedTlds.set(tlds, out);
  return out;
}

function normaliseWords(words: readonly string[]): string[] {
  return [...new Set(words.map((x) => x.trim().toLowerCase()).filter((x) => x !== ""))];
}

/**
 * Every candidate for one watched domain (e.g. "contoso.com" or an IDN). The watched domain itself (and its
 * registrable domain) is never a candidate. Deterministic order: families in `GENERATION_ORDER`, each in its
 * own fixed order; a candidate several families produce appears once, where it first appeared, with all of
 * them. Each family works on the label of the registrable domain (`contoso` of `shop.contoso.co.uk`) and keeps
 * the public suffix, except tld-swap and various; candidates that are not valid IDNA are dropped.
 */
export function generateCandidates(watched: string, opts: GenerateOptions = {}): Candidate[] {
  const w = splitWatched(watched);
  const max = opts.maxCandidates ?? DEFAULT_MAX_CANDIDATES;
  const layouts = [...new Set(opts.keyboards ?? KEYBOARD_LAYOUTS)].map(neighbours);
  const words = opts.dictionary === undefined ? DEFAULT_DICTIONARY : normaliseWords(opts.dictionary);
  const tlds = normaliseTlds(opts.tlds ?? DEFAULT_TLDS);
  const sink = new Collector(w.suffix, max);
  sink.exclude(w.label, w.suffix);
  if (w.subdomain !== "") sink.exclude(`${w.subdomain}.${w.label}`, w.suffix);

  const l = new Label(w.label);
  for (const family of GENERATION_ORDER) {
    if (sink.full) break;
    const bit = BIT[family];
    const emit: Emit =
      family === "subdomain"
        ? (label) => sink.add(bit, label, w.suffix)
        : (label) => sink.addLabel(bit, label);
    const emitName: affix.EmitName = (left, suffix) => sink.add(bit, left, suffix);
    switch (family) {
      case "omission":
        typo.omission(l, emit);
        break;
      case "transposition":
        typo.transposition(l, emit);
        break;
      case "repetition":
        typo.repetition(l, emit);
        break;
      case "replacement":
        typo.replacement(l, layouts, emit);
        break;
      case "insertion":
        typo.insertion(l, layouts, emit);
        break;
      case "keyboard":
        typo.keyboard(l, layouts, emit);
        break;
      case "vowel-swap":
        typo.vowelSwap(l, emit);
        break;
      case "hyphenation":
        typo.hyphenation(l, emit);
        break;
      case "addition":
        typo.addition(l, emit);
        break;
      case "bitsquatting":
        typo.bitsquatting(l, emit);
        break;
      case "plural":
        typo.plural(l, emit);
        break;
      case "subdomain":
        typo.subdomain(l, emit);
        break;
      case "various":
        affix.various(w.label, w.suffix, w.subdomain, emitName);
        break;
      case "tld-swap":
        affix.tldSwap(w.label, w.suffix, tlds, emitName);
        break;
      case "dictionary":
        affix.dictionary(w.label, words, emit);
        break;
      case "cyrillic":
        glyph.cyrillic(l, emit);
        break;
      case "mixed-script":
        glyph.mixedScript(l, emit);
        break;
      case "confusable":
        glyph.confusable(l, emit);
        break;
      case "homoglyph":
        glyph.homoglyph(l, emit);
        break;
    }
  }
  return sink.candidates();
}
