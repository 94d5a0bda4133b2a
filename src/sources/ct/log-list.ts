/**
 * @module sources/ct/log-list
 * The public CT log list (Google's v3 schema): parsing, detached-signature verification, the selection of logs
 * to follow (merged with inline logs from the config) and the difference between two selections.
 */
import type { KeyObject } from "node:crypto";
import { constants, createHash, createPublicKey, verify } from "node:crypto";
import { GOOGLE_LOG_LIST_PUBLIC_KEY_PEM } from "./log-list-key.js";

/** Where Google publishes the list of logs in Chrome's CT programme, and its detached signature. */
export const GOOGLE_LOG_LIST_URL = "https://www.gstatic.com/ct/log_list/v3/log_list.json";
export const GOOGLE_LOG_LIST_SIGNATURE_URL = "https://www.gstatic.com/ct/log_list/v3/log_list.sig";
/** The same schema with every known log, test and monitoring-only logs included (they carry no `state`). */
export const GOOGLE_ALL_LOGS_LIST_URL = "https://www.gstatic.com/ct/log_list/v3/all_logs_list.json";
export const GOOGLE_ALL_LOGS_LIST_SIGNATURE_URL = "https://www.gstatic.com/ct/log_list/v3/all_logs_list.sig";

/** The largest log list `parseLogList` accepts (the real one is under 100 KiB). */
export const LOG_LIST_MAX_BYTES = 8 * 1024 * 1024;

export type LogProtocol = "rfc6962" | "static-ct";
export type LogState = "pending" | "qualified" | "usable" | "readonly" | "retired" | "rejected";

export const LOG_STATES: readonly LogState[] = [
  "pending",
  "qualified",
  "usable",
  "readonly",
  "retired",
  "rejected",
];

/** States whose logs are followed: the ones whose SCTs Chrome accepts (or accepted, for readonly). */
export const FOLLOWED_STATES: ReadonlySet<LogState> = new Set<LogState>(["qualified", "usable", "readonly"]);

export interface CtLogDescriptor {
  /** Base64 of SHA-256(SPKI DER), recomputed from the key. */
  readonly logId: string;
  /** The list's description, or the inline log's name (else its URL). */
  readonly description: string;
  readonly operator: string | null;
  readonly protocol: LogProtocol;
  /** The RFC 6962 `url`, or the Static CT `monitoring_url`; always ending in "/". */
  readonly url: string;
  /** Where certificates are submitted: the RFC 6962 `url`, the Static CT `submission_url`; null if unknown. */
  readonly submissionUrl: string | null;
  /** SubjectPublicKeyInfo, DER. */
  readonly key: Buffer;
  /** Null for inline logs (always followed) and for list logs without a state (test, monitoring-only). */
  readonly state: LogState | null;
  readonly stateSince: string | null;
  /** The readonly state's final_tree_head (with the state's timestamp). */
  readonly readonlyTreeHead: {
    readonly treeSize: number;
    readonly timestamp: string;
    /** Base64 of the final tree's SHA-256 root hash. */
    readonly sha256RootHash: string;
  } | null;
  /** Maximum merge delay, seconds. */
  readonly mmdSeconds: number | null;
  /** Certificates whose notAfter falls in [start, end) are accepted (log sharding). */
  readonly temporalInterval: { readonly start: string; readonly end: string } | null;
  /** The list's `log_type` ("test", "monitoring_only", ...) when present; null otherwise. */
  readonly logType: string | null;
  readonly source: "list" | "inline";
}

export interface ParsedLogList {
  readonly version: string | null;
  readonly timestamp: string | null;
  /** True for `all_logs_list.json`, which includes logs outside Chrome's programme. */
  readonly isAllLogs: boolean | null;
  readonly logs: CtLogDescriptor[];
  readonly warnings: string[];
}

export type LogListResult = { kind: "ok"; list: ParsedLogList } | { kind: "error"; error: string };

