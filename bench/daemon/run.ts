/**
 * @module bench/daemon/run
 * The daemon benchmark of issue 12: `certwatch serve` (a child process) scanning 1,000 endpoints on a short
 * interval for several minutes — the scan benchmark's server farm (bench/scan/server-farm.ts, a child process:
 * 1,000 varied certificates, one listener per loopback address) — half in certwatch.yaml, half managed in the
 * store. Samples the daemon's RSS every second (/proc/<pid>/status) and counts its scans; prints start, steady-state
 * and peak RSS, scans/s, RSS per minute and its trend (a leak shows as growth across rounds), and the machine.
 *
 * `npm run bench:daemon`; `npm run bench:daemon -- --n 1000 --minutes 10 --interval 1 --managed 0.5 --from-sources`.
 */
import { fork, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { openStore } from "../../src/store/open.js";
import type { FarmMessage } from "../scan/protocol.js";
import { machineLines, RssSampler, ServeProcess, table } from "./serve-process.js";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "1000" },
    minutes: { type: "string", default: "5" },
    interval: { type: "string", default: "1" },
    managed: { type: "string", default: "0.5" },
    spread: { type: "string", default: "0" },
    "from-sources": { type: "boolean", default: false },
    "heap-snapshots": { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
  },
});
const n = Number(values.n);
const minutes = Number(values.minutes);
const interval = Number(values.interval);
const managedShare = Number(values.managed);
const spread = Number(values.spread);
const fromSources = values["from-sources"] ?? false;
if (
  !(Number.isInteger(n) && n >= 1 && n <= 62_500) ||
  !(minutes >= 1) ||
  !(Number.isInteger(interval) && interval >= 1) ||
  !(managedShare >= 0 && managedShare <= 1) ||
  !(spread >= 0)
) {
  console.error(
    "usage: run [--n N] [--minutes M] [--interval MINUTES] [--managed SHARE 0..1] [--spread SECONDS] [--from-sources] [--heap-snapshots] [--keep]",
  );
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), "certwatch-bench-daemon-"));
let farm: ChildProcess | undefined;
let serve: ServeProcess | undefined;

