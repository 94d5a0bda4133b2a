/**
 * @module config/load
 * Reads certwatch.yaml (or .json), validates it and resolves its paths; every error names file, line, field and fault.
 */
import { homedir } from "node:os";
import { dirname, extname, isAbsolute, relative, resolve } from "node:path";
import type { CST, Document, Node } from "yaml";
import { Composer, Lexer, LineCounter, Parser, YAMLParseError, isMap, isScalar, isSeq } from "yaml";
import type { z } from "zod";
import { CertwatchError } from "../errors.js";
import { FileReadError, readBoundedFile } from "../util/read-bounded-file.js";
import { checkJson, lineColumn } from "./json-check.js";
import type { Config, ResolvedConfig } from "./schema.js";
import { configSchema, quote } from "./schema.js";

export const CONFIG_ERROR_CODES = [
  "CONFIG_NOT_FOUND",
  "CONFIG_UNREADABLE",
  "CONFIG_SYNTAX",
  "CONFIG_INVALID",
  "CONFIG_EXISTS",
  "CONFIG_UNWRITABLE",
] as const;
export type ConfigErrorCode = (typeof CONFIG_ERROR_CODES)[number];

export interface ConfigIssue {
  /** The field, e.g. `endpoints[1].url`; "" when the problem is the file as a whole. */
  readonly path: string;
  readonly message: string;
  /** 1-based position in the file, when known. */
  readonly line?: number;
  readonly column?: number;
}

/** What a CLI prints (one line per issue) before exiting with status 2. */
export class ConfigError extends CertwatchError {
  override readonly name = "ConfigError";
  constructor(
    readonly code: ConfigErrorCode,
    /** Absolute path of the configuration file. */
    readonly file: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(issues.map((i) => formatIssue(file, i)).join("\n"));
  }
}

/** The path as the user would type it: relative to the working directory when inside it. */
function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : file;
}

function formatIssue(file: string, i: ConfigIssue): string {
  const at = i.line === undefined ? "" : `:${i.line}:${i.column ?? 1}`;
  // One line per issue, whatever a parser's message held (a caller splits the text on newlines).
  const message = i.message.replace(/\r?\n|\r/g, " ");
  return `${displayPath(file)}${at}: ${i.path === "" ? "" : `${i.path}: `}${message}`;
}

/** `endpoints[1].url`, `severity["42"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    const s = String(p);
    if (typeof p === "number") out += `[${p}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(s)) out += out === "" ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

function describe(v: unknown): string {
  if (v === null) return "nothing (null)";
  if (typeof v === "string") return quote(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return "a list";
  return typeof v === "object" ? "a mapping" : typeof v;
}

const EXPECTED: Readonly<Record<string, string>> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  array: "a list",
  object: "a mapping (key: value)",
  record: "a mapping (key: value)",
};

/** Messages in the user's words for zod's built-in checks (ours carry their own). */
const errorMap: z.core.$ZodErrorMap = (iss) => {
  const got = iss.input === undefined ? "" : ` (got ${describe(iss.input)})`;
  switch (iss.code) {
    case "invalid_type":
      return iss.input === undefined
        ? "is required"
        : `must be ${EXPECTED[iss.expected] ?? iss.expected}${got}`;
    case "too_small":
      if (iss.origin === "array") return `must list at least ${String(iss.minimum)}`;
      if (iss.origin === "string") return "must not be empty";
      return `must be ${iss.inclusive === false ? "more than" : "at least"} ${String(iss.minimum)}${got}`;
    case "too_big":
      return `must be ${iss.inclusive === false ? "less than" : "at most"} ${String(iss.maximum)}${got}`;
    case "invalid_value":
      return `must be one of ${iss.values.map((v) => JSON.stringify(v)).join(", ")}${got}`;
    default:
      return undefined;
  }
};

interface RawIssue {
  path: PropertyKey[];
  message: string;
  /** For an unknown key: the key, so its position can be found. */
  key?: string;
}

/** A union branch that failed only because the input is of another kind (a nested union's every branch, too). */
function wrongKind(branch: readonly z.core.$ZodIssue[]): boolean {
  const [only, more] = branch;
  if (only === undefined || more !== undefined || only.path.length > 0) return false;
  return only.code === "invalid_type" || (only.code === "invalid_union" && only.errors.every(wrongKind));
}

/** Flattens unions to the branch that matched the input's kind, so the user sees one precise message. */
function flatten(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): RawIssue[] {
  return issues.flatMap((iss): RawIssue[] => {
    const path = [...prefix, ...iss.path];
    if (iss.code === "invalid_union") {
      const matched = iss.errors.filter((b) => !wrongKind(b));
      if (matched.length === 1 && matched[0]) return flatten(matched[0], path);
    }
    if (iss.code === "unrecognized_keys" && iss.keys.length === 1 && iss.keys[0] !== undefined) {
      return [{ path, message: iss.message, key: iss.keys[0] }];
    }
    return [{ path, message: iss.message }];
  });
}

