/**
 * @module sources/dns/zone-file
 * A BIND master-file (RFC 1035 §5, RFC 2308 $TTL) parser for the names a zone holds: records as text,
 * owner names, delegations; `$INCLUDE` resolved by `loadZoneFile` only. Errors carry file:line:column.
 */
import { promises as fs } from "node:fs";
import { dirname, isAbsolute, join, resolve as resolvePath } from "node:path";
import { isIPv4, isIPv6 } from "node:net";
import { CertwatchError } from "../../errors.js";
import { FileReadError, readBoundedFile } from "../../util/read-bounded-file.js";

/*
 * Decisions:
 * - The first error stops the parse with a `ZoneFileError` ("contoso.com.zone:12:5: unbalanced
 *   parenthesis"); nothing else is ever thrown, whatever bytes come in.
 * - Input is bounded: `MAX_ZONE_FILE_BYTES` (64 MiB) for a file and all its includes together.
 * - `$INCLUDE file [origin]`: `parseZoneFile` (text only, no I/O) refuses it; `loadZoneFile` reads the file
 *   relative to the directory of the file that includes it, at most `MAX_INCLUDE_DEPTH` (8) levels deep and
 *   `MAX_INCLUDES` (256) files in all, refusing loops. The included file starts with the includer's origin
 *   (or the one given), its $TTL and no previous owner; afterwards the includer's state is as before.
 * - `$GENERATE` (a BIND extension) is not expanded: it is skipped with a warning.
 * - Names are absolute, lower-case (ASCII), without the trailing dot, escapes kept as written; the root is ".".
 *   Non-ASCII bytes in a name are an error (zone files hold IDNs as punycode).
 * - Record TTL: the explicit one, else `$TTL`, else the last explicit TTL (RFC 1035), else null.
 */

export const MAX_ZONE_FILE_BYTES = 64 * 1024 * 1024;
export const MAX_INCLUDE_DEPTH = 8;
export const MAX_INCLUDES = 256;

/** One resource record as written, with its names made absolute. */
export interface ZoneRecord {
  /** Absolute owner name, lower-case, no trailing dot ("." for the root). */
  readonly owner: string;
  /** Seconds; null when the file gives none and no $TTL or earlier TTL applies. */
  readonly ttl: number | null;
  /** Upper-case class mnemonic; "IN" when the file gives none (or the previous record's class). */
  readonly class: string;
  /** Upper-case type mnemonic ("CNAME", "TYPE65534"). */
  readonly type: string;
  /**
   * The RDATA in presentation form, fields separated by one space: domain names absolute with their trailing
   * dot, character-strings in double quotes (escapes as written), anything else as written.
   */
  readonly rdata: string;
  /** The name the record points at (CNAME, DNAME, NS, PTR target; MX, AFSDB, RT, KX exchange; SRV target). */
  readonly target: string | null;
  readonly file: string;
  readonly line: number;
}

/** Every owner name that has NS records (the zone apex included), with the name servers in file order. */
export interface ZoneDelegation {
  readonly zone: string;
  readonly hosts: readonly string[];
}

export interface ZoneFile {
  readonly records: readonly ZoneRecord[];
  /** Distinct owner names in order of first appearance (wildcard owners such as "*.contoso.com" included). */
  readonly names: readonly string[];
  readonly delegations: readonly ZoneDelegation[];
  /** "file:line: text" for what was skipped (e.g. `$GENERATE`). */
  readonly warnings: readonly string[];
}

export interface ZoneFileOptions {
  /** The origin before any $ORIGIN (absolute; a trailing dot is optional). */
  readonly origin?: string;
  /** Used in errors and records; e.g. the path the text came from. */
  readonly file: string;
  /** Largest input accepted (characters for `parseZoneFile`, bytes for `loadZoneFile`); default 64 MiB. */
  readonly maxBytes?: number;
}

export interface LoadZoneFileOptions {
  /** The origin before any $ORIGIN; default: guessed from the file name (`originFromFileName`). */
  readonly origin?: string;
  readonly maxBytes?: number;
  readonly maxIncludeDepth?: number;
}

export interface IncludeSite {
  readonly file: string;
  readonly line: number;
}

