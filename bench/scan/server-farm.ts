/**
 * @module bench/scan/server-farm
 * Child process of the scan benchmark: N varied test certificates served by N HTTPS listeners, one per loopback address.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type * as net from "node:net";
import * as tls from "node:tls";
import * as http from "node:http";
import { parseArgs } from "node:util";
import { largeCrl } from "../../test/helpers/crl-ca.js";
import {
  createRootCa,
  issueIntermediate,
  issueLeaf,
  type CertOptions,
  type Issued,
  type KeyType,
} from "../../test/helpers/pki.js";
import type { FarmEndpoint, FarmMessage, ParentMessage, Profile } from "./protocol.js";

/** Ports tried in turn: one must be free on every address of the farm. */
const CANDIDATE_PORTS = [8443, 9443, 10443, 18443, 28443, 38443];
/** Permissive like the test helpers, so that SHA-1 certificates and TLS 1.0 can be served. */
const CIPHERS = "DEFAULT:@SECLEVEL=0";
const MAX_REQUEST_HEAD = 16 * 1024;
const DAY_MS = 86_400_000;
/** The farm never outlives a forgotten parent by more than this. */
const MAX_LIFETIME_MS = 60 * 60_000;
const GENERATE_CONCURRENCY = 16;
const LISTEN_CONCURRENCY = 256;

