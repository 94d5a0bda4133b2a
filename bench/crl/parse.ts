/**
 * @module bench/crl/parse
 * Parses a generated CRL of 100,000 entries with `parseCrl` and with @peculiar/x509's X509Crl; prints ms,
 * MB/s, lookup cost, retained heap and the machine. Run: `node --expose-gc --import tsx bench/crl/parse.ts`.
 */
import "reflect-metadata";
import * as os from "node:os";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import * as x509 from "@peculiar/x509";
import { parseCertificate } from "../../src/pki/certificate.js";
import { parseCrl, verifyCrlSignature, type ParsedCrl } from "../../src/pki/crl.js";
import { createRootCa } from "../../test/helpers/pki.js";
import { largeCrl } from "../../test/helpers/crl-ca.js";

const MB = 1024 * 1024;
const { values } = parseArgs({
  options: { n: { type: "string", default: "100000" }, runs: { type: "string", default: "15" } },
});
const n = Number(values.n);
const runs = Number(values.runs);
const gc = (globalThis as { gc?: () => void }).gc;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function time<T>(fn: () => T): [T, number] {
  const start = performance.now();
  const out = fn();
  return [out, performance.now() - start];
}

function must(r: ReturnType<typeof parseCrl>): ParsedCrl {
  if (!r.ok) throw new Error(r.error);
  return r.crl;
}

const ca = await createRootCa();
const caCert = parseCertificate(ca.certDer);
if (!caCert.ok) throw new Error(caCert.error);
const [{ der, serials }, genMs] = time(() => largeCrl(ca, n));
const mb = der.length / MB;
console.log(`CRL: ${n} entries, ${mb.toFixed(2)} MB, generated in ${genMs.toFixed(0)} ms`);

// parseCrl: warm up, then timed runs.
for (let i = 0; i < 3; i++) must(parseCrl(der));
const ours: number[] = [];
for (let i = 0; i < runs; i++) ours.push(time(() => must(parseCrl(der)))[1]);
const ms = median(ours);
console.log(
  `parseCrl: median ${ms.toFixed(1)} ms, min ${Math.min(...ours).toFixed(1)} ms over ${runs} runs` +
    ` = ${(mb / (ms / 1000)).toFixed(0)} MB/s, ${((ms * 1e6) / n).toFixed(0)} ns/entry`,
);

gc?.();
const heapBefore = process.memoryUsage().heapUsed;
const held = must(parseCrl(der));
gc?.();
const retained = (process.memoryUsage().heapUsed - heapBefore) / MB;
console.log(`retained heap per parsed CRL: ${gc ? `${retained.toFixed(1)} MB` : "(run with --expose-gc)"}`);

const lookups = 1_000_000;
const probes = serials.map((s, i) => (i % 2 === 0 ? s : `ff${s.slice(2)}`));
const [hits, lookupMs] = time(() => {
  let found = 0;
  for (let i = 0; i < lookups; i++) if (held.isRevoked(probes[i % probes.length] as string)) found++;
  return found;
});
console.log(`isRevoked: ${((lookupMs * 1e6) / lookups).toFixed(0)} ns/lookup (${hits} hits of ${lookups})`);
const [valid, verifyMs] = time(() => verifyCrlSignature(held, caCert.cert.node.publicKey));
console.log(`verifyCrlSignature: ${verifyMs.toFixed(1)} ms (${valid ? "valid" : "INVALID"})`);

// X509Crl refuses this CRL with its default limits (10,000 ASN.1 nodes).
try {
  new x509.X509Crl(der);
  console.log("X509Crl with default limits: parsed");
} catch (e) {
  console.log(`X509Crl with default limits: ${(e as Error).message}`);
}
const limits = { berOptions: { maxNodes: 50_000_000, maxContentLength: 1 << 30 } };
const ctor: number[] = [];
const all: number[] = [];
for (let i = 0; i < 3; i++) {
  const [crl, ctorMs] = time(() => new x509.X509Crl(der, limits));
  const [entries, entriesMs] = time(() => crl.entries.length);
  if (entries !== n) throw new Error(`X509Crl saw ${entries} entries`);
  ctor.push(ctorMs);
  all.push(ctorMs + entriesMs);
}
console.log(
  `X509Crl (raised limits): constructor ${median(ctor).toFixed(0)} ms, constructor + entries ${median(all).toFixed(0)} ms` +
    ` = ${(mb / (median(all) / 1000)).toFixed(1)} MB/s; parseCrl is ${(median(all) / ms).toFixed(0)}× faster`,
);
console.log(
  `machine: ${os.cpus()[0]?.model ?? "unknown"}, ${os.cpus().length} cores, Node ${process.version}, ${os.platform()} ${os.release()}`,
);