export class ZoneFileError extends CertwatchError {
  override readonly name = "ZoneFileError";
  readonly code = "ZONE_FILE_INVALID";
  readonly file: string;
  /** 1-based; null for a problem with the file as a whole (unreadable, too large). */
  readonly line: number | null;
  /** 1-based, in characters; null when the whole line (or file) is meant. */
  readonly column: number | null;
  /** What is wrong, without the position. */
  readonly reason: string;
  /** The `$INCLUDE` lines that led to `file`, outermost first. */
  readonly includedFrom: readonly IncludeSite[];

  constructor(
    file: string,
    line: number | null,
    column: number | null,
    reason: string,
    includedFrom: readonly IncludeSite[] = [],
  ) {
    const where = line === null ? file : column === null ? `${file}:${line}` : `${file}:${line}:${column}`;
    const via =
      includedFrom.length === 0
        ? ""
        : ` (included from ${includedFrom.map((s) => `${s.file}:${s.line}`).join(" via ")})`;
    super(`${where}: ${reason}${via}`);
    this.file = file;
    this.line = line;
    this.column = column;
    this.reason = reason;
    this.includedFrom = includedFrom;
  }
}

// ───────────────────────────── lexer ─────────────────────────────

interface Token {
  /** As written, escapes kept; without the quotes of a quoted string. */
  readonly text: string;
  readonly quoted: boolean;
  readonly line: number;
  readonly column: number;
}

/** One logical entry: the tokens of a line, or of several lines joined by parentheses. */
interface Entry {
  readonly tokens: readonly Token[];
  /** The entry's line starts with a blank: its owner is the previous owner. */
  readonly blankOwner: boolean;
  readonly line: number;
}

/** A syntax error inside the parser, turned into a ZoneFileError (with the file) at the API boundary. */
class Fail extends Error {
  constructor(
    readonly line: number | null,
    readonly column: number | null,
    readonly reason: string,
  ) {
    super(reason);
  }
}

const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const LPAREN = 40;
const RPAREN = 41;
const SEMI = 59;
const BACKSLASH = 92;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function describeChar(c: number): string {
  return `U+${c.toString(16).toUpperCase().padStart(4, "0")}`;
}

function excerpt(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** Splits the text into entries; throws `Fail` on a lexical error. */
function* lex(text: string): Generator<Entry> {
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a byte-order mark
  let line = 1;
  let lineStart = 0;
  let depth = 0;
  let openLine = 0;
  let openColumn = 0;
  let tokens: Token[] = [];
  let blankOwner = false;
  let entryLine = 1;
  let atLineStart = true;

  const column = (at: number): number => at - lineStart + 1;

  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === LF) {
      if (depth === 0) {
        if (tokens.length > 0) yield { tokens, blankOwner, line: entryLine };
        tokens = [];
        atLineStart = true;
      }
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (atLineStart) {
      atLineStart = false;
      if (tokens.length === 0) {
        blankOwner = c === SPACE || c === TAB;
        entryLine = line;
      }
    }
    if (c === SPACE || c === TAB || c === CR) {
      i++;
      continue;
    }
    if (c === SEMI) {
      while (i < n && text.charCodeAt(i) !== LF) i++;
      continue;
    }
    if (c === LPAREN) {
      if (depth > 0) throw new Fail(line, column(i), "nested parenthesis");
      depth = 1;
      openLine = line;
      openColumn = column(i);
      i++;
      continue;
    }
    if (c === RPAREN) {
      if (depth === 0) throw new Fail(line, column(i), "unbalanced parenthesis: ')' without '('");
      depth = 0;
      i++;
      continue;
    }
    const startColumn = column(i);
    if (c === QUOTE) {
      let j = i + 1;
      for (;;) {
        if (j >= n) throw new Fail(line, startColumn, "unterminated quoted string");
        const d = text.charCodeAt(j);
        if (d === QUOTE) break;
        if (d === LF) throw new Fail(line, startColumn, "unterminated quoted string (a line ends inside it)");
        if (d === BACKSLASH) {
          j = escapeEnd(text, j, line, column(j));
          continue;
        }
        if ((d < SPACE && d !== TAB) || d === 127) {
          throw new Fail(line, column(j), `control character ${describeChar(d)} in a quoted string`);
        }
        j++;
      }
      tokens.push({ text: text.slice(i + 1, j), quoted: true, line, column: startColumn });
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < n) {
      const d = text.charCodeAt(j);
      if (d === SPACE || d === TAB || d === LF || d === CR || d === SEMI) break;
      if (d === LPAREN || d === RPAREN || d === QUOTE) break;
      if (d === BACKSLASH) {
        j = escapeEnd(text, j, line, column(j));
        continue;
      }
      if (d < SPACE || d === 127) throw new Fail(line, column(j), `control character ${describeChar(d)}`);
      j++;
    }
    tokens.push({ text: text.slice(i, j), quoted: false, line, column: startColumn });
    i = j;
  }
  if (depth > 0) {
    throw new Fail(openLine, openColumn, "unbalanced parenthesis: '(' is never closed");
  }
  if (tokens.length > 0) yield { tokens, blankOwner, line: entryLine };
}