/** 127.2.X.Y with X, Y in 1..250: 62,500 addresses, all routed to lo on Linux. */
function farmAddress(i: number): string {
  return `127.2.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
}

/** What endpoint i serves: a fixed mix, so every run of a given N is the same workload. */
function profileOf(i: number): Profile {
  const k = i % 100;
  if (k < 4) return "wildcard";
  if (k < 9) return "expiring-soon";
  if (k < 12) return "expired";
  if (k < 19) return "no-hsts";
  if (k < 21) return "weak-hsts";
  if (k < 23) return "sha1";
  if (k < 25) return "missing-intermediate";
  if (k < 27) return "tls10";
  return "good";
}

/** 40 % EC P-256, 35 % RSA-2048, 25 % EC P-384 (pooled keys: the pool of test/helpers/pki). */
function keyTypeOf(i: number): KeyType {
  const k = (i * 7) % 20;
  return k < 8 ? "ec-p256" : k < 15 ? "rsa-2048" : "ec-p384";
}

interface Pki {
  readonly root: Issued;
  /** Each with the intermediates to send after the leaf. */
  readonly issuers: readonly { readonly ca: Issued; readonly chain: readonly Issued[] }[];
}

async function createPki(): Promise<Pki> {
  const root = await createRootCa({
    subject: "CN=certwatch bench root, O=certwatch",
    keyType: "rsa-2048",
    freshKey: true,
  });
  const ec = await issueIntermediate(root, {
    subject: "CN=bench EC issuing CA",
    keyType: "ec-p256",
    freshKey: true,
  });
  const rsa = await issueIntermediate(root, {
    subject: "CN=bench RSA policy CA",
    keyType: "rsa-2048",
    freshKey: true,
  });
  const deep = await issueIntermediate(rsa, {
    subject: "CN=bench EC384 issuing CA",
    keyType: "ec-p384",
    freshKey: true,
  });
  return {
    root,
    issuers: [
      { ca: ec, chain: [ec] },
      { ca: rsa, chain: [rsa] },
      { ca: deep, chain: [deep, rsa] },
    ],
  };
}

interface Identity {
  readonly certPem: string;
  readonly keyPem: string;
}

interface Site {
  readonly endpoint: FarmEndpoint;
  readonly identity: Identity;
  readonly hsts: string | null;
  readonly minVersion: tls.SecureVersion;
}

/** Endpoints are grouped by 100 under one parent domain, as an organisation's hosts are. */
const GROUP_SIZE = 100;

/**
 * Endpoint i is h{i}.g{group}.bench.test; a wildcard certificate covers its group (4 per group), or with
 * `oneWildcardDomain` every wildcard certificate is *.bench.test (hosts h{i}.bench.test): N/25 distinct
 * wildcard certificates that all match every host, the worst case for lookups of a host's certificates.
 */
async function createSite(
  pki: Pki,
  i: number,
  now: number,
  oneWildcardDomain: boolean,
  crls: CrlFarm | null,
): Promise<Site> {
  const profile = profileOf(i);
  const parent = oneWildcardDomain ? "bench.test" : `g${Math.floor(i / GROUP_SIZE)}.bench.test`;
  const host = `h${i}.${parent}`;
  // With CRLs, leaf i names CRL i % K, which its own issuer signs.
  const issuerIndex = crls ? (i % crls.urls.length) % pki.issuers.length : i % pki.issuers.length;
  const issuer = pki.issuers[issuerIndex] ?? pki.issuers[0];
  if (!issuer) throw new Error("no issuer");
  const opts: CertOptions = {
    subject: `CN=${host}, O=certwatch bench`,
    dnsNames: profile === "wildcard" ? [`*.${parent}`, parent] : [host],
    keyType: keyTypeOf(i),
  };
  if (profile === "expiring-soon") {
    opts.notBefore = new Date(now - 80 * DAY_MS);
    opts.notAfter = new Date(now + 9 * DAY_MS);
  } else if (profile === "expired") {
    opts.notBefore = new Date(now - 92 * DAY_MS);
    opts.notAfter = new Date(now - 2 * DAY_MS);
  }
  if (profile === "sha1") opts.hash = "SHA-1";
  if (crls) opts.crlDistributionPoints = [crls.urls[i % crls.urls.length] ?? ""];
  const leaf = await issueLeaf(issuer.ca, opts);
  const chain = profile === "missing-intermediate" ? [leaf] : [leaf, ...issuer.chain];
  return {
    endpoint: { host, address: farmAddress(i), profile },
    identity: { certPem: chain.map((c) => c.certPem).join(""), keyPem: leaf.keyPem },
    hsts:
      profile === "no-hsts"
        ? null
        : profile === "weak-hsts"
          ? "max-age=300"
          : "max-age=31536000; includeSubDomains",
    minVersion: profile === "tls10" ? "TLSv1" : "TLSv1.2",
  };
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function responseHead(hsts: string | null): string {
  const lines = [
    "HTTP/1.1 200 OK",
    "Content-Type: text/plain",
    "Content-Length: 3",
    "Connection: close",
    ...(hsts === null ? [] : [`Strict-Transport-Security: ${hsts}`]),
  ];
  return `${lines.join("\r\n")}\r\n\r\nok\n`;
}

/** One HTTPS listener: answers the first request head on each connection, then closes it. */
function createServer(site: Site): tls.Server {
  const response = responseHead(site.hsts);
  const server = tls.createServer(
    {
      cert: site.identity.certPem,
      key: site.identity.keyPem,
      ciphers: CIPHERS,
      minVersion: site.minVersion,
    },
    (socket) => {
      socket.on("error", () => undefined);
      socket.setTimeout(30_000, () => socket.destroy());
      let seen = 0;
      let head = "";
      socket.on("data", (chunk: Buffer) => {
        if (seen < 0) return;
        seen += chunk.length;
        head += chunk.toString("latin1");
        if (head.includes("\r\n\r\n") || seen > MAX_REQUEST_HEAD) {
          seen = -1;
          socket.end(response);
        }
      });
    },
  );
  // Refused legacy handshakes (the prober's TLS 1.0/1.1 probe) land here: expected, not a farm failure.
  server.on("tlsClientError", () => undefined);
  return server;
}

function listen(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port, exclusive: true, backlog: 511 }, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function closeAll(servers: readonly net.Server[]): Promise<void> {
  return Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))).then(
    () => undefined,
  );
}

/** Every site on one port; the next candidate port when one address has it taken. */
async function listenAll(sites: readonly Site[]): Promise<{ port: number; servers: tls.Server[] }> {
  let lastError: unknown;
  for (const port of CANDIDATE_PORTS) {
    const servers: tls.Server[] = [];
    try {
      await mapLimit(sites, LISTEN_CONCURRENCY, async (site) => {
        const server = createServer(site);
        servers.push(server);
        await listen(server, site.endpoint.address, port);
      });
      return { port, servers };
    } catch (e) {
      lastError = e;
      await closeAll(servers);
      if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE") throw e;
    }
  }
  throw lastError instanceof Error ? lastError : new Error("no free common port");
}

interface CrlFarm {
  readonly urls: readonly string[];
}

/**
 * K CRLs of `entries` revoked serials each, CRL j signed by issuer j % issuers, served over HTTP on
 * loopback (with an ETag, as CAs' CDNs do).
 */
async function startCrlFarm(pki: Pki, count: number, entries: number): Promise<CrlFarm> {
  const bodies = new Map<string, Buffer>();
  for (let j = 0; j < count; j++) {
    const issuer = pki.issuers[j % pki.issuers.length];
    if (!issuer) throw new Error("no issuer");
    bodies.set(`/crl/${j}.crl`, Buffer.from(largeCrl(issuer.ca, entries).der));
  }
  const server = http.createServer((req, res) => {
    const body = bodies.get(req.url ?? "");
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    const etag = `"${req.url}"`;
    if (req.headers["if-none-match"] === etag) {
      res.writeHead(304, { etag }).end();
      return;
    }
    res
      .writeHead(200, { "content-type": "application/pkix-crl", "content-length": body.length, etag })
      .end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return { urls: [...bodies.keys()].map((path) => `http://127.0.0.1:${port}${path}`) };
}

