/**
 * @module sources/ct/rfc6962-client
 * A client for RFC 6962 logs (get-sth, get-entries, get-sth-consistency, get-proof-by-hash): verified heads,
 * frontiers proven by an audit path, consistency proofs, and in-order prefetched entry batches.
 */
import {
  CtFetchError,
  logBaseUrl,
  misbehaving,
  ok,
  unavailable,
  type CommonClientOptions,
  type CtMisbehaviourReason,
  type Fetched,
  type RawEntry,
  type Rfc6962Client,
  settleConsistency,
} from "./log-client.js";
import { EMPTY_ROOT, Frontier, HASH_SIZE, hashesEqual, leafHash, verifyConsistency } from "./merkle.js";
import { PoliteHttp, type PoliteStats } from "./polite-http.js";
import {
  logKeyFromSpki,
  treeHeadError,
  verifyTreeHeadSignature,
  type LogKey,
  type TreeHead,
} from "./tree-head.js";

export interface Rfc6962ClientOptions extends CommonClientOptions {
  /** The log URL (the log list's `url`), e.g. `https://ct.example.com/2025h1/`. */
  url: string;
  /** Cap for get-sth (default 64 KiB). */
  maxSthBytes?: number;
  /** Cap for one get-entries answer (default 64 MiB). */
  maxEntriesBytes?: number;
  /** Cap for get-proof-by-hash and get-sth-consistency (default 64 KiB). */
  maxProofBytes?: number;
  /** Entries asked per get-entries call (default 256). */
  batchSize?: number;
  /** Batches fetched ahead of the one being yielded (default 4; the politeness limits still apply). */
  prefetch?: number;
}

export const RFC6962_DEFAULTS = {
  timeoutMs: 30_000,
  maxSthBytes: 64 * 1024,
  maxEntriesBytes: 64 * 1024 * 1024,
  maxProofBytes: 64 * 1024,
  batchSize: 256,
  prefetch: 4,
} as const;

/** How many earlier leaves frontierAt tries when the last one's hash also appears earlier in the log. */
const DUPLICATE_LEAF_TRIES = 8;

/** What a reader of a JSON answer decides. */
type Read<T> =
  | { kind: "ok"; value: T }
  /** A garbled answer: retried, then unavailable. */
  | { kind: "retry"; error: string }
  | { kind: "misbehaving"; reason: CtMisbehaviourReason; error: string };

/**
 * Padded base64, or null. Node's decoder skips characters outside the alphabet (and stops at a `=` inside),
 * so any such character makes the output shorter than the length implies: checking the length is a
 * validation that costs nothing beyond the decoding (a regular expression over every entry cost more than
 * the rest of the parsing). The URL-safe `-` and `_`, which Node also decodes, are tolerated.
 */
