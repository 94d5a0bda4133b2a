/**
 * @module bench/lookalike/match
 * Matches 1,000,000 CT-like names (~0.5% planted lookalikes of every kind) against 1,000 watched domains
 * with LookalikeMatcher; prints names/s, ns/name, construction time, memory, hits per reason, recall per kind.
 */
// Run: `node --import tsx bench/lookalike/match.ts [--names 1000000] [--watched 1000] [--runs 3] [--rate 0.005]`
// (add `--expose-gc` for memory figures). Everything is generated from a fixed seed; times are CPU time.
import * as os from "node:os";
import { domainToASCII } from "node:url";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { getDomain } from "tldts";
import {
  damerauLevenshtein,
  defaultMaxDistance,
  LookalikeMatcher,
  TLDTS_OPTIONS,
  type LookalikeMatch,
} from "../../src/lookalike/matcher.js";

const { values } = parseArgs({
  options: {
    names: { type: "string", default: "1000000" },
    watched: { type: "string", default: "1000" },
    runs: { type: "string", default: "3" },
    rate: { type: "string", default: "0.005" },
  },
});
const N_NAMES = Number(values.names);
const N_WATCHED = Number(values.watched);
const RUNS = Number(values.runs);
const PLANT_RATE = Number(values.rate);
const gc = (globalThis as { gc?: () => void }).gc;
const MB = 1024 * 1024;

// ---- deterministic randomness ----
let seed = 0x5eed1234;
function rnd(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n: number): number => Math.floor(rnd() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
/** Zipf-like pick: low indexes much more often (CT names repeat their registrable domains a lot). */
const zipf = <T>(xs: readonly T[]): T => xs[Math.floor(xs.length * rnd() ** 3)]!;

const ONSETS = [
  "b",
  "c",
  "d",
  "f",
  "g",
  "h",
  "k",
  "l",
  "m",
  "n",
  "p",
  "r",
  "s",
  "t",
  "v",
  "z",
  "br",
  "st",
  "tr",
  "pl",
  "gr",
  "sh",
  "ch",
  "qu",
  "fl",
  "kr",
];
const VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "io", "y"];
const CODAS = ["", "", "", "n", "r", "s", "x", "l", "m", "t", "ck", "nd"];
function syllable(): string {
  return pick(ONSETS) + pick(VOWELS) + pick(CODAS);
}
function word(minLen: number, maxLen: number): string {
  let w = "";
  while (w.length < minLen) w += syllable();
  return w.slice(0, maxLen);
}
// Unrelated names use another syllable inventory than the watched brands, so that the random names are not
// all within an edit or two of a watched label (with one inventory for both, ~9% of them are).
const ONSETS2 = ["k", "s", "t", "n", "h", "m", "y", "w", "g", "z", "d", "b", "j", "ts", "f", "kw", "dz"];
const VOWELS2 = ["a", "i", "u", "e", "o", "aa", "ii", "uu"];
function word2(minLen: number, maxLen: number): string {
  let w = "";
  while (w.length < minLen) w += pick(ONSETS2) + pick(VOWELS2) + (rnd() < 0.2 ? "n" : "");
  return w.slice(0, maxLen);
}
const WORDS = [
  "mail",
  "shop",
  "cloud",
  "app",
  "secure",
  "portal",
  "online",
  "group",
  "tech",
  "data",
  "media",
  "global",
  "home",
  "net",
  "web",
  "store",
  "bank",
  "health",
  "travel",
  "digital",
  "energy",
  "design",
  "studio",
  "labs",
  "systems",
  "solutions",
  "services",
  "consulting",
  "partners",
];
const TLDS = [
  "com",
  "com",
  "com",
  "com",
  "net",
  "org",
  "de",
  "co.uk",
  "fr",
  "io",
  "nl",
  "com.au",
  "com.br",
  "it",
  "es",
  "pl",
  "ru",
  "jp",
  "ca",
  "info",
  "xyz",
  "online",
  "shop",
  "app",
  "dev",
  "ch",
  "se",
  "co",
  "us",
  "eu",
];

