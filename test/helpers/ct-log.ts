/**
 * @module test/helpers/ct-log
 * A real local Certificate Transparency log for tests (127.0.0.1, port 0, ECDSA P-256): RFC 6962 and Static CT API, with faults.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { gzipSync } from "node:zlib";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Frontier, consistencyProof, inclusionProof, leafHash, rootOf } from "../../src/sources/ct/merkle.js";
import {
  answerConsistency,
  checkpointNote,
  intParam,
  listenLoopback,
  sendBadRequest,
  sendCheckpoint,
  sendJson,
  staticCtResource,
  tileIndexPath,
} from "./ct-log-http.js";

/** LogEntryType (RFC 6962 §3.1). */
export const X509_ENTRY = 0;
export const PRECERT_ENTRY = 1;

/** One logged entry, as the log stores and serves it. */
export interface CtLogEntry {
  /** The MerkleTreeLeaf bytes (`leaf_input`). */
  leafInput: Buffer;
  /** `extra_data`: the chain (x509) or PrecertChainEntry (precert). */
  extraData: Buffer;
  /** The Static CT API TileLeaf bytes of this entry (data tiles). */
  tileLeaf: Buffer;
  timestamp: number;
}

/** A signed tree head as published (and as served by `get-sth`, unless a fault changes it). */
export interface CtSth {
  treeSize: number;
  timestamp: number;
  rootHash: Buffer;
  /** The DigitallySigned struct (hash sha256 = 4, signature ecdsa = 3, 2-byte length, DER signature). */
  signature: Buffer;
}

export interface CtLogFaults {
  /** `get-sth` and `/checkpoint` serve a signature with one bit flipped. */
  badSthSignature?: boolean;
  /** `get-sth` and `/checkpoint` serve a root that the entries do not produce, correctly signed (a log lying about its tree). */
  wrongRoot?: boolean;
  /**
   * `get-entries` and data tile bodies are cut off halfway (the declared Content-Length is not reached; the
   * socket is closed).
   */
  truncateEntries?: boolean;
  /** Level-0 hash tiles are served with one bit of their first hash flipped. */
  corruptHashTile?: boolean;
  /** The next `count` requests (to any endpoint, or only to paths containing `path`) get `status` (429 by default). */
  failNext?: { count: number; status?: number; retryAfter?: string; path?: string };
  /**
   * A fixed-window rate limit, as a log's front end applies one: at most `perWindow` requests (to paths
   * containing `path`, when given) are served in each window of `windowMs` (server clock, windows counted
   * from the first such request); the others get 429 with a Retry-After of the seconds left in the window,
   * rounded up. Every request is recorded in `arrivals`.
   */
  rateLimit?: { perWindow: number; windowMs: number; path?: string };
}

/** A request as the log saw it arrive (`performance.now()` of the log's process). */
export interface CtLogArrival {
  readonly path: string;
  readonly at: number;
  /** Refused by the `rateLimit` fault. */
  readonly throttled: boolean;
}

export interface CtLogOptions {
  /** The most entries one `get-entries` answer holds (real logs cap batches; default 256). */
  maxBatch?: number;
  /** Publish a new STH after every add (default true); when false, call `publish()`. */
  autoPublish?: boolean;
  /** Clock for timestamps (ms). */
  now?: () => number;
  /**
   * Also serve the Static CT API read path (`/checkpoint`, `/tile/…`, `/issuer/…`) under the same prefix.
   * Entries then carry the `leaf_index` CtExtension the API requires (unless `extensions` is given).
   */
  staticApi?: {
    /** Checkpoint origin line (default `127.0.0.1:<port>`, the schema-less URL of the log). */
    origin?: string;
    /** Send data tiles (and hash tiles) with `Content-Encoding: gzip`, without negotiation (default false). */
    gzip?: boolean;
  };
}

export interface AddOptions {
  /** Timestamp of the TimestampedEntry (ms); `now()` by default. */
  timestamp?: number;
  /** CtExtensions bytes (empty by default). */
  extensions?: Uint8Array;
}