function base64(v: unknown): Buffer | null {
  if (typeof v !== "string" || v.length % 4 !== 0) return null;
  const pad = v.endsWith("==") ? 2 : v.endsWith("=") ? 1 : 0;
  const b = Buffer.from(v, "base64");
  return b.length === (v.length / 4) * 3 - pad ? b : null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function safeInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

export class Rfc6962LogClient implements Rfc6962Client {
  readonly protocol = "rfc6962" as const;
  readonly url: string;
  readonly #key: LogKey;
  readonly #http: PoliteHttp;
  readonly #timeoutMs: number;
  readonly #maxSth: number;
  readonly #maxEntries: number;
  readonly #maxProof: number;
  readonly #batchSize: number;
  readonly #prefetch: number;

  /** Throws on unusable options (URL, key, sizes). */
  constructor(opts: Rfc6962ClientOptions) {
    this.url = logBaseUrl(opts.url);
    this.#key = logKeyFromSpki(opts.publicKey);
    this.#http = new PoliteHttp(opts.politeness ?? {});
    this.#timeoutMs = opts.timeoutMs ?? RFC6962_DEFAULTS.timeoutMs;
    this.#maxSth = opts.maxSthBytes ?? RFC6962_DEFAULTS.maxSthBytes;
    this.#maxEntries = opts.maxEntriesBytes ?? RFC6962_DEFAULTS.maxEntriesBytes;
    this.#maxProof = opts.maxProofBytes ?? RFC6962_DEFAULTS.maxProofBytes;
    this.#batchSize = opts.batchSize ?? RFC6962_DEFAULTS.batchSize;
    this.#prefetch = opts.prefetch ?? RFC6962_DEFAULTS.prefetch;
    if (!Number.isSafeInteger(this.#batchSize) || this.#batchSize < 1) {
      throw new RangeError(`batchSize must be a positive integer, got ${this.#batchSize}`);
    }
    if (!Number.isSafeInteger(this.#prefetch) || this.#prefetch < 1) {
      throw new RangeError(`prefetch must be a positive integer, got ${this.#prefetch}`);
    }
  }

  /** Request counters of this log. */
  get stats(): PoliteStats {
    return this.#http.stats;
  }

  close(): void {
    this.#http.destroy();
  }

  async head(): Promise<Fetched<TreeHead>> {
    const r = await this.#json(
      "ct/v1/get-sth",
      this.#maxSth,
      undefined,
      (j): Read<{ head: TreeHead; sig: Buffer }> => {
        if (!isRecord(j))
          return { kind: "misbehaving", reason: "sth-malformed", error: "get-sth: not a JSON object" };
        const root = base64(j.sha256_root_hash);
        const sig = base64(j.tree_head_signature);
        if (!safeInt(j.tree_size) || !safeInt(j.timestamp) || root === null || sig === null) {
          return {
            kind: "misbehaving",
            reason: "sth-malformed",
            error:
              "get-sth: tree_size, timestamp, sha256_root_hash or tree_head_signature is missing or invalid",
          };
        }
        const head: TreeHead = { size: j.tree_size, rootHash: root, timestamp: j.timestamp };
        const shape = treeHeadError(head);
        if (shape !== null)
          return { kind: "misbehaving", reason: "sth-malformed", error: `get-sth: ${shape}` };
        return { kind: "ok", value: { head, sig } };
      },
    );
    if (r.kind !== "ok") return r;
    const err = verifyTreeHeadSignature(r.value.head, r.value.sig, this.#key);
    if (err !== null) return misbehaving("sth-signature", `get-sth from ${this.url}: ${err}`);
    return ok(r.value.head);
  }

  async frontierAt(head: TreeHead): Promise<Fetched<Frontier>> {
    const shape = treeHeadError(head);
    if (shape !== null) throw new RangeError(`frontierAt: ${shape}`);
    if (head.size === 0) {
      return hashesEqual(head.rootHash, EMPTY_ROOT)
        ? ok(Frontier.empty())
        : misbehaving("proof", "a signed head of size 0 whose root is not the empty tree hash");
    }
    // The audit path of the last leaf of a tree is made of left siblings only: the compact range of the
    // leaves before it, smallest first. When that leaf's hash also occurs earlier (get-proof-by-hash then
    // answers for the earlier index), step back one leaf and append the ones after it.
    const leaves: Buffer[] = [];
    const lowest = Math.max(0, head.size - DUPLICATE_LEAF_TRIES);
    for (let i = head.size - 1; i >= lowest; i--) {
      const got = await this.#range(i, i + 1, undefined);
      if (got.kind !== "ok") return got;
      const entry = got.value[0] as RawEntry;
      const h = leafHash(entry.leafInput);
      leaves.unshift(h);
      const proof = await this.#proofByHash(h, i + 1);
      if (proof.kind !== "ok") return proof;
      if (proof.value.index > i) {
        return misbehaving(
          "proof",
          `get-proof-by-hash put leaf ${i} at ${proof.value.index} in a tree of ${i + 1}`,
        );
      }
      if (proof.value.index < i) continue;
      let f: Frontier;
      try {
        f = Frontier.fromJSON({ size: i, hashes: proof.value.path.map((p) => p.toString("hex")).reverse() });
      } catch (e) {
        return misbehaving(
          "proof",
          `the audit path of leaf ${i} has the wrong shape: ${(e as Error).message}`,
        );
      }
      for (const l of leaves) f.append(l);
      if (!hashesEqual(f.root(), head.rootHash)) {
        return misbehaving(
          "proof",
          `the audit path of leaf ${i} does not lead to the signed root of the tree of ${head.size}`,
        );
      }
      return ok(f);
    }
    return unavailable(
      `the last ${head.size - lowest} leaves of the tree of ${head.size} all share their hash with earlier leaves`,
    );
  }

  async verifyConsistency(older: TreeHead, newer: TreeHead): Promise<Fetched<void>> {
    const settled = settleConsistency(older, newer, "signed heads");
    if (settled.kind !== "prove") return settled;
    const { older: a, newer: b } = settled;
    const r = await this.#json(
      `ct/v1/get-sth-consistency?first=${a.size}&second=${b.size}`,
      this.#maxProof,
      undefined,
      (j): Read<Buffer[]> => {
        const path = isRecord(j) ? hashList(j.consistency) : null;
        return path === null
          ? {
              kind: "misbehaving",
              reason: "consistency",
              error: "get-sth-consistency: no valid consistency list",
            }
          : { kind: "ok", value: path };
      },
    );
    if (r.kind !== "ok") return r;
    if (!verifyConsistency(a.size, b.size, a.rootHash, b.rootHash, r.value)) {
      return misbehaving(
        "consistency",
        `the consistency proof from ${a.size} to ${b.size} does not verify: the log is not append-only`,
      );
    }
    return ok(undefined);
  }

  entries(start: number, end: number): AsyncIterable<RawEntry[]> {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || start > end) {
      throw new RangeError(`entries: [${start}, ${end}) is not a range of entry indices`);
    }
    return this.#entries(start, end);
  }

  async *#entries(start: number, end: number): AsyncGenerator<RawEntry[]> {
    const stop = new AbortController();
    const ahead: Promise<Fetched<RawEntry[]>>[] = [];
    let next = start;
    const schedule = (): void => {
      while (ahead.length < this.#prefetch && next < end) {
        const s = next;
        next = Math.min(end, s + this.#batchSize);
        ahead.push(this.#range(s, next, stop.signal));
      }
    };
    try {
      schedule();
      for (let p = ahead.shift(); p !== undefined; p = ahead.shift()) {
        const r = await p;
        if (r.kind !== "ok") throw new CtFetchError(r);
        schedule();
        yield r.value;
      }
    } finally {
      stop.abort();
    }
  }

  /** Entries [start, end), complete, with as many get-entries calls as the log needs. */
  async #range(start: number, end: number, signal: AbortSignal | undefined): Promise<Fetched<RawEntry[]>> {
    let out: RawEntry[] = [];
    for (let pos = start; pos < end;) {
      const r = await this.#getEntries(pos, end, signal);
      if (r.kind !== "ok") return r;
      out = out.length === 0 ? r.value : out.concat(r.value);
      pos += r.value.length;
    }
    return ok(out);
  }

  /** One get-entries call: between 1 and end - start entries from `start`. */
  #getEntries(start: number, end: number, signal: AbortSignal | undefined): Promise<Fetched<RawEntry[]>> {
    const asked = end - start;
    const counted = (list: RawEntry[]): Read<RawEntry[]> => {
      if (list.length === 0) return { kind: "retry", error: `get-entries from ${start}: no entries` };
      if (list.length > asked) {
        return {
          kind: "retry",
          error: `get-entries from ${start}: ${list.length} entries for ${asked} asked`,
        };
      }
      return { kind: "ok", value: list };
    };
    return this.#json(
      `ct/v1/get-entries?start=${start}&end=${end - 1}`,
      this.#maxEntries,
      signal,
      (j): Read<RawEntry[]> => {
        const list = isRecord(j) ? j.entries : undefined;
        if (!Array.isArray(list)) return { kind: "retry", error: "get-entries: no entries list" };
        if (list.length > asked) return counted(list as RawEntry[]);
        const out: RawEntry[] = new Array<RawEntry>(list.length);
        for (let i = 0; i < list.length; i++) {
          const e: unknown = list[i];
          const leafInput = isRecord(e) ? base64(e.leaf_input) : null;
          const extraData = isRecord(e) ? base64(e.extra_data) : null;
          if (leafInput === null || extraData === null) {
            return {
              kind: "retry",
              error: `get-entries: entry ${start + i} has no valid leaf_input/extra_data`,
            };
          }
          out[i] = { index: start + i, leafInput, extraData };
        }
        return counted(out);
      },
      (body) => {
        const list = scanEntries(body, start);
        return list === null ? null : counted(list);
      },
    );
  }

  async #proofByHash(hash: Buffer, treeSize: number): Promise<Fetched<{ index: number; path: Buffer[] }>> {
    const q = encodeURIComponent(hash.toString("base64"));
    return this.#json(
      `ct/v1/get-proof-by-hash?hash=${q}&tree_size=${treeSize}`,
      this.#maxProof,
      undefined,
      (j): Read<{ index: number; path: Buffer[] }> => {
        const path = isRecord(j) ? hashList(j.audit_path) : null;
        if (!isRecord(j) || !safeInt(j.leaf_index) || path === null) {
          return {
            kind: "misbehaving",
            reason: "proof",
            error: "get-proof-by-hash: no valid leaf_index/audit_path",
          };
        }
        return { kind: "ok", value: { index: j.leaf_index, path } };
      },
    );
  }

  /** GET a JSON endpoint: non-200 → unavailable, unparseable → retried then unavailable, else `read`. */
  async #json<T>(
    path: string,
    maxBytes: number,
    signal: AbortSignal | undefined,
    read: (json: unknown) => Read<T>,
    fast?: (body: Buffer) => Read<T> | null,
  ): Promise<Fetched<T>> {
    const url = this.url + path;
    const r = await this.#http.request<Fetched<T>>(
      url,
      {
        timeoutMs: this.#timeoutMs,
        maxBytes,
        headers: { accept: "application/json" },
        ...(signal !== undefined ? { signal } : {}),
      },
      (res) => {
        if (res.status !== 200) {
          const text = res.body.subarray(0, 200).toString("utf8").replace(/\s+/g, " ").trim();
          return {
            kind: "ok",
            value: unavailable(`HTTP ${res.status} from ${url}${text ? `: ${text}` : ""}`),
          };
        }
        let v = fast?.(res.body) ?? null;
        if (v === null) {
          let json: unknown;
          try {
            json = JSON.parse(res.body.toString("utf8"));
          } catch (e) {
            return { kind: "retry", error: `${url}: the answer is not JSON (${(e as Error).message})` };
          }
          v = read(json);
        }
        if (v.kind === "retry") return { kind: "retry", error: `${url}: ${v.error}` };
        return {
          kind: "ok",
          value: v.kind === "ok" ? ok(v.value) : misbehaving(v.reason, `${url}: ${v.error}`),
        };
      },
    );
    return r.kind === "ok" ? r.value : unavailable(r.error);
  }
}