/** The index after the escape starting at `at` (a backslash): `\DDD` or `\X`. */
function escapeEnd(text: string, at: number, line: number, column: number): number {
  const next = text.charCodeAt(at + 1);
  if (Number.isNaN(next) || next === LF || next === CR) {
    throw new Fail(line, column, "a backslash at the end of a line escapes nothing");
  }
  if (isDigit(next)) {
    const digits = text.slice(at + 1, at + 4);
    if (!/^\d{3}$/.test(digits)) throw new Fail(line, column, "\\DDD escape needs three decimal digits");
    if (Number(digits) > 255) throw new Fail(line, column, `\\${digits} is not an octet (0-255)`);
    return at + 4;
  }
  return at + 2;
}

/** Octets of presentation text once escapes are decoded (UTF-8 for anything else). */
function octetLength(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length;) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) {
      i += isDigit(text.charCodeAt(i + 1)) ? 4 : 2;
      length += 1;
    } else if (c < 0x80) {
      i++;
      length += 1;
    } else {
      const cp = text.codePointAt(i) ?? c;
      const units = cp > 0xffff ? 2 : 1;
      i += units;
      length += cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    }
  }
  return length;
}

// ───────────────────────────── names, numbers ─────────────────────────────

const ROOT = ".";

/** Splits presentation text on unescaped dots. */
function splitLabels(text: string): string[] {
  const labels: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) {
      i += isDigit(text.charCodeAt(i + 1)) ? 3 : 1;
    } else if (c === 46) {
      labels.push(text.slice(start, i));
      start = i + 1;
    }
  }
  labels.push(text.slice(start));
  return labels;
}

/** A name without escapes: labels of 1 to 63 letters, digits, "-", "_" or "*", with an optional final dot. */
const PLAIN_NAME = /^(?:[A-Za-z0-9_*-]{1,63}\.)*[A-Za-z0-9_*-]{1,63}\.?$/;

function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

/**
 * Makes `token` an absolute name (lower-case, no trailing dot; "." for the root) relative to `origin`.
 */
function absoluteName(token: Token, origin: string | null, what: string): string {
  if (token.quoted) throw new Fail(token.line, token.column, `${what}: a domain name cannot be quoted`);
  const text = token.text;
  if (text === "@") {
    if (origin === null) {
      throw new Fail(token.line, token.column, `${what}: "@" needs an origin ($ORIGIN or the origin option)`);
    }
    return origin;
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 126) {
      throw new Fail(
        token.line,
        token.column + i,
        `${what}: non-ASCII character in domain name "${excerpt(text)}" (write IDNs as punycode)`,
      );
    }
  }
  if (text === ".") return ROOT;
  if (PLAIN_NAME.test(text) && (origin === null || !origin.includes("\\"))) {
    // The common case, without escapes: the wire length is the presentation length + 2.
    const absolute = text.endsWith(".");
    const lower = (absolute ? text.slice(0, -1) : text).toLowerCase();
    if (!absolute && origin === null) {
      throw new Fail(
        token.line,
        token.column,
        `${what}: relative name "${excerpt(text)}" needs an origin ($ORIGIN or the origin option)`,
      );
    }
    const name = absolute || origin === null ? lower : origin === ROOT ? lower : `${lower}.${origin}`;
    if (name.length + 2 > 255) {
      throw new Fail(token.line, token.column, `${what}: domain name longer than 255 octets`);
    }
    return name;
  }
  const labels = splitLabels(text);
  const absolute = labels.length > 1 && labels[labels.length - 1] === "";
  if (absolute) labels.pop();
  if (labels.some((l) => l === "")) {
    throw new Fail(token.line, token.column, `${what}: empty label in domain name "${excerpt(text)}"`);
  }
  for (const label of labels) {
    if (octetLength(label) > 63) {
      throw new Fail(token.line, token.column, `${what}: label longer than 63 octets in "${excerpt(text)}"`);
    }
  }
  let name = asciiLower(labels.join("."));
  if (!absolute) {
    if (origin === null) {
      throw new Fail(
        token.line,
        token.column,
        `${what}: relative name "${excerpt(text)}" needs an origin ($ORIGIN or the origin option)`,
      );
    }
    name = origin === ROOT ? name : `${name}.${origin}`;
  }
  // Wire length: a length octet per label plus its octets, plus the root's zero octet.
  const wire = splitLabels(name).reduce((sum, l) => sum + 1 + octetLength(l), 1);
  if (wire > 255) throw new Fail(token.line, token.column, `${what}: domain name longer than 255 octets`);
  return name;
}

