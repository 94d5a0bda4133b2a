/**
 * @module lookalike/families-affix
 * Families that add to the label or change the suffix rather than edit characters: dictionary words, tld-swap,
 * and dnstwist's "various" (suffix glued into the label, `contosocom.com`, `contoso-com.com`), and more.
 */

/** Reports one candidate as a left part (Unicode, may hold dots) and a public suffix (ASCII). */
export type EmitName = (left: string, suffix: string) => boolean;

/**
 * dnstwist's dictionary family: each word before and after the label, with and without a hyphen (skipped
 * when the label starts and ends with the word); in a hyphenated label, the word also replaces the first or
 * the last part (`contoso-shop` → `contoso-login`, `login-shop`).
 */
export function dictionary(label: string, words: readonly string[], emit: (label: string) => boolean): void {
  for (const w of words) {
    if (label.startsWith(w) && label.endsWith(w)) continue;
    if (!emit(`${label}-${w}`) || !emit(label + w) || !emit(`${w}-${label}`) || !emit(w + label)) return;
  }
  if (!label.includes("-")) return;
  const parts = label.split("-");
  const head = parts.slice(0, -1).join("-");
  const tail = parts.slice(1).join("-");
  for (const w of words) if (!emit(`${head}-${w}`) || !emit(`${w}-${tail}`)) return;
}

/** The label under every other suffix of the list. */
export function tldSwap(label: string, suffix: string, tlds: readonly string[], emit: EmitName): void {
  for (const t of tlds) if (t !== suffix && !emit(label, t)) return;
}

/** How German, Scandinavian and French letters are written without accents (`bücher` → `buecher`). */
const TRANSLITERATION: ReadonlyMap<string, string> = new Map(
  Object.entries({ ä: "ae", ö: "oe", ü: "ue", ß: "ss", æ: "ae", œ: "oe", ø: "oe", å: "aa", þ: "th", ð: "d" }),
);

/**
 * dnstwist's "various" family and a few of the same kind:
 * - the suffix glued into the label: `contosocom.com`, `contoso-com.com`, `contoso-de.com`, `contosode.com`;
 *   for a two-label suffix, `exampleco.uk`, `example-co.uk`, `example.uk`, `examplecouk.com`, `example-co-uk.com`;
 * - a missing dot after `www` (`wwwcontoso.com`, `www-contoso.com`), and the same with the watched name's own
 *   subdomain when it has one (dnstwist: `shopcontoso.com`, `shop-contoso.com`);
 * - an IDN label transliterated (`bücher.de` → `buecher.de`).
 */
export function various(label: string, suffix: string, sub: string, emit: EmitName): void {
  const dot = suffix.indexOf(".");
  const dashed = suffix.replaceAll(".", "-");
  const out: [string, string][] = [];
  if (dot >= 0) {
    const first = suffix.slice(0, dot);
    const rest = suffix.slice(dot + 1);
    out.push([label, suffix.slice(suffix.lastIndexOf(".") + 1)]);
    out.push([label + first, rest]);
    out.push([`${label}-${first}`, rest]);
    out.push([label + suffix.replaceAll(".", ""), "com"]);
  } else {
    out.push([label + suffix, suffix]);
  }
  out.push([`${label}-${dashed}`, suffix]);
  if (suffix !== "com") {
    out.push([`${label}-${dashed}`, "com"]);
    if (dot < 0) out.push([label + suffix, "com"]);
  }
  for (const s of sub === "" ? ["www"] : [sub, "www"]) {
    out.push([s + label, suffix]);
    out.push([s.replaceAll(".", "") + label, suffix]);
    out.push([`${s}-${label}`, suffix]);
    out.push([`${s.replaceAll(".", "-")}-${label}`, suffix]);
  }
  let t = "";
  for (const c of label) t += TRANSLITERATION.get(c) ?? c;
  if (t !== label) out.push([t, suffix]);
  for (const [left, s] of out) if (!emit(left, s)) return;
}