/**
 * An entry whose extra_data (two thirds of the bytes) is decoded only when asked: a follower needs the
 * chain of the few entries that name a watched domain. The leaf is decoded and checked at once, since it
 * is hashed into the tree.
 */
class LazyEntry implements RawEntry {
  #extra: Buffer | null = null;
  constructor(
    readonly index: number,
    readonly leafInput: Buffer,
    private body: Buffer | null,
    private readonly from: number,
    private readonly to: number,
  ) {}

  get extraData(): Buffer {
    if (this.#extra === null) {
      const text = (this.body as Buffer).toString("latin1", this.from, this.to);
      // Garbage here is not the tree's business: it surfaces as an unparseable chain for this entry.
      this.#extra = base64(text) ?? Buffer.from(text, "base64");
      this.body = null;
    }
    return this.#extra;
  }
}

const ENTRIES_OPEN = Buffer.from('{"entries":[');
const LEAF_OPEN = Buffer.from('{"leaf_input":"');
const EXTRA_OPEN = Buffer.from('","extra_data":"');
const QUOTE = 0x22;
const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

function at(body: Buffer, pos: number, token: Buffer): boolean {
  return (
    pos + token.length <= body.length && body.compare(token, 0, token.length, pos, pos + token.length) === 0
  );
}

/**
 * The get-entries answer as logs lay it out (`{"entries":[{"leaf_input":"…","extra_data":"…"},…]}`, no
 * spaces, these keys in this order), read without JSON.parse and without decoding the body as a whole: the
 * hot path of following a log. null for any other layout (spaces, other keys, escapes, trailing garbage),
 * which then goes through JSON.parse and its checks.
 */
