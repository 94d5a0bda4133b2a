/**
 * @module bench/lookalike/generate
 * Times generateCandidates for a few watched domains: candidates, ms per domain (best and median) and
 * candidates per second, plus the count per family. Run: `node --import tsx bench/lookalike/generate.ts`.
 */
import * as os from "node:os";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { FAMILIES, generateCandidates, type Family } from "../../src/lookalike/generate.js";

const { values, positionals } = parseArgs({
  options: { runs: { type: "string", default: "30" } },
  allowPositionals: true,
});
const runs = Number(values.runs);
const domains =
  positionals.length > 0
    ? positionals
    : ["contoso.com", "microsoft.com", "paypal.com", "bücher.de", "example.co.uk", "wikipedia.org"];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

const cpu = os.cpus()[0]?.model ?? "unknown CPU";
console.log(`node ${process.version}, ${cpu}, ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(2)}`);
console.log(`${runs} runs per domain after 3 warm-up runs; first call (tables loaded) timed separately`);
console.log("");

const cold = performance.now();
generateCandidates("warm-up.example");
console.log(
  `first call (loads the confusables table, classifies characters): ${(performance.now() - cold).toFixed(1)} ms`,
);

let totalCandidates = 0;
let totalMs = 0;
for (const d of domains) {
  for (let i = 0; i < 3; i++) generateCandidates(d);
  const times: number[] = [];
  let out = generateCandidates(d);
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    out = generateCandidates(d);
    times.push(performance.now() - t);
  }
  const best = Math.min(...times);
  const med = median(times);
  totalCandidates += out.length;
  totalMs += med;
  const perFamily = new Map<Family, number>();
  for (const c of out) for (const f of c.families) perFamily.set(f, (perFamily.get(f) ?? 0) + 1);
  console.log(
    `${d.padEnd(16)} ${String(out.length).padStart(6)} candidates  best ${best.toFixed(2)} ms  median ${med.toFixed(2)} ms` +
      `  ${Math.round(out.length / (med / 1000)).toLocaleString("en")} candidates/s`,
  );
  console.log(
    `  ${FAMILIES.filter((f) => perFamily.has(f))
      .map((f) => `${f} ${perFamily.get(f)}`)
      .join(", ")}`,
  );
}
console.log("");
console.log(
  `all: ${totalCandidates} candidates in ${totalMs.toFixed(1)} ms (medians) = ${Math.round(totalCandidates / (totalMs / 1000)).toLocaleString("en")} candidates/s`,
);
