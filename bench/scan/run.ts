/**
 * @module bench/scan/run
 * The scan benchmark: N local HTTPS endpoints (a child-process server farm) scanned through the real CLI
 * path, `main(["scan", ...])`, twice on one store; prints endpoints/s, peak RSS and the machine.
 */
import { execFileSync, fork, type ChildProcess } from "node:child_process";
import { appendFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { main, type Io } from "../../src/main.js";
import type { FarmEndpoint, FarmMessage, ParentMessage } from "./protocol.js";
import { cpuSeconds, machine, machineBusySeconds, table } from "../plain-report.js";
import { stopChild } from "../stop-child.js";

const MB = 1024 * 1024;
const TARGET_ENDPOINTS_PER_S = 200;
const TARGET_PEAK_RSS_MB = 250;
const RSS_SAMPLE_MS = 50;

/** A bad option: reported in one line, exit status 2. */
class UsageError extends Error {}

/** The farm process from the moment it is forked, so that every exit path can kill it. */
let farmChild: ChildProcess | undefined;

interface Options {
  readonly n: number;
  readonly concurrency: number;
  readonly scans: number;
  readonly legacyProtocols: boolean;
  readonly oneWildcardDomain: boolean;
  /** CRLs the farm publishes (0: none); leaf i names CRL i % crls. */
  readonly crls: number;
  readonly crlEntries: number;
  readonly revocation: boolean;
  readonly out: string | undefined;
  readonly keep: boolean;
}

const USAGE =
  "usage: run [--n N] [--concurrency C] [--scans S] [--no-legacy] [--one-wildcard-domain] [--crls K] [--crl-entries M] [--no-revocation] [--out file.jsonl] [--keep]";

function parseOptions(): Options {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        n: { type: "string" },
        concurrency: { type: "string" },
        scans: { type: "string" },
        "no-legacy": { type: "boolean", default: false },
        "one-wildcard-domain": { type: "boolean", default: false },
        crls: { type: "string" },
        "crl-entries": { type: "string" },
        "no-revocation": { type: "boolean", default: false },
        out: { type: "string" },
        keep: { type: "boolean", default: false },
      },
    }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE}`);
  }
  const int = (name: string, raw: string | undefined, fallback: number, max: number): number => {
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new UsageError(`${name} must be an integer 1..${max}`);
    return n;
  };
  return {
    n: int("N", values.n ?? process.env["N"], 1000, 62_500),
    concurrency: int("CONCURRENCY", values.concurrency ?? process.env["CONCURRENCY"], 32, 1024),
    scans: int("--scans", values.scans, 2, 10),
    legacyProtocols: !(values["no-legacy"] ?? false),
    oneWildcardDomain: values["one-wildcard-domain"] ?? false,
    crls: values.crls === undefined ? 0 : int("--crls", values.crls, 0, 1000),
    crlEntries: int("--crl-entries", values["crl-entries"], 100_000, 10_000_000),
    revocation: !(values["no-revocation"] ?? false),
    out: values.out,
    keep: values.keep ?? false,
  };
}

// ─── the server farm (child process) ───────────────────────────────────────────────────────────────

interface Farm {
  readonly child: ChildProcess;
  readonly ready: Extract<FarmMessage, { type: "ready" }>;
  usage(): Promise<Extract<FarmMessage, { type: "usage" }> | null>;
  stop(): Promise<void>;
}

async function startFarm(o: Options, dir: string): Promise<Farm> {
  const n = o.n;
  // Compiled (npm run bench:scan) the farm is plain JS; from the sources (tsx) it needs the tsx loader.
  const compiled = import.meta.url.endsWith(".js");
  const entry = fileURLToPath(new URL(compiled ? "./server-farm.js" : "./server-farm.ts", import.meta.url));
  const args = [
    "--n",
    String(n),
    "--dir",
    dir,
    ...(o.oneWildcardDomain ? ["--one-wildcard-domain"] : []),
    ...(o.crls > 0 ? ["--crls", String(o.crls), "--crl-entries", String(o.crlEntries)] : []),
  ];
  const child = fork(entry, args, {
    execArgv: compiled ? [] : ["--import", import.meta.resolve("tsx")],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  farmChild = child;
  const startTimeoutMs = 120_000 + n * 20;
  const ready = await new Promise<Extract<FarmMessage, { type: "ready" }>>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the server farm was not ready in ${startTimeoutMs} ms`)),
      startTimeoutMs,
    );
    const done = (): void => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    const onMessage = (m: FarmMessage): void => {
      if (m.type === "ready") {
        done();
        resolve(m);
      } else if (m.type === "error") {
        done();
        reject(new Error(`server farm: ${m.message}`));
      }
    };
    const onExit = (code: number | null): void => {
      done();
      reject(new Error(`the server farm exited (${code}) before it was ready`));
    };
    child.on("message", onMessage);
    child.on("exit", onExit);
  });
  const send = (m: ParentMessage): void => {
    if (child.connected) child.send(m);
  };
  return {
    child,
    ready,
    usage: () =>
      new Promise((resolve) => {
        const timer = setTimeout(() => {
          child.off("message", onMessage);
          resolve(null);
        }, 5_000);
        const onMessage = (m: FarmMessage): void => {
          if (m.type !== "usage") return;
          clearTimeout(timer);
          child.off("message", onMessage);
          resolve(m);
        };
        child.on("message", onMessage);
        send({ type: "usage" });
      }),
    stop: () =>
      stopChild(child, () => {
        send({ type: "close" });
        if (child.connected) child.disconnect();
      }),
  };
}