export function scanEntries(body: Buffer, start: number): RawEntry[] | null {
  if (!at(body, 0, ENTRIES_OPEN)) return null;
  let pos = ENTRIES_OPEN.length;
  const out: RawEntry[] = [];
  if (body[pos] !== CLOSE_BRACKET) {
    for (;;) {
      if (!at(body, pos, LEAF_OPEN)) return null;
      const a = pos + LEAF_OPEN.length;
      const b = body.indexOf(QUOTE, a);
      if (b < 0 || !at(body, b, EXTRA_OPEN)) return null;
      const c = b + EXTRA_OPEN.length;
      const d = body.indexOf(QUOTE, c);
      if (d < 0 || body[d + 1] !== CLOSE_BRACE) return null;
      const leafInput = base64(body.toString("latin1", a, b));
      if (leafInput === null || (d - c) % 4 !== 0) return null;
      out.push(new LazyEntry(start + out.length, leafInput, body, c, d));
      pos = d + 2;
      if (body[pos] === COMMA) {
        pos++;
        continue;
      }
      if (body[pos] !== CLOSE_BRACKET) return null;
      break;
    }
  }
  if (body[pos + 1] !== CLOSE_BRACE) return null;
  for (let i = pos + 2; i < body.length; i++) {
    const ch = body[i];
    if (ch !== 0x0a && ch !== 0x0d && ch !== 0x20 && ch !== 0x09) return null;
  }
  return out;
}

/** A JSON list of base64 32-byte hashes, or null. */
function hashList(v: unknown): Buffer[] | null {
  if (!Array.isArray(v) || v.length > 64) return null;
  const out: Buffer[] = [];
  for (const x of v) {
    const b = base64(x);
    if (b === null || b.length !== HASH_SIZE) return null;
    out.push(b);
  }
  return out;
}

/** A client for one RFC 6962 log; throws on unusable options. */
export function createRfc6962Client(opts: Rfc6962ClientOptions): Rfc6962LogClient {
  return new Rfc6962LogClient(opts);
}