/** A log configured in `ct.logs` (the normalised config form). */
export interface InlineLog {
  readonly url: string;
  /** Base64 of the DER SubjectPublicKeyInfo. */
  readonly key: string;
  readonly name?: string | undefined;
  readonly type: LogProtocol;
  /** A tiled log's submission prefix: its checkpoints name it as their origin. */
  readonly submissionUrl?: string | undefined;
}

export interface LogSelectionDiff {
  /** Followed now, not before. */
  added: CtLogDescriptor[];
  /** Followed before, not now (retired, rejected, or gone from the list). */
  removed: CtLogDescriptor[];
  /** Followed both times, with a different state, URL, protocol or final tree head (the new descriptor). */
  changed: CtLogDescriptor[];
}

// ─── helpers ────────────────────────────────────────────────────────────────

type Json = Record<string, unknown>;

/** Why a log entry is skipped; thrown inside `parseEntry` only, caught per entry. */
class EntryError extends Error {}

function fail(message: string): never {
  throw new EntryError(message);
}

function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An own property only: never `constructor`, `toString` and the like from the prototype. */
function field(o: Json, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict base64: canonical padding and trailing bits, nothing else. */
function decodeBase64(s: string): Buffer | null {
  if (s === "" || !BASE64.test(s)) return null;
  const b = Buffer.from(s, "base64");
  return b.toString("base64") === s ? b : null;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/i;

function isTimestamp(v: unknown): v is string {
  return typeof v === "string" && RFC3339.test(v) && !Number.isNaN(Date.parse(v));
}

/** Base64 of SHA-256 over the SPKI DER: the RFC 6962 LogID. */
export function logIdOf(spki: Uint8Array): string {
  return createHash("sha256").update(spki).digest("base64");
}

/** Why a SubjectPublicKeyInfo cannot be a CT log key (ECDSA P-256, or RSA of at least 2048 bits), or null. */
function checkLogKey(der: Buffer): string | null {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: der, format: "der", type: "spki" });
  } catch {
    return "not a DER SubjectPublicKeyInfo";
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "ec" && details.namedCurve === "prime256v1") return null;
  if (key.asymmetricKeyType === "rsa" && (details.modulusLength ?? 0) >= 2048) return null;
  const what = key.asymmetricKeyType === "ec" ? `EC ${details.namedCurve ?? "?"}` : key.asymmetricKeyType;
  return `unsupported key type ${what ?? "?"} (CT logs use ECDSA P-256 or RSA ≥ 2048)`;
}

/** Base64 SPKI → DER, or why not. */
function decodeLogKey(s: string): Buffer | string {
  const der = decodeBase64(s);
  if (der === null) return "not base64";
  return checkLogKey(der) ?? der;
}

/** An http(s) URL without credentials, query or fragment, normalised to end in "/"; or why not. */
function normaliseLogUrl(s: string): { url: string } | { error: string } {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return { error: `not a URL (${quote(s)})` };
  }
  if (u.protocol !== "https:" && u.protocol !== "http:")
    return { error: `must be an https:// URL (${quote(s)})` };
  if (u.username !== "" || u.password !== "" || u.search !== "" || u.hash !== "")
    return { error: `must not carry credentials, a query or a fragment (${quote(s)})` };
  return { url: u.href.endsWith("/") ? u.href : `${u.href}/` };
}

function urlField(entry: Json, name: string): string {
  const v = field(entry, name);
  if (v === undefined) fail(`${name}: missing`);
  if (typeof v !== "string") fail(`${name}: must be a string`);
  const r = normaliseLogUrl(v);
  if ("error" in r) fail(`${name}: ${r.error}`);
  return r.url;
}

