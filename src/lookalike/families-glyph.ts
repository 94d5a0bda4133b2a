/**
 * @module lookalike/families-glyph
 * Look-alike characters: dnstwist's homoglyph (its glyph table, two rounds, rn↔m, cl↔d, vv↔w) and cyrillic
 * families, and beyond it TR39 confusable substitutions and whole-label Cyrillic/Greek mixed-script spellings.
 */
import type { Emit } from "./gen-label.js";
import { Label } from "./gen-label.js";
import { alternatives, prototypeOf, scriptLookalikes, type LookalikeScript } from "./gen-confusables.js";
import { isSimpleLabelChar, MAX_LABEL } from "./gen-idna.js";

/** Glyph table rows: character or two-character sequence, ASCII look-alikes, Unicode look-alikes (a string). */
type GlyphTable = ReadonlyArray<readonly [string, readonly string[], string]>;

/** dnstwist 20221213's table (the Debian package): single characters only. */
const GLYPHS_2022: GlyphTable = [
  ["0", ["o"], ""],
  ["1", ["l", "i"], ""],
  ["2", [], "ƻ"],
  ["3", ["8"], ""],
  ["5", [], "ƽ"],
  ["6", ["9"], ""],
  ["8", ["3"], ""],
  ["9", ["6"], ""],
  ["a", [], "àáâãäåɑạǎăȧąə"],
  ["b", ["d", "lb"], "ʙɓḃḅḇƅ"],
  ["c", ["e"], "ƈċćçčĉᴄ"],
  ["d", ["b", "cl", "dl"], "ɗđďɖḑḋḍḏḓ"],
  ["e", ["c"], "éèêëēĕěėẹęȩɇḛ"],
  ["f", [], "ƒḟ"],
  ["g", ["q"], "ɢɡġğǵģĝǧǥ"],
  ["h", ["lh"], "ĥȟħɦḧḩⱨḣḥḫẖ"],
  ["i", ["1", "l"], "íìïıɩǐĭỉịɨȋīɪ"],
  ["j", [], "ʝǰɉĵ"],
  ["k", ["lk", "ik", "lc"], "ḳḵⱪķᴋ"],
  ["l", ["1", "i"], "ɫł"],
  ["m", ["n", "nn", "rn", "rr"], "ṁṃᴍɱḿ"],
  ["n", ["m", "r"], "ńṅṇṉñņǹňꞑ"],
  ["o", ["0"], "ȯọỏơóöᴏ"],
  ["p", [], "ƿƥṕṗ"],
  ["q", ["g"], "ʠ"],
  ["r", [], "ʀɼɽŕŗřɍɾȓȑṙṛṟ"],
  ["s", [], "ʂśṣṡșŝšꜱ"],
  ["t", [], "ţŧṫṭțƫ"],
  ["u", [], "ᴜǔŭüʉùúûũūųưůűȕȗụ"],
  ["v", [], "ṿⱱᶌṽⱴᴠ"],
  ["w", ["vv"], "ŵẁẃẅⱳẇẉẘᴡ"],
  ["x", [], "ẋẍ"],
  ["y", [], "ʏýÿŷƴȳɏỿẏỵ"],
  ["z", [], "ʐżźᴢƶẓẕⱬ"],
];
/**
 * Current dnstwist's table: its ASCII table (with u↔v and the sequences rn → m, cl → d), its generic Unicode
 * table, and the letters of its per-registry IDN tables (.de, .fr, .info, …) the generic one lacks.
 */
