/**
 * @module bench/ct/log-server
 * A synthetic Certificate Transparency log of N entries on 127.0.0.1 for the CT benchmark, run as a child
 * process: RFC 6962 (`get-sth`, `get-entries` capped at 1000 or `--max-batch`, `get-sth-consistency`, `get-proof-by-hash`,
 * `get-roots`) and the Static CT API read path (`checkpoint`, hash tiles, data tiles, `issuer/<hex>`), in the
 * formats of test/helpers/ct-log.ts. It never holds N entries: it builds K real template certificates (a test
 * CA, @peculiar/x509) at start, renders entry i on the fly from template i % K, and keeps only the 32-byte
 * leaf hashes and the full-subtree hashes of every tile level (about 32.1 bytes per entry).
 *
 * Entry i: template t = i % K, timestamp base + i, the `leaf_index` extension i (every leaf carries it, as a
 * tiled log's do, so both APIs serve the same tree), and its serial number's last 5 bytes set to i, so that
 * every entry is a distinct certificate (the issuer's signature then no longer verifies; no monitor checks
 * it). Templates t with t % M === 0 (M = `--match-every`, default 100) name a watched domain: their names
 * hold the placeholder `domain000`, replaced by watched label k = floor(i / M) % D for entry i, so ~1/M of
 * entries name one of the D watched domains `domain<k>.com` (k zero-padded to 3 digits), spread over all of
 * them. The others name unrelated hosts; about 1 % are lookalikes of watched domains (`xdomain042.com`, `domain042.com.cdn.net`).
 * Entries alternate between x509 (the final certificate, with an SCT list) and precert (the logged TBS and
 * a PrecertChainEntry / TileLeaf pre_certificate), per template.
 *
 * Usage: `log-server --entries N [--domains D] [--templates K] [--match-every M] [--max-batch B] [--gzip]
 * [--template-cache FILE]`. Prints one JSON line on stdout when it listens ({@link ServerInfo}), then serves
 * until stdin closes or SIGTERM. `GET /_bench/usage` answers its own process.cpuUsage() and memory, for the
 * parent's figures.
 */
import "reflect-metadata";
import { createHash, generateKeyPairSync, sign, webcrypto, type KeyObject } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import * as x509 from "@peculiar/x509";
import { EMPTY_ROOT, Frontier, leafHash, nodeHash, splitPoint } from "../../src/sources/ct/merkle.js";
import {
  encodeMerkleTreeLeaf,
  leafIndexExtension,
  noteKeyId,
  treeHeadSignatureInput,
} from "../../test/helpers/ct-log.js";
import {
  answerConsistency,
  checkpointNote,
  intParam,
  listenLoopback,
  sendBadRequest,
  sendCheckpoint,
  sendJson,
  staticCtResource,
} from "../../test/helpers/ct-log-http.js";
import { createRootCa, issueIntermediate, type Issued } from "../../test/helpers/pki.js";
import { issuePrecertPair } from "../../test/helpers/precert.js";

/** What the server prints on stdout (one JSON line) once it listens. */
export interface ServerInfo {
  /** `http://127.0.0.1:<port>/`: the RFC 6962 `url` and the Static CT `monitoring_url`. */
  readonly url: string;
  /** Base64 DER SubjectPublicKeyInfo of the log key (ECDSA P-256). */
  readonly key: string;
  /** Base64 SHA-256 of the key: the log ID. */
  readonly logId: string;
  /** The checkpoint origin (`127.0.0.1:<port>`). */
  readonly origin: string;
  readonly pid: number;
  readonly entries: number;
  readonly rootHash: string;
  readonly sthTimestamp: number;
  readonly domains: number;
  readonly templates: number;
  /** Entries naming a watched domain, and precert entries. */
  readonly matchingEntries: number;
  readonly precertEntries: number;
  /** Average bytes of one leaf_input, one extra_data and one TileLeaf, over the templates. */
  readonly avgLeafBytes: number;
  readonly avgExtraBytes: number;
  readonly avgTileLeafBytes: number;
  readonly templatesMs: number;
  /** True when the templates came from `--template-cache` (made by an earlier run). */
  readonly templatesCached: boolean;
  readonly hashMs: number;
  readonly rssMb: number;
  /** The watched domains: `domain000.com`, … */
  readonly watchedDomains: string[];
}