// ---- watched domains: mixed lengths, some hyphenated, some IDN ----
const watchedLabels = new Set<string>();
const watched: string[] = [];
const IDN_LETTERS = ["ü", "ö", "ä", "é", "è", "ø", "å", "ñ", "ç"];
while (watched.length < N_WATCHED) {
  const r = rnd();
  let label =
    r < 0.08
      ? word(3, 4)
      : r < 0.3
        ? word(5, 6)
        : r < 0.75
          ? word(7, 10)
          : r < 0.9
            ? word(11, 16)
            : `${word(4, 7)}-${word(4, 8)}`;
  if (rnd() < 0.05) {
    const i = int(label.length);
    label = label.slice(0, i) + pick(IDN_LETTERS) + label.slice(i + 1);
  }
  if (watchedLabels.has(label)) continue;
  watchedLabels.add(label);
  const d = domainToASCII(`${label}.${pick(["com", "com", "net", "de", "co.uk", "fr", "com.au", "io"])}`);
  if (d !== "") watched.push(d);
}
const own = watched.slice(0, 50).map((d) => `${d.split(".")[0]}-group.net`);

// ---- unrelated CT-like names ----
const companies: string[] = [];
for (let i = 0; i < 200_000; i++) {
  const r = rnd();
  const label =
    r < 0.5
      ? word2(5, 12)
      : r < 0.8
        ? `${word2(4, 8)}-${pick(WORDS)}`
        : r < 0.9
          ? `${pick(WORDS)}${word2(3, 7)}`
          : `${word2(3, 6)}${int(1000)}`;
  companies.push(`${label}.${pick(TLDS)}`);
}
const hex = (n: number): string => {
  let s = "";
  for (let i = 0; i < n; i++) s += "0123456789abcdef"[int(16)];
  return s;
};
const SUBS = [
  "www",
  "mail",
  "api",
  "cdn",
  "static",
  "app",
  "portal",
  "vpn",
  "autodiscover",
  "cpanel",
  "webmail",
  "m",
  "shop",
  "dev",
  "staging",
  "login",
  "auth",
  "sso",
  "admin",
];
function unrelated(): string {
  const r = rnd();
  if (r < 0.1) return `ip-10-${int(256)}-${int(256)}-${int(256)}.ec2.internal`;
  if (r < 0.18)
    return `ec2-${int(256)}-${int(256)}-${int(256)}-${int(256)}.${pick(["us-west-2", "eu-central-1", "ap-south-1"])}.compute.amazonaws.com`;
  if (r < 0.24) return `${hex(14)}.cloudfront.net`;
  if (r < 0.3)
    return `${word2(4, 10)}-${hex(6)}.${pick(["azurewebsites.net", "herokuapp.com", "github.io", "netlify.app", "vercel.app"])}`;
  if (r < 0.4) return `*.${zipf(companies)}`;
  if (r < 0.47) return `${pick(SUBS)}.${word2(3, 8)}.${zipf(companies)}`;
  if (r < 0.5) return `${int(256)}.${int(256)}.${int(256)}.${int(256)}`;
  return `${pick(SUBS)}.${zipf(companies)}`;
}

// ---- planted lookalikes, one kind at a time ----
const CYRILLIC: Record<string, string> = { a: "а", c: "с", e: "е", o: "о", p: "р", x: "х", y: "у", i: "і" };
const GREEK: Record<string, string> = { o: "ο", i: "ι", v: "ν", a: "α" };
type Kind =
  | "cyrillic"
  | "greek"
  | "digits"
  | "tld-swap"
  | "typo-1"
  | "typo-2"
  | "embedded-token"
  | "embedded-substring"
  | "embedded-domain"
  | "straddle";
const KINDS: readonly Kind[] = [
  "cyrillic",
  "greek",
  "digits",
  "tld-swap",
  "typo-1",
  "typo-2",
  "embedded-token",
  "embedded-substring",
  "embedded-domain",
  "straddle",
];

