/**
 * @module sources/ct/static-ct-client
 * A client for Static CT API logs (checkpoint, hash and data tiles, issuers): verified checkpoints,
 * frontiers and consistency computed from hash tiles, partial-tile fallback, and issuers checked and cached.
 */
import { createHash } from "node:crypto";
import { verifyCheckpoint, MAX_CHECKPOINT_BYTES } from "./checkpoint.js";
import {
  logBaseUrl,
  misbehaving,
  ok,
  unavailable,
  type CommonClientOptions,
  type CtFetchFailure,
  type CtMisbehaviour,
  type Fetched,
  type StaticCtClient,
  settleConsistency,
} from "./log-client.js";
import { Frontier, HASH_SIZE, hashesEqual, nodeHash, splitPoint, verifyConsistency } from "./merkle.js";
import { PoliteHttp, type PoliteStats } from "./polite-http.js";
import { logKeyFromSpki, treeHeadError, type LogKey, type TreeHead } from "./tree-head.js";

export interface StaticCtClientOptions extends CommonClientOptions {
  /** The monitoring prefix (the log list's `monitoring_url`), e.g. `https://ct.example.com/2025h1/`. */
  monitoringUrl: string;
  /** The checkpoint origin line (default: the monitoring URL without its scheme and trailing slashes). */
  origin?: string;
  /** Cap for the checkpoint (default 128 KiB). */
  maxCheckpointBytes?: number;
  /** Cap for one data tile, decoded (default 16 MiB). */
  maxTileBytes?: number;
  /** Cap for one issuer certificate (default 64 KiB). */
  maxIssuerBytes?: number;
  /** Issuers kept in memory, least recently used dropped first (default 1000). */
  issuerCacheSize?: number;
  /**
   * Check consistency between two checkpoints with a proof computed from the newer tree's hash tiles (default
   * true: a few tile fetches); when false, verifyConsistency only compares equal-size heads.
   */
  consistencyFromTiles?: boolean;
}

export const STATIC_CT_DEFAULTS = {
  timeoutMs: 30_000,
  maxCheckpointBytes: MAX_CHECKPOINT_BYTES,
  maxTileBytes: 16 * 1024 * 1024,
  maxIssuerBytes: 64 * 1024,
  issuerCacheSize: 1000,
} as const;

const TILE_WIDTH = 256;
const TILE_HEIGHT = 8;
const MAX_LEVEL = 5;

/** `<N>` of a tile path: 3-digit elements, all but the last prefixed with `x` (1234067 → `x001/x234/067`). */
export function tileIndexPath(n: number): string {
  const parts: string[] = [];
  let x = n;
  do {
    parts.unshift(String(x % 1000).padStart(3, "0"));
    x = Math.floor(x / 1000);
  } while (x > 0);
  return parts.map((p, i) => (i < parts.length - 1 ? `x${p}` : p)).join("/");
}

/** `tile/<L>/<N>[.p/<W>]` or `tile/data/<N>[.p/<W>]`; a width of 256 is a full tile. */
export function tilePath(level: number | "data", n: number, width = TILE_WIDTH): string {
  return `tile/${level}/${tileIndexPath(n)}${width < TILE_WIDTH ? `.p/${width}` : ""}`;
}

/** The checkpoint origin a monitoring URL implies: no scheme, no trailing slash. */
export function defaultOrigin(monitoringUrl: string): string {
  return monitoringUrl.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").replace(/\/+$/, "");
}

/** A perfect subtree: 2^height leaves from `start` (a multiple of 2^height). */
interface Node {
  start: number;
  height: number;
}

/** The perfect subtrees of the compact range [0, size), largest first. */
function compactRange(size: number): Node[] {
  const out: Node[] = [];
  let start = 0;
  for (let h = Math.floor(Math.log2(Math.max(1, size))) + 1; h >= 0; h--) {
    const n = 2 ** h;
    if (start + n <= size) {
      out.push({ start, height: h });
      start += n;
    }
  }
  return out;
}

/** The perfect subtrees MTH(D[lo:hi]) needs, by RFC 6962's split (left parts are always perfect). */
function rangeNodes(lo: number, hi: number, out: Node[]): void {
  const n = hi - lo;
  if (n === 0) return;
  const h = Math.round(Math.log2(n));
  if (2 ** h === n && lo % n === 0) {
    out.push({ start: lo, height: h });
    return;
  }
  const k = splitPoint(n);
  rangeNodes(lo, lo + k, out);
  rangeNodes(lo + k, hi, out);
}