function parseState(entry: Json): {
  state: LogState | null;
  since: string | null;
  treeHead: CtLogDescriptor["readonlyTreeHead"];
  note: string | null;
} {
  const raw = field(entry, "state");
  const none = { state: null, since: null, treeHead: null };
  if (raw === undefined || raw === null) return { ...none, note: null };
  if (!isObject(raw)) fail("state: must be an object");
  const names = Object.keys(raw);
  const known = names.filter((n): n is LogState => (LOG_STATES as readonly string[]).includes(n));
  if (known.length > 1) fail(`state: more than one state (${known.join(", ")})`);
  const state = known[0];
  if (state === undefined) {
    const note =
      names.length === 0 ? null : `unknown state ${names.map(quote).join(", ")}; kept, not followed`;
    return { ...none, note };
  }
  const body = raw[state];
  if (!isObject(body)) fail(`state.${state}: must be an object`);
  const since = field(body, "timestamp");
  if (!isTimestamp(since)) fail(`state.${state}.timestamp: must be an RFC 3339 timestamp`);
  if (state !== "readonly") return { state, since, treeHead: null, note: null };
  const sth = field(body, "final_tree_head");
  if (!isObject(sth)) fail("state.readonly.final_tree_head: missing");
  const treeSize = field(sth, "tree_size");
  if (typeof treeSize !== "number" || !Number.isSafeInteger(treeSize) || treeSize < 0)
    fail("state.readonly.final_tree_head.tree_size: must be a non-negative integer");
  const root = field(sth, "sha256_root_hash");
  if (typeof root !== "string" || decodeBase64(root)?.length !== 32)
    fail("state.readonly.final_tree_head.sha256_root_hash: must be base64 of 32 bytes");
  return { state, since, treeHead: { treeSize, timestamp: since, sha256RootHash: root }, note: null };
}

function parseInterval(entry: Json): CtLogDescriptor["temporalInterval"] {
  const raw = field(entry, "temporal_interval");
  if (raw === undefined || raw === null) return null;
  if (!isObject(raw)) fail("temporal_interval: must be an object");
  const start = field(raw, "start_inclusive");
  const end = field(raw, "end_exclusive");
  if (!isTimestamp(start)) fail("temporal_interval.start_inclusive: must be an RFC 3339 timestamp");
  if (!isTimestamp(end)) fail("temporal_interval.end_exclusive: must be an RFC 3339 timestamp");
  if (Date.parse(start) >= Date.parse(end))
    fail("temporal_interval: start_inclusive is not before end_exclusive");
  return { start, end };
}

function parseEntry(
  entry: unknown,
  protocol: LogProtocol,
  operator: string,
  note: (m: string) => void,
): CtLogDescriptor {
  if (!isObject(entry)) fail("must be an object");
  const keyText = field(entry, "key");
  if (keyText === undefined) fail("key: missing");
  if (typeof keyText !== "string") fail("key: must be a base64 string");
  const key = decodeLogKey(keyText);
  if (typeof key === "string") fail(`key: ${key}`);
  const logId = logIdOf(key);
  const listedId = field(entry, "log_id");
  if (listedId === undefined) fail("log_id: missing");
  if (listedId !== logId) {
    const shown = typeof listedId === "string" ? quote(listedId) : "not a string";
    fail(`log_id ${shown} does not match its key (SHA-256 of the key is ${logId})`);
  }

  let url: string;
  let submissionUrl: string | null;
  if (protocol === "rfc6962") {
    url = urlField(entry, "url");
    submissionUrl = url;
  } else {
    url = urlField(entry, "monitoring_url");
    submissionUrl = field(entry, "submission_url") === undefined ? null : urlField(entry, "submission_url");
  }

  const description = field(entry, "description") ?? url;
  if (typeof description !== "string") fail("description: must be a string");
  const mmd = field(entry, "mmd");
  if (mmd !== undefined && (typeof mmd !== "number" || !Number.isSafeInteger(mmd) || mmd < 1))
    fail("mmd: must be a positive integer (seconds)");
  const logType = field(entry, "log_type");
  if (logType !== undefined && typeof logType !== "string") fail("log_type: must be a string");

  const state = parseState(entry);
  if (state.note !== null) note(state.note);
  return {
    logId,
    description,
    operator,
    protocol,
    url,
    submissionUrl,
    key,
    state: state.state,
    stateSince: state.since,
    readonlyTreeHead: state.treeHead,
    mmdSeconds: mmd ?? null,
    temporalInterval: parseInterval(entry),
    logType: logType ?? null,
    source: "list",
  };
}