const GLYPHS_CURRENT: GlyphTable = [
  ["0", ["o"], ""],
  ["1", ["l", "i"], ""],
  ["2", [], "ƻ"],
  ["3", ["8"], "ʒ"],
  ["5", [], "ƽ"],
  ["6", ["9"], ""],
  ["8", ["3"], ""],
  ["9", ["6"], ""],
  ["a", [], "ạăȧɑåąâǎáəäãāà"],
  ["b", ["d", "lb"], "ḃḅƅʙḇɓ"],
  ["c", ["e"], "čᴄċçćĉƈ"],
  ["d", ["b", "cl", "dl"], "ďḍḋɖḏɗḓḑđ"],
  ["e", ["c"], "êẹęèḛěɇėĕéëēȩ"],
  ["f", [], "ḟƒ"],
  ["g", ["q"], "ǧġǵğɡǥĝģɢ"],
  ["h", ["lh"], "ȟḫḩḣɦḥḧħẖⱨĥ"],
  ["i", ["1", "l"], "ɩǐíɪỉȋɨïīĩịîıĭįì"],
  ["j", [], "ǰĵʝɉ"],
  ["k", ["lc"], "ĸǩⱪḵķᴋḳ"],
  ["l", ["1", "i"], "ĺłɫļľ"],
  ["m", ["n", "nn", "rn"], "ᴍṁḿṃɱ"],
  ["n", ["m", "r"], "ņǹńňṅṉṇꞑñŋ"],
  ["o", ["0"], "öóȯỏôᴏōòŏơőõọø"],
  ["p", [], "ṗƿƥṕ"],
  ["q", ["g"], "ʠ"],
  ["r", [], "ʀȓɍɾřṛɽȑṙŗŕɼṟ"],
  ["s", [], "ṡșŝꜱʂšśṣş"],
  ["t", [], "ťƫţṭṫțŧ"],
  ["u", ["v"], "ᴜųŭūűǔȕưùůʉúȗüûũụ"],
  ["v", ["u"], "ᶌṿᴠⱴⱱṽ"],
  ["w", ["vv"], "ᴡẇẅẃẘẉⱳŵẁ"],
  ["x", [], "ẋẍ"],
  ["y", [], "ŷÿʏẏɏƴȳýỿỵ"],
  ["z", [], "žƶẓẕⱬᴢżźʐ"],
  ["ae", [], "æ"],
  ["cl", ["d"], ""],
  ["oe", [], "œ"],
  ["rn", ["m"], ""],
];

interface Glyphs {
  readonly single: ReadonlyMap<string, readonly string[]>;
  readonly pair: ReadonlyMap<string, readonly string[]>;
}

function compile(table: GlyphTable): Glyphs {
  const single = new Map<string, readonly string[]>();
  const pair = new Map<string, readonly string[]>();
  for (const [key, ascii, unicode] of table) {
    (Array.from(key).length === 1 ? single : pair).set(key, [...ascii, ...Array.from(unicode)]);
  }
  return { single, pair };
}

const G2022 = compile(GLYPHS_2022);
const GCURRENT = compile(GLYPHS_CURRENT);

/**
 * Receives one result of a round; `single` is the position of a one-character replacement by a one-character
 * glyph (the label keeps its length and positions), else -1.
 */
type RoundOut = (s: string, single: number) => boolean;

/**
 * Most code points a label holding a non-ASCII one can have: its punycode is `xn--`, the ASCII code points, a
 * hyphen and at least one digit per other code point, within 63 octets.
 */
const MAX_IDN_CODE_POINTS = MAX_LABEL - 5;

/** Whether a glyph may go into a label that will have `count` code points. */
function fits(glyph: string, count: number): boolean {
  return count <= MAX_IDN_CODE_POINTS || glyph.charCodeAt(0) < 0x80;
}

function isOneCodePoint(s: string): boolean {
  return s.length === 1 || (s.length === 2 && s.codePointAt(0)! > 0xffff);
}

/**
 * One round of dnstwist 20221213's homoglyph fuzzer: for each window narrower than the label, each character
 * in it, each glyph of that character replaces it throughout the window. That amounts to: every glyph
 * replaces a run of consecutive occurrences of its character, unless the run spans the whole label.
 * One-character replacements before `skipBelow` are left out (see `homoglyph`).
 */
function windowRunsRound(l: Label, g: Glyphs, out: RoundOut, skipBelow = 0): boolean {
  const cps = l.cps;
  const n = cps.length;
  const positions = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const c = cps[i]!;
    if (!g.single.has(c)) continue;
    const list = positions.get(c);
    if (list === undefined) positions.set(c, [i]);
    else list.push(i);
  }
  for (const [c, at] of positions) {
    const glyphs = g.single.get(c)!;
    for (let a = 0; a < at.length; a++) {
      for (let b = a; b < at.length; b++) {
        const from = at[a]!;
        const to = at[b]!;
        if (from === 0 && to === n - 1) continue; // the window would be the whole label
        if (a === b) {
          if (from < skipBelow) continue;
          for (const glyph of glyphs) {
            if (!fits(glyph, n)) continue;
            if (!out(l.replace(from, glyph), isOneCodePoint(glyph) ? from : -1)) return false;
          }
          continue;
        }
        for (const glyph of glyphs) {
          if (!fits(glyph, n)) continue;
          let s = l.pre[from]!;
          for (let j = from; j <= to; j++) s += cps[j] === c ? glyph : cps[j];
          if (!out(s + l.suf[to + 1]!, -1)) return false;
        }
      }
    }
  }
  return true;
}

/** Per character, the glyphs of current dnstwist's table that its 2022 table does not have. */
const CURRENT_ONLY: ReadonlyMap<string, readonly string[]> = new Map(
  [...GCURRENT.single].map(([c, glyphs]) => {
    const old = new Set(G2022.single.get(c) ?? []);
    return [c, glyphs.filter((x) => !old.has(x))];
  }),
);