/** What `GET /_bench/usage` answers. */
export interface ServerUsage {
  readonly cpu: NodeJS.CpuUsage;
  readonly rss: number;
  readonly maxRss: number;
  readonly requests: number;
}

const TILE_WIDTH = 256;
const HASH = 32;
const PLACEHOLDER = "domain";

// ─── options ──────────────────────────────────────────────────────────────────────────────────────

const { values } = parseArgs({
  options: {
    entries: { type: "string", default: "200000" },
    domains: { type: "string", default: "1000" },
    templates: { type: "string", default: "300" },
    "match-every": { type: "string", default: "100" },
    "max-batch": { type: "string", default: "1000" },
    gzip: { type: "boolean", default: false },
    "template-cache": { type: "string" },
  },
});
const int = (name: string, raw: string, min: number, max: number): number => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    process.stderr.write(`log-server: --${name} must be an integer ${min}..${max}\n`);
    process.exit(2);
  }
  return n;
};
const N = int("entries", values.entries, 1, 2 ** 32);
const D = int("domains", values.domains, 1, 1_000_000);
const K = int("templates", values.templates, 1, 100_000);
const M = int("match-every", values["match-every"], 1, 1_000_000);
/** `get-entries` answers at most this many entries, as real logs cap their batches (many at 256). */
const MAX_BATCH = int("max-batch", values["max-batch"], 1, 100_000);
const GZIP = values.gzip;
/** Digits of k in `domain<k>.com`. */
const WIDTH = Math.max(3, String(D - 1).length);
const placeholder = `${PLACEHOLDER}${"0".repeat(WIDTH)}`;
/**
 * The k-th watched label: pseudo-random letters as long as the placeholder, so that the 1,000 watched
 * domains are as unlike each other as real organisations' are (`domain000`…`domain999` would all be typos
 * of each other, a worst case for the lookalike index that no real watch list looks like).
 */
function wordOf(k: number): string {
  let x = (k + 1) * 2654435761;
  let out = "";
  for (let i = 0; i < placeholder.length; i++) {
    x = (Math.imul(x ^ (x >>> 15), 2246822519) + 374761393) >>> 0;
    out += String.fromCharCode(97 + (x % 26));
  }
  return out;
}
const watchedDomain = (k: number): string => `${wordOf(k)}.com`;

// ─── TLS encoding (RFC 5246 §4) ──────────────────────────────────────────────────────────────────