function entryLabel(entry: unknown, index: number): string {
  if (isObject(entry)) {
    const d = field(entry, "description");
    if (typeof d === "string" && d !== "") return quote(d);
    const id = field(entry, "log_id");
    if (typeof id === "string" && id !== "") return quote(id);
  }
  return `#${index}`;
}

// ─── the list ───────────────────────────────────────────────────────────────

/**
 * Parses v3 JSON bytes (operators[].logs[] RFC 6962 and operators[].tiled_logs[] Static CT). Unknown fields are
 * ignored; a malformed log entry is skipped with a warning naming operator and log; a structurally wrong
 * document → error naming the JSON path. Never throws. Bounded: rejects > 8 MiB input.
 */
export function parseLogList(json: Uint8Array): LogListResult {
  try {
    return parseLogListUnsafe(json);
  } catch (e) {
    return { kind: "error", error: `log list: ${e instanceof Error ? e.message : String(e)}` };
  }
}

function parseLogListUnsafe(json: Uint8Array): LogListResult {
  const error = (e: string): LogListResult => ({ kind: "error", error: `log list: ${e}` });
  if (json.byteLength > LOG_LIST_MAX_BYTES)
    return error(`too large (${json.byteLength} bytes; at most ${LOG_LIST_MAX_BYTES})`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(json);
  } catch {
    return error("not UTF-8 text");
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return error(`not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isObject(doc)) return error("$: must be an object");
  const operators = field(doc, "operators");
  if (!Array.isArray(operators)) return error("$.operators: must be an array");

  const version = field(doc, "version");
  const timestamp = field(doc, "log_list_timestamp");
  const isAllLogs = field(doc, "is_all_logs");
  const logs: CtLogDescriptor[] = [];
  const warnings: string[] = [];
  const seen = new Map<string, string>();

  for (const [i, op] of operators.entries()) {
    const opPath = `$.operators[${i}]`;
    if (!isObject(op)) return error(`${opPath}: must be an object`);
    const name = field(op, "name");
    if (typeof name !== "string") return error(`${opPath}.name: must be a string`);
    for (const [kind, protocol] of [
      ["logs", "rfc6962"],
      ["tiled_logs", "static-ct"],
    ] as const) {
      const entries = field(op, kind) ?? [];
      if (!Array.isArray(entries)) return error(`${opPath}.${kind}: must be an array`);
      for (const [j, entry] of entries.entries()) {
        const where = `operator ${quote(name)}, log ${entryLabel(entry, j)} (${opPath}.${kind}[${j}])`;
        try {
          const log = parseEntry(entry, protocol, name, (m) => warnings.push(`${where}: ${m}`));
          const first = seen.get(log.logId);
          if (first !== undefined) {
            warnings.push(`${where}: same log id as ${first}; skipped`);
            continue;
          }
          seen.set(log.logId, where);
          logs.push(log);
        } catch (e) {
          if (!(e instanceof EntryError)) throw e;
          warnings.push(`${where}: ${e.message}; skipped`);
        }
      }
    }
  }
  return {
    kind: "ok",
    list: {
      version: typeof version === "string" ? version : null,
      timestamp: typeof timestamp === "string" ? timestamp : null,
      isAllLogs: typeof isAllLogs === "boolean" ? isAllLogs : null,
      logs,
      warnings,
    },
  };
}

/**
 * Verifies the detached signature (RSA PKCS#1 v1.5 with SHA-256 for Google's key; ECDSA P-256/SHA-256 keys,
 * DER signatures, too) of the exact bytes. Never throws: a bad key or signature is `false`.
 */
export function verifyLogListSignature(
  json: Uint8Array,
  signature: Uint8Array,
  publicKeyPem: string = GOOGLE_LOG_LIST_PUBLIC_KEY_PEM,
): boolean {
  try {
    const key = createPublicKey(publicKeyPem);
    if (key.asymmetricKeyType === "rsa") {
      if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return false;
      return verify("sha256", json, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
    }
    if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1") {
      return verify("sha256", json, { key, dsaEncoding: "der" }, signature);
    }
    return false;
  } catch {
    return false;
  }
}

// ─── selection ──────────────────────────────────────────────────────────────

/** The descriptor of a log configured inline, or why its key or URL cannot be used. */
export function inlineLogDescriptor(
  log: InlineLog,
): { kind: "ok"; log: CtLogDescriptor } | { kind: "error"; error: string } {
  const where = `ct.logs ${quote(log.name ?? log.url)}`;
  const key = decodeLogKey(log.key.replace(/\s+/g, ""));
  if (typeof key === "string") return { kind: "error", error: `${where}: key: ${key}` };
  const url = normaliseLogUrl(log.url);
  if ("error" in url) return { kind: "error", error: `${where}: url: ${url.error}` };
  let submissionUrl: string | null = log.type === "rfc6962" ? url.url : null;
  if (log.submissionUrl !== undefined) {
    const sub = normaliseLogUrl(log.submissionUrl);
    if ("error" in sub) return { kind: "error", error: `${where}: submissionUrl: ${sub.error}` };
    submissionUrl = sub.url;
  }
  return {
    kind: "ok",
    log: {
      logId: logIdOf(key),
      description: log.name ?? url.url,
      operator: null,
      protocol: log.type,
      url: url.url,
      submissionUrl,
      key,
      state: null,
      stateSince: null,
      readonlyTreeHead: null,
      mmdSeconds: null,
      temporalInterval: null,
      logType: null,
      source: "inline",
    },
  };
}

/**
 * Logs to follow: state usable, qualified or readonly (not pending, retired, rejected, nor stateless test and
 * monitoring-only logs); inline logs always. Duplicates (same logId) collapse, inline winning. Inline logs come
 * first, in config order, then the list's in list order. An inline log whose key or URL is unusable is
 * skipped and reported through `onWarning`.
 */
export function selectFollowedLogs(
  list: ParsedLogList | null,
  inline: readonly InlineLog[],
  onWarning?: (message: string) => void,
): CtLogDescriptor[] {
  const out: CtLogDescriptor[] = [];
  const ids = new Set<string>();
  for (const entry of inline) {
    const r = inlineLogDescriptor(entry);
    if (r.kind === "error") {
      onWarning?.(`${r.error}; skipped`);
      continue;
    }
    if (ids.has(r.log.logId)) continue;
    ids.add(r.log.logId);
    out.push(r.log);
  }
  for (const log of list?.logs ?? []) {
    if (log.state === null || !FOLLOWED_STATES.has(log.state) || ids.has(log.logId)) continue;
    ids.add(log.logId);
    out.push(log);
  }
  return out;
}

function sameFollowing(a: CtLogDescriptor, b: CtLogDescriptor): boolean {
  return (
    a.state === b.state &&
    a.url === b.url &&
    a.protocol === b.protocol &&
    a.readonlyTreeHead?.treeSize === b.readonlyTreeHead?.treeSize &&
    a.readonlyTreeHead?.sha256RootHash === b.readonlyTreeHead?.sha256RootHash
  );
}

/**
 * What changed between two selections, for a follower watching the list while running: added, removed
 * (retired/rejected/vanished), changed (state, url, protocol, final tree head). Logs are matched by logId.
 */
export function diffLogSelections(
  before: readonly CtLogDescriptor[],
  after: readonly CtLogDescriptor[],
): LogSelectionDiff {
  const old = new Map(before.map((l) => [l.logId, l]));
  const now = new Map(after.map((l) => [l.logId, l]));
  const added: CtLogDescriptor[] = [];
  const changed: CtLogDescriptor[] = [];
  for (const log of now.values()) {
    const prev = old.get(log.logId);
    if (prev === undefined) added.push(log);
    else if (!sameFollowing(prev, log)) changed.push(log);
  }
  const removed = [...old.values()].filter((l) => !now.has(l.logId));
  return { added, removed, changed };
}
