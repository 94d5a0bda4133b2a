/**
 * @module app/ct/log-sources
 * Which logs to follow: Google's live v3 list (signature-checked, cached in the store for offline runs), a
 * list file, or none — plus the inline `ct.logs`. Problems with a list become warnings and inline logs are
 * always kept; only a list file that cannot be read at all (missing, not a regular file, too large) is a
 * configuration error (`FileReadError`), as every file the configuration names is.
 */
import { rfc3339 } from "../../domain/alert.js";
import {
  GOOGLE_LOG_LIST_SIGNATURE_URL,
  GOOGLE_LOG_LIST_URL,
  LOG_LIST_MAX_BYTES,
  parseLogList,
  selectFollowedLogs,
  verifyLogListSignature,
  type CtLogDescriptor,
  type InlineLog,
  type ParsedLogList,
} from "../../sources/ct/log-list.js";
import type { HttpGetResult } from "../../util/http-get.js";
import { readBoundedFile } from "../../util/read-bounded-file.js";
import type { Store } from "../../store/store.js";

export interface LogSourceDeps {
  readonly store: Store;
  /** "google", "none" or an absolute file path (config `ct.logList`). */
  readonly logList: string;
  readonly inline: readonly InlineLog[];
  readonly get: (url: string, maxBytes: number) => Promise<HttpGetResult>;
  readonly now: () => Date;
  /** Google's list URL and signing key; tests point these at a local server and key. */
  readonly listUrl?: string;
  readonly signatureUrl?: string;
  readonly publicKeyPem?: string;
}

export interface LogSelection {
  readonly logs: CtLogDescriptor[];
  readonly warnings: string[];
  /** Where the list came from: "live", "cache (fetched …)", "file", or "none". */
  readonly listSource: string;
}

async function fetchBytes(deps: LogSourceDeps, url: string, maxBytes: number): Promise<Uint8Array | string> {
  const r = await deps.get(url, maxBytes);
  if (r.kind === "error") return `${url}: ${r.error}`;
  if (r.status !== 200) return `${url}: HTTP ${r.status}`;
  return r.body;
}

async function googleList(deps: LogSourceDeps, warnings: string[]): Promise<[ParsedLogList | null, string]> {
  const url = deps.listUrl ?? GOOGLE_LOG_LIST_URL;
  const sigUrl = deps.signatureUrl ?? GOOGLE_LOG_LIST_SIGNATURE_URL;
  const [json, sig] = await Promise.all([
    fetchBytes(deps, url, LOG_LIST_MAX_BYTES),
    fetchBytes(deps, sigUrl, 64 * 1024),
  ]);
  if (typeof json !== "string" && typeof sig !== "string") {
    if (verifyLogListSignature(json, sig, deps.publicKeyPem)) {
      const parsed = parseLogList(json);
      if (parsed.kind === "ok") {
        await deps.store.putLogListCache({ url, json, signature: sig, fetchedAt: rfc3339(deps.now()) });
        return [parsed.list, "live"];
      }
      warnings.push(`log list ${url}: ${parsed.error}`);
    } else {
      warnings.push(`log list ${url}: the signature does not verify with the log list key; not used`);
    }
  } else {
    warnings.push(
      `log list: could not download it (${[json, sig].filter((x) => typeof x === "string").join("; ")})`,
    );
  }
  const cached = await deps.store.getLogListCache(url);
  if (cached?.signature != null && verifyLogListSignature(cached.json, cached.signature, deps.publicKeyPem)) {
    const parsed = parseLogList(cached.json);
    if (parsed.kind === "ok") {
      warnings.push(`log list: using the copy cached at ${cached.fetchedAt}`);
      return [parsed.list, `cache (fetched ${cached.fetchedAt})`];
    }
  }
  warnings.push("log list: no usable cached copy; following the inline ct.logs only");
  return [null, "none"];
}

/**
 * A v3 list file. Reading it is bounded (a regular file of at most LOG_LIST_MAX_BYTES: /dev/zero or a FIFO would
 * exhaust memory or hang) and throws FileReadError; what it holds is judged like a downloaded list (warnings).
 */
async function fileList(path: string, warnings: string[]): Promise<ParsedLogList | null> {
  const parsed = parseLogList(
    await readBoundedFile(path, { field: "ct.logList", maxBytes: LOG_LIST_MAX_BYTES }),
  );
  if (parsed.kind === "ok") return parsed.list;
  warnings.push(`log list ${path}: ${parsed.error}`);
  return null;
}

/** The logs to follow. Throws FileReadError when `ct.logList` names a file that cannot be read. */
export async function selectLogs(deps: LogSourceDeps): Promise<LogSelection> {
  const warnings: string[] = [];
  let list: ParsedLogList | null = null;
  let listSource = "none";
  if (deps.logList === "google") [list, listSource] = await googleList(deps, warnings);
  else if (deps.logList !== "none") {
    list = await fileList(deps.logList, warnings);
    listSource = list === null ? "none" : "file";
  }
  if (list !== null) warnings.push(...list.warnings.map((w) => `log list: ${w}`));
  const logs = selectFollowedLogs(list, deps.inline, (w) => warnings.push(w));
  // An inline log replaces the list's log with the same key (one key is one log): say so when the URLs differ.
  const listed = new Map((list?.logs ?? []).map((l) => [l.logId, l]));
  for (const log of logs) {
    const other = listed.get(log.logId);
    if (other !== undefined && other !== log && other.url !== log.url) {
      warnings.push(
        `ct.logs: ${log.url} has the key of "${other.description}" (${other.url}) in the log list; following ${log.url} only`,
      );
    }
  }
  return { logs, warnings, listSource };
}