/** The ranges [lo, hi) whose hashes make PROOF(m, D[0:n]) (RFC 6962 §2.1.2), in proof order. */
function consistencyRanges(m: number, n: number): [number, number][] {
  const out: [number, number][] = [];
  const sub = (m: number, lo: number, hi: number, b: boolean): void => {
    const size = hi - lo;
    if (m === size) {
      if (!b) out.push([lo, hi]);
      return;
    }
    const k = splitPoint(size);
    if (m <= k) {
      sub(m, lo, lo + k, b);
      out.push([lo + k, hi]);
    } else {
      sub(m - k, lo + k, hi, false);
      out.push([lo, lo + k]);
    }
  };
  sub(m, 0, n, true);
  return out;
}

type Failure = CtFetchFailure | CtMisbehaviour;

/** Reads perfect-subtree hashes of one tree size from hash tiles, each tile fetched once. */
class TileReader {
  readonly #tiles = new Map<string, Promise<Fetched<Buffer>>>();

  constructor(
    private readonly size: number,
    private readonly fetchTile: (level: number, n: number, width: number) => Promise<Fetched<Buffer>>,
  ) {}

  /** Fetches (in parallel) every tile the nodes need; the first failure, or null. */
  async prefetch(nodes: readonly Node[]): Promise<Failure | null> {
    const all = await Promise.all(nodes.map((n) => this.#tileOf(n)));
    for (const r of all) if (r.kind !== "ok") return r;
    return null;
  }

  /** The hash of a perfect subtree (its tile prefetched and ok). */
  async node(node: Node): Promise<Fetched<Buffer>> {
    const t = await this.#tileOf(node);
    if (t.kind !== "ok") return t;
    const level = Math.min(MAX_LEVEL, Math.floor(node.height / TILE_HEIGHT));
    const span = TILE_WIDTH ** level;
    const first = (node.start / span) % TILE_WIDTH;
    const count = 2 ** (node.height - TILE_HEIGHT * level);
    let row: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      row.push(t.value.subarray((first + i) * HASH_SIZE, (first + i + 1) * HASH_SIZE));
    }
    while (row.length > 1) {
      const up: Buffer[] = [];
      for (let i = 0; i < row.length; i += 2) up.push(nodeHash(row[i] as Buffer, row[i + 1] as Buffer));
      row = up;
    }
    return ok(Buffer.from(row[0] as Buffer));
  }

  #tileOf(node: Node): Promise<Fetched<Buffer>> {
    const level = Math.min(MAX_LEVEL, Math.floor(node.height / TILE_HEIGHT));
    if (node.height - TILE_HEIGHT * level >= TILE_HEIGHT) {
      return Promise.resolve(unavailable(`a subtree of height ${node.height} is beyond the tile levels`));
    }
    const span = TILE_WIDTH ** level;
    const n = Math.floor(node.start / span / TILE_WIDTH);
    const width = Math.min(TILE_WIDTH, Math.floor(this.size / span) - n * TILE_WIDTH);
    const key = `${level}/${n}`;
    let p = this.#tiles.get(key);
    if (p === undefined) {
      p = this.fetchTile(level, n, width);
      this.#tiles.set(key, p);
    }
    return p;
  }
}

export class StaticCtLogClient implements StaticCtClient {
  readonly protocol = "static-ct" as const;
  readonly url: string;
  readonly origin: string;
  readonly #key: LogKey;
  readonly #http: PoliteHttp;
  readonly #timeoutMs: number;
  readonly #maxCheckpoint: number;
  readonly #maxTile: number;
  readonly #maxIssuer: number;
  readonly #issuerCacheSize: number;
  readonly #consistencyFromTiles: boolean;
  readonly #issuers = new Map<string, Buffer>();
  readonly #issuersInFlight = new Map<string, Promise<Fetched<Buffer>>>();

  /** Throws on unusable options (URL, key). */
  constructor(opts: StaticCtClientOptions) {
    this.url = logBaseUrl(opts.monitoringUrl);
    this.origin = opts.origin ?? defaultOrigin(opts.monitoringUrl);
    this.#key = logKeyFromSpki(opts.publicKey);
    this.#http = new PoliteHttp(opts.politeness ?? {});
    this.#timeoutMs = opts.timeoutMs ?? STATIC_CT_DEFAULTS.timeoutMs;
    this.#maxCheckpoint = opts.maxCheckpointBytes ?? STATIC_CT_DEFAULTS.maxCheckpointBytes;
    this.#maxTile = opts.maxTileBytes ?? STATIC_CT_DEFAULTS.maxTileBytes;
    this.#maxIssuer = opts.maxIssuerBytes ?? STATIC_CT_DEFAULTS.maxIssuerBytes;
    this.#issuerCacheSize = Math.max(0, opts.issuerCacheSize ?? STATIC_CT_DEFAULTS.issuerCacheSize);
    this.#consistencyFromTiles = opts.consistencyFromTiles ?? true;
  }