function withDot(name: string): string {
  return name === ROOT ? ROOT : `${name}.`;
}

const TTL_UNITS: Readonly<Record<string, number>> = { w: 604800, d: 86400, h: 3600, m: 60, s: 1 };
const MAX_TTL = 2 ** 31 - 1;

/** A TTL: decimal seconds or BIND units ("1w2d", "3h30m"); null when the token is no TTL at all. */
function parseTtl(text: string): number | null {
  if (/^\d+$/.test(text)) return Number(text);
  if (!/^(?:\d+[wdhms])+$/i.test(text)) return null;
  let total = 0;
  for (const m of text.matchAll(/(\d+)([wdhms])/gi)) {
    total += Number(m[1]) * (TTL_UNITS[(m[2] ?? "s").toLowerCase()] ?? 1);
  }
  return total;
}

function ttlOf(token: Token, what: string): number {
  const ttl = token.quoted ? null : parseTtl(token.text);
  if (ttl === null) throw new Fail(token.line, token.column, `${what}: bad TTL "${excerpt(token.text)}"`);
  if (ttl > MAX_TTL)
    throw new Fail(token.line, token.column, `${what}: TTL ${token.text} exceeds 2^31-1 seconds`);
  return ttl;
}

function unsigned(token: Token, max: number, what: string): string {
  if (token.quoted || !/^\d+$/.test(token.text) || Number(token.text) > max) {
    throw new Fail(
      token.line,
      token.column,
      `${what}: expected a number from 0 to ${max}, got "${excerpt(token.text)}"`,
    );
  }
  return token.text;
}

const CLASSES = new Set(["IN", "CH", "HS", "CS"]);

function classOf(text: string): string | null {
  const upper = text.toUpperCase();
  if (CLASSES.has(upper)) return upper;
  return /^CLASS\d{1,5}$/.test(upper) && Number(upper.slice(5)) <= 65535 ? upper : null;
}

/** IANA DNS RR type mnemonics (meta types left out). */
const TYPES = new Set(
  (
    "A NS MD MF CNAME SOA MB MG MR NULL WKS PTR HINFO MINFO MX TXT RP AFSDB X25 ISDN RT NSAP NSAP-PTR SIG KEY " +
    "PX GPOS AAAA LOC NXT EID NIMLOC SRV ATMA NAPTR KX CERT A6 DNAME SINK APL DS SSHFP IPSECKEY RRSIG NSEC " +
    "DNSKEY DHCID NSEC3 NSEC3PARAM TLSA SMIMEA HIP NINFO RKEY TALINK CDS CDNSKEY OPENPGPKEY CSYNC ZONEMD " +
    "SVCB HTTPS DSYNC SPF UINFO UID GID UNSPEC NID L32 L64 LP EUI48 EUI64 URI CAA AVC DOA AMTRELAY RESINFO " +
    "WALLET CLA IPN TA DLV"
  ).split(" "),
);

function typeOf(text: string): string | null {
  const upper = text.toUpperCase();
  if (TYPES.has(upper)) return upper;
  return /^TYPE\d{1,5}$/.test(upper) && Number(upper.slice(4)) <= 65535 ? upper : null;
}

type Field = "name" | "u8" | "u16" | "u32" | "ttl" | "ipv4" | "ipv6" | "string" | "strings" | "tag";