function split(d: string): [string, string] {
  const reg = getDomain(d, { allowPrivateDomains: true })!;
  const dot = reg.indexOf(".");
  return [reg.slice(0, dot), reg.slice(dot + 1)];
}
function swapOne(label: string, table: Record<string, string>): string | null {
  const at = [...label].flatMap((ch, i) => (table[ch] !== undefined ? [i] : []));
  if (at.length === 0) return null;
  const i = pick(at);
  return label.slice(0, i) + table[label[i]!]! + label.slice(i + 1);
}
function plant(kind: Kind): string | null {
  const w = pick(watched);
  if (w.includes("xn--")) return null;
  const [label, suffix] = split(w);
  const otherTld = pick(TLDS.filter((t) => t !== suffix));
  switch (kind) {
    case "cyrillic":
    case "greek": {
      const l = swapOne(label, kind === "cyrillic" ? CYRILLIC : GREEK);
      if (l === null) return null;
      const d = domainToASCII(`${l}.${suffix}`);
      return d === "" ? null : `${pick(SUBS)}.${d}`;
    }
    case "digits": {
      const l = swapOne(label, { o: "0", l: "1", e: "3", s: "5" });
      return l === null ? null : `${l}.${pick([suffix, otherTld])}`;
    }
    case "tld-swap":
      return `*.${label}.${otherTld}`;
    case "typo-1":
    case "typo-2": {
      const need = kind === "typo-1" ? 1 : 2;
      if (label.length < (need === 1 ? 4 : 6) || label.includes("-")) return null;
      let l = label;
      for (let k = 0; k < need; k++) {
        const i = int(l.length - 1);
        const op = int(3);
        const c = "abcdefghijklmnopqrstuvwxyz"[int(26)]!;
        l =
          op === 0
            ? l.slice(0, i) + l.slice(i + 1)
            : op === 1
              ? l.slice(0, i) + c + l.slice(i)
              : l.slice(0, i) + c + l.slice(i + 1);
      }
      // keep only what the default limits call a typo of that distance (both labels' lengths count)
      const d = damerauLevenshtein(l, label);
      const limit = Math.min(defaultMaxDistance(l.length), defaultMaxDistance(label.length));
      if (d !== need || d > limit || watchedLabels.has(l)) return null;
      return `www.${l}.${pick([suffix, otherTld])}`;
    }
    case "embedded-token":
      if (label.length < 5) return null;
      return rnd() < 0.5
        ? `${label}-${pick(["login", "secure", "verify", "account"])}.${otherTld}`
        : `${pick(["my", "secure", "login"])}-${label}.${otherTld}`;
    case "embedded-substring":
      if (label.length < 5 || label.includes("-")) return null;
      return `${label}${pick(["login", "secure", "support"])}.${otherTld}`;
    case "embedded-domain":
      return `${label}.${suffix}.${word2(5, 9)}.${pick(["net", "xyz", "top"])}`;
    case "straddle":
      return `login.${label}.${suffix}-${pick(["secure", "verify", "auth"])}.${pick(["net", "com"])}`;
  }
}

// ---- the name stream ----
const names: string[] = new Array<string>(N_NAMES);
const planted: (Kind | null)[] = new Array<Kind | null>(N_NAMES).fill(null);
for (let i = 0; i < N_NAMES; i++) {
  if (rnd() < PLANT_RATE) {
    const kind = KINDS[i % KINDS.length]!;
    let n: string | null = null;
    while (n === null) n = plant(kind);
    names[i] = n;
    planted[i] = kind;
  } else names[i] = unrelated();
}

// ---- construction ----
gc?.();
const mem0 = process.memoryUsage();
const t0 = cpuMs();
const matcher = new LookalikeMatcher(watched, { own });
const constructMs = cpuMs() - t0;
gc?.();
const mem1 = process.memoryUsage();
const heapMb = (mem1.heapUsed - mem0.heapUsed) / MB;
const buffersMb = (mem1.arrayBuffers - mem0.arrayBuffers) / MB;

// ---- matching ----
/** CPU time of this process in ms (the machine may be shared: wall time would count other processes). */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function run(): { ms: number; wall: number; hits: (LookalikeMatch | null)[] } {
  const hits: (LookalikeMatch | null)[] = new Array<LookalikeMatch | null>(N_NAMES);
  const start = cpuMs();
  const wall = performance.now();
  for (let i = 0; i < N_NAMES; i++) hits[i] = matcher.match(names[i]!);
  return { ms: cpuMs() - start, wall: performance.now() - wall, hits };
}
run(); // warm-up
const times: number[] = [];
const walls: number[] = [];
let hits: (LookalikeMatch | null)[] = [];
for (let r = 0; r < RUNS; r++) {
  const o = run();
  times.push(o.ms);
  walls.push(o.wall);
  hits = o.hits;
}
walls.sort((a, b) => a - b);
times.sort((a, b) => a - b);
const ms = times[Math.floor(times.length / 2)]!;