/** The scan benchmark's farm: n HTTPS endpoints, each on its own loopback address. */
async function startFarm(): Promise<Extract<FarmMessage, { type: "ready" }>> {
  const compiled = import.meta.url.endsWith(".js");
  const entry = fileURLToPath(
    new URL(compiled ? "../scan/server-farm.js" : "../scan/server-farm.ts", import.meta.url),
  );
  const child = fork(entry, ["--n", String(n), "--dir", dir], {
    execArgv: compiled ? [] : ["--import", import.meta.resolve("tsx")],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  farm = child;
  return new Promise((resolve, reject) => {
    child.on("message", (m: FarmMessage) => {
      if (m.type === "ready") resolve(m);
      else if (m.type === "error") reject(new Error(`server farm: ${m.message}`));
    });
    child.on("exit", (code) => reject(new Error(`the server farm exited (${code}) before it was ready`)));
  });
}

async function main(): Promise<void> {
  console.log(
    `certwatch bench:daemon — ${n} endpoints (${Math.round(n * managedShare)} managed), every ${interval} min, ` +
      `${minutes} min of sampling`,
  );
  for (const l of machineLines(fromSources)) console.log(l);
  const ready = await startFarm();
  console.log(`farm: ${n} endpoints on 127.2.x.y:${ready.port}, certificates ${ready.generateMs} ms`);

  const managed = Math.round(n * managedShare);
  const q = (s: string) => JSON.stringify(s);
  const configured = ready.endpoints.slice(managed);
  writeFileSync(
    join(dir, "certwatch.yaml"),
    [
      "# certwatch daemon benchmark: generated.",
      'store: "sqlite:./bench.db"',
      `trust: { extraRoots: [${q(ready.rootPem)}] }`,
      "ct: { logList: none }",
      "server: { port: 0 }",
      `schedule: { scanIntervalMinutes: ${interval}, startSpreadSeconds: ${spread}, shutdownTimeoutSeconds: 30 }`,
      "endpoints:",
      ...configured.map(
        (e) => `  - { url: ${q(`https://${e.host}:${ready.port}`)}, addresses: [${q(e.address)}] }`,
      ),
      "",
    ].join("\n"),
  );
  const store = await openStore(`sqlite:${join(dir, "bench.db")}`);
  const at = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  for (const e of ready.endpoints.slice(0, managed)) {
    await store.schedule.putManagedEndpoint({
      host: e.host,
      port: ready.port,
      addresses: [e.address],
      origin: "api",
      createdAt: at,
      createdBy: "bench",
    });
  }
  await store.close();

  const nodeArgs = values["heap-snapshots"] ? ["--heapsnapshot-signal=SIGUSR2"] : [];
  serve = new ServeProcess(dir, { fromSources, nodeArgs }, () => false);
  const started = Date.now();
  await serve.ready();
  const startRss = serve.memory().rssMb;
  const schedule = await serve.line((l) => l.msg === "scans scheduled");
  console.log(
    `certwatch serve ready in ${((Date.now() - started) / 1000).toFixed(1)} s: RSS ${startRss.toFixed(0)} MB, ` +
      `${String(schedule.targets)} targets scheduled\n`,
  );

  const url = await serve.url();
  const sampler = new RssSampler(serve, 1000, true).start();
  const heap = new HeapSampler(url, 5000).start();
  const cpu0 = serve.cpuSeconds();
  const t0 = Date.now();
  const perMinute: {
    scans: number;
    min: number;
    max: number;
    sum: number;
    samples: number;
    anonMean: number;
    fileMean: number;
    heapMin: number;
    heapMax: number;
    externalMax: number;
    heapTotalMax: number;
  }[] = [];
  let scansBefore = serve.counts.get("scanned") ?? 0;
  for (let m = 0; m < minutes; m++) {
    const from = sampler.samples.length;
    const heapFrom = heap.samples.length;
    await new Promise((res) => setTimeout(res, 60_000));
    const samples = sampler.samples.slice(from);
    const slice = samples.map((s) => s.rssMb);
    const heapSlice = heap.samples.slice(heapFrom);
    const scans = serve.counts.get("scanned") ?? 0;
    perMinute.push({
      scans: scans - scansBefore,
      min: Math.min(...slice),
      max: Math.max(...slice),
      sum: slice.reduce((a, b) => a + b, 0),
      samples: slice.length,
      anonMean: samples.reduce((a, x) => a + x.anonMb, 0) / Math.max(1, samples.length),
      fileMean: samples.reduce((a, x) => a + x.fileMb, 0) / Math.max(1, samples.length),
      heapMin: Math.min(...heapSlice.map((h) => h.usedMb)),
      heapMax: Math.max(...heapSlice.map((h) => h.usedMb)),
      externalMax: Math.max(...heapSlice.map((h) => h.externalMb)),
      heapTotalMax: Math.max(...heapSlice.map((h) => h.totalMb)),
    });
    scansBefore = scans;
    if (values["heap-snapshots"]) process.kill(serve.pid, "SIGUSR2");
    const last = perMinute[perMinute.length - 1];
    console.log(
      `  minute ${m + 1}: ${last?.scans} scans, RSS ${last?.min.toFixed(0)}–${last?.max.toFixed(0)} MB, ` +
        `V8 heap used ${last?.heapMin.toFixed(0)}–${last?.heapMax.toFixed(0)} MB`,
    );
  }
  sampler.stop();
  heap.stop();
  const elapsed = (Date.now() - t0) / 1000;
  const cpu = serve.cpuSeconds() - cpu0;
  const totalScans = perMinute.reduce((a, p) => a + p.scans, 0);
  const { hwmMb } = serve.memory();
  const dbMb = ["bench.db", "bench.db-wal"]
    .map((f) => join(dir, f))
    .filter((f) => existsSync(f))
    .reduce((a, f) => a + statSync(f).size / 1024 ** 2, 0);

  console.log(
    "\n" +
      table(
        [
          "minute",
          "scans",
          "RSS min MB",
          "RSS mean MB",
          "RSS max MB",
          "anon mean MB",
          "file mean MB",
          "heap used min MB",
          "heap used max MB",
          "heap total max MB",
          "external max MB",
        ],
        perMinute.map((p, i) => [
          String(i + 1),
          String(p.scans),
          p.min.toFixed(0),
          (p.sum / p.samples).toFixed(0),
          p.max.toFixed(0),
          p.anonMean.toFixed(1),
          p.fileMean.toFixed(1),
          p.heapMin.toFixed(1),
          p.heapMax.toFixed(1),
          p.heapTotalMax.toFixed(1),
          p.externalMax.toFixed(1),
        ]),
      ),
  );
  // The trend after the first round: least squares over the per-second samples (MB per minute).
  const steady = sampler.samples.filter((s) => s.t >= 60 * interval);
  const slope = leastSquaresSlope(steady.map((s) => [s.t / 60, s.rssMb]));
  const anonSlope = leastSquaresSlope(steady.map((s) => [s.t / 60, s.anonMb]));
  const steadyMean = steady.reduce((a, s) => a + s.rssMb, 0) / Math.max(1, steady.length);
  const peak = Math.max(...sampler.samples.map((s) => s.rssMb));
  console.log(
    `\nRSS: ${startRss.toFixed(0)} MB at start, steady state (after the first round) mean ${steadyMean.toFixed(0)} MB, ` +
      `peak ${peak.toFixed(0)} MB (high-water mark ${hwmMb.toFixed(0)} MB); ` +
      `trend after the first round ${slope >= 0 ? "+" : ""}${slope.toFixed(2)} MB/min ` +
      `(anonymous memory ${anonSlope >= 0 ? "+" : ""}${anonSlope.toFixed(2)} MB/min)`,
  );
  // The live heap after each minute's collections: the least heap used seen in the minute, after the first round.
  const heapTrend = leastSquaresSlope(
    perMinute.map((p, i) => [i + 1, p.heapMin] as const).filter(([m]) => m > interval),
  );
  console.log(
    `V8 heap used (least per minute, after the first round): trend ${heapTrend >= 0 ? "+" : ""}${heapTrend.toFixed(2)} MB/min`,
  );
  console.log(
    `scans: ${totalScans} in ${elapsed.toFixed(0)} s = ${(totalScans / elapsed).toFixed(1)} scans/s ` +
      `(${(n / (interval * 60)).toFixed(1)}/s due); daemon CPU ${cpu.toFixed(0)} s = ` +
      `${((100 * cpu) / elapsed).toFixed(0)} % of one core`,
  );
  console.log(`store: ${dbMb.toFixed(0)} MB of SQLite (with its WAL) at the end`);
  const errors = serve.lines.filter((l) => l.level === "error" || l.level === "not-json");
  console.log(
    `log lines: ${[...serve.counts].map(([k, v]) => `${k} ×${v}`).join(", ")}; errors: ${errors.length}`,
  );
  for (const e of errors.slice(0, 5)) console.log(`  ${JSON.stringify(e)}`);
  const code = await serve.stop();
  if (code !== 0) console.log(`certwatch serve exited with ${code}`);
}

/** The daemon's own /metrics (prom-client's process metrics): V8 heap used and external memory. */
class HeapSampler {
  readonly samples: { usedMb: number; totalMb: number; externalMb: number }[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly everyMs: number,
  ) {}

  start(): this {
    const sample = async () => {
      const text = await fetch(`${this.url}/metrics`)
        .then((r) => r.text())
        .catch(() => "");
      const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]) / 1024 ** 2;
      const usedMb = value("nodejs_heap_size_used_bytes");
      if (Number.isFinite(usedMb))
        this.samples.push({
          usedMb,
          totalMb: value("nodejs_heap_size_total_bytes"),
          externalMb: value("nodejs_external_memory_bytes"),
        });
    };
    void sample();
    this.#timer = setInterval(() => void sample(), this.everyMs);
    return this;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

function leastSquaresSlope(points: readonly (readonly [number, number])[]): number {
  const k = points.length;
  if (k < 2) return NaN;
  const mx = points.reduce((a, [x]) => a + x, 0) / k;
  const my = points.reduce((a, [, y]) => a + y, 0) / k;
  const num = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const den = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return num / den;
}

main()
  .catch(async (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exitCode = 1;
    await serve?.stop(5000);
  })
  .finally(() => {
    if (farm && farm.exitCode === null) farm.kill("SIGTERM");
    if (values.keep) console.log(`kept: ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  });
