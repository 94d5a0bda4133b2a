/**
 * @module util/terminal-safe
 * Outside text (certificate names, CT entries, URLs, server error messages) made safe to print on a terminal.
 *
 * A certificate's subject is attacker-chosen bytes: a UTF8String may hold ESC (0x1b) and BEL, so an
 * `ESC ] 0 ; … BEL` sequence retitles the window and `ESC [ 31 m` recolours the rest of the output; 0x9b is
 * the one-byte CSI of C1 terminals; CR/LF forge whole output lines; Unicode bidi overrides and isolates
 * (U+202A–U+202E, U+2066–U+2069) reorder what is shown ("gpj.exe" as "exe.jpg"). Every such character
 * becomes a visible escape — `\x1b`, `\x9b`, `\u202e` — so the reader sees that it was there.
 *
 * The set: every control character (Unicode Cc: C0, DEL, C1), every format character (Cf: bidi marks,
 * embeddings, overrides and isolates, U+061C, zero-width characters, U+FEFF, tag characters), the line and
 * paragraph separators U+2028/U+2029, and lone surrogates. Backslashes are left alone, so paths and the
 * `\;` of a distinguished name read as usual: the escaped form is for the reader, not for parsing back.
 */

/** Characters a terminal acts on or that change how the text around them is shown. */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;
/** The same characters, except LF (for text that is several lines by design). */
const UNSAFE_BUT_LF = /(?!\n)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

const SHORT: Readonly<Record<string, string>> = { "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/** The visible escape of one character: `\t`, `\n`, `\r`, `\xNN` up to 0xff, `\uNNNN`, or `\u{NNNNN}`. */
export function visibleEscape(c: string): string {
  const short = SHORT[c];
  if (short !== undefined) return short;
  const cp = c.codePointAt(0) ?? 0;
  if (cp <= 0xff) return `\\x${cp.toString(16).padStart(2, "0")}`;
  if (cp <= 0xffff) return `\\u${cp.toString(16).padStart(4, "0")}`;
  return `\\u{${cp.toString(16)}}`;
}

/** `text` with every character of the set above replaced by `fn(character)`: for formats with escapes of their own. */
export function replaceUnsafe(text: string, fn: (c: string) => string): string {
  return text.replace(UNSAFE, fn);
}

/**
 * `text` with every control, format and separator character written as a visible escape: one line that a
 * terminal shows as it is. With `keepNewlines`, LF stays a line break (multi-line messages of our own that
 * quote outside text); CR is escaped all the same, since it rewrites the line it ends.
 */
export function terminalSafe(text: string, opts: { readonly keepNewlines?: boolean } = {}): string {
  return text.replace(opts.keepNewlines === true ? UNSAFE_BUT_LF : UNSAFE, visibleEscape);
}

/**
 * Characters JSON.stringify leaves raw that a terminal (or a log viewer) acts on: DEL, C1, Cf, U+2028/9. Not
 * C0: JSON.stringify escapes them in strings, and outside strings they are the whitespace of indented JSON.
 */
const JSON_RAW_UNSAFE = /[\x7f-\x9f\p{Cf}\p{Zl}\p{Zp}]/gu;

/**
 * Serialised JSON with the characters JSON.stringify leaves raw — DEL, C1 controls (0x9b is a CSI), bidi and
 * other format characters, U+2028/U+2029 — written as `\uXXXX` escapes (a surrogate pair above U+FFFF). The
 * value is unchanged: such characters can only occur inside JSON strings, where `\uXXXX` means the same. C0
 * controls are already escaped by JSON.stringify, and lone surrogates too (well-formed JSON.stringify).
 */
export function jsonAsciiControls(json: string): string {
  return json.replace(JSON_RAW_UNSAFE, (c) => {
    let out = "";
    for (let i = 0; i < c.length; i++) out += `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`;
    return out;
  });
}

/** JSON.stringify of `value`, safe to print on a terminal (see `jsonAsciiControls`). */
export function terminalSafeJson(value: unknown): string {
  return jsonAsciiControls(JSON.stringify(value));
}