export interface CtLog {
  /** `http://127.0.0.1:<port>/` — the log's URL, as in the v3 log list (`url`, and for tiled logs `monitoring_url`). */
  readonly url: string;
  /** The checkpoint origin (Static CT API), `127.0.0.1:<port>` by default. */
  readonly origin: string;
  /** Log ID: SHA-256 of the public key's SubjectPublicKeyInfo DER. */
  readonly logId: Buffer;
  /** SubjectPublicKeyInfo DER of the signing key (`key` in the log list is its base64). */
  readonly publicKeyDer: Buffer;
  readonly publicKey: KeyObject;
  readonly maxBatch: number;
  /** Mutable: set or clear faults at any time. */
  faults: CtLogFaults;
  /** Every request path (with query) in arrival order. */
  readonly requests: string[];
  /** Every request with its arrival time, in arrival order. */
  readonly arrivals: CtLogArrival[];
  /** Entries added so far (published or not). */
  readonly size: number;
  /** The latest published STH (tree size 0 before the first publication). */
  readonly sth: CtSth;
  /** Appends an X509 entry; returns its index. */
  addX509(certDer: Uint8Array, chain?: readonly Uint8Array[], opts?: AddOptions): number;
  /**
   * Appends a precert entry: `tbsDer` is the TBSCertificate (poison removed), `issuerKeyHash` the SHA-256 of
   * the issuer's SPKI. `extra_data` is a PrecertChainEntry of `precertificate` (the poisoned precertificate
   * DER; `tbsDer` when not given) and `chain`.
   */
  addPrecert(
    tbsDer: Uint8Array,
    issuerKeyHash: Uint8Array,
    chain?: readonly Uint8Array[],
    opts?: AddOptions & { precertificate?: Uint8Array },
  ): number;
  /** Appends raw bytes as a leaf (for malformed entries): they are hashed into the tree like any other. */
  addRaw(leafInput: Uint8Array, extraData?: Uint8Array, timestamp?: number): number;
  /** Signs a tree head over every entry added so far and serves it. */
  publish(): CtSth;
  /** The signed note served at `/checkpoint` for the current head (faults applied). */
  checkpoint(): string;
  /**
   * Replaces entry `index` and re-publishes: the log now shows a different history, consistent with itself
   * but not with heads published before.
   */
  rewrite(index: number, certDer: Uint8Array): void;
  /** The Merkle root of the first `size` entries (all by default). */
  rootAt(size?: number): Buffer;
  /** The leaf hash of entry `index`. */
  leafHashAt(index: number): Buffer;
  close(): Promise<void>;
}

// --- TLS presentation-language encoding (RFC 5246 §4) -----------------------------------------------