function send(message: FarmMessage): void {
  process.send?.(message);
}

async function run(): Promise<void> {
  const { values } = parseArgs({
    options: {
      n: { type: "string" },
      dir: { type: "string" },
      "one-wildcard-domain": { type: "boolean", default: false },
      crls: { type: "string", default: "0" },
      "crl-entries": { type: "string", default: "100000" },
    },
  });
  const n = Number(values.n);
  if (!Number.isInteger(n) || n < 1 || n > 62_500) throw new Error(`--n must be 1..62500 (got ${values.n})`);
  if (values.dir === undefined) throw new Error("--dir is required");
  const dir = values.dir;

  const t0 = performance.now();
  const pki = await createPki();
  const crlCount = Number(values.crls);
  const crls = crlCount > 0 ? await startCrlFarm(pki, crlCount, Number(values["crl-entries"])) : null;
  const now = Date.now();
  const indices = Array.from({ length: n }, (_, i) => i);
  const sites = await mapLimit(indices, GENERATE_CONCURRENCY, (i) =>
    createSite(pki, i, now, values["one-wildcard-domain"] ?? false, crls),
  );
  const rootPem = join(dir, "bench-root.pem");
  writeFileSync(rootPem, pki.root.certPem);
  const t1 = performance.now();
  const { port } = await listenAll(sites);
  const t2 = performance.now();

  send({
    type: "ready",
    port,
    rootPem,
    endpoints: sites.map((s) => s.endpoint),
    generateMs: Math.round(t1 - t0),
    listenMs: Math.round(t2 - t1),
  });
}

process.on("message", (m: ParentMessage) => {
  if (m.type === "close") process.exit(0);
  if (m.type === "usage") {
    send({
      type: "usage",
      cpu: process.cpuUsage(),
      rss: process.memoryUsage().rss,
      maxRss: process.resourceUsage().maxRSS * 1024,
    });
  }
});
// The parent went away (finished, crashed or was killed): the farm has no reason to live.
process.on("disconnect", () => process.exit(0));
setTimeout(() => process.exit(0), MAX_LIFETIME_MS).unref();

run().catch((e: unknown) => {
  send({ type: "error", message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100);
});