  /** Request counters of this log. */
  get stats(): PoliteStats {
    return this.#http.stats;
  }

  close(): void {
    this.#http.destroy();
  }

  async head(): Promise<Fetched<TreeHead>> {
    const url = `${this.url}checkpoint`;
    const r = await this.#http.request<Fetched<TreeHead>>(
      url,
      {
        timeoutMs: this.#timeoutMs,
        maxBytes: this.#maxCheckpoint,
        headers: { accept: "text/plain", "cache-control": "no-cache" },
      },
      (res) => {
        if (res.status !== 200) return { kind: "ok", value: unavailable(`HTTP ${res.status} from ${url}`) };
        const v = verifyCheckpoint(res.body, {
          key: this.#key,
          origin: this.origin,
          maxBytes: this.#maxCheckpoint,
        });
        switch (v.kind) {
          case "ok":
            return { kind: "ok", value: ok(v.head) };
          // A garbled note may be a proxy's doing: asked again before it counts against the log.
          case "malformed":
            return { kind: "retry", error: `${url}: ${v.error}` };
          case "origin":
            return { kind: "ok", value: misbehaving("checkpoint-origin", `${url}: ${v.error}`) };
          case "signature":
            return { kind: "ok", value: misbehaving("sth-signature", `${url}: ${v.error}`) };
        }
      },
    );
    if (r.kind === "ok") return r.value;
    return r.reason === "bad-response" ? misbehaving("checkpoint", r.error) : unavailable(r.error);
  }

  async frontierAt(head: TreeHead): Promise<Fetched<Frontier>> {
    const shape = treeHeadError(head);
    if (shape !== null) throw new RangeError(`frontierAt: ${shape}`);
    const r = await this.#frontier(
      head.size,
      new TileReader(head.size, (l, n, w) => this.#hashTile(l, n, w)),
    );
    if (r.kind !== "ok") return r;
    if (!hashesEqual(r.value.root(), head.rootHash)) {
      return misbehaving(
        "hash-tile",
        `the hash tiles of the tree of ${head.size} do not reproduce its signed root`,
      );
    }
    return r;
  }

  async verifyConsistency(older: TreeHead, newer: TreeHead): Promise<Fetched<void>> {
    const settled = settleConsistency(older, newer, "signed checkpoints");
    if (settled.kind !== "prove") return settled;
    const { older: a, newer: b } = settled;
    if (!this.#consistencyFromTiles) return ok(undefined);
    const tiles = new TileReader(b.size, (l, n, w) => this.#hashTile(l, n, w));
    const ranges = consistencyRanges(a.size, b.size);
    const perRange = ranges.map(([lo, hi]) => {
      const nodes: Node[] = [];
      rangeNodes(lo, hi, nodes);
      return nodes;
    });
    const failed = await tiles.prefetch(perRange.flat());
    if (failed !== null) return failed;
    const proof: Buffer[] = [];
    for (const nodes of perRange) {
      const hashes: Buffer[] = [];
      for (const n of nodes) {
        const h = await tiles.node(n);
        if (h.kind !== "ok") return h;
        hashes.push(h.value);
      }
      // The nodes of one range are its RFC 6962 split, left to right: fold them from the right.
      let acc = hashes[hashes.length - 1] as Buffer;
      for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHash(hashes[i] as Buffer, acc);
      proof.push(acc);
    }
    if (verifyConsistency(a.size, b.size, a.rootHash, b.rootHash, proof)) return ok(undefined);
    // Tell a lying tile apart from a log that rewrote its history.
    const f = await this.#frontier(b.size, tiles);
    if (f.kind !== "ok") return f;
    if (!hashesEqual(f.value.root(), b.rootHash)) {
      return misbehaving(
        "hash-tile",
        `the hash tiles of the tree of ${b.size} do not reproduce its signed root`,
      );
    }
    return misbehaving(
      "consistency",
      `the tree of ${b.size} does not extend the signed tree of ${a.size}: the log is not append-only`,
    );
  }

  async dataTile(n: number, width: number): Promise<Fetched<Buffer>> {
    if (
      !Number.isSafeInteger(n) ||
      n < 0 ||
      !Number.isSafeInteger(width) ||
      width < 1 ||
      width > TILE_WIDTH
    ) {
      throw new RangeError(`dataTile: no tile ${n} of width ${width}`);
    }
    return this.#tile("data", n, width, this.#maxTile);
  }

  async issuer(fingerprint: Buffer): Promise<Fetched<Buffer>> {
    if (fingerprint.length !== HASH_SIZE) {
      throw new RangeError(`issuer: a fingerprint is ${HASH_SIZE} bytes, got ${fingerprint.length}`);
    }
    const hex = fingerprint.toString("hex");
    const hit = this.#issuers.get(hex);
    if (hit !== undefined) {
      this.#issuers.delete(hex);
      this.#issuers.set(hex, hit);
      return ok(hit);
    }
    let p = this.#issuersInFlight.get(hex);
    if (p === undefined) {
      p = this.#fetchIssuer(hex, fingerprint).finally(() => this.#issuersInFlight.delete(hex));
      this.#issuersInFlight.set(hex, p);
    }
    return p;
  }

  async #fetchIssuer(hex: string, fingerprint: Buffer): Promise<Fetched<Buffer>> {
    const url = `${this.url}issuer/${hex}`;
    const r = await this.#http.get(url, { timeoutMs: this.#timeoutMs, maxBytes: this.#maxIssuer });
    if (r.kind !== "ok") return unavailable(r.error);
    if (r.value.status !== 200) return unavailable(`HTTP ${r.value.status} from ${url}`);
    const der = r.value.body;
    if (!hashesEqual(createHash("sha256").update(der).digest(), fingerprint)) {
      return misbehaving("issuer", `${url} does not hash to its fingerprint`);
    }
    if (this.#issuerCacheSize > 0) {
      this.#issuers.set(hex, der);
      while (this.#issuers.size > this.#issuerCacheSize) {
        const oldest = this.#issuers.keys().next();
        if (oldest.done === true) break;
        this.#issuers.delete(oldest.value);
      }
    }
    return ok(der);
  }

  /** The compact range of [0, size) read from hash tiles (not yet checked against a root). */
  async #frontier(size: number, tiles: TileReader): Promise<Fetched<Frontier>> {
    const nodes = compactRange(size);
    const failed = await tiles.prefetch(nodes);
    if (failed !== null) return failed;
    const hashes: string[] = [];
    for (const n of nodes) {
      const h = await tiles.node(n);
      if (h.kind !== "ok") return h;
      hashes.push(h.value.toString("hex"));
    }
    return ok(Frontier.fromJSON({ size, hashes }));
  }

  /** A hash tile of exactly `width` hashes (the first `width` of the full tile when the partial one is gone). */
  async #hashTile(level: number, n: number, width: number): Promise<Fetched<Buffer>> {
    const r = await this.#tile(level, n, width, TILE_WIDTH * HASH_SIZE);
    if (r.kind !== "ok") return r;
    const body = r.value;
    if (body.length === width * HASH_SIZE) return r;
    if (width < TILE_WIDTH && body.length === TILE_WIDTH * HASH_SIZE) {
      return ok(body.subarray(0, width * HASH_SIZE));
    }
    return misbehaving(
      "hash-tile",
      `${this.url}${tilePath(level, n, width)} is ${body.length} bytes, not ${width} hashes`,
    );
  }

  /** GET a tile; a partial tile that is 404 is fetched full instead. */
  async #tile(level: number | "data", n: number, width: number, maxBytes: number): Promise<Fetched<Buffer>> {
    const paths = width < TILE_WIDTH ? [tilePath(level, n, width), tilePath(level, n)] : [tilePath(level, n)];
    let last = "";
    for (const path of paths) {
      const url = this.url + path;
      const r = await this.#http.get(url, { timeoutMs: this.#timeoutMs, maxBytes });
      if (r.kind !== "ok") return unavailable(r.error);
      if (r.value.status === 200) return ok(r.value.body);
      last = `HTTP ${r.value.status} from ${url}`;
      if (r.value.status !== 404) break;
    }
    return unavailable(last);
  }
}

/** A client for one Static CT API log; throws on unusable options. */
export function createStaticCtClient(opts: StaticCtClientOptions): StaticCtLogClient {
  return new StaticCtLogClient(opts);
}