// ─── the configuration the CLI reads ───────────────────────────────────────────────────────────────

function writeConfig(
  dir: string,
  farm: Farm["ready"],
  endpoints: readonly FarmEndpoint[],
  o: Options,
): string {
  const q = (s: string): string => JSON.stringify(s);
  const lines = [
    "# certwatch scan benchmark: generated, every endpoint on loopback with a pinned address.",
    "trust:",
    `  extraRoots: [${q(farm.rootPem)}]`,
    "scan:",
    `  concurrency: ${o.concurrency}`,
    `  legacyProtocols: ${o.legacyProtocols}`,
    "revocation:",
    `  crl: ${o.revocation}`,
    `  ocsp: ${o.revocation}`,
    "  timeoutMs: 60000",
    "  allowPrivateAddresses: true # the farm's CRLs are on loopback",
    `store: ${q(`sqlite:${join(dir, "bench.db")}`)}`,
    "endpoints:",
    ...endpoints.map(
      (e) => `  - { url: ${q(`https://${e.host}:${farm.port}`)}, addresses: [${q(e.address)}] }`,
    ),
    "",
  ];
  const file = join(dir, "certwatch.yaml");
  writeFileSync(file, lines.join("\n"));
  return file;
}

// ─── measuring ─────────────────────────────────────────────────────────────────────────────────────

/** stdout of the CLI: counted, then discarded. */
class CountingSink extends Writable {
  bytes = 0;
  lines = 0;
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    const b = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    this.bytes += b.length;
    for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) this.lines++;
    callback();
  }
}

/** stderr of the CLI: passed through to ours and kept (bounded) to read the summary line. Never a TTY. */
class StderrTee extends Writable {
  text = "";
  readonly isTTY = false;
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    const s = chunk.toString();
    process.stderr.write(`  | ${s}`);
    this.text = (this.text + s).slice(-64 * 1024);
    callback();
  }
}