/**
 * One round of current dnstwist's homoglyph fuzzer: each character replaced by each of its glyphs; in each
 * two-character window, a doubled character replaced twice (`oo` → `öö`) and a sequence with glyphs
 * replaced (`rn` → `m`, `cl` → `d`). One-character replacements before `skipBelow` are left out; and when
 * the 2022 round runs on the same label with one-character replacements from `coveredFrom` on, those it
 * makes (and its doubled characters) are left to it.
 */
function pairsRound(l: Label, out: RoundOut, skipBelow = 0, coveredFrom = Infinity): boolean {
  const g = GCURRENT;
  const cps = l.cps;
  const n = cps.length;
  for (let i = skipBelow; i < n; i++) {
    const c = cps[i]!;
    for (const glyph of (i >= coveredFrom ? CURRENT_ONLY : g.single).get(c) ?? []) {
      if (fits(glyph, n) && !out(l.replace(i, glyph), isOneCodePoint(glyph) ? i : -1)) return false;
    }
  }
  const doubles = coveredFrom !== Infinity && n > 2 ? CURRENT_ONLY : g.single;
  for (let i = 0; i + 1 < n; i++) {
    const a = cps[i]!;
    const b = cps[i + 1]!;
    if (a === b) {
      for (const glyph of doubles.get(a) ?? []) {
        if (fits(glyph, n) && !out(l.pre[i]! + glyph + glyph + l.suf[i + 2]!, -1)) return false;
      }
    }
    for (const glyph of g.pair.get(a + b) ?? []) {
      if (fits(glyph, n - 1) && !out(l.pre[i]! + glyph + l.suf[i + 2]!, -1)) return false;
    }
  }
  return true;
}

const MARKS = /\p{M}/gu;

/**
 * At most this many first-round results per algorithm. A common label has a few hundred; a label of one
 * repeated letter has tens of thousands (every run of it, every glyph), whose second round nobody needs.
 */
const FIRST_ROUND_LIMIT = 5_000;

/**
 * dnstwist's homoglyph family, as both its 2022 release (Debian's) and its current one generate it: each
 * does one round of glyph substitutions, then a second round on every result of the first. The first rounds
 * come out first, then (for a Unicode label) the label with accents removed, one character at a time and all
 * at once (`bücher` → `bucher`: the glyph relation read backwards), then the second rounds.
 *
 * Two one-character replacements at positions q < p come out of the second round twice (q then p, p then q).
 * So the second round on a result of "position p replaced by a one-character glyph" skips one-character
 * replacements before p: the result of "q, then p" is still produced from the first-round result "q". And a
 * label both first rounds produced is given to both second rounds, so the current one leaves out what the 2022
 * one makes on it anyway. The set is exactly the union of the two dnstwist versions' sets.
 */
export function homoglyph(l: Label, emit: Emit): void {
  const runs = new Map<string, number>();
  const pairs = new Map<string, number>();
  const collect =
    (m: Map<string, number>): RoundOut =>
    (s, p) => {
      if (!m.has(s)) m.set(s, p);
      return m.size < FIRST_ROUND_LIMIT;
    };
  windowRunsRound(l, G2022, collect(runs));
  pairsRound(l, collect(pairs));
  for (const s of runs.keys()) if (!emit(s)) return;
  for (const s of pairs.keys()) if (!emit(s)) return;
  if (!foldAccents(l, emit)) return;
  const labels = new Map<string, Label>(); // a label both first rounds produced is built once
  const labelOf = (s: string): Label => {
    let r = labels.get(s);
    if (r === undefined) labels.set(s, (r = new Label(s)));
    return r;
  };
  for (const [s, p] of runs) if (!windowRunsRound(labelOf(s), G2022, emit, Math.max(p, 0))) return;
  for (const [s, p] of pairs) {
    const covered = runs.get(s);
    const r = labelOf(s);
    if (!pairsRound(r, emit, Math.max(p, 0), covered === undefined ? Infinity : Math.max(covered, 0))) return;
  }
}

