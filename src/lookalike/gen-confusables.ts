/**
 * @module lookalike/gen-confusables
 * The Unicode TR39 confusables table (unhomoglyph's data.json, code point → prototype) inverted for generation:
 * which characters share a prototype, and the Cyrillic and Greek look-alike of each Latin letter.
 */
import { createRequire } from "node:module";
import { isPossibleLabelChar, isSimpleLabelChar } from "./gen-idna.js";

let proto: Map<string, string> | null = null;
let inverse: Map<string, string[]> | null = null;

function load(): void {
  const require = createRequire(import.meta.url);
  const data = require("unhomoglyph/data.json") as Record<string, string>;
  proto = new Map();
  inverse = new Map();
  for (const [k, v] of Object.entries(data)) {
    const cp = k.codePointAt(0);
    if (cp === undefined || String.fromCodePoint(cp) !== k) continue; // every key is one code point
    proto.set(k, v);
    let list = inverse.get(v);
    if (list === undefined) inverse.set(v, (list = []));
    list.push(k);
  }
  for (const list of inverse.values()) list.sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
}

/** The TR39 prototype of one character (itself when the table has no entry). */
export function prototypeOf(ch: string): string {
  if (proto === null) load();
  return proto!.get(ch) ?? ch;
}

const alternativesCache = new Map<string, readonly string[]>();
const NONE: readonly string[] = [];

/**
 * Every single character whose prototype is `prototype`, plus `prototype` itself when it is one character,
 * keeping only characters IDNA can hold (UTS #46 valid and unchanged, a letter, digit or mark). Sorted by
 * code point. `alternatives(prototypeOf("o"))` holds Latin o, Greek omicron, Cyrillic o, Armenian oh, ….
 */
export function alternatives(prototype: string): readonly string[] {
  let out = alternativesCache.get(prototype);
  if (out !== undefined) return out;
  if (inverse === null) load();
  const sources = inverse!.get(prototype);
  const first = prototype.codePointAt(0);
  const single = first !== undefined && String.fromCodePoint(first) === prototype;
  if (sources === undefined && !single) return NONE; // not cached: sequences are many, and most have none
  const set = new Set<string>(sources ?? []);
  if (single) set.add(prototype);
  out = [...set]
    .filter((c) => isPossibleLabelChar(c.codePointAt(0)!))
    .sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  alternativesCache.set(prototype, out);
  return out;
}

/**
 * Look-alikes that are not TR39 confusables with Latin lower case, but close enough that phishers use them
 * (and dnstwist's Cyrillic map does): used only when the table has none for the letter.
 */
// prettier-ignore
const CYRILLIC_FALLBACK: Readonly<Record<string, string>> = {
  b: "ь", g: "ԍ", k: "к", l: "ӏ", m: "м", t: "т", w: "ԝ",
};
// prettier-ignore
const GREEK_FALLBACK: Readonly<Record<string, string>> = {
  k: "κ", n: "η", t: "τ", x: "χ", w: "ω", b: "β",
};

export type LookalikeScript = "cyrillic" | "greek";

const SCRIPT_TEST: Readonly<Record<LookalikeScript, RegExp>> = {
  cyrillic: /^\p{Script=Cyrillic}$/u,
  greek: /^\p{Script=Greek}$/u,
};

const scriptTables = new Map<LookalikeScript, ReadonlyMap<string, string>>();

/**
 * For each Latin letter and digit, its look-alike in `script` (the lowest code point among that script's
 * confusables of the letter, else a hand-picked fallback), when there is one that can stand in a label.
 */
export function scriptLookalikes(script: LookalikeScript): ReadonlyMap<string, string> {
  let table = scriptTables.get(script);
  if (table !== undefined) return table;
  const m = new Map<string, string>();
  const test = SCRIPT_TEST[script];
  const fallback = script === "cyrillic" ? CYRILLIC_FALLBACK : GREEK_FALLBACK;
  for (const letter of "abcdefghijklmnopqrstuvwxyz0123456789") {
    const found = alternatives(prototypeOf(letter)).find(
      (c) => test.test(c) && isSimpleLabelChar(c.codePointAt(0)!),
    );
    const pick = found ?? fallback[letter];
    if (pick !== undefined && isSimpleLabelChar(pick.codePointAt(0)!)) m.set(letter, pick);
  }
  table = m;
  scriptTables.set(script, m);
  return m;
}