/** RDATA layouts the parser checks; other types keep their fields as written. */
const LAYOUTS: Readonly<Record<string, readonly Field[]>> = {
  A: ["ipv4"],
  AAAA: ["ipv6"],
  CNAME: ["name"],
  DNAME: ["name"],
  NS: ["name"],
  PTR: ["name"],
  MB: ["name"],
  MD: ["name"],
  MF: ["name"],
  MG: ["name"],
  MR: ["name"],
  MX: ["u16", "name"],
  AFSDB: ["u16", "name"],
  RT: ["u16", "name"],
  KX: ["u16", "name"],
  SRV: ["u16", "u16", "u16", "name"],
  RP: ["name", "name"],
  MINFO: ["name", "name"],
  SOA: ["name", "name", "u32", "ttl", "ttl", "ttl", "ttl"],
  TXT: ["strings"],
  SPF: ["strings"],
  HINFO: ["string", "string"],
  CAA: ["u8", "tag", "string"],
};

/** Which field of a layout is the record's target. */
const TARGET_FIELD: Readonly<Record<string, number>> = {
  CNAME: 0,
  DNAME: 0,
  NS: 0,
  PTR: 0,
  MX: 1,
  AFSDB: 1,
  RT: 1,
  KX: 1,
  SRV: 3,
};

function quoteString(token: Token, what: string): string {
  if (octetLength(token.text) > 255) {
    throw new Fail(token.line, token.column, `${what}: character-string longer than 255 octets`);
  }
  return token.quoted ? `"${token.text}"` : `"${token.text.replace(/"/g, '\\"')}"`;
}

interface Rdata {
  readonly text: string;
  readonly target: string | null;
}

function parseRdata(type: string, tokens: readonly Token[], origin: string | null, at: Token): Rdata {
  const what = `${type} record`;
  if (tokens.length === 0) throw new Fail(at.line, at.column, `${what}: no RDATA`);
  const first = tokens[0] as Token;
  if (!first.quoted && first.text === "\\#") return genericRdata(first, tokens, what);
  const layout = LAYOUTS[type];
  if (layout === undefined) {
    return { text: tokens.map((t) => (t.quoted ? `"${t.text}"` : t.text)).join(" "), target: null };
  }
  const out: string[] = [];
  let target: string | null = null;
  if (layout[0] === "strings") {
    return { text: tokens.map((t) => quoteString(t, what)).join(" "), target: null };
  }
  if (tokens.length !== layout.length) {
    const extra = tokens[layout.length];
    const where = extra ?? tokens[tokens.length - 1] ?? at;
    throw new Fail(
      where.line,
      where.column,
      `${what}: expected ${layout.length} RDATA field${layout.length === 1 ? "" : "s"}, got ${tokens.length}`,
    );
  }
  layout.forEach((field, index) => {
    const token = tokens[index] as Token;
    switch (field) {
      case "name": {
        const name = absoluteName(token, origin, what);
        if (TARGET_FIELD[type] === index) target = name;
        out.push(withDot(name));
        break;
      }
      case "u8":
        out.push(unsigned(token, 255, what));
        break;
      case "u16":
        out.push(unsigned(token, 65535, what));
        break;
      case "u32":
        out.push(unsigned(token, 4294967295, what));
        break;
      case "ttl":
        ttlOf(token, what);
        out.push(token.text);
        break;
      case "ipv4":
        if (token.quoted || !isIPv4(token.text)) {
          throw new Fail(
            token.line,
            token.column,
            `${what}: "${excerpt(token.text)}" is not an IPv4 address`,
          );
        }
        out.push(token.text);
        break;
      case "ipv6":
        if (token.quoted || !isIPv6(token.text)) {
          throw new Fail(
            token.line,
            token.column,
            `${what}: "${excerpt(token.text)}" is not an IPv6 address`,
          );
        }
        out.push(token.text.toLowerCase());
        break;
      case "tag":
        if (token.quoted || !/^[A-Za-z0-9]+$/.test(token.text)) {
          throw new Fail(token.line, token.column, `${what}: bad property tag "${excerpt(token.text)}"`);
        }
        out.push(token.text.toLowerCase());
        break;
      case "string":
      case "strings":
        out.push(quoteString(token, what));
        break;
    }
  });
  return { text: out.join(" "), target };
}

