/**
 * @module sources/ct/log-client
 * The protocol-neutral face of a CT log (RFC 6962 or Static CT API): verified heads, frontiers, consistency,
 * and the result types that tell "try later" apart from provable misbehaviour.
 */
import { EMPTY_ROOT, hashesEqual, type Frontier } from "./merkle.js";
import { treeHeadError } from "./tree-head.js";
import type { PoliteHttpOptions } from "./polite-http.js";
import type { TreeHead } from "./tree-head.js";

export type { TreeHead } from "./tree-head.js";

/** Network, timeout, HTTP errors after retries: "try later", not misbehaviour. */
export type CtFetchFailure = { kind: "unavailable"; error: string };
/** The log served something provably wrong: bad signature, bad proof, bad tile hash, unparseable structure. */
export type CtMisbehaviour = { kind: "misbehaving"; reason: string; error: string };
export type Fetched<T> = { kind: "ok"; value: T } | CtFetchFailure | CtMisbehaviour;

/**
 * The `reason` values the clients of this directory use:
 * - `sth-signature`: the tree head signature (get-sth, or the checkpoint's log signature) is missing or wrong;
 * - `sth-malformed`: get-sth parsed as JSON but its fields are not a tree head;
 * - `checkpoint`: the checkpoint note does not parse (or has extension lines);
 * - `checkpoint-origin`: the checkpoint origin is not the expected one;
 * - `proof`: an inclusion proof (frontierAt, RFC 6962) does not lead to the signed root;
 * - `consistency`: two signed heads are not consistent;
 * - `hash-tile`: hash tiles do not reproduce the signed root (or have the wrong length);
 * - `issuer`: an issuer does not hash to its fingerprint.
 */
export type CtMisbehaviourReason =
  | "sth-signature"
  | "sth-malformed"
  | "checkpoint"
  | "checkpoint-origin"
  | "proof"
  | "consistency"
  | "hash-tile"
  | "issuer";

/** An RFC 6962 entry as served by get-entries (`extraData` may be decoded only when first read). */
export interface RawEntry {
  readonly index: number;
  readonly leafInput: Buffer;
  readonly extraData: Buffer;
}

export interface LogClient {
  readonly protocol: "rfc6962" | "static-ct";
  /** Current tree head with its signature verified against the log key (a bad signature → misbehaving "sth-signature"). */
  head(): Promise<Fetched<TreeHead>>;
  /** The compact range (merkle.ts Frontier) of the first head.size entries, proven against head.rootHash. Used to start following at the end of a log without downloading it. */
  frontierAt(head: TreeHead): Promise<Fetched<Frontier>>;
  /** Proof that `older` is a prefix of `newer` when the protocol offers one cheaply (RFC 6962 get-sth-consistency); static-ct may return ok without a network call if it cannot. */
  verifyConsistency(older: TreeHead, newer: TreeHead): Promise<Fetched<void>>;
}

export interface Rfc6962Client extends LogClient {
  readonly protocol: "rfc6962";
  /**
   * Entries [start, end): calls get-entries as many times as needed, since servers may return fewer entries
   * than asked; an answer with 0 entries, more than asked, or malformed JSON/base64 → unavailable after
   * retries (a truncated body is a network error). Yields in order, complete batches only. A failure ends
   * the iteration by throwing a {@link CtFetchError}.
   */
  entries(start: number, end: number): AsyncIterable<RawEntry[]>;
}

export interface StaticCtClient extends LogClient {
  readonly protocol: "static-ct";
  /**
   * Raw data tile bytes (already gunzipped) for tile n; width < 256 → partial tile path `.p/<width>`; falls
   * back to the full tile if the partial one is 404 (the log may have completed it) — the bytes then hold all
   * 256 entries, of which the first `width` are the ones asked for.
   */
  dataTile(n: number, width: number): Promise<Fetched<Buffer>>;
  /** issuer/<hex fingerprint> bytes, verified to hash to the fingerprint (else misbehaving), cached (bounded LRU). */
  issuer(fingerprint: Buffer): Promise<Fetched<Buffer>>;
}

/** What an iteration (`entries()`) throws when it cannot go on. */
export class CtFetchError extends Error {
  constructor(readonly failure: CtFetchFailure | CtMisbehaviour) {
    super(failure.error);
    this.name = "CtFetchError";
  }
}

/** Options shared by both clients. */
export interface CommonClientOptions {
  /** The log's public key: SubjectPublicKeyInfo DER (the log list's base64 `key`, decoded). */
  publicKey: Uint8Array;
  /** Deadline of one request (default 30 s). */
  timeoutMs?: number;
  /** Politeness towards this log (see polite-http; defaults there). `client` may be shared. */
  politeness?: PoliteHttpOptions;
}

export const unavailable = (error: string): CtFetchFailure => ({ kind: "unavailable", error });
export const misbehaving = (reason: CtMisbehaviourReason, error: string): CtMisbehaviour => ({
  kind: "misbehaving",
  reason,
  error,
});
export const ok = <T>(value: T): { kind: "ok"; value: T } => ({ kind: "ok", value });

/** `url` with exactly one trailing slash, so that relative paths resolve under it; throws when not http(s). */
export function logBaseUrl(url: string): string {
  const u = new URL(url);
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new TypeError(`a CT log URL must be http(s), got ${url}`);
  }
  u.search = "";
  u.hash = "";
  return u.href.replace(/\/*$/, "/");
}

/**
 * The part of a consistency check that needs no proof: orders the two heads (smaller first) and settles
 * equal sizes and the empty tree. Throws RangeError on a
 * malformed head (a programming error). `noun` names the heads in messages ("signed heads", "checkpoints").
 * When a proof is needed the result is `prove`, with the heads in size order.
 */
export function settleConsistency(
  older: TreeHead,
  newer: TreeHead,
  noun: string,
): Fetched<void> | { kind: "prove"; older: TreeHead; newer: TreeHead } {
  for (const h of [older, newer]) {
    const shape = treeHeadError(h);
    if (shape !== null) throw new RangeError(`verifyConsistency: ${shape}`);
  }
  const [a, b] = older.size <= newer.size ? [older, newer] : [newer, older];
  if (a.size === b.size) {
    return hashesEqual(a.rootHash, b.rootHash)
      ? ok(undefined)
      : misbehaving("consistency", `two ${noun} of size ${a.size} with different roots`);
  }
  if (a.size === 0) {
    return hashesEqual(a.rootHash, EMPTY_ROOT)
      ? ok(undefined)
      : misbehaving(
          "consistency",
          `a ${noun.replace(/s$/, "")} of size 0 whose root is not the empty tree hash`,
        );
  }
  return { kind: "prove", older: a, newer: b };
}
