/**
 * @module bench/ct/parse
 * CT entry throughput on one core: MerkleTreeLeaf parse + CT identity + readTbsFields for x509 and precert entries, and
 * Static CT data tiles (split + leaf hash + the same). Run: `node --import tsx bench/ct/parse.ts [--certs 200] [--seconds 2]`.
 */
import "reflect-metadata";
import { hash, webcrypto } from "node:crypto";
import * as os from "node:os";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import * as x509 from "@peculiar/x509";
import { parseCertificate } from "../../src/pki/certificate.js";
import { parseMerkleTreeLeaf, splitDataTile, type TimestampedEntry } from "../../src/sources/ct/entry.js";
import { leafHash } from "../../src/sources/ct/merkle.js";
import { identityOfTbs, readTbsFields, readTbsNames, tbsOfEntry } from "../../src/sources/ct/tbs.js";
import { encodeMerkleTreeLeaf, leafIndexExtension } from "../../test/helpers/ct-log.js";
import { createRootCa, issueIntermediate } from "../../test/helpers/pki.js";
import { issuePrecertPair } from "../../test/helpers/precert.js";

const { values } = parseArgs({
  options: { certs: { type: "string", default: "200" }, seconds: { type: "string", default: "2" } },
});
const nCerts = Number(values.certs);
const seconds = Number(values.seconds);

// --- corpus: real certificates shaped like the Web PKI's (RSA-2048 or P-256 keys, 2–8 SANs, AIA, CRL DP, 2 SCTs) ---

const genStart = performance.now();
const root = await createRootCa({
  subject: "CN=Bench Root R1, O=Bench Trust Services, C=US",
  keyType: "rsa-2048",
});
const int = await issueIntermediate(root, {
  subject: "CN=Bench TLS RSA CA 2024, O=Bench Trust Services, C=US",
  keyType: "rsa-2048",
});
const rsaKeys = await webcrypto.subtle.generateKey(
  {
    name: "RSASSA-PKCS1-v1_5",
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: "SHA-256",
  },
  true,
  ["sign", "verify"],
);
const x509Leaves: Buffer[] = [];
const precertLeaves: Buffer[] = [];
const tileLeaves: Buffer[] = [];
for (let i = 0; i < nCerts; i++) {
  const host = `host${i}.bench-${i % 7}.example`;
  const dnsNames = [host, ...Array.from({ length: 1 + (i % 7) }, (_, k) => `alt${k}.${host}`)];
  const pair = await issuePrecertPair(int, {
    dnsNames,
    subject: i % 4 === 0 ? `CN=${host}, O=Bench Customer ${i}, L=Springfield, ST=Oregon, C=US` : `CN=${host}`,
    ...(i % 2 === 0 ? { keys: rsaKeys } : {}),
    extraExtensions: [
      new x509.AuthorityInfoAccessExtension(
        {
          ocsp: ["http://ocsp.bench.example"],
          caIssuers: ["http://cacerts.bench.example/BenchTLSRSACA2024.crt"],
        },
        false,
      ),
      new x509.CRLDistributionPointsExtension(["http://crl.bench.example/BenchTLSRSACA2024.crl"], false),
      new x509.CertificatePolicyExtension(["2.23.140.1.2.1"], false),
    ],
  });
  const ts = 1_700_000_000_000 + i;
  const x = encodeMerkleTreeLeaf(ts, { type: "x509", certDer: pair.certDer });
  const p = encodeMerkleTreeLeaf(ts, {
    type: "precert",
    issuerKeyHash: pair.issuerKeyHash,
    tbsDer: pair.loggedTbs,
  });
  x509Leaves.push(x);
  precertLeaves.push(p);
  // Static CT TileLeaf: the TimestampedEntry (with leaf_index), then pre_certificate (precert) and 2 fingerprints.
  const fps = Buffer.concat([Buffer.from([0, 64]), Buffer.alloc(64, 0xab)]);
  const idx = leafIndexExtension(i);
  if (i % 2 === 0) {
    tileLeaves.push(
      Buffer.concat([
        encodeMerkleTreeLeaf(ts, { type: "x509", certDer: pair.certDer }, idx).subarray(2),
        fps,
      ]),
    );
  } else {
    const pre = Buffer.from(pair.precertDer);
    const len = Buffer.from([pre.length >> 16, (pre.length >> 8) & 0xff, pre.length & 0xff]);
    tileLeaves.push(
      Buffer.concat([
        encodeMerkleTreeLeaf(
          ts,
          { type: "precert", issuerKeyHash: pair.issuerKeyHash, tbsDer: pair.loggedTbs },
          idx,
        ).subarray(2),
        len,
        pre,
        fps,
      ]),
    );
  }
}
const tiles: Buffer[] = [];
for (let t = 0; t + 256 <= Math.max(256, tileLeaves.length); t += 256) {
  tiles.push(
    Buffer.concat(Array.from({ length: 256 }, (_, k) => tileLeaves[(t + k) % tileLeaves.length] as Buffer)),
  );
}
const avg = (bs: Buffer[]): number => bs.reduce((s, b) => s + b.length, 0) / bs.length;
console.log(
  `corpus: ${nCerts} certificates (avg leaf_input ${avg(x509Leaves).toFixed(0)} B x509, ${avg(precertLeaves).toFixed(0)} B precert), ` +
    `${tiles.length} data tile(s) of 256 (avg ${(avg(tiles) / 1024).toFixed(0)} KiB), generated in ${((performance.now() - genStart) / 1000).toFixed(1)} s`,
);

