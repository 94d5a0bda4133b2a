/**
 * @module lookalike/families-glyph
 * Look-alike characters: dnstwist's homoglyph (its glyph table, two rounds, rn↔m, cl↔d, vv↔w) and cyrillic
 * families, and beyond it TR39 confusable substitutions and whole-label Cyrillic/Greek mixed-script spellings.
 */
import type { Emit } from "./gen-label.js";
import { Label } from "./gen-label.js";
import { alternatives, prototypeOf, scriptLookalikes, type LookalikeScript } from "./gen-confusables.js";
import { isSimpleLabelChar } from "./gen-idna.js";

/**
 * Glyphs that can stand for a character or a two-character sequence: the union of the tables of dnstwist
 * 20221213 and of current dnstwist (its generic table and its per-registry IDN tables). First the ASCII
 * look-alikes (each entry one string, possibly two characters), then the Unicode ones (one code point each).
 */
const GLYPH_SOURCE: ReadonlyArray<readonly [string, readonly string[], string]> = [
  ["0", ["o"], ""],
  ["1", ["l", "i"], ""],
  ["2", [], "ƻ"],
  ["3", ["8"], "ʒ"],
  ["5", [], "ƽ"],
  ["6", ["9"], ""],
  ["8", ["3"], ""],
  ["9", ["6"], ""],
  ["a", [], "àáâãäåɑạǎăȧąəā"],
  ["b", ["d", "lb"], "ʙɓḃḅḇƅ"],
  ["c", ["e"], "ƈċćçčĉᴄ"],
  ["d", ["b", "cl", "dl"], "ɗđďɖḑḋḍḏḓ"],
  ["e", ["c"], "éèêëēĕěėẹęȩɇḛ"],
  ["f", [], "ƒḟ"],
  ["g", ["q"], "ɢɡġğǵģĝǧǥ"],
  ["h", ["lh"], "ĥȟħɦḧḩⱨḣḥḫẖ"],
  ["i", ["1", "l"], "íìïıɩǐĭỉịɨȋīɪĩîį"],
  ["j", [], "ʝǰɉĵ"],
  ["k", ["lk", "ik", "lc"], "ḳḵⱪķᴋĸǩ"],
  ["l", ["1", "i"], "ɫłĺļľ"],
  ["m", ["n", "nn", "rn", "rr"], "ṁṃᴍɱḿ"],
  ["n", ["m", "r"], "ńṅṇṉñņǹňꞑŋ"],
  ["o", ["0"], "ȯọỏơóöᴏôōòŏőõø"],
  ["p", [], "ƿƥṕṗ"],
  ["q", ["g"], "ʠ"],
  ["r", [], "ʀɼɽŕŗřɍɾȓȑṙṛṟ"],
  ["s", [], "ʂśṣṡșŝšꜱş"],
  ["t", [], "ţŧṫṭțƫť"],
  ["u", ["v"], "ᴜǔŭüʉùúûũūųưůűȕȗụ"],
  ["v", ["u"], "ṿⱱᶌṽⱴᴠ"],
  ["w", ["vv"], "ŵẁẃẅⱳẇẉẘᴡ"],
  ["x", [], "ẋẍ"],
  ["y", [], "ʏýÿŷƴȳɏỿẏỵ"],
  ["z", [], "ʐżźᴢƶẓẕⱬž"],
  ["ae", [], "æ"],
  ["oe", [], "œ"],
  ["cl", ["d"], ""],
  ["rn", ["m"], ""],
];

const SINGLE = new Map<string, readonly string[]>();
const PAIR = new Map<string, readonly string[]>();
for (const [key, ascii, unicode] of GLYPH_SOURCE) {
  const glyphs = [...ascii, ...Array.from(unicode)];
  (Array.from(key).length === 1 ? SINGLE : PAIR).set(key, glyphs);
}

/**
 * One round of dnstwist's homoglyph fuzzer on `l`, each result passed to `out`: for every character with
 * glyphs, every glyph replaces a run of its consecutive occurrences (dnstwist replaces the character inside
 * every window narrower than the label, which amounts to exactly that), and every two-character sequence
 * with glyphs is replaced (`rn` → `m`, `cl` → `d`).
 */
function homoglyphRound(l: Label, out: (s: string) => boolean): boolean {
  const cps = l.cps;
  const n = cps.length;
  const positions = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const c = cps[i]!;
    if (!SINGLE.has(c)) continue;
    const list = positions.get(c);
    if (list === undefined) positions.set(c, [i]);
    else list.push(i);
  }
  for (const [c, at] of positions) {
    const glyphs = SINGLE.get(c)!;
    for (let a = 0; a < at.length; a++) {
      for (let b = a; b < at.length; b++) {
        const from = at[a]!;
        const to = at[b]!;
        if (from === 0 && to === n - 1) continue; // the window would be the whole label
        for (const g of glyphs) {
          let s: string;
          if (a === b) s = l.replace(from, g);
          else {
            s = l.pre[from]!;
            for (let j = from; j <= to; j++) s += cps[j] === c ? g : cps[j];
            s += l.suf[to + 1]!;
          }
          if (!out(s)) return false;
        }
      }
    }
  }
  for (let i = 0; i + 1 < n; i++) {
    const glyphs = PAIR.get(cps[i]! + cps[i + 1]!);
    if (glyphs === undefined) continue;
    for (const g of glyphs) if (!out(l.pre[i]! + g + l.suf[i + 2]!)) return false;
  }
  return true;
}

const MARKS = /\p{M}/gu;

/**
 * dnstwist's homoglyph family: one round of glyph substitutions, then a second round on every result of the
 * first. For a Unicode label, also the label with accents removed, one character at a time and all at once
 * (`bücher` → `bucher`): the same glyph relation read backwards.
 */
export function homoglyph(l: Label, emit: Emit): void {
  const first = new Set<string>();
  const ok = homoglyphRound(l, (s) => {
    first.add(s);
    return true;
  });
  if (!ok) return;
  for (const s of first) if (!emit(s)) return;
  if (!foldAccents(l, emit)) return;
  for (const s of first) if (!homoglyphRound(new Label(s), emit)) return;
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
const DNSTWIST_CYRILLIC: ReadonlyMap<string, string> = new Map(
  Object.entries({
    a: "а", b: "ь", c: "с", d: "ԁ", e: "е", g: "ԍ", h: "һ", i: "і", j: "ј", k: "к", l: "ӏ", m: "м", o: "о",
    p: "р", q: "ԛ", s: "ѕ", t: "т", v: "ѵ", w: "ԝ", x: "х", y: "у",
  }),
); // prettier-ignore

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
    if (p !== c && Array.from(p).length > 1 && Array.from(p).every((x) => isSimpleLabelChar(x.codePointAt(0)!))) {
      if (!emit(l.replace(i, p))) return;
    }
    if (c.charCodeAt(0) >= 0x80) {
      const d = c.normalize("NFD");
      const base = String.fromCodePoint(d.codePointAt(0)!);
      const marks = d.slice(base.length);
      if (marks !== "") {
        for (const x of alternatives(prototypeOf(base))) {
          if (x === base) continue;
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