/** RFC 3597 `\# <length> <hex>…`. */
function genericRdata(first: Token, tokens: readonly Token[], what: string): Rdata {
  const [, lengthToken, ...hex] = tokens;
  if (lengthToken === undefined || lengthToken.quoted || !/^\d+$/.test(lengthToken.text)) {
    const at = lengthToken ?? first;
    throw new Fail(at.line, at.column, `${what}: \\# needs the RDATA length`);
  }
  const data = hex.map((t) => t.text).join("");
  const bad = hex.find((t) => t.quoted || !/^[0-9A-Fa-f]+$/.test(t.text));
  if (bad !== undefined) throw new Fail(bad.line, bad.column, `${what}: \\# data must be hexadecimal`);
  if (data.length !== Number(lengthToken.text) * 2) {
    throw new Fail(
      lengthToken.line,
      lengthToken.column,
      `${what}: \\# length ${lengthToken.text} does not match its data`,
    );
  }
  return { text: ["\\#", lengthToken.text, ...hex.map((t) => t.text)].join(" "), target: null };
}

// ───────────────────────────── the parser ─────────────────────────────

interface ParseState {
  origin: string | null;
  /** From $TTL. */
  defaultTtl: number | null;
  /** The last explicit TTL (RFC 1035 default when no $TTL is set). */
  lastTtl: number | null;
  lastOwner: string | null;
  lastClass: string;
}

interface IncludeRequest {
  readonly kind: "include";
  readonly path: string;
  readonly origin: string | null;
  readonly defaultTtl: number | null;
  readonly line: number;
  readonly column: number;
}

type Item = ZoneRecord | IncludeRequest;

function normaliseOrigin(origin: string | undefined, file: string): string | null {
  if (origin === undefined) return null;
  const text = origin.endsWith(".") ? origin : `${origin}.`;
  try {
    return absoluteName({ text, quoted: false, line: 0, column: 0 }, null, "origin option");
  } catch (e) {
    if (e instanceof Fail) throw new ZoneFileError(file, null, null, e.reason);
    throw e;
  }
}

/** Parses one text into records and include requests, in order; throws `Fail`. */
function parseItems(text: string, file: string, state: ParseState, warnings: string[]): Item[] {
  const items: Item[] = [];
  for (const entry of lex(text)) {
    const first = entry.tokens[0] as Token;
    if (!first.quoted && first.text.startsWith("$")) {
      const item = directive(entry, file, state, warnings);
      if (item !== null) items.push(item);
      continue;
    }
    items.push(record(entry, file, state));
  }
  return items;
}

function directive(entry: Entry, file: string, state: ParseState, warnings: string[]): IncludeRequest | null {
  const [head, ...args] = entry.tokens as [Token, ...Token[]];
  const name = head.text.toUpperCase();
  const arity = (min: number, max: number): void => {
    if (args.length < min || args.length > max) {
      const at = args[max] ?? head;
      const want = min === max ? `${min}` : `${min} or ${max}`;
      throw new Fail(
        at.line,
        at.column,
        `${name} takes ${want} argument${max === 1 ? "" : "s"}, got ${args.length}`,
      );
    }
  };
  switch (name) {
    case "$ORIGIN": {
      arity(1, 1);
      state.origin = absoluteName(args[0] as Token, state.origin, "$ORIGIN");
      return null;
    }
    case "$TTL": {
      arity(1, 1);
      state.defaultTtl = ttlOf(args[0] as Token, "$TTL");
      return null;
    }
    case "$INCLUDE": {
      arity(1, 2);
      const pathToken = args[0] as Token;
      const origin = args[1] === undefined ? state.origin : absoluteName(args[1], state.origin, "$INCLUDE");
      if (pathToken.text === "")
        throw new Fail(pathToken.line, pathToken.column, "$INCLUDE: empty file name");
      return {
        kind: "include",
        path: pathToken.text,
        origin,
        defaultTtl: state.defaultTtl,
        line: head.line,
        column: head.column,
      };
    }
    case "$GENERATE":
      warnings.push(
        `${file}:${head.line}: $GENERATE is not expanded; the names it would create are not checked`,
      );
      return null;
    default:
      throw new Fail(head.line, head.column, `unknown directive ${excerpt(head.text)}`);
  }
}