// --- timing ---------------------------------------------------------------------------------------------

let sink = 0;

/** CPU seconds this process has used (user + system): what "one core" means, even on a busy machine. */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Runs `fn` over `items` repeatedly for about `seconds` of CPU; returns items per CPU second (after a warm-up). */
function rate<T>(items: readonly T[], perItem: number, fn: (x: T) => void): number {
  const pass = (): void => {
    for (const x of items) fn(x);
  };
  const warm = cpuSeconds();
  while (cpuSeconds() - warm < 0.3) pass();
  let n = 0;
  const start = cpuSeconds();
  let now = start;
  while (now - start < seconds) {
    pass();
    n += items.length;
    now = cpuSeconds();
  }
  return (n * perItem) / (now - start);
}

function full(e: TimestampedEntry): void {
  const tbs = tbsOfEntry(e);
  sink += identityOfTbs(tbs).length + readTbsFields(tbs).dnsNames.length;
}

const fmt = (r: number): string => `${Math.round(r).toLocaleString("en-US").padStart(9)} entries/s`;
console.log("per CPU second of this process (user + system), so figures hold on a busy machine");
const row = (label: string, r: number): void => {
  console.log(`${label.padEnd(52)} ${fmt(r)}  ${(1e6 / r).toFixed(2).padStart(6)} µs/entry`);
};

// A fixed yardstick, so that figures from a busy machine can be compared with a quiet one.
const kb = x509Leaves.map((l) => l.subarray(0, 1400));
row(
  "calibration: crypto.hash sha256 of 1,400 bytes",
  rate(kb, 1, (b) => (sink += hash("sha256", b, "hex").length)),
);

for (const [type, leaves] of [
  ["x509", x509Leaves],
  ["precert", precertLeaves],
] as const) {
  row(
    `${type}: parseMerkleTreeLeaf`,
    rate(leaves, 1, (l) => (sink += parseMerkleTreeLeaf(l).timestamp)),
  );
  const entries = leaves.map(parseMerkleTreeLeaf);
  row(
    `${type}: identityOfTbs`,
    rate(entries, 1, (e) => (sink += identityOfTbs(tbsOfEntry(e)).length)),
  );
  row(
    `${type}: readTbsFields`,
    rate(entries, 1, (e) => (sink += readTbsFields(tbsOfEntry(e)).dnsNames.length)),
  );
  row(
    `${type}: readTbsNames (what every entry costs)`,
    rate(entries, 1, (e) => (sink += readTbsNames(tbsOfEntry(e)).dnsNames.length)),
  );
  row(
    `${type}: parse + identity + fields`,
    rate(leaves, 1, (l) => full(parseMerkleTreeLeaf(l))),
  );
  row(
    `${type}: leafHash + parse + identity + fields`,
    rate(leaves, 1, (l) => {
      sink += leafHash(l).length;
      full(parseMerkleTreeLeaf(l));
    }),
  );
}
row(
  "tile (½ x509, ½ precert): splitDataTile",
  rate(tiles, 256, (t) => (sink += splitDataTile(t, 256).length)),
);
row(
  "tile: split + leafHash + identity + fields",
  rate(tiles, 256, (t) => {
    for (const l of splitDataTile(t, 256)) {
      sink += leafHash(l.merkleLeaf).length;
      full(l);
    }
  }),
);
const certs = x509Leaves.slice(0, 50).map((l) => parseMerkleTreeLeaf(l).certOrTbs);
row(
  "for scale: parseCertificate (pki/certificate.ts)",
  rate(certs, 1, (c) => {
    const r = parseCertificate(c);
    sink += r.ok ? 1 : 0;
  }),
);

console.log(
  `node ${process.version}, ${os.cpus()[0]?.model ?? "unknown CPU"} (${os.cpus().length} cores), one thread${sink === 0 ? "" : ""}`,
);