function hasRange(n: unknown): n is Node {
  return n !== null && typeof n === "object" && "range" in n && Array.isArray(n.range);
}

function child(node: unknown, step: PropertyKey, wantKey: boolean): unknown {
  if (isMap(node)) {
    const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === String(step));
    return wantKey ? pair?.key : pair?.value;
  }
  return isSeq(node) && typeof step === "number" ? node.items[step] : undefined;
}

/** The YAML node a path points at (or its nearest existing parent); the key's node for an unknown key. */
function nodeAt(doc: Document, path: readonly PropertyKey[], key?: string): Node | undefined {
  const steps: [PropertyKey, boolean][] = path.map((p) => [p, false]);
  if (key !== undefined) steps.push([key, true]);
  let cur: unknown = doc.contents;
  let found = hasRange(cur) ? cur : undefined;
  for (const [step, wantKey] of steps) {
    cur = child(cur, step, wantKey);
    if (!hasRange(cur)) break;
    found = cur;
  }
  return found;
}

interface Source {
  readonly doc: Document;
  readonly lines: LineCounter;
}

/** One issue per fault, in file order. */
function toIssues(issues: readonly z.core.$ZodIssue[], source: Source | undefined): ConfigIssue[] {
  const out = flatten(issues).map(({ path, message, key }): ConfigIssue => {
    const range = source && nodeAt(source.doc, path, key)?.range;
    if (!source || !range) return { path: formatPath(path), message };
    const { line, col } = source.lines.linePos(range[0]);
    return { path: formatPath(path), message, line, column: col };
  });
  const line = (i: ConfigIssue) => i.line ?? Number.MAX_SAFE_INTEGER;
  return out.sort((a, b) => line(a) - line(b) || (a.column ?? 0) - (b.column ?? 0));
}

/** Empty YAML values (`domains:` with every item commented out) mean "use the default". */
function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(
    Object.entries(v)
      .filter(([, x]) => x !== null)
      .map(([k, x]) => [k, dropNulls(x)]),
  );
}

function expandHome(p: string): string {
  return p === "~" || p.startsWith("~/") ? homedir() + p.slice(1) : p;
}

/** Makes every path in the config absolute, relative to the config file's directory. */
export function resolveConfig(config: Config, configPath: string): ResolvedConfig {
  const configDir = dirname(resolve(configPath));
  const abs = (p: string) => resolve(configDir, expandHome(p));
  const { logList, ...ct } = config.ct;
  const { store } = config;
  return {
    ...config,
    configPath: resolve(configPath),
    configDir,
    trust: { ...config.trust, extraRoots: config.trust.extraRoots.map(abs) },
    ct: { ...ct, logList: logList === "google" || logList === "none" ? logList : abs(logList) },
    zoneFiles: config.zoneFiles.map(abs),
    allowedRoots: config.allowedRoots.map(abs),
    server: {
      ...config.server,
      ...(config.server.tls
        ? { tls: { certFile: abs(config.server.tls.certFile), keyFile: abs(config.server.tls.keyFile) } }
        : {}),
    },
    store:
      store.kind === "sqlite" && store.path !== ":memory:"
        ? { kind: "sqlite", path: abs(store.path) }
        : store,
  };
}

/** Validates an already-parsed config (e.g. from a test or another format) and resolves its paths. */
export function configFromObject(obj: unknown, file: string, source?: Source): ResolvedConfig {
  const abs = resolve(file);
  const data = obj ?? {}; // an empty file is a valid (empty) config
  if (typeof data !== "object" || Array.isArray(data)) {
    const message = `must be a mapping of settings (domains:, endpoints:, ...), not ${describe(data)}`;
    throw new ConfigError("CONFIG_INVALID", abs, [{ path: "", message }]);
  }
  const r = configSchema.safeParse(dropNulls(data), { error: errorMap });
  if (!r.success) throw new ConfigError("CONFIG_INVALID", abs, toIssues(r.error.issues, source));
  return resolveConfig(r.data, abs);
}

/**
 * Objects and lists nested deeper than this are refused before anything recurses over them (the YAML composer,
 * toJS and zod all do): a config nests a handful of levels; a hundred thousand `[` is an attack or an accident.
 */
export const MAX_CONFIG_DEPTH = 64;

