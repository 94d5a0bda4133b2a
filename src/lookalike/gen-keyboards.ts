/**
 * @module lookalike/gen-keyboards
 * Adjacent-key maps for the qwerty, qwertz and azerty layouts (the same neighbours dnstwist uses), which the
 * replacement, insertion and keyboard families draw fat-finger typos from.
 */

export type KeyboardLayout = "qwerty" | "qwertz" | "azerty";

/** All layouts, in the order the generator walks them. */
export const KEYBOARD_LAYOUTS: readonly KeyboardLayout[] = ["qwerty", "qwertz", "azerty"];

type Neighbours = Readonly<Record<string, string>>;

// Each key lists the keys around it on the physical layout (same row, row above, row below).
// prettier-ignore
const QWERTY: Neighbours = {
  "1": "2q", "2": "3wq1", "3": "4ew2", "4": "5re3", "5": "6tr4", "6": "7yt5", "7": "8uy6", "8": "9iu7", "9": "0oi8", "0": "po9",
  q: "12wa", w: "3esaq2", e: "4rdsw3", r: "5tfde4", t: "6ygfr5", y: "7uhgt6", u: "8ijhy7", i: "9okju8", o: "0plki9", p: "lo0",
  a: "qwsz", s: "edxzaw", d: "rfcxse", f: "tgvcdr", g: "yhbvft", h: "ujnbgy", j: "ikmnhu", k: "olmji", l: "kop",
  z: "asx", x: "zsdc", c: "xdfv", v: "cfgb", b: "vghn", n: "bhjm", m: "njk",
};

// prettier-ignore
const QWERTZ: Neighbours = {
  "1": "2q", "2": "3wq1", "3": "4ew2", "4": "5re3", "5": "6tr4", "6": "7zt5", "7": "8uz6", "8": "9iu7", "9": "0oi8", "0": "po9",
  q: "12wa", w: "3esaq2", e: "4rdsw3", r: "5tfde4", t: "6zgfr5", z: "7uhgt6", u: "8ijhz7", i: "9okju8", o: "0plki9", p: "lo0",
  a: "qwsy", s: "edxyaw", d: "rfcxse", f: "tgvcdr", g: "zhbvft", h: "ujnbgz", j: "ikmnhu", k: "olmji", l: "kop",
  y: "asx", x: "ysdc", c: "xdfv", v: "cfgb", b: "vghn", n: "bhjm", m: "njk",
};

// prettier-ignore
const AZERTY: Neighbours = {
  "1": "2a", "2": "3za1", "3": "4ez2", "4": "5re3", "5": "6tr4", "6": "7yt5", "7": "8uy6", "8": "9iu7", "9": "0oi8", "0": "po9",
  a: "2zq1", z: "3esqa2", e: "4rdsz3", r: "5tfde4", t: "6ygfr5", y: "7uhgt6", u: "8ijhy7", i: "9okju8", o: "0plki9", p: "lo0m",
  q: "zswa", s: "edxwqz", d: "rfcxse", f: "tgvcdr", g: "yhbvft", h: "ujnbgy", j: "iknhu", k: "olji", l: "kopm", m: "lp",
  w: "sxq", x: "wsdc", c: "xdfv", v: "cfgb", b: "vghn", n: "bhj",
};

const LAYOUTS: Readonly<Record<KeyboardLayout, Neighbours>> = {
  qwerty: QWERTY,
  qwertz: QWERTZ,
  azerty: AZERTY,
};

/** A layout's neighbours as a Map of key → neighbour characters (each a one-character string). */
export type NeighbourMap = ReadonlyMap<string, readonly string[]>;

const cache = new Map<KeyboardLayout, NeighbourMap>();

/** The neighbour map of one layout. */
export function neighbours(layout: KeyboardLayout): NeighbourMap {
  let m = cache.get(layout);
  if (m === undefined) {
    const built = new Map<string, string[]>();
    for (const [k, v] of Object.entries(LAYOUTS[layout])) built.set(k, [...v]);
    m = built;
    cache.set(layout, m);
  }
  return m;
}