function foldAccents(l: Label, emit: Emit): boolean {
  if (isAscii(l.text)) return true;
  let changed = 0;
  for (let i = 0; i < l.length; i++) {
    const c = l.cps[i]!;
    if (c.charCodeAt(0) < 0x80) continue;
    const base = c.normalize("NFD").replace(MARKS, "");
    if (base === "" || base === c) continue;
    changed++;
    if (!emit(l.replace(i, base))) return false;
  }
  if (changed > 1) return emit(l.text.normalize("NFD").replace(MARKS, "").normalize("NFC"));
  return true;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** dnstwist's Latin → Cyrillic map for its cyrillic family. */
// prettier-ignore
const DNSTWIST_CYRILLIC: ReadonlyMap<string, string> = new Map(
  Object.entries({
    a: "а", b: "ь", c: "с", d: "ԁ", e: "е", g: "ԍ", h: "һ", i: "і", j: "ј", k: "к", l: "ӏ", m: "м", o: "о",
    p: "р", q: "ԛ", s: "ѕ", t: "т", v: "ѵ", w: "ԝ", x: "х", y: "у",
  }),
);

/** dnstwist's cyrillic family: the whole label in Cyrillic, only when every character has a Cyrillic twin. */
export function cyrillic(l: Label, emit: Emit): void {
  let s = "";
  for (const c of l.cps) {
    const t = DNSTWIST_CYRILLIC.get(c);
    if (t === undefined) return;
    s += t;
  }
  emit(s);
}

/**
 * TR39 confusables: each character replaced by every other character with the same prototype (including
 * the prototype itself: a Greek omicron in the watched label gives the Latin o); a character whose prototype
 * is several characters by that sequence (`m` → `rn`); each two- or three-character sequence by a single
 * character with that prototype (`rn` → `m`); and, for an accented letter, its base letter's confusables
 * under the same accents. In a label of letters and digits only characters valid next to them are used.
 */
export function confusable(l: Label, emit: Emit): void {
  const cps = l.cps;
  const n = cps.length;
  const simpleOnly = cps.every((c) => isSimpleLabelChar(c.codePointAt(0)!));
  const usable = (x: string): boolean => !simpleOnly || isSimpleLabelChar(x.codePointAt(0)!);
  for (let i = 0; i < n; i++) {
    const c = cps[i]!;
    const p = prototypeOf(c);
    for (const x of alternatives(p)) if (x !== c && usable(x) && !emit(l.replace(i, x))) return;
    if (
      p !== c &&
      Array.from(p).length > 1 &&
      Array.from(p).every((x) => isSimpleLabelChar(x.codePointAt(0)!))
    ) {
      if (!emit(l.replace(i, p))) return;
    }
    if (c.charCodeAt(0) >= 0x80) {
      const d = c.normalize("NFD");
      const base = String.fromCodePoint(d.codePointAt(0)!);
      const marks = d.slice(base.length);
      if (marks !== "") {
        for (const x of alternatives(prototypeOf(base))) {
          if (x === base || !usable(x)) continue;
          const y = (x + marks).normalize("NFC");
          if (y !== c && !emit(l.replace(i, y))) return;
        }
      }
    }
  }
  for (let len = 2; len <= 3; len++) {
    for (let i = 0; i + len <= n; i++) {
      let p = "";
      for (let j = i; j < i + len; j++) p += prototypeOf(cps[j]!);
      for (const x of alternatives(p)) {
        if (usable(x) && !emit(l.pre[i]! + x + l.suf[i + len]!)) return;
      }
    }
  }
}

const SCRIPTS: readonly LookalikeScript[] = ["cyrillic", "greek"];
/** Above this many distinct replaceable letters, only single letters and the whole set are tried. */
const MAX_SUBSET_LETTERS = 6;

/**
 * Whole-label spellings in Cyrillic and in Greek look-alikes: for each script, every letter that has a
 * look-alike in it replaced (`соntоѕо`), and every subset of the distinct letters replaced throughout
 * (all `o` → `о`, …); then Cyrillic falling back to Greek and the reverse, for the most letters replaced.
 */
export function mixedScript(l: Label, emit: Emit): void {
  const tables = SCRIPTS.map((s) => scriptLookalikes(s));
  for (const table of tables) {
    const letters: string[] = [];
    for (const c of l.cps) if (table.has(c) && !letters.includes(c)) letters.push(c);
    const k = letters.length;
    if (k === 0) continue;
    const choices: boolean[][] = [letters.map(() => true)];
    if (k <= MAX_SUBSET_LETTERS) {
      for (let m = 1; m < (1 << k) - 1; m++) choices.push(letters.map((_, j) => (m & (1 << j)) !== 0));
    } else if (k > 1) {
      for (let j = 0; j < k; j++) choices.push(letters.map((_, x) => x === j));
    }
    for (const chosen of choices) {
      let s = "";
      for (const c of l.cps) {
        const j = letters.indexOf(c);
        s += j >= 0 && chosen[j] === true ? table.get(c)! : c;
      }
      if (!emit(s)) return;
    }
  }
  const [cyr, greek] = tables as [ReadonlyMap<string, string>, ReadonlyMap<string, string>];
  for (const [a, b] of [
    [cyr, greek],
    [greek, cyr],
  ] as const) {
    let s = "";
    for (const c of l.cps) s += a.get(c) ?? b.get(c) ?? c;
    if (!emit(s)) return;
  }
}