class RssSampler {
  peak = 0;
  private readonly timer: NodeJS.Timeout;
  constructor() {
    this.timer = setInterval(() => this.sample(), RSS_SAMPLE_MS);
    this.timer.unref();
  }
  sample(): void {
    this.peak = Math.max(this.peak, process.memoryUsage().rss);
  }
  reset(): void {
    this.peak = 0;
    this.sample();
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

interface Summary {
  readonly endpoints: number;
  readonly scanSeconds: number;
  readonly served: number;
  readonly noCertificate: number;
  readonly unreachable: number;
  readonly opened: number;
  readonly reopened: number;
  readonly resolved: number;
}

function parseSummary(stderr: string): Summary | null {
  const m =
    /scanned (\d+) endpoints? of \d+ targets? in ([\d.]+)s: (\d+) served a certificate, (\d+) no certificate, (\d+) unreachable; alerts: (\d+) new, (\d+) reopened, (\d+) resolved/.exec(
      stderr,
    );
  if (!m) return null;
  const n = (i: number): number => Number(m[i]);
  return {
    endpoints: n(1),
    scanSeconds: n(2),
    served: n(3),
    noCertificate: n(4),
    unreachable: n(5),
    opened: n(6),
    reopened: n(7),
    resolved: n(8),
  };
}

interface ScanResult {
  readonly label: string;
  readonly exitCode: number;
  readonly wallMs: number;
  readonly endpointsPerSecond: number;
  readonly summary: Summary | null;
  readonly alertsPrinted: number;
  readonly stdoutBytes: number;
  /** Highest process.memoryUsage().rss sampled during this scan. */
  readonly sampledPeakRssMb: number;
  /** process.resourceUsage().maxRSS after the scan: the process's high-water mark so far. */
  readonly maxRssMb: number;
  readonly scannerCpuS: number;
  readonly farmCpuS: number | null;
  /** CPU the whole machine used during the scan beyond the scanner and the farm: other work skews the figures. */
  readonly otherCpuS: number | null;
}

async function runScan(
  label: string,
  configFile: string,
  n: number,
  farm: Farm,
  rss: RssSampler,
): Promise<ScanResult> {
  (globalThis as { gc?: () => void }).gc?.();
  const stdout = new CountingSink();
  const stderr = new StderrTee();
  // Io wants a tty.WriteStream; the CLI only writes to it and reads isTTY (false: no progress bar).
  const io: Io = { stdout, stderr: stderr as unknown as NodeJS.WriteStream };
  const farmBefore = await farm.usage();
  rss.reset();
  const busyBefore = machineBusySeconds();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const exitCode = await main(["scan", "--config", configFile, "--json"], io);
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const busy = machineBusySeconds() - busyBefore;
  rss.sample();
  const farmAfter = await farm.usage();
  const farmCpuS = farmBefore && farmAfter ? cpuSeconds(farmAfter.cpu) - cpuSeconds(farmBefore.cpu) : null;
  return {
    label,
    exitCode,
    wallMs,
    endpointsPerSecond: n / (wallMs / 1000),
    summary: parseSummary(stderr.text),
    alertsPrinted: stdout.lines,
    stdoutBytes: stdout.bytes,
    sampledPeakRssMb: rss.peak / MB,
    maxRssMb: (process.resourceUsage().maxRSS * 1024) / MB,
    scannerCpuS: cpuSeconds(cpu),
    farmCpuS,
    otherCpuS: farmCpuS === null ? null : Math.max(0, busy - cpuSeconds(cpu) - farmCpuS),
  };
}

// ─── reporting ─────────────────────────────────────────────────────────────────────────────────────

/**
 * The commit measured (read-only git commands; "unknown" without git): "+" when src/ differs from it, and a
 * warning when this compiled copy (.bench-out) is older than the commit, i.e. it measures older code.
 */
function commit(): string {
  const here = fileURLToPath(import.meta.url);
  const cwd = dirname(here);
  const git = (...args: string[]): string => execFileSync("git", args, { cwd, encoding: "utf8" }).trim();
  try {
    const head = git("rev-parse", "--short", "HEAD");
    let modified = false;
    try {
      execFileSync("git", ["diff", "--quiet", "HEAD", "--", "src"], { cwd, stdio: "ignore" });
    } catch {
      modified = true;
    }
    const stale =
      here.endsWith(".js") && statSync(here).mtimeMs < Number(git("log", "-1", "--format=%ct")) * 1000;
    return `${head}${modified ? "+" : ""}${stale ? " (WARNING: compiled before this commit; run npm run bench:scan)" : ""}`;
  } catch {
    return "unknown";
  }
}

function report(
  m: Record<string, string>,
  o: Options,
  farm: Farm["ready"],
  baselineRssMb: number,
  results: readonly ScanResult[],
): void {
  const wildcards = o.oneWildcardDomain ? "all for *.bench.test" : "4 per group of 100 hosts";
  const out: string[] = [
    "",
    "certwatch scan benchmark",
    `machine: ${m["cpu"]}, ${m["cores"]} cores, ${m["memory"]}, Node ${m["node"]}, ${m["platform"]}; load average ${m["load"]}`,
    `commit: ${m["commit"]}`,
    `workload: N=${o.n} HTTPS endpoints on 127.2.x.y:${farm.port}, concurrency ${o.concurrency}, ` +
      `legacy TLS probe ${o.legacyProtocols ? "on" : "off"}, wildcard certificates ${wildcards}, ` +
      `revocation ${o.revocation ? "on" : "off"}` +
      `${o.crls > 0 ? ` with ${o.crls} CRLs of ${o.crlEntries} entries shared by the leaves` : ""}; ` +
      `farm: certificates ${farm.generateMs} ms, listeners ${farm.listenMs} ms`,
    `RSS after importing the CLI, before scanning: ${baselineRssMb.toFixed(0)} MB`,
    "",
    table(
      [
        "scan",
        "exit",
        "wall s",
        "scan s",
        "endpoints/s",
        "served",
        "alerts",
        "new",
        "peak RSS MB",
        "maxRSS MB",
        "CPU s",
        "farm CPU s",
        "other CPU s",
      ],
      results.map((r) => [
        r.label,
        String(r.exitCode),
        (r.wallMs / 1000).toFixed(2),
        r.summary ? r.summary.scanSeconds.toFixed(1) : "?",
        r.endpointsPerSecond.toFixed(0),
        r.summary ? `${r.summary.served}/${o.n}` : "?",
        String(r.alertsPrinted),
        r.summary ? String(r.summary.opened) : "?",
        r.sampledPeakRssMb.toFixed(0),
        r.maxRssMb.toFixed(0),
        r.scannerCpuS.toFixed(1),
        r.farmCpuS === null ? "?" : r.farmCpuS.toFixed(1),
        r.otherCpuS === null ? "?" : r.otherCpuS.toFixed(1),
      ]),
    ),
    "",
  ];
  const first = results[0];
  if (first) {
    const rate = first.endpointsPerSecond >= TARGET_ENDPOINTS_PER_S ? "met" : "MISSED";
    const mem = first.maxRssMb <= TARGET_PEAK_RSS_MB ? "met" : "MISSED";
    out.push(
      `first scan: ${first.endpointsPerSecond.toFixed(0)} endpoints/s (target >= ${TARGET_ENDPOINTS_PER_S}: ${rate}), ` +
        `peak RSS ${first.maxRssMb.toFixed(0)} MB (target <= ${TARGET_PEAK_RSS_MB}: ${mem})`,
    );
  }
  process.stdout.write(`${out.join("\n")}\n`);
  if (o.out !== undefined) {
    const record = {
      machine: m,
      options: {
        n: o.n,
        concurrency: o.concurrency,
        legacyProtocols: o.legacyProtocols,
        oneWildcardDomain: o.oneWildcardDomain,
      },
      farm: { port: farm.port, generateMs: farm.generateMs, listenMs: farm.listenMs },
      baselineRssMb,
      results,
    };
    appendFileSync(o.out, `${JSON.stringify(record)}\n`);
  }
}

// ─── main ──────────────────────────────────────────────────────────────────────────────────────────

async function bench(): Promise<number> {
  const o = parseOptions();
  const m = machine(commit());
  const dir = mkdtempSync(join(os.tmpdir(), "certwatch-bench-"));
  let farm: Farm | undefined;
  const killFarm = (): void => {
    if (farmChild && farmChild.exitCode === null && farmChild.signalCode === null) farmChild.kill("SIGKILL");
  };
  // Every way out (a signal, the watchdog, a crash) kills the farm and removes the temporary directory.
  process.on("exit", () => {
    killFarm();
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => process.exit(130));
  }
  // A benchmark that hangs is a failed benchmark: bounded whatever happens.
  const watchdogMs = 10 * 60_000 + o.n * o.scans * 100;
  setTimeout(() => {
    process.stderr.write(`bench: no result after ${watchdogMs} ms; giving up\n`);
    process.exit(1);
  }, watchdogMs).unref();

  const rss = new RssSampler();
  try {
    process.stderr.write(`bench: starting ${o.n} HTTPS endpoints...\n`);
    farm = await startFarm(o, dir);
    const configFile = writeConfig(dir, farm.ready, farm.ready.endpoints, o);
    (globalThis as { gc?: () => void }).gc?.();
    const baselineRssMb = process.memoryUsage().rss / MB;
    const results: ScanResult[] = [];
    for (let i = 0; i < o.scans; i++) {
      const label = i === 0 ? "1 (new store)" : `${i + 1} (steady)`;
      process.stderr.write(`bench: scan ${label}...\n`);
      results.push(await runScan(label, configFile, o.n, farm, rss));
    }
    report(m, o, farm.ready, baselineRssMb, results);
    const failed = results.filter((r) => r.exitCode !== 0 || r.summary?.served !== o.n);
    for (const r of failed) {
      process.stderr.write(
        `bench: scan ${r.label} failed: exit ${r.exitCode}, ` +
          `${r.summary ? `${r.summary.served}/${o.n} endpoints served a certificate` : "no summary line"}\n`,
      );
    }
    return failed.length === 0 ? 0 : 1;
  } finally {
    rss.stop();
    await farm?.stop();
    if (o.keep) process.stderr.write(`bench: kept ${dir}\n`);
  }
}

bench().then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`bench: ${e.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