function u8(n: number): Buffer {
  return Buffer.from([n]);
}
function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
function u24(n: number): Buffer {
  if (n >= 2 ** 24) throw new RangeError("opaque<..2^24-1> too long");
  return Buffer.from([(n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}
function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}
/** opaque<1..2^24-1> */
function opaque24(d: Uint8Array): Buffer {
  return Buffer.concat([u24(d.length), d]);
}
function chain24(chain: readonly Uint8Array[]): Buffer {
  return opaque24(Buffer.concat(chain.map(opaque24)));
}

/** MerkleTreeLeaf (RFC 6962 §3.4): version v1, leaf type timestamped_entry, then the TimestampedEntry. */
export function encodeMerkleTreeLeaf(
  timestamp: number,
  entry:
    | { type: "x509"; certDer: Uint8Array }
    | { type: "precert"; issuerKeyHash: Uint8Array; tbsDer: Uint8Array },
  extensions: Uint8Array = Buffer.alloc(0),
): Buffer {
  const signed =
    entry.type === "x509"
      ? Buffer.concat([u16(X509_ENTRY), opaque24(entry.certDer)])
      : Buffer.concat([u16(PRECERT_ENTRY), checkKeyHash(entry.issuerKeyHash), opaque24(entry.tbsDer)]);
  return Buffer.concat([u8(0), u8(0), u64(timestamp), signed, u16(extensions.length), extensions]);
}

function checkKeyHash(h: Uint8Array): Uint8Array {
  if (h.length !== 32) throw new RangeError(`issuer_key_hash is 32 bytes, got ${h.length}`);
  return h;
}

/** The `leaf_index` CtExtension of the Static CT API: type 0, 5-byte big-endian index (8 bytes in all). */
export function leafIndexExtension(index: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(0, 0);
  b.writeUInt16BE(5, 1);
  b.writeUIntBE(index, 3, 5);
  return b;
}

export { tileIndexPath };

/** `tile/<L>/<N>[.p/<W>]` or `tile/data/<N>[.p/<W>]` (no leading slash); `width` 256 or absent means a full tile. */
export function tilePath(level: number | "data", n: number, width?: number): string {
  const partial = width !== undefined && width < 256 ? `.p/${width}` : "";
  return `tile/${level}/${tileIndexPath(n)}${partial}`;
}

/** Key ID of an RFC 6962 note signature: SHA-256(name || 0x0A || 0x05 || LogID)[:4]. */
export function noteKeyId(name: string, logId: Uint8Array): Buffer {
  return createHash("sha256")
    .update(Buffer.from(`${name}\n`, "utf8"))
    .update(Buffer.from([0x05]))
    .update(logId)
    .digest()
    .subarray(0, 4);
}

/** The bytes a tree head signature covers (TreeHeadSignature, RFC 6962 §3.5). */
export function treeHeadSignatureInput(timestamp: number, treeSize: number, rootHash: Uint8Array): Buffer {
  return Buffer.concat([u8(0), u8(1), u64(timestamp), u64(treeSize), rootHash]);
}

/** DigitallySigned (RFC 5246 §4.7) with SHA-256 (4) and ECDSA (3). */
function digitallySigned(key: KeyObject, data: Uint8Array): Buffer {
  const sig = sign("sha256", data, key);
  return Buffer.concat([u8(4), u8(3), u16(sig.length), sig]);
}

// --- the server ---------------------------------------------------------------------------------------

export async function startCtLog(options: CtLogOptions = {}): Promise<CtLog> {
  const now = options.now ?? Date.now;
  const maxBatch = options.maxBatch ?? 256;
  const autoPublish = options.autoPublish ?? true;
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const publicKeyDer = publicKey.export({ type: "spki", format: "der" });
  const logId = createHash("sha256").update(publicKeyDer).digest();

  const entries: CtLogEntry[] = [];
  const issuers = new Map<string, Buffer>();
  const staticApi = options.staticApi;
  /** Full-subtree hashes per tile level: memo[L][i] = MTH of the i-th run of 256^L leaves. */
  let memo: Map<number, Buffer>[] = [];
  const hashes: Buffer[] = [];
  let frontier = Frontier.empty();
  const requests: string[] = [];
  const arrivals: CtLogArrival[] = [];
  /** The rate limit's windows: when the first began, and how many requests the current one served. */
  const limiter = { start: -1, window: -1, served: 0 };
  let faults: CtLogFaults = {};

  const signHead = (treeSize: number, timestamp: number, rootHash: Buffer): Buffer =>
    digitallySigned(privateKey, treeHeadSignatureInput(timestamp, treeSize, rootHash));

  let sth: CtSth = (() => {
    const ts = now();
    const root = frontier.root();
    return { treeSize: 0, timestamp: ts, rootHash: root, signature: signHead(0, ts, root) };
  })();

  const publish = (): CtSth => {
    const ts = Math.max(now(), sth.timestamp + 1);
    const root = frontier.root();
    sth = {
      treeSize: frontier.size,
      timestamp: ts,
      rootHash: root,
      signature: signHead(frontier.size, ts, root),
    };
    return sth;
  };

  const append = (leafInput: Buffer, extraData: Buffer, tileLeaf: Buffer, timestamp: number): number => {
    const h = leafHash(leafInput);
    entries.push({ leafInput, extraData, tileLeaf, timestamp });
    hashes.push(h);
    frontier.append(h);
    if (autoPublish) publish();
    return entries.length - 1;
  };

  /** The head as served: the published one, with the STH faults applied. */
  const servedHead = (): { rootHash: Buffer; signature: Buffer } => {
    let { rootHash, signature } = sth;
    if (faults.wrongRoot === true) {
      rootHash = Buffer.from(rootHash);
      rootHash[0] = (rootHash[0] as number) ^ 0x01;
      signature = signHead(sth.treeSize, sth.timestamp, rootHash);
    }
    if (faults.badSthSignature === true) {
      signature = Buffer.from(signature);
      const last = signature.length - 1;
      signature[last] = (signature[last] as number) ^ 0x01;
    }
    return { rootHash, signature };
  };

  let origin = "";
  const checkpoint = (): string => {
    const { rootHash, signature } = servedHead();
    return checkpointNote(
      origin,
      { treeSize: sth.treeSize, rootHash, timestamp: sth.timestamp, signature },
      noteKeyId(origin, logId),
    );
  };

  /** MTH of the i-th run of 256^level leaves (a full subtree; memoised). */
  const subtree = (level: number, i: number): Buffer => {
    if (level === 0) return hashes[i] as Buffer;
    let m = memo[level];
    if (m === undefined) {
      m = new Map();
      memo[level] = m;
    }
    const hit = m.get(i);
    if (hit !== undefined) return hit;
    const kids: Buffer[] = [];
    for (let j = 0; j < 256; j++) kids.push(subtree(level - 1, i * 256 + j));
    const h = rootOf(kids);
    m.set(i, h);
    return h;
  };

  /** Chains are usually the same few certificate objects: hash each once. */
  const fingerprintCache = new WeakMap<Uint8Array, Buffer>();
  const fingerprints = (chain: readonly Uint8Array[]): Buffer => {
    const fps = chain.map((c) => {
      let fp = fingerprintCache.get(c);
      if (fp === undefined) {
        fp = createHash("sha256").update(c).digest();
        fingerprintCache.set(c, fp);
        issuers.set(fp.toString("hex"), Buffer.from(c));
      }
      return fp;
    });
    return Buffer.concat([u16(32 * fps.length), ...fps]);
  };
  const extensionsFor = (opts: AddOptions): Uint8Array | undefined =>
    opts.extensions ?? (staticApi !== undefined ? leafIndexExtension(entries.length) : undefined);

  const sendBinary = (res: ServerResponse, body: Buffer, contentType: string, truncate: boolean): void => {
    const headers: Record<string, string | number> = { "content-type": contentType };
    let payload = body;
    if (staticApi?.gzip === true && contentType === "application/octet-stream") {
      payload = gzipSync(body);
      headers["content-encoding"] = "gzip";
    }
    headers["content-length"] = payload.length;
    res.writeHead(200, headers);
    if (truncate) {
      res.write(payload.subarray(0, Math.floor(payload.length / 2)));
      setImmediate(() => res.socket?.destroy());
      return;
    }
    res.end(payload);
  };

  /** The Static CT API read path; false when `path` is not one of its endpoints. */
  const handleStatic = (pathname: string, res: ServerResponse): boolean => {
    const r = staticCtResource(pathname, sth.treeSize);
    if (r === null) return false;
    if (r.kind === "checkpoint") {
      sendCheckpoint(res, checkpoint());
      return true;
    }
    if (r.kind === "issuer") {
      const der = issuers.get(r.fingerprintHex);
      if (der === undefined) return false;
      sendBinary(res, der, "application/pkix-cert", false);
      return true;
    }
    const { first, width } = r;
    if (r.kind === "data-tile") {
      const body = Buffer.concat(entries.slice(first, first + width).map((e) => e.tileLeaf));
      sendBinary(res, body, "application/octet-stream", faults.truncateEntries === true);
      return true;
    }
    const level = r.level;
    const hs: Buffer[] = [];
    for (let i = 0; i < width; i++) hs.push(subtree(level, first + i));
    const body = Buffer.concat(hs);
    if (level === 0 && faults.corruptHashTile === true) body[0] = (body[0] as number) ^ 0x01;
    sendBinary(res, body, "application/octet-stream", false);
    return true;
  };

  const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = req.url ?? "/";
    requests.push(path);
    const at = performance.now();
    const rl = faults.rateLimit;
    if (rl !== undefined && (rl.path === undefined || path.includes(rl.path))) {
      if (limiter.start < 0) limiter.start = at;
      const window = Math.floor((at - limiter.start) / rl.windowMs);
      if (window !== limiter.window) {
        limiter.window = window;
        limiter.served = 0;
      }
      if (limiter.served >= rl.perWindow) {
        arrivals.push({ path, at, throttled: true });
        const left = limiter.start + (window + 1) * rl.windowMs - at;
        res.writeHead(429, { "content-type": "text/plain", "retry-after": String(Math.ceil(left / 1000)) });
        res.end("rate limited");
        return;
      }
      limiter.served++;
    }
    arrivals.push({ path, at, throttled: false });
    const f = faults.failNext;
    if (f !== undefined && f.count > 0 && (f.path === undefined || path.includes(f.path))) {
      f.count--;
      const status = f.status ?? 429;
      const headers: Record<string, string> = { "content-type": "text/plain" };
      if (f.retryAfter !== undefined) headers["retry-after"] = f.retryAfter;
      res.writeHead(status, headers);
      res.end(status === 429 ? "rate limited" : "error");
      return;
    }
    const u = new URL(path, "http://127.0.0.1");
    if (req.method !== "GET") {
      res.writeHead(405, { allow: "GET" });
      res.end();
      return;
    }
    switch (u.pathname) {
      case "/ct/v1/get-sth": {
        const { rootHash, signature } = servedHead();
        sendJson(res, 200, {
          tree_size: sth.treeSize,
          timestamp: sth.timestamp,
          sha256_root_hash: b64(rootHash),
          tree_head_signature: b64(signature),
        });
        return;
      }
      case "/ct/v1/get-entries": {
        const start = intParam(u, "start");
        const end = intParam(u, "end");
        if (start === null || end === null || start > end || start >= sth.treeSize) {
          sendBadRequest(res, "bad start/end");
          return;
        }
        const last = Math.min(end, sth.treeSize - 1, start + maxBatch - 1);
        const out = entries.slice(start, last + 1).map((e) => ({
          leaf_input: b64(e.leafInput),
          extra_data: b64(e.extraData),
        }));
        const text = JSON.stringify({ entries: out });
        if (faults.truncateEntries === true) {
          res.writeHead(200, {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(text),
          });
          res.write(text.slice(0, Math.floor(text.length / 2)));
          // Let the half body leave, then break the connection before the declared length is reached.
          setImmediate(() => res.socket?.destroy());
          return;
        }
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
        res.end(text);
        return;
      }
      case "/ct/v1/get-sth-consistency":
        answerConsistency(u, res, sth.treeSize, (first, second) => consistencyProof(hashes, first, second));
        return;
      case "/ct/v1/get-proof-by-hash": {
        const size = intParam(u, "tree_size");
        const hash = u.searchParams.get("hash");
        const index = hash === null ? -1 : hashes.findIndex((h) => h.toString("base64") === hash);
        if (size === null || size > sth.treeSize || index < 0 || index >= size) {
          sendBadRequest(res, "bad hash/tree_size");
          return;
        }
        sendJson(res, 200, { leaf_index: index, audit_path: inclusionProof(hashes, index, size).map(b64) });
        return;
      }
      case "/ct/v1/get-roots":
        sendJson(res, 200, { certificates: [] });
        return;
      default:
        if (staticApi !== undefined && handleStatic(u.pathname, res)) return;
        res.writeHead(404, { "content-type": "text/plain" });
        res.end("not found");
    }
  };

  const server = await listenLoopback(handle);
  const { port } = server;
  origin = staticApi?.origin ?? `127.0.0.1:${port}`;

  return {
    url: `http://127.0.0.1:${port}/`,
    origin,
    logId,
    publicKeyDer,
    publicKey,
    maxBatch,
    get faults() {
      return faults;
    },
    set faults(v: CtLogFaults) {
      faults = v;
    },
    requests,
    arrivals,
    get size() {
      return entries.length;
    },
    get sth() {
      return sth;
    },
    addX509(certDer, chain = [], opts = {}) {
      const ts = opts.timestamp ?? now();
      const leafInput = encodeMerkleTreeLeaf(ts, { type: "x509", certDer }, extensionsFor(opts));
      return append(
        leafInput,
        chain24(chain),
        Buffer.concat([leafInput.subarray(2), fingerprints(chain)]),
        ts,
      );
    },
    addPrecert(tbsDer, issuerKeyHash, chain = [], opts = {}) {
      const ts = opts.timestamp ?? now();
      const leafInput = encodeMerkleTreeLeaf(
        ts,
        { type: "precert", issuerKeyHash, tbsDer },
        extensionsFor(opts),
      );
      const precert = opaque24(opts.precertificate ?? tbsDer);
      return append(
        leafInput,
        Buffer.concat([precert, chain24(chain)]),
        Buffer.concat([leafInput.subarray(2), precert, fingerprints(chain)]),
        ts,
      );
    },
    addRaw(leafInput, extraData = Buffer.alloc(0), timestamp = now()) {
      const input = Buffer.from(leafInput);
      return append(input, Buffer.from(extraData), Buffer.concat([input.subarray(2), u16(0)]), timestamp);
    },
    publish,
    checkpoint,
    rewrite(index, certDer) {
      const e = entries[index];
      if (e === undefined) throw new RangeError(`no entry ${index}`);
      const ext = staticApi !== undefined ? leafIndexExtension(index) : undefined;
      const leafInput = encodeMerkleTreeLeaf(e.timestamp, { type: "x509", certDer }, ext);
      entries[index] = { ...e, leafInput, tileLeaf: Buffer.concat([leafInput.subarray(2), u16(0)]) };
      memo = [];
      hashes[index] = leafHash(leafInput);
      frontier = Frontier.of(hashes);
      publish();
    },
    rootAt(size = entries.length) {
      return rootOf(hashes, size);
    },
    leafHashAt(index) {
      const h = hashes[index];
      if (h === undefined) throw new RangeError(`no entry ${index}`);
      return Buffer.from(h);
    },
    close: () => server.close(),
  };
}