// the no-match path alone: the names that matched nothing
const misses = names.filter((_, i) => hits[i] == null);

const missTimes: number[] = [];
for (let r = 0; r < RUNS + 1; r++) {
  const s = cpuMs();
  for (const n of misses) matcher.match(n);
  if (r > 0) missTimes.push(cpuMs() - s);
}
missTimes.sort((a, b) => a - b);
const missMs = missTimes[Math.floor(missTimes.length / 2)]!;

// tldts alone on the same names (the floor: every name needs its registrable domain)
const TL = TLDTS_OPTIONS;
const tlTimes: number[] = [];
for (let r = 0; r < RUNS + 1; r++) {
  const s = cpuMs();
  let c = 0;
  for (let i = 0; i < N_NAMES; i++) {
    const n = names[i]!;
    if (getDomain(n.startsWith("*.") ? n.slice(2) : n, TL) !== null) c++;
  }
  if (c < 0) console.log(c);
  if (r > 0) tlTimes.push(cpuMs() - s);
}
tlTimes.sort((a, b) => a - b);
const tlMs = tlTimes[Math.floor(tlTimes.length / 2)]!;

// ---- report ----
const byReason = new Map<string, number>();
const recall = new Map<Kind, { planted: number; found: number }>();
let unplanted = 0;
const unplantedExamples: string[] = [];
for (let i = 0; i < N_NAMES; i++) {
  const h = hits[i];
  const k = planted[i];
  if (k != null) {
    const r = recall.get(k) ?? { planted: 0, found: 0 };
    r.planted++;
    if (h != null) r.found++;
    recall.set(k, r);
  } else if (h != null) {
    unplanted++;
    if (unplantedExamples.length < 8)
      unplantedExamples.push(`${h.name} ~ ${h.watched} [${h.reasons.join(",")}] ${h.score}`);
  }
  if (h != null) for (const reason of h.reasons) byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
}
const total = hits.filter((h) => h != null).length;
const cpu = os.cpus()[0]?.model ?? "?";
console.log(`machine: ${cpu}, ${os.cpus().length} cores, node ${process.version}`);
console.log(
  `watched: ${watched.length} domains (${watched.filter((d) => d.includes("xn--")).length} IDN), own: ${own.length}`,
);
console.log(`indexes: ${JSON.stringify(matcher.stats)}`);
console.log(
  `construction: ${constructMs.toFixed(1)} ms; memory: heap +${heapMb.toFixed(1)} MB, typed arrays +${buffersMb.toFixed(1)} MB` +
    (gc ? "" : " (no --expose-gc: rough)"),
);
console.log(
  `match: ${N_NAMES.toLocaleString("en")} names, median ${ms.toFixed(0)} ms CPU of ${RUNS} runs = ` +
    `${Math.round(N_NAMES / (ms / 1000)).toLocaleString("en")} names/s, ${((ms * 1e6) / N_NAMES).toFixed(0)} ns/name ` +
    `(wall ${walls[Math.floor(walls.length / 2)]!.toFixed(0)} ms; load average ${os.loadavg()[0]!.toFixed(1)})`,
);
console.log(
  `no-match path only: ${misses.length.toLocaleString("en")} names, ${((missMs * 1e6) / misses.length).toFixed(0)} ns/name = ` +
    `${Math.round(misses.length / (missMs / 1000)).toLocaleString("en")} names/s`,
);
console.log(
  `tldts getDomain alone: ${((tlMs * 1e6) / N_NAMES).toFixed(0)} ns/name (${((100 * tlMs) / ms).toFixed(0)}% of match)`,
);
console.log(
  `hits: ${total} (${((100 * total) / N_NAMES).toFixed(2)}%); by reason: ${JSON.stringify(Object.fromEntries([...byReason].sort()))}`,
);
for (const k of KINDS) {
  const r = recall.get(k) ?? { planted: 0, found: 0 };
  console.log(
    `  planted ${k.padEnd(19)} ${String(r.found).padStart(5)}/${String(r.planted).padEnd(5)} found`,
  );
}
console.log(
  `hits on unplanted names: ${unplanted} (random names that happen to be near a watched label), e.g.`,
);
for (const e of unplantedExamples) console.log(`  ${e}`);