const u16 = (n: number): Buffer => Buffer.from([(n >>> 8) & 0xff, n & 0xff]);
const u24 = (n: number): Buffer => Buffer.from([(n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
const opaque24 = (d: Uint8Array): Buffer => Buffer.concat([u24(d.length), d]);
const chain24 = (chain: readonly Uint8Array[]): Buffer => opaque24(Buffer.concat(chain.map(opaque24)));

// ─── templates ────────────────────────────────────────────────────────────────────────────────────

/** Bytes of one entry with the places that change per entry. */
interface Patchable {
  readonly bytes: Buffer;
  /** Where the 8-byte timestamp goes, or -1. */
  readonly timestampAt: number;
  /** Where the 5-byte leaf_index value goes, or -1. */
  readonly indexAt: number;
  /** Last 5 bytes of each copy of the serial number: set to the entry index. */
  readonly serialAt: readonly number[];
  /** First digit of each `domain000` placeholder: set to the watched domain number. */
  readonly digitsAt: readonly number[];
}

interface Template {
  readonly type: "x509" | "precert";
  readonly matching: boolean;
  readonly leaf: Patchable;
  readonly extra: Patchable;
  readonly tile: Patchable;
}

function allIndexes(b: Buffer, needle: Buffer): number[] {
  const out: number[] = [];
  for (let i = b.indexOf(needle); i >= 0; i = b.indexOf(needle, i + 1)) out.push(i);
  return out;
}

/** The content bytes of a certificate's serial number (Certificate → TBSCertificate → [0] version → INTEGER). */
function serialOf(certDer: Uint8Array): Buffer {
  const b = Buffer.from(certDer);
  const header = (p: number): { content: number; length: number } => {
    const first = b[p + 1] as number;
    if (first < 0x80) return { content: p + 2, length: first };
    const n = first & 0x7f;
    return { content: p + 2 + n, length: b.readUIntBE(p + 2, n) };
  };
  const tbs = header(0).content;
  let p = header(tbs).content;
  if (b[p] === 0xa0) {
    const v = header(p);
    p = v.content + v.length;
  }
  if (b[p] !== 0x02) throw new Error("serialOf: no INTEGER where the serial number should be");
  const s = header(p);
  if (s.length < 8) throw new Error(`serialOf: a serial of ${s.length} bytes is too short to patch`);
  return b.subarray(s.content, s.content + s.length);
}

function patchable(bytes: Buffer, serial: Buffer, timestampAt: number, indexAt: number): Patchable {
  return {
    bytes,
    timestampAt,
    indexAt,
    serialAt: allIndexes(bytes, serial).map((i) => i + serial.length - 5),
    digitsAt: allIndexes(bytes, Buffer.from(placeholder, "ascii")),
  };
}

/** Names of template t: matching templates carry the placeholder; others are unrelated or near misses. */
function namesOf(t: number, matching: boolean): { dnsNames: string[]; subject: string } {
  const d = placeholder;
  if (matching) {
    const shapes = [
      [`${d}.com`, `www.${d}.com`],
      [`*.${d}.com`, `${d}.com`],
      [`mail.eu.${d}.com`],
      [`shop.${d}.com`, `api.shop.${d}.com`, `cdn.shop.${d}.com`],
    ];
    const dnsNames = shapes[Math.floor(t / M) % shapes.length] as string[];
    return { dnsNames, subject: `CN=${dnsNames[0] as string}` };
  }
  const host = `host${t}.tenant-${t % 37}.example.net`;
  const unrelated = [
    [host, `www.${host}`],
    [host, ...Array.from({ length: 1 + (t % 6) }, (_, k) => `alt${k}.${host}`)],
    [`*.apps-${t}.example.org`, `apps-${t}.example.org`],
  ];
  // Near misses of the watched domains are lookalikes (a typo, an embedded domain): about 1 % of templates,
  // as in real logs where almost nothing imitates a given organisation.
  const dnsNames =
    t % 200 === 7
      ? [`x${d}.com`, `www.x${d}.com`]
      : t % 200 === 107
        ? [`${d}.com.cdn-${t}.net`]
        : (unrelated[t % unrelated.length] as string[]);
  const subject =
    t % 4 === 0 ? `CN=${dnsNames[0] as string}, O=Tenant ${t} Ltd, L=Springfield, C=US` : `CN=${dnsNames[0]}`;
  return { dnsNames, subject };
}

interface Pki {
  readonly root: Issued;
  readonly issuers: readonly Issued[];
}

async function makePki(): Promise<Pki> {
  const root = await createRootCa({
    subject: "CN=Bench CT Root R1, O=Bench Trust Services, C=US",
    keyType: "rsa-2048",
    freshKey: true,
  });
  const rsa = await issueIntermediate(root, {
    subject: "CN=Bench CT RSA CA 2025, O=Bench Trust Services, C=US",
    keyType: "rsa-2048",
    freshKey: true,
  });
  const ec = await issueIntermediate(root, {
    subject: "CN=Bench CT ECC CA 2025, O=Bench Trust Services, C=US",
    keyType: "ec-p256",
    freshKey: true,
  });
  return { root, issuers: [rsa, ec] };
}

/** One template pair (an x509 and a precert entry of the same certificate) for template t. */
async function makeTemplate(
  t: number,
  pki: Pki,
  keys: readonly webcrypto.CryptoKeyPair[],
): Promise<[Template, Template]> {
  const matching = t % M === 0;
  const issuer = pki.issuers[t % pki.issuers.length] as Issued;
  const chain = [issuer.certDer, pki.root.certDer];
  const { dnsNames, subject } = namesOf(t, matching);
  const pair = await issuePrecertPair(issuer, {
    dnsNames,
    subject,
    keys: keys[t % keys.length] as webcrypto.CryptoKeyPair,
    extraExtensions: [
      new x509.AuthorityInfoAccessExtension(
        { ocsp: ["http://ocsp.bench-ca.example"], caIssuers: ["http://certs.bench-ca.example/ca.crt"] },
        false,
      ),
      new x509.CRLDistributionPointsExtension([`http://crl.bench-ca.example/${t % 16}.crl`], false),
      new x509.CertificatePolicyExtension(["2.23.140.1.2.1"], false),
    ],
  });
  const serial = serialOf(pair.certDer);
  const ext = leafIndexExtension(0);
  const fingerprints = Buffer.concat([
    u16(HASH * chain.length),
    ...chain.map((c) => createHash("sha256").update(c).digest()),
  ]);
  const one = (type: "x509" | "precert"): Template => {
    const leafInput =
      type === "x509"
        ? encodeMerkleTreeLeaf(0, { type, certDer: pair.certDer }, ext)
        : encodeMerkleTreeLeaf(0, { type, issuerKeyHash: pair.issuerKeyHash, tbsDer: pair.loggedTbs }, ext);
    const extra =
      type === "x509" ? chain24(chain) : Buffer.concat([opaque24(pair.precertDer), chain24(chain)]);
    const tileLeaf = Buffer.concat([
      leafInput.subarray(2),
      ...(type === "precert" ? [opaque24(pair.precertDer)] : []),
      fingerprints,
    ]);
    // leaf_input: version, leaf_type, timestamp, …, the 8-byte leaf_index extension last; a TileLeaf drops the first two bytes.
    const indexInLeaf = leafInput.length - 5;
    return {
      type,
      matching,
      leaf: patchable(leafInput, serial, 2, indexInLeaf),
      extra: patchable(extra, serial, -1, -1),
      tile: patchable(tileLeaf, serial, 0, indexInLeaf - 2),
    };
  };
  return [one("x509"), one("precert")];
}

/** 2K templates (x509 and precert of K certificates), made 16 at a time (@peculiar/x509 takes 10–40 ms per pair). */
async function makeTemplates(pki: Pki): Promise<Template[]> {
  const ec = (): Promise<webcrypto.CryptoKeyPair> =>
    webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
  const rsa = (): Promise<webcrypto.CryptoKeyPair> =>
    webcrypto.subtle.generateKey(
      {
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: "SHA-256",
      },
      true,
      ["sign", "verify"],
    );
  // Leaf keys: one in three RSA-2048, the rest P-256.
  const keys = await Promise.all([rsa(), ec(), ec(), rsa(), ec(), ec()]);
  const out: Template[] = [];
  for (let t = 0; t < K; t += 16) {
    const batch = Array.from({ length: Math.min(16, K - t) }, (_, j) => makeTemplate(t + j, pki, keys));
    for (const pair of await Promise.all(batch)) out.push(...pair);
  }
  return out;
}

// ─── the template cache (templates are the slow part of starting: made once per shape, reused by every size) ──

interface CachedPatchable {
  bytes: string;
  timestampAt: number;
  indexAt: number;
  serialAt: number[];
  digitsAt: number[];
}
interface TemplateCache {
  key: string;
  root: string;
  issuers: string[];
  templates: {
    type: "x509" | "precert";
    matching: boolean;
    leaf: CachedPatchable;
    extra: CachedPatchable;
    tile: CachedPatchable;
  }[];
}

/** The cache is valid for these parameters and this very file (a changed template recipe makes new templates). */
const cacheKey = `K=${K} M=${M} width=${WIDTH} ${createHash("sha256")
  .update(readFileSync(fileURLToPath(import.meta.url)))
  .digest("hex")}`;

function toCache(p: Patchable): CachedPatchable {
  return { ...p, bytes: p.bytes.toString("base64"), serialAt: [...p.serialAt], digitsAt: [...p.digitsAt] };
}
function fromCache(p: CachedPatchable): Patchable {
  return { ...p, bytes: Buffer.from(p.bytes, "base64") };
}

/** Chain certificates (root, then issuers) and templates: from the cache file when it matches, else made (and saved). */
async function loadOrMakeTemplates(
  file: string | undefined,
): Promise<{ chainCerts: Buffer[]; templates: Template[]; cached: boolean }> {
  if (file !== undefined && existsSync(file)) {
    const c = JSON.parse(readFileSync(file, "utf8")) as TemplateCache;
    if (c.key === cacheKey) {
      return {
        chainCerts: [c.root, ...c.issuers].map((b) => Buffer.from(b, "base64")),
        templates: c.templates.map((t) => ({
          type: t.type,
          matching: t.matching,
          leaf: fromCache(t.leaf),
          extra: fromCache(t.extra),
          tile: fromCache(t.tile),
        })),
        cached: true,
      };
    }
  }
  const pki = await makePki();
  const templates = await makeTemplates(pki);
  const chainCerts = [pki.root, ...pki.issuers].map((c) => Buffer.from(c.certDer));
  if (file !== undefined) {
    const c: TemplateCache = {
      key: cacheKey,
      root: (chainCerts[0] as Buffer).toString("base64"),
      issuers: chainCerts.slice(1).map((b) => b.toString("base64")),
      templates: templates.map((t) => ({
        type: t.type,
        matching: t.matching,
        leaf: toCache(t.leaf),
        extra: toCache(t.extra),
        tile: toCache(t.tile),
      })),
    };
    writeFileSync(file, JSON.stringify(c));
  }
  return { chainCerts, templates, cached: false };
}

// ─── the log ──────────────────────────────────────────────────────────────────────────────────────

const started = performance.now();
const { chainCerts, templates: templatePairs, cached } = await loadOrMakeTemplates(values["template-cache"]);
const templatesMs = performance.now() - started;
/** Entry i is logged at base + i ms, all before the tree head's timestamp. */
const base = Date.now() - N - 3_600_000;

/** Entry i's template: t = i % K; x509 and precert alternate per template from one pass over K to the next. */
function templateOf(i: number): Template {
  const t = i % K;
  const precert = (t + Math.floor(i / K)) % 2 === 1;
  return templatePairs[2 * t + (precert ? 1 : 0)] as Template;
}

const digitCache = new Map<number, Buffer>();
function digitsOf(k: number): Buffer {
  let b = digitCache.get(k);
  if (b === undefined) {
    b = Buffer.from(wordOf(k), "ascii");
    digitCache.set(k, b);
  }
  return b;
}

function render(p: Patchable, i: number): Buffer {
  const out = Buffer.allocUnsafe(p.bytes.length);
  p.bytes.copy(out);
  if (p.timestampAt >= 0) {
    const ts = base + i;
    out.writeUInt32BE(Math.floor(ts / 0x1_0000_0000), p.timestampAt);
    out.writeUInt32BE(ts >>> 0, p.timestampAt + 4);
  }
  if (p.indexAt >= 0) out.writeUIntBE(i, p.indexAt, 5);
  for (const at of p.serialAt) out.writeUIntBE(i, at, 5);
  if (p.digitsAt.length > 0) {
    const d = digitsOf(Math.floor(i / M) % D);
    for (const at of p.digitsAt) d.copy(out, at);
  }
  return out;
}

const leafInputOf = (i: number): Buffer => render(templateOf(i).leaf, i);
const extraDataOf = (i: number): Buffer => render(templateOf(i).extra, i);
const tileLeafOf = (i: number): Buffer => render(templateOf(i).tile, i);

// Leaf hashes, and the full-subtree hashes of every tile level: levels[L][j] = MTH of leaves [j·256^L, (j+1)·256^L).
const hashStart = performance.now();
const levels: Buffer[] = [Buffer.allocUnsafe(N * HASH)];
const frontier = Frontier.empty();
let matchingEntries = 0;
let precertEntries = 0;
for (let i = 0; i < N; i++) {
  const h = leafHash(leafInputOf(i));
  h.copy(levels[0] as Buffer, i * HASH);
  frontier.append(h);
  const t = templateOf(i);
  if (t.matching) matchingEntries++;
  if (t.type === "precert") precertEntries++;
}
/** MTH of 2^k hashes laid end to end (a perfect tree). */
function perfectRoot(hashes: Buffer): Buffer {
  let row: Buffer[] = [];
  for (let o = 0; o < hashes.length; o += HASH) row.push(hashes.subarray(o, o + HASH));
  while (row.length > 1) {
    const next: Buffer[] = [];
    for (let j = 0; j < row.length; j += 2) next.push(nodeHash(row[j] as Buffer, row[j + 1] as Buffer));
    row = next;
  }
  return row[0] as Buffer;
}
for (let L = 1; ; L++) {
  const below = levels[L - 1] as Buffer;
  const count = Math.floor(below.length / HASH / TILE_WIDTH);
  if (count === 0) break;
  const level = Buffer.allocUnsafe(count * HASH);
  for (let j = 0; j < count; j++) {
    perfectRoot(below.subarray(j * TILE_WIDTH * HASH, (j + 1) * TILE_WIDTH * HASH)).copy(level, j * HASH);
  }
  levels.push(level);
}
const hashMs = performance.now() - hashStart;

const leafAt = (i: number): Buffer => (levels[0] as Buffer).subarray(i * HASH, (i + 1) * HASH);

/** MTH of the perfect subtree of n = 2^k leaves starting at lo (a multiple of n), from the tile levels. */
function perfect(lo: number, n: number): Buffer {
  if (n === 1) return leafAt(lo);
  const L = Math.floor(Math.log2(n) / 8);
  const unit = TILE_WIDTH ** L;
  if (L > 0 && n === unit) {
    const level = levels[L] as Buffer;
    const j = lo / unit;
    return level.subarray(j * HASH, (j + 1) * HASH);
  }
  return nodeHash(perfect(lo, n / 2), perfect(lo + n / 2, n / 2));
}

/** MTH(D[lo:hi]). */
function mth(lo: number, hi: number): Buffer {
  const n = hi - lo;
  if (n === 0) return EMPTY_ROOT;
  if ((n & (n - 1)) === 0 && lo % n === 0) return perfect(lo, n);
  const k = splitPoint(n);
  return nodeHash(mth(lo, lo + k), mth(lo + k, hi));
}

/** PATH(m, D[0:size]) (RFC 6962 §2.1.1). */
function inclusionProof(index: number, size: number): Buffer[] {
  const out: Buffer[] = [];
  const path = (m: number, lo: number, hi: number): void => {
    const n = hi - lo;
    if (n <= 1) return;
    const k = splitPoint(n);
    if (m < k) {
      path(m, lo, lo + k);
      out.push(mth(lo + k, hi));
    } else {
      path(m - k, lo + k, hi);
      out.push(mth(lo, lo + k));
    }
  };
  path(index, 0, size);
  return out;
}

/** PROOF(first, D[0:second]) (RFC 6962 §2.1.2). */
function consistencyProof(first: number, second: number): Buffer[] {
  const out: Buffer[] = [];
  if (first === 0 || first === second) return out;
  const sub = (m: number, lo: number, hi: number, b: boolean): void => {
    const n = hi - lo;
    if (m === n) {
      if (!b) out.push(mth(lo, hi));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      sub(m, lo, lo + k, b);
      out.push(mth(lo + k, hi));
    } else {
      sub(m - k, lo + k, hi, false);
      out.push(mth(lo, lo + k));
    }
  };
  sub(first, 0, second, true);
  return out;
}

function indexOfLeafHash(h: Buffer, below: number): number {
  const all = levels[0] as Buffer;
  for (let at = all.indexOf(h); at >= 0 && at < below * HASH; at = all.indexOf(h, at + 1)) {
    if (at % HASH === 0) return at / HASH;
  }
  return -1;
}

// ─── signing ──────────────────────────────────────────────────────────────────────────────────────

const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const publicKeyDer = publicKey.export({ type: "spki", format: "der" });
const logId = createHash("sha256").update(publicKeyDer).digest();
const digitallySigned = (key: KeyObject, data: Uint8Array): Buffer => {
  const sig = sign("sha256", data, key);
  return Buffer.concat([Buffer.from([4, 3]), u16(sig.length), sig]);
};
const rootHash = frontier.root();
// Ten minutes old: a tiled-log monitor may wait for a partial tile younger than a few minutes to fill up.
const sthTimestamp = Date.now() - 600_000;
const sthSignature = digitallySigned(privateKey, treeHeadSignatureInput(sthTimestamp, N, rootHash));

const issuers = new Map<string, Buffer>(
  chainCerts.map((c) => [createHash("sha256").update(c).digest("hex"), c]),
);

// ─── HTTP ─────────────────────────────────────────────────────────────────────────────────────────

let origin = "";
let requests = 0;
const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");

function notFound(res: ServerResponse, what = "not found"): void {
  res.writeHead(404, { "content-type": "text/plain" });
  res.end(what);
}
function binary(res: ServerResponse, body: Buffer, contentType: string): void {
  const headers: Record<string, string | number> = { "content-type": contentType };
  let payload = body;
  if (GZIP && contentType === "application/octet-stream") {
    payload = gzipSync(body, { level: 1 });
    headers["content-encoding"] = "gzip";
  }
  headers["content-length"] = payload.length;
  res.writeHead(200, headers);
  res.end(payload);
}

const checkpoint = (): string =>
  checkpointNote(
    origin,
    { treeSize: N, rootHash, timestamp: sthTimestamp, signature: sthSignature },
    noteKeyId(origin, logId),
  );

function handleStatic(pathname: string, res: ServerResponse): boolean {
  const r = staticCtResource(pathname, N);
  if (r === null) return false;
  if (r.kind === "checkpoint") {
    sendCheckpoint(res, checkpoint());
    return true;
  }
  if (r.kind === "issuer") {
    const der = issuers.get(r.fingerprintHex);
    if (der === undefined) return false;
    binary(res, der, "application/pkix-cert");
    return true;
  }
  const { first, width } = r;
  if (r.kind === "data-tile") {
    const parts: Buffer[] = [];
    for (let i = first; i < first + width; i++) parts.push(tileLeafOf(i));
    binary(res, Buffer.concat(parts), "application/octet-stream");
    return true;
  }
  const hashes = levels[r.level];
  if (hashes === undefined) return false;
  binary(res, Buffer.from(hashes.subarray(first * HASH, (first + width) * HASH)), "application/octet-stream");
  return true;
}

function getEntries(u: URL, res: ServerResponse): void {
  const start = intParam(u, "start");
  const end = intParam(u, "end");
  if (start === null || end === null || start > end || start >= N) {
    sendBadRequest(res, "bad start/end");
    return;
  }
  const last = Math.min(end, N - 1, start + MAX_BATCH - 1);
  // Built as text directly: the answer of 1000 entries is ~4 MB of base64.
  const parts: string[] = ['{"entries":['];
  for (let i = start; i <= last; i++) {
    parts.push(
      `${i > start ? "," : ""}{"leaf_input":"${leafInputOf(i).toString("base64")}","extra_data":"${extraDataOf(i).toString("base64")}"}`,
    );
  }
  parts.push("]}");
  const text = parts.join("");
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  requests++;
  if (req.method !== "GET") {
    res.writeHead(405, { allow: "GET" });
    res.end();
    return;
  }
  const u = new URL(req.url ?? "/", "http://127.0.0.1");
  switch (u.pathname) {
    case "/ct/v1/get-sth":
      sendJson(res, 200, {
        tree_size: N,
        timestamp: sthTimestamp,
        sha256_root_hash: b64(rootHash),
        tree_head_signature: b64(sthSignature),
      });
      return;
    case "/ct/v1/get-entries":
      getEntries(u, res);
      return;
    case "/ct/v1/get-sth-consistency":
      answerConsistency(u, res, N, consistencyProof);
      return;
    case "/ct/v1/get-proof-by-hash": {
      const size = intParam(u, "tree_size");
      const hash = Buffer.from((u.searchParams.get("hash") ?? "").replace(/ /g, "+"), "base64");
      const index = size === null || hash.length !== HASH ? -1 : indexOfLeafHash(hash, size);
      if (size === null || size > N || index < 0) {
        sendBadRequest(res, "bad hash/tree_size");
        return;
      }
      sendJson(res, 200, { leaf_index: index, audit_path: inclusionProof(index, size).map(b64) });
      return;
    }
    case "/ct/v1/get-roots":
      sendJson(res, 200, { certificates: [b64(chainCerts[0] as Buffer)] });
      return;
    case "/_bench/usage": {
      const usage: ServerUsage = {
        cpu: process.cpuUsage(),
        rss: process.memoryUsage().rss,
        maxRss: process.resourceUsage().maxRSS * 1024,
        requests,
      };
      sendJson(res, 200, usage);
      return;
    }
    default:
      if (!handleStatic(u.pathname, res)) notFound(res);
  }
}

const server = await listenLoopback(handle, { keepAliveTimeout: 120_000 });
const { port } = server;
origin = `127.0.0.1:${port}`;

const avg = (f: (t: Template) => number): number =>
  Math.round(templatePairs.reduce((s, t) => s + f(t), 0) / templatePairs.length);
const info: ServerInfo = {
  url: `http://127.0.0.1:${port}/`,
  key: b64(publicKeyDer),
  logId: b64(logId),
  origin,
  pid: process.pid,
  entries: N,
  rootHash: b64(rootHash),
  sthTimestamp,
  domains: D,
  templates: K,
  matchingEntries,
  precertEntries,
  avgLeafBytes: avg((t) => t.leaf.bytes.length),
  avgExtraBytes: avg((t) => t.extra.bytes.length),
  avgTileLeafBytes: avg((t) => t.tile.bytes.length),
  templatesMs: Math.round(templatesMs),
  templatesCached: cached,
  hashMs: Math.round(hashMs),
  rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
  watchedDomains: Array.from({ length: D }, (_, k) => watchedDomain(k)),
};
process.stdout.write(`${JSON.stringify(info)}\n`);

const stop = (): void => {
  void server.close();
  process.exit(0);
};
process.stdin.on("end", stop);
process.stdin.on("error", stop);
process.stdin.resume();
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