function parseJson(text: string, file: string): unknown {
  const fault = checkJson(text, MAX_CONFIG_DEPTH);
  if (fault !== undefined) {
    const message = `JSON syntax error: ${fault.message}`;
    throw new ConfigError("CONFIG_SYNTAX", file, [{ path: "", message, ...lineColumn(text, fault.offset) }]);
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    // checkJson accepts only what JSON.parse does; should they ever differ, still one line and no quoted text.
    const raw = e instanceof Error ? e.message : String(e);
    const message = `JSON syntax error: ${(raw.split(/[,\n]/)[0] ?? "").trim()}`;
    throw new ConfigError("CONFIG_SYNTAX", file, [{ path: "", message }]);
  }
}

const COLLECTIONS: ReadonlySet<string> = new Set(["block-map", "block-seq", "flow-collection"]);

/**
 * parseDocument, with nesting bounded while the (iterative) parser runs and before the (recursive) composer
 * sees the tokens. Returns the document, or the offset where nesting went past MAX_CONFIG_DEPTH.
 */
function parseYaml(text: string, lines: LineCounter): Document | { tooDeepAt: number } {
  const parser = new Parser(lines.addNewLine);
  const tokens: CST.Token[] = [];
  lines.addNewLine(0);
  for (const lexeme of new Lexer().lex(text)) {
    for (const token of parser.next(lexeme)) tokens.push(token);
    // The stack also holds the document and the token being built: count collections only when it could matter.
    if (parser.stack.length > MAX_CONFIG_DEPTH) {
      const depth = parser.stack.filter((t) => COLLECTIONS.has(t.type)).length;
      if (depth > MAX_CONFIG_DEPTH) return { tooDeepAt: Math.max(0, parser.offset - lexeme.length) };
    }
  }
  for (const token of parser.end()) tokens.push(token);
  const composer = new Composer({ prettyErrors: false, uniqueKeys: true });
  const docs = [...composer.compose(tokens, true, text.length)];
  const [doc, second] = docs;
  if (doc === undefined) throw new Error("the YAML composer returned no document"); // compose(…, true) always does
  if (second !== undefined) {
    doc.errors.push(
      new YAMLParseError(
        second.range.slice(0, 2) as [number, number],
        "MULTIPLE_DOCS",
        "Source contains multiple documents",
      ),
    );
  }
  return doc;
}

/** Validates config text (YAML, or JSON when `file` ends in .json); `file` names it and anchors relative paths. */
export function parseConfig(text: string, file: string): ResolvedConfig {
  const abs = resolve(file);
  const json = extname(abs).toLowerCase() === ".json" ? parseJson(text, abs) : undefined;
  const lines = new LineCounter();
  const doc = parseYaml(text, lines);
  if ("tooDeepAt" in doc) {
    // Valid JSON is checked for depth above; this is YAML.
    const { line, col } = lines.linePos(doc.tooDeepAt);
    const message = `YAML syntax error: nesting deeper than ${MAX_CONFIG_DEPTH} levels`;
    throw new ConfigError("CONFIG_SYNTAX", abs, [{ path: "", message, line, column: col }]);
  }
  if (json !== undefined)
    return configFromObject(json, abs, doc.errors.length === 0 ? { doc, lines } : undefined);
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const { line, col } = lines.linePos(e.pos[0]);
      const message = `YAML syntax error: ${(e.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "")}`;
      return { path: "", message, line, column: col };
    });
    throw new ConfigError("CONFIG_SYNTAX", abs, issues);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    const message = `YAML error: ${e instanceof Error ? e.message : String(e)}`;
    throw new ConfigError("CONFIG_SYNTAX", abs, [{ path: "", message }]);
  }
  return configFromObject(data, abs, { doc, lines });
}

/** A config is small; refuse anything bigger than this rather than read it whole. */
const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Reads, validates and resolves a config file; throws ConfigError. Only a regular file of at most 1 MiB is
 * read: a FIFO, a device or a directory is refused at once instead of hanging the command (or a reload).
 */
export async function loadConfig(path: string): Promise<ResolvedConfig> {
  const file = resolve(path);
  let text: string;
  try {
    text = (await readBoundedFile(file, { field: "--config", maxBytes: MAX_CONFIG_BYTES })).toString("utf8");
  } catch (e) {
    if (!(e instanceof FileReadError)) throw e;
    if (e.kind === "missing") {
      const message = 'file not found; run "certwatch init" to write a sample config, or pass --config FILE';
      throw new ConfigError("CONFIG_NOT_FOUND", file, [{ path: "", message }]);
    }
    const message =
      e.kind === "too-large"
        ? `is larger than ${MAX_CONFIG_BYTES} bytes; is this really a certwatch config?`
        : e.problem;
    throw new ConfigError("CONFIG_UNREADABLE", file, [{ path: "", message }]);
  }
  return parseConfig(text, file);
}

/** `./certwatch.yaml` in the working directory: where --config points by default. */
export function defaultConfigPath(cwd: string = process.cwd()): string {
  return resolve(cwd, "certwatch.yaml");
}
