/**
 * @module lookalike/families-typo
 * Typing-error families on one label, with dnstwist's rules: addition, bitsquatting, hyphenation, insertion,
 * omission, plural, repetition, replacement, subdomain, transposition, vowel-swap, plus keyboard (all layouts).
 */
import type { Emit, Label } from "./gen-label.js";
import type { NeighbourMap } from "./gen-keyboards.js";

const ALNUM = "0123456789abcdefghijklmnopqrstuvwxyz";
const VOWELS = "aeiou";

/** `label` + one letter or digit; and, in a hyphenated label, one before each hyphen (`contoso1-shop`). */
export function addition(l: Label, emit: Emit): void {
  for (const ch of ALNUM) if (!emit(l.text + ch)) return;
  if (!l.text.includes("-")) return;
  const parts = l.text.split("-");
  for (const ch of ALNUM) {
    for (let p = 1; p < parts.length; p++) {
      const left = parts.slice(0, p).join("-");
      const right = parts.slice(p).join("-");
      if (!emit(`${left}${ch}-${right}`)) return;
    }
  }
}

function isHostChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d;
}

/** One bit flipped in one character, when the result is still a hostname character (a-z, 0-9, -). */
export function bitsquatting(l: Label, emit: Emit): void {
  for (let i = 0; i < l.length; i++) {
    const c = l.cps[i]!.codePointAt(0)!;
    for (let mask = 1; mask <= 128; mask <<= 1) {
      const b = c ^ mask;
      if (isHostChar(b) && !emit(l.replace(i, String.fromCharCode(b)))) return;
    }
  }
}

/** A hyphen between two characters. */
export function hyphenation(l: Label, emit: Emit): void {
  for (let i = 1; i < l.length; i++) if (!emit(l.insert(i, "-"))) return;
}

/**
 * A key adjacent to a character typed just before or after it, for every character but the last (dnstwist's
 * rule; the keyboard family covers the last one too).
 */
export function insertion(l: Label, layouts: readonly NeighbourMap[], emit: Emit): void {
  for (let i = 0; i < l.length - 1; i++) {
    const orig = l.cps[i]!;
    for (const layout of layouts) {
      for (const c of layout.get(orig) ?? []) {
        if (!emit(l.replace(i, c + orig)) || !emit(l.replace(i, orig + c))) return;
      }
    }
  }
}

/** One character left out. */
export function omission(l: Label, emit: Emit): void {
  for (let i = 0; i < l.length; i++) if (!emit(l.replace(i, ""))) return;
}

/**
 * dnstwist's plural: an `s` (`es` after s, x, z) inserted after each inner character (from the third to the
 * third-last); and the plurals of the whole label (`contosos`, `boxes`, `companies`).
 */
export function plural(l: Label, emit: Emit): void {
  const n = l.length;
  for (let i = 2; i < n - 2; i++) {
    const c = l.cps[i]!;
    if (!emit(l.insert(i + 1, c === "s" || c === "x" || c === "z" ? "es" : "s"))) return;
  }
  const t = l.text;
  if (!emit(t + "s")) return;
  const last = l.cps[n - 1];
  const beforeLast = l.cps[n - 2];
  if (
    last === "s" ||
    last === "x" ||
    last === "z" ||
    (last === "h" && (beforeLast === "c" || beforeLast === "s"))
  ) {
    if (!emit(t + "es")) return;
  }
  if (last === "y" && beforeLast !== undefined && !VOWELS.includes(beforeLast)) emit(l.pre[n - 1] + "ies");
}

/** One character typed twice. */
export function repetition(l: Label, emit: Emit): void {
  for (let i = 0; i < l.length; i++) if (!emit(l.insert(i, l.cps[i]!))) return;
}

/** One character replaced by a key adjacent to it. */
export function replacement(l: Label, layouts: readonly NeighbourMap[], emit: Emit): void {
  for (let i = 0; i < l.length; i++) {
    for (const layout of layouts) {
      for (const r of layout.get(l.cps[i]!) ?? []) if (!emit(l.replace(i, r))) return;
    }
  }
}

/**
 * A dot inside the label (`con.toso`), never next to a hyphen; the result is a name under another
 * registrable domain (`toso.com`). Returns the label with the dot.
 */
export function subdomain(l: Label, emit: Emit): void {
  for (let i = 1; i < l.length - 1; i++) {
    const c = l.cps[i]!;
    const p = l.cps[i - 1]!;
    if (c !== "-" && c !== "." && p !== "-" && p !== "." && !emit(l.insert(i, "."))) return;
  }
}

/** Two adjacent characters swapped. */
export function transposition(l: Label, emit: Emit): void {
  for (let i = 0; i < l.length - 1; i++) {
    const a = l.cps[i]!;
    const b = l.cps[i + 1]!;
    if (a !== b && !emit(l.pre[i]! + b + a + l.suf[i + 2]!)) return;
  }
}

/** A vowel replaced by another vowel. */
export function vowelSwap(l: Label, emit: Emit): void {
  for (let i = 0; i < l.length; i++) {
    const c = l.cps[i]!;
    if (!VOWELS.includes(c)) continue;
    for (const v of VOWELS) if (v !== c && !emit(l.replace(i, v))) return;
  }
}

/**
 * Fat-finger typos on each layout asked for: a character replaced by an adjacent key, or an adjacent key
 * typed before or after any character (the first and last included).
 */
export function keyboard(l: Label, layouts: readonly NeighbourMap[], emit: Emit): void {
  for (const layout of layouts) {
    for (let i = 0; i < l.length; i++) {
      const orig = l.cps[i]!;
      for (const c of layout.get(orig) ?? []) {
        if (!emit(l.replace(i, c)) || !emit(l.replace(i, c + orig)) || !emit(l.replace(i, orig + c))) return;
      }
    }
  }
}
