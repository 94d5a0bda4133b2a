/**
 * @module lookalike/skeleton
 * Unicode TR39 confusable skeletons (`skeleton`) from unhomoglyph's confusables table, loaded once on first
 * use, and `foldForMatching`, the stricter fold (case, accents, digit look-alikes, rn→m, vv→w) that lookalike matching compares.
 */
import { createRequire } from "node:module";

let table: Map<number, string> | null = null;

/** The confusables prototype table (code point → prototype string), read from unhomoglyph's data.json once. */
function prototypes(): Map<number, string> {
  if (table !== null) return table;
  const require = createRequire(import.meta.url);
  const data = require("unhomoglyph/data.json") as Record<string, string>;
  const m = new Map<number, string>();
  for (const [k, v] of Object.entries(data)) {
    const cp = k.codePointAt(0);
    // Every key of the table is one code point; anything else would not be reachable by a per-code-point map.
    if (cp !== undefined && String.fromCodePoint(cp) === k) m.set(cp, v);
  }
  table = m;
  return m;
}

/** Number of entries in the prototype table (loads it). */
export function confusableTableSize(): number {
  return prototypes().size;
}

const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;
const MARKS = /[\p{Mn}\p{Me}]/gu;

function mapPrototypes(s: string): string {
  const t = prototypes();
  let out = "";
  let changed = false;
  for (const ch of s) {
    const p = t.get(ch.codePointAt(0)!);
    if (p === undefined) out += ch;
    else {
      out += p;
      changed = true;
    }
  }
  return changed ? out : s;
}

/**
 * The UTS #39 skeleton: NFD, default-ignorable code points removed, every code point replaced by its
 * confusables prototype, NFD again. Case-sensitive, as the standard defines it (`skeleton("0") === "O"`).
 * Two strings are confusable when their skeletons are equal.
 */
export function skeleton(s: string): string {
  const x = s.normalize("NFD").replace(IGNORABLE, "");
  return mapPrototypes(x).normalize("NFD");
}

/**
 * Digit look-alikes the confusables table does not hold. The table already maps `0`→`O` and `1`→`l` (and
 * `m`→`rn`, `I`→`l`, `|`→`l`); leetspeak adds these, all common in phishing domains. `2` (z) is left out:
 * too rare to be worth the collisions.
 */
const DIGIT_FOLD: Readonly<Record<string, string>> = {
  "3": "e",
  "4": "a",
  "5": "s",
  "6": "b",
  "7": "t",
  "8": "b",
  "9": "g",
};

/**
 * ASCII code → its `foldForMatching` code, one character at a time (-1: a character the fast path leaves to
 * the full fold). `rn` → `m` and `vv` → `w` are not in it: callers contract those pairs themselves.
 */
export const ASCII_FOLD: Readonly<Int16Array> = (() => {
  const a = new Int16Array(128).fill(-1);
  for (let c = 97; c <= 122; c++) a[c] = c; // a-z
  for (let c = 65; c <= 90; c++) a[c] = c + 32; // A-Z: lower-cased first, so I is i (DNS is case-insensitive)
  a[45] = 45; // -
  a[46] = 46; // . (kept: foldAscii also folds whole names, label by label)
  a[95] = 95; // _
  a[48] = 111; // 0 → o (table: O)
  a[49] = 108; // 1 → l (table)
  a[50] = 50; // 2 stays
  for (const [d, l] of Object.entries(DIGIT_FOLD)) a[d.charCodeAt(0)] = l.charCodeAt(0);
  return a;
})();

/** Contracts the multi-letter look-alikes left to right: `rn` → `m`, `vv` → `w`. */
function contract(s: string): string {
  if (!s.includes("rn") && !s.includes("vv")) return s;
  return s.replace(/rn|vv/g, (x) => (x === "rn" ? "m" : "w"));
}

/**
 * The matching key of one DNS label (Unicode, or ASCII; never punycode — decode first): NFKC (full-width
 * and other compatibility forms, as IDNA would map them), lower case, UTS #39
 * skeleton, lower case again (prototypes can be capitals: `0`→`O`), combining marks dropped (`ö`→`o`),
 * the leetspeak digits of `DIGIT_FOLD`, then `rn`→`m` and `vv`→`w` (the table maps `m`→`rn`; contracting
 * instead of expanding keeps one letter one position, so an omitted `m` is one edit, not two).
 * Two labels that look alike fold to the same key; edit distances are measured between keys.
 */
export function foldForMatching(label: string): string {
  return foldAscii(label) ?? foldUnicode(label);
}

/** `foldForMatching` without the ASCII fast path (the reference the fast path must agree with). */
export function foldUnicode(label: string): string {
  let x = skeleton(label.normalize("NFKC").toLowerCase()).toLowerCase();
  x = x.replace(MARKS, "").replace(/\./g, "");
  let out = "";
  for (const ch of x) out += DIGIT_FOLD[ch] ?? ch;
  return contract(out.normalize("NFC"));
}

/**
 * `foldForMatching` one character at a time and without contracting `rn`/`vv` (an `m` stays `m`, an `rn`
 * stays `rn`): the second key typo distances are measured on, so that an edit creating or breaking an
 * `rn` pair (`filrnd` for `filrind`) still counts as one edit.
 */
export function foldUncontracted(label: string): string {
  let out = "";
  for (const ch of label) {
    const c = ch.charCodeAt(0);
    const f = c < 128 ? ASCII_FOLD[c]! : -1;
    out += f >= 0 ? String.fromCharCode(f) : c < 128 ? ch : foldUnicode(ch);
  }
  return out;
}

/**
 * The fast path of `foldForMatching` for ASCII labels made of letters, digits, `-` and `_` (what nearly
 * every certificate name is): the same result without normalisation or table lookups, and without
 * allocating when the label is already folded. Dots are kept, so a whole ASCII name folds label by label
 * in one call. null when the text has other characters (use `foldForMatching` per label).
 */
export function foldAscii(label: string): string | null {
  const n = label.length;
  let i = 0;
  for (; i < n; i++) {
    const c = label.charCodeAt(i);
    if (c >= 128) return null;
    const f = ASCII_FOLD[c]!;
    if (f < 0) return null;
    if (f !== c) break;
    if (i + 1 < n) {
      const d = label.charCodeAt(i + 1);
      if ((c === 114 && d === 110) || (c === 118 && d === 118)) break; // rn, vv
    }
  }
  if (i === n) return label;
  let out = label.slice(0, i);
  for (; i < n; i++) {
    const c = label.charCodeAt(i);
    if (c >= 128) return null;
    const f = ASCII_FOLD[c]!;
    if (f < 0) return null;
    out += String.fromCharCode(f);
  }
  return contract(out);
}