function record(entry: Entry, file: string, state: ParseState): ZoneRecord {
  const tokens = entry.tokens;
  let index = 0;
  let owner: string;
  if (entry.blankOwner) {
    if (state.lastOwner === null) {
      const t = tokens[0] as Token;
      throw new Fail(t.line, null, "the line starts with a blank but no earlier record gives an owner name");
    }
    owner = state.lastOwner;
  } else {
    owner = absoluteName(tokens[0] as Token, state.origin, "owner");
    index = 1;
  }
  let ttl: number | null = null;
  let cls: string | null = null;
  for (let k = 0; k < 2; k++) {
    const token = tokens[index];
    if (token === undefined || token.quoted) break;
    if (ttl === null && isDigit(token.text.charCodeAt(0))) {
      ttl = ttlOf(token, "record");
      index++;
    } else if (cls === null && classOf(token.text) !== null) {
      cls = classOf(token.text);
      index++;
    } else {
      break;
    }
  }
  const typeToken = tokens[index];
  if (typeToken === undefined) {
    const last = tokens[tokens.length - 1] as Token;
    throw new Fail(last.line, null, "missing record type");
  }
  const type = typeToken.quoted ? null : typeOf(typeToken.text);
  if (type === null) {
    const hint = isDigit(typeToken.text.charCodeAt(0)) ? " (a second TTL?)" : "";
    throw new Fail(
      typeToken.line,
      typeToken.column,
      `unknown record type "${excerpt(typeToken.text)}"${hint}`,
    );
  }
  const rdata = parseRdata(type, tokens.slice(index + 1), state.origin, typeToken);
  if (ttl !== null) state.lastTtl = ttl;
  state.lastOwner = owner;
  state.lastClass = cls ?? state.lastClass;
  return {
    owner,
    ttl: ttl ?? state.defaultTtl ?? state.lastTtl,
    class: state.lastClass,
    type,
    rdata: rdata.text,
    target: rdata.target,
    file,
    line: entry.line,
  };
}

function freshState(origin: string | null, defaultTtl: number | null): ParseState {
  return { origin, defaultTtl, lastTtl: null, lastOwner: null, lastClass: "IN" };
}

function summarise(records: readonly ZoneRecord[], warnings: readonly string[]): ZoneFile {
  const names = new Set<string>();
  const delegations = new Map<string, string[]>();
  for (const r of records) {
    names.add(r.owner);
    if (r.type === "NS" && r.target !== null) {
      const hosts = delegations.get(r.owner) ?? [];
      if (!hosts.includes(r.target)) hosts.push(r.target);
      delegations.set(r.owner, hosts);
    }
  }
  return {
    records,
    names: [...names],
    delegations: [...delegations].map(([zone, hosts]) => ({ zone, hosts })),
    warnings,
  };
}

function rethrow(e: unknown, file: string, includedFrom: readonly IncludeSite[] = []): never {
  if (e instanceof Fail) throw new ZoneFileError(file, e.line, e.column, e.reason, includedFrom);
  throw e;
}

/**
 * Parses master-file text. `$INCLUDE` is refused here (no I/O): use `loadZoneFile`.
 * @throws ZoneFileError for the first syntax error, with `file:line:column`.
 */
export function parseZoneFile(text: string, options: ZoneFileOptions): ZoneFile {
  const { file } = options;
  const maxBytes = options.maxBytes ?? MAX_ZONE_FILE_BYTES;
  if (text.length > maxBytes) {
    throw new ZoneFileError(file, null, null, `larger than ${maxBytes} bytes; refusing to parse it`);
  }
  const warnings: string[] = [];
  const state = freshState(normaliseOrigin(options.origin, file), null);
  let items: Item[];
  try {
    items = parseItems(text, file, state, warnings);
  } catch (e) {
    rethrow(e, file);
  }
  const records: ZoneRecord[] = [];
  for (const item of items) {
    if ("kind" in item) {
      throw new ZoneFileError(
        file,
        item.line,
        item.column,
        "$INCLUDE is not supported when parsing text; load the file with loadZoneFile",
      );
    }
    records.push(item);
  }
  return summarise(records, warnings);
}

/**
 * The origin a file name suggests: "contoso.com.zone", "contoso.com.db", "db.contoso.com",
 * "contoso.com" → "contoso.com"; null when the name holds no dotted domain.
 */
export function originFromFileName(path: string): string | null {
  let base = path.split(/[\\/]/).pop() ?? "";
  base = base.replace(/\.(zone|db|dns|hosts|txt|bind|conf)$/i, "").replace(/^(db|zone)\./i, "");
  if (!/^(?:[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?\.)+[a-z][a-z0-9-]*[a-z0-9]\.?$/i.test(base)) return null;
  return base.toLowerCase().replace(/\.$/, "");
}

interface LoadContext {
  bytesLeft: number;
  includes: number;
  readonly maxDepth: number;
  readonly warnings: string[];
  readonly records: ZoneRecord[];
}

/**
 * The file's text, through the shared bounded reader (a regular file only: a FIFO, /dev/zero or a directory is
 * refused at once), within what the zone files and their includes may still hold together.
 */
async function readBounded(
  path: string,
  shownAs: string,
  ctx: LoadContext,
  site: readonly IncludeSite[],
): Promise<string> {
  let data: Buffer;
  try {
    data = await readBoundedFile(path, { field: "zoneFiles", maxBytes: ctx.bytesLeft });
  } catch (e) {
    if (!(e instanceof FileReadError)) throw e;
    const reason =
      e.kind === "too-large"
        ? `too large: zone files and their includes may hold at most ${MAX_ZONE_FILE_BYTES} bytes in all`
        : e.problem;
    throw new ZoneFileError(shownAs, null, null, reason, site);
  }
  ctx.bytesLeft -= data.length;
  return data.toString("utf8");
}

async function loadInto(
  path: string,
  shownAs: string,
  state: ParseState,
  ctx: LoadContext,
  stack: readonly string[],
  sites: readonly IncludeSite[],
): Promise<void> {
  const text = await readBounded(path, shownAs, ctx, sites);
  let items: Item[];
  try {
    items = parseItems(text, shownAs, state, ctx.warnings);
  } catch (e) {
    rethrow(e, shownAs, sites);
  }
  for (const item of items) {
    if (!("kind" in item)) {
      ctx.records.push(item);
      continue;
    }
    const fail = (reason: string): ZoneFileError =>
      new ZoneFileError(shownAs, item.line, item.column, reason, sites);
    if (sites.length + 1 > ctx.maxDepth) throw fail(`$INCLUDE nested deeper than ${ctx.maxDepth} levels`);
    if (++ctx.includes > MAX_INCLUDES) throw fail(`more than ${MAX_INCLUDES} $INCLUDE directives`);
    const target = resolvePath(dirname(path), item.path);
    let real: string;
    try {
      real = await fs.realpath(target);
    } catch {
      throw fail(`$INCLUDE ${excerpt(item.path)}: no such file`);
    }
    if (stack.includes(real)) throw fail(`$INCLUDE ${excerpt(item.path)} includes itself (a loop)`);
    await loadInto(
      real,
      isAbsolute(item.path) ? item.path : join(dirname(shownAs), item.path),
      freshState(item.origin, item.defaultTtl),
      ctx,
      [...stack, real],
      [...sites, { file: shownAs, line: item.line }],
    );
  }
}

/**
 * Reads and parses a zone file, resolving `$INCLUDE` relative to the including file. The origin defaults to
 * the one the file name suggests (`originFromFileName`), used only for names written relative to it.
 * @throws ZoneFileError (unreadable, too large, syntax, include loop or depth).
 */
export async function loadZoneFile(path: string, options: LoadZoneFileOptions = {}): Promise<ZoneFile> {
  const origin = normaliseOrigin(options.origin ?? originFromFileName(path) ?? undefined, path);
  const ctx: LoadContext = {
    bytesLeft: options.maxBytes ?? MAX_ZONE_FILE_BYTES,
    includes: 0,
    maxDepth: options.maxIncludeDepth ?? MAX_INCLUDE_DEPTH,
    warnings: [],
    records: [],
  };
  let real: string;
  try {
    real = await fs.realpath(path);
  } catch (e) {
    const code = typeof e === "object" && e !== null && "code" in e ? String(e.code) : String(e);
    throw new ZoneFileError(
      path,
      null,
      null,
      code === "ENOENT" ? "no such file" : `cannot read it (${code})`,
    );
  }
  await loadInto(real, path, freshState(origin, null), ctx, [real], []);
  return summarise(ctx.records, ctx.warnings);
}
