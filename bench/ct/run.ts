/**
 * @module bench/ct/run
 * The CT benchmark of issue 4: certwatch backfills a local synthetic log of N entries (a child process,
 * bench/ct/log-server.ts) through its real pipeline — `runCtOnce` with the real RFC 6962 / Static CT clients
 * (`logTargets`), a fresh SQLite store, `startAt: "beginning"`: download, Merkle verification, parse, match
 * against D watched domains, inventory writes — and prints entries/s (wall and per CPU-second of its own
 * process), the log server's CPU, and peak RSS. With `--sizes` it repeats for several N, so that "memory
 * flat as the log grows" can be judged. When certspotter is installed (or `--certspotter PATH`), it is run
 * against the same log with the same watch list, and both rates and their ratio are printed.
 *
 * Each measurement runs in a fresh worker process (this file with `--worker`), so that its CPU time and its
 * peak RSS (sampled every 100 ms, and the kernel's maxRSS, which cannot be reset) belong to that run alone;
 * the worker also reads the log server's CPU (`/_bench/usage`) and the machine's busy time around the run.
 * "On one core" is entries per CPU-second of the worker (user + system, all its threads: V8's GC helper
 * threads included; `--worker-flags=--single-threaded-gc` shows what they cost). The log server's template
 * certificates (the slow part of its start) are cached in the temporary directory between runs.
 *
 * `npm run bench:ct` (N = 200,000, both protocols); `npm run bench:ct -- --sizes 100000,200000,400000`;
 * `--no-certspotter`, `--cpu-prof DIR` (a V8 CPU profile of each certwatch worker); see USAGE for the rest.
 *
 * By default certwatch runs flat out (batches of 1,000, 8 in flight, no rate limit), which measures its
 * pipeline. `--defaults` measures what a user gets instead (issue 11): certwatch with the `ct` settings of
 * an empty configuration (batches of 256, 4 in flight, the adaptive rate from 20/s up to 100/s), a log that
 * answers at most 256 entries per `get-entries` (`--log-max-batch`), and certspotter with its own default
 * `-batch_size`. `--repeat K` alternates K certwatch and K certspotter runs on one log server.
 */
import { LookalikeMatcher } from "../../src/lookalike/matcher.js";
import { execFileSync, fork, spawn, type ChildProcess } from "node:child_process";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import * as os from "node:os";
import { delimiter, dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { draftFromFinding } from "../../src/alerts/reconcile.js";
import type { LogProgress } from "../../src/app/ct/read-log.js";
import { runCtOnce, type CtRunDeps } from "../../src/app/ct/run.js";
import { configFromObject } from "../../src/config/load.js";
import { logTargets, type ClientSettings } from "../../src/app/ct/targets.js";
import { DEFAULT_THRESHOLDS } from "../../src/checks/context.js";
import { WatchedDomains } from "../../src/domain/watched-domains.js";
import { CaaIdentifierTable } from "../../src/pki/ca-identifiers.js";
import { TrustStore } from "../../src/pki/trust-store.js";
import { inlineLogDescriptor } from "../../src/sources/ct/log-list.js";
import type { PoliteStats } from "../../src/sources/ct/polite-http.js";
import { openStore } from "../../src/store/open.js";
import { HttpClient } from "../../src/util/http-get.js";
import type { ServerInfo, ServerUsage } from "./log-server.js";
import { cpuSeconds, machine, machineBusySeconds, table } from "../plain-report.js";
import { stopChild } from "../stop-child.js";

const MB = 1024 * 1024;
/** Issue 4: entries per second on one core (per CPU-second of the certwatch process). */
const TARGET_ENTRIES_PER_CPU_S = 20_000;
const RSS_SAMPLE_MS = 100;
/** As main.ts commits CT batches. */
const CT_COMMIT_EVERY = 4096;

type Protocol = "rfc6962" | "static-ct";

/** A bad option: reported in one line, exit status 2. */
class UsageError extends Error {}

// ─── the worker: one certwatch run in a fresh process ─────────────────────────────────────────────

interface Job {
  readonly protocol: Protocol;
  readonly url: string;
  readonly key: string;
  readonly domains: readonly string[];
  readonly dir: string;
  readonly settings: ClientSettings;
  readonly commitEvery: number;
  readonly quiet: boolean;
}

interface WorkerResult {
  readonly protocol: Protocol;
  readonly outcome: string;
  readonly error: string | null;
  readonly entriesRead: number;
  readonly matched: number;
  readonly entryErrors: number;
  readonly headSize: number;
  readonly position: number;
  readonly alertChanges: number;
  /** Certificates the inventory holds for the watched domains afterwards. */
  readonly inventory: number;
  readonly wallS: number;
  /** CPU seconds the log server used during the run. */
  readonly serverCpuS: number | null;
  readonly otherCpuS: number | null;
  readonly userS: number;
  readonly systemS: number;
  readonly baselineRssMb: number;
  /** Highest RSS sampled every 100 ms during the run. */
  readonly peakRssMb: number;
  /** The kernel's high-water mark for the worker process (includes start-up). */
  readonly maxRssMb: number;
  /** V8 heap in use after the run and a full GC, with the run's report still held: what the pipeline retains. */
  readonly heapAfterGcMb: number;
  /** The same before the run (after a full GC). */
  readonly heapBeforeMb: number;
  readonly dbMb: number;
  readonly requests: number | null;
  readonly retries: number | null;
  /** The request rate at the end and the highest reached (per second), as text (IPC drops Infinity). */
  readonly rate: string;
  /** 429/503 answers. */
  readonly throttled: number | null;
  /** Times the adaptive rate went down, and why the last time. */
  readonly decreases: string;
  readonly logLines: readonly string[];
}

type WorkerMessage = { type: "result"; result: WorkerResult } | { type: "error"; message: string };

async function worker(job: Job): Promise<WorkerResult> {
  const store = await openStore(`sqlite:${join(job.dir, "certwatch.db")}`);
  const http = new HttpClient();
  const watched = new WatchedDomains(job.domains);
  const lines: string[] = [];
  let lastReport = 0;
  const started = { t: 0 };
  const progress = (p: LogProgress): void => {
    if (job.quiet) return;
    const now = performance.now();
    if (now - lastReport < 2000 && p.position < p.size) return;
    lastReport = now;
    const s = (now - started.t) / 1000;
    process.stderr.write(
      `  ${job.protocol}: ${p.position.toLocaleString("en")}/${p.size.toLocaleString("en")} in ${s.toFixed(1)} s\n`,
    );
  };
  const deps: CtRunDeps = {
    store,
    trust: new TrustStore([]),
    caaTable: new CaaIdentifierTable({}),
    // Backfilled entries are history: no CAA question is asked. Should one be, it must not leave the machine.
    caaPolicy: () => Promise.resolve({ kind: "timeout", error: "no DNS in the benchmark" }),
    allowedRoots: new Set(),
    draft: (f) => draftFromFinding(f),
    logLine: (m) => {
      if (lines.length < 20) lines.push(m);
    },
    startAt: "beginning",
    now: () => new Date(),
    commitEvery: job.commitEvery,
    progress,
    watched,
    thresholds: DEFAULT_THRESHOLDS,
    logConcurrency: 1,
  };
  const d = inlineLogDescriptor({
    url: job.url,
    key: job.key,
    name: `bench ${job.protocol}`,
    type: job.protocol,
  });
  if (d.kind === "error") throw new Error(d.error);
  // The lookalike index too: every logged name not under a watched domain is asked whether it imitates one.
  const lookalikes = new LookalikeMatcher(watched.list);
  const targets = logTargets([d.log], { watched, lookalikes }, http, job.settings);

  const rss = new RssSampler();
  (globalThis as { gc?: () => void }).gc?.();
  const baselineRssMb = process.memoryUsage().rss / MB;
  const heapBeforeMb = process.memoryUsage().heapUsed / MB;
  const server0 = await serverUsage(job.url);
  rss.reset();
  const busy0 = machineBusySeconds();
  const cpu0 = process.cpuUsage();
  started.t = performance.now();
  const report = await runCtOnce(targets, deps);
  const wallS = (performance.now() - started.t) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const busy = machineBusySeconds() - busy0;
  rss.sample();
  rss.stop();
  const server1 = await serverUsage(job.url);
  const serverCpuS = server0 && server1 ? cpuSeconds(server1.cpu) - cpuSeconds(server0.cpu) : null;
  (globalThis as { gc?: () => void }).gc?.();
  const heapAfterGcMb = process.memoryUsage().heapUsed / MB;

  const log = report.logs[0];
  const inventory = (await store.certificatesUnder(watched.list)).length;
  const stats = (targets[0]?.client as { stats?: PoliteStats } | undefined)?.stats;
  http.destroy();
  await store.close();
  const dbMb = readdirSync(job.dir)
    .filter((f) => f.startsWith("certwatch.db"))
    .reduce((s, f) => s + statSync(join(job.dir, f)).size / MB, 0);
  return {
    protocol: job.protocol,
    outcome: log?.outcome ?? "none",
    error: log?.error ?? "no log report",
    entriesRead: log?.entriesRead ?? 0,
    matched: log?.matched ?? 0,
    entryErrors: log?.entryErrors ?? 0,
    headSize: log?.headSize ?? 0,
    position: log?.position ?? 0,
    alertChanges: report.changes.length,
    inventory,
    wallS,
    serverCpuS,
    // Whole-machine busy time during the run beyond certwatch and the log server: other work skews the figures.
    otherCpuS: serverCpuS === null ? null : Math.max(0, busy - cpuSeconds(cpu) - serverCpuS),
    userS: cpu.user / 1e6,
    systemS: cpu.system / 1e6,
    baselineRssMb,
    peakRssMb: rss.peak / MB,
    maxRssMb: (process.resourceUsage().maxRSS * 1024) / MB,
    heapAfterGcMb,
    heapBeforeMb,
    dbMb,
    requests: stats?.requests ?? null,
    retries: stats?.retries ?? null,
    rate: stats === undefined ? "?" : `${fmtRate(stats.rate)} (${fmtRate(stats.peakRate)})`,
    throttled: stats?.throttled ?? null,
    decreases:
      stats === undefined
        ? "?"
        : `${stats.decreases}${stats.lastDecrease === null ? "" : ` (${stats.lastDecrease})`}`,
    logLines: lines,
  };
}

/** The log server's own CPU and memory (`GET /_bench/usage`), or null. */
async function serverUsage(url: string): Promise<ServerUsage | null> {
  try {
    const r = await fetch(`${url}_bench/usage`);
    return (await r.json()) as ServerUsage;
  } catch {
    return null;
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
    this.peak = Math.max(this.peak, process.memoryUsage.rss());
  }
  reset(): void {
    this.peak = 0;
    this.sample();
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

// ─── options ──────────────────────────────────────────────────────────────────────────────────────

interface Options {
  readonly sizes: readonly number[];
  readonly protocols: readonly Protocol[];
  readonly domains: number;
  readonly templates: number;
  readonly matchEvery: number;
  readonly settings: ClientSettings;
  /** The settings are those of an empty configuration (`--defaults`). */
  readonly defaults: boolean;
  /** Most entries the log answers per `get-entries`. */
  readonly logMaxBatch: number;
  /** Alternating certwatch / certspotter runs per log server. */
  readonly repeat: number;
  readonly commitEvery: number;
  /** certspotter's `-batch_size`; null: its own default. */
  readonly certspotterBatchSize: number | null;
  /** Path of the certspotter binary; null: none wanted or found. */
  readonly certspotter: string | null;
  readonly certspotterWanted: boolean;
  readonly certspotterTimeoutS: number;
  readonly cpuProf: string | undefined;
  /** Extra Node/V8 flags for the certwatch worker (e.g. `--single-threaded-gc`). */
  readonly workerFlags: readonly string[];
  readonly gzip: boolean;
  readonly out: string | undefined;
  readonly keep: boolean;
}

const USAGE =
  "usage: run [--entries N | --sizes N1,N2,...] [--protocol rfc6962|static-ct|both] [--domains D] [--templates K] " +
  "[--match-every M] [--defaults] [--concurrency C] [--batch-size B] [--rps R] [--max-rps R | --fixed-rate] " +
  "[--log-max-batch B] [--repeat K] [--commit-every E] [--certspotter PATH | --no-certspotter] " +
  "[--certspotter-timeout S] [--cpu-prof DIR] [--worker-flags FLAGS] [--gzip] [--out file.jsonl] [--keep]";

function parseOptions(): Options {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        entries: { type: "string" },
        sizes: { type: "string" },
        protocol: { type: "string", default: "both" },
        domains: { type: "string" },
        templates: { type: "string" },
        "match-every": { type: "string" },
        concurrency: { type: "string" },
        "batch-size": { type: "string" },
        rps: { type: "string" },
        "max-rps": { type: "string" },
        "fixed-rate": { type: "boolean", default: false },
        defaults: { type: "boolean", default: false },
        "log-max-batch": { type: "string" },
        repeat: { type: "string" },
        "commit-every": { type: "string" },
        certspotter: { type: "string" },
        "no-certspotter": { type: "boolean", default: false },
        "certspotter-timeout": { type: "string" },
        "cpu-prof": { type: "string" },
        "worker-flags": { type: "string" },
        gzip: { type: "boolean", default: false },
        out: { type: "string" },
        keep: { type: "boolean", default: false },
      },
    }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE}`);
  }
  const int = (name: string, raw: string | undefined, fallback: number, min: number, max: number): number => {
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new UsageError(`${name} must be an integer ${min}..${max}`);
    return n;
  };
  const sizes =
    values.sizes !== undefined
      ? values.sizes.split(",").map((s) => int("--sizes", s.trim(), 0, 1, 100_000_000))
      : [int("--entries", values.entries, 200_000, 1, 100_000_000)];
  const protocol = values.protocol;
  if (protocol !== "rfc6962" && protocol !== "static-ct" && protocol !== "both") {
    throw new UsageError("--protocol must be rfc6962, static-ct or both");
  }
  const defaults = values.defaults ?? false;
  // Flat out (the pipeline's speed), or an empty configuration's ct settings (what a user gets).
  const ct = configFromObject({}, "bench (defaults)").ct;
  const base = defaults
    ? {
        batchSize: ct.batchSize,
        concurrency: ct.concurrency,
        requestsPerSecond: ct.requestsPerSecond,
        adaptive: ct.adaptive,
        maxRequestsPerSecond: ct.maxRequestsPerSecond,
        timeoutMs: ct.timeoutMs,
        maxRetryAfterSeconds: ct.maxRetryAfterSeconds,
      }
    : {
        batchSize: 1000,
        concurrency: 8,
        requestsPerSecond: 100_000,
        adaptive: values["max-rps"] !== undefined,
        maxRequestsPerSecond: 100_000,
        timeoutMs: 60_000,
        maxRetryAfterSeconds: 1,
      };
  const noCertspotter = values["no-certspotter"] ?? false;
  let certspotter: string | null = null;
  if (!noCertspotter) {
    if (values.certspotter !== undefined) {
      if (!existsSync(values.certspotter))
        throw new UsageError(`--certspotter: ${values.certspotter} does not exist`);
      certspotter = values.certspotter;
    } else {
      certspotter = which("certspotter");
    }
  }
  return {
    sizes,
    protocols: protocol === "both" ? ["rfc6962", "static-ct"] : [protocol],
    domains: int("--domains", values.domains, 1000, 1, 1_000_000),
    templates: int("--templates", values.templates, 300, 1, 100_000),
    matchEvery: int("--match-every", values["match-every"], 100, 1, 1_000_000),
    settings: {
      batchSize: int("--batch-size", values["batch-size"], base.batchSize, 1, 10_000),
      concurrency: int("--concurrency", values.concurrency, base.concurrency, 1, 64),
      requestsPerSecond: int("--rps", values.rps, base.requestsPerSecond, 1, 100_000),
      adaptive: base.adaptive && !(values["fixed-rate"] ?? false),
      maxRequestsPerSecond: int("--max-rps", values["max-rps"], base.maxRequestsPerSecond, 1, 100_000),
      timeoutMs: base.timeoutMs,
      maxRetryAfterSeconds: base.maxRetryAfterSeconds,
    },
    defaults,
    logMaxBatch: int("--log-max-batch", values["log-max-batch"], defaults ? 256 : 1000, 1, 100_000),
    repeat: int("--repeat", values.repeat, 1, 1, 100),
    // What the user of each tool gets: certspotter's default -batch_size with --defaults, else certwatch's.
    certspotterBatchSize:
      defaults && values["batch-size"] === undefined
        ? null
        : int("--batch-size", values["batch-size"], base.batchSize, 1, 10_000),
    commitEvery: int("--commit-every", values["commit-every"], CT_COMMIT_EVERY, 1, 1_000_000),
    certspotter,
    certspotterWanted: !noCertspotter,
    certspotterTimeoutS: int("--certspotter-timeout", values["certspotter-timeout"], 900, 1, 86_400),
    cpuProf: values["cpu-prof"],
    workerFlags: (values["worker-flags"] ?? "").split(/\s+/).filter((f) => f !== ""),
    gzip: values.gzip ?? false,
    out: values.out,
    keep: values.keep ?? false,
  };
}

function which(name: string): string | null {
  const dirs = [...(process.env["PATH"] ?? "").split(delimiter), "/usr/bin", "/usr/sbin", "/usr/local/bin"];
  for (const d of dirs) {
    if (d === "") continue;
    const p = join(d, name);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not there
    }
  }
  return null;
}

// ─── child processes ──────────────────────────────────────────────────────────────────────────────

/** Compiled (npm run bench:ct) the children are plain JS; from the sources (tsx) they need the tsx loader. */
const compiled = import.meta.url.endsWith(".js");
const loaderArgs = (): string[] => (compiled ? [] : ["--import", import.meta.resolve("tsx")]);
const children = new Set<ChildProcess>();

interface LogServer {
  readonly info: ServerInfo;
  usage(): Promise<ServerUsage | null>;
  stop(): Promise<void>;
}

async function startLogServer(n: number, o: Options, cacheFile: string): Promise<LogServer> {
  const entry = fileURLToPath(new URL(compiled ? "./log-server.js" : "./log-server.ts", import.meta.url));
  const args = [
    "--entries",
    String(n),
    "--domains",
    String(o.domains),
    "--templates",
    String(o.templates),
    "--match-every",
    String(o.matchEvery),
    "--max-batch",
    String(o.logMaxBatch),
    "--template-cache",
    cacheFile,
    ...(o.gzip ? ["--gzip"] : []),
  ];
  const child = spawn(process.execPath, [...loaderArgs(), entry, ...args], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  const info = await new Promise<ServerInfo>((resolve, reject) => {
    const timeoutMs = 300_000 + n / 10;
    const timer = setTimeout(
      () => reject(new Error(`the log server was not ready in ${timeoutMs} ms`)),
      timeoutMs,
    );
    const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    rl.once("line", (line) => {
      clearTimeout(timer);
      rl.close();
      try {
        resolve(JSON.parse(line) as ServerInfo);
      } catch (e) {
        reject(new Error(`log server: ${(e as Error).message}: ${line.slice(0, 200)}`));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the log server exited (${code}) before it was ready`));
    });
  });
  return {
    info,
    usage: () => serverUsage(info.url),
    stop: () => stopChild(child, () => child.stdin?.end()),
  };
}

function runWorker(job: Job, o: Options): Promise<WorkerResult> {
  const entry = fileURLToPath(import.meta.url);
  const execArgv = [
    ...loaderArgs(),
    "--expose-gc",
    ...o.workerFlags,
    ...(o.cpuProf !== undefined
      ? [
          "--cpu-prof",
          `--cpu-prof-dir=${o.cpuProf}`,
          `--cpu-prof-name=certwatch-${job.protocol}-${Date.now()}.cpuprofile`,
        ]
      : []),
  ];
  const child = fork(entry, ["--worker"], { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  children.add(child);
  return new Promise<WorkerResult>((resolve, reject) => {
    let result: WorkerResult | null = null;
    child.on("message", (m: WorkerMessage) => {
      if (m.type === "result") result = m.result;
      else reject(new Error(`worker: ${m.message}`));
    });
    child.once("exit", (code) => {
      children.delete(child);
      if (result !== null) resolve(result);
      else reject(new Error(`the certwatch worker exited (${code}) without a result`));
    });
    child.send(job);
  });
}

// ─── certspotter ──────────────────────────────────────────────────────────────────────────────────

interface CertspotterResult {
  readonly protocol: Protocol;
  readonly done: boolean;
  readonly error: string | null;
  readonly verifiedSize: number;
  readonly matched: number;
  readonly malformed: number;
  readonly wallS: number;
  readonly userS: number;
  readonly systemS: number;
  readonly peakRssMb: number | null;
}

/** utime and stime (seconds) and VmHWM (MB) of a live process, from /proc (Linux). */
function procUsage(pid: number): { userS: number; systemS: number; hwmMb: number | null } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const tick = clockTick();
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    return {
      userS: Number(f[11]) / tick,
      systemS: Number(f[12]) / tick,
      hwmMb: hwm ? Number(hwm[1]) / 1024 : null,
    };
  } catch {
    return null;
  }
}

let tickCache: number | undefined;
function clockTick(): number {
  if (tickCache === undefined) {
    try {
      tickCache = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      tickCache = 100;
    }
  }
  return tickCache;
}

function certspotterVersion(bin: string): string {
  try {
    return execFileSync(bin, ["-version"], { encoding: "utf8", timeout: 10_000 }).trim();
  } catch (e) {
    return `unknown (${(e as Error).message.split("\n")[0] ?? ""})`;
  }
}

/** Whether this certspotter knows tiled (Static CT API) logs: its log list parser must know `monitoring_url`. */
function certspotterKnowsTiledLogs(bin: string): boolean {
  try {
    return readFileSync(bin).includes("monitoring_url");
  } catch {
    return false;
  }
}

async function runCertspotter(
  bin: string,
  info: ServerInfo,
  protocol: Protocol,
  o: Options,
): Promise<CertspotterResult> {
  const dir = mkdtempSync(join(os.tmpdir(), "certwatch-bench-certspotter-"));
  const stateDir = join(dir, "state");
  const configDir = join(dir, "config");
  // An empty config dir: no email_recipients, no hooks.d. The log list is a local file naming only the local
  // log, so certspotter never fetches one; healthchecks (every 24 h) never come due.
  mkdirSync(stateDir, { recursive: true });
  mkdirSync(configDir, { recursive: true });
  const watchlist = join(dir, "watchlist");
  writeFileSync(watchlist, info.watchedDomains.map((d) => `.${d}\n`).join(""));
  const state = { usable: { timestamp: "2025-01-01T00:00:00Z" } };
  const log = { description: `bench ${protocol}`, log_id: info.logId, key: info.key, mmd: 86400, state };
  const list = {
    version: "1.0",
    log_list_timestamp: "2025-01-01T00:00:00Z",
    operators: [
      {
        name: "certwatch bench",
        email: ["bench@example.invalid"],
        ...(protocol === "rfc6962"
          ? { logs: [{ ...log, url: info.url }] }
          : { logs: [], tiled_logs: [{ ...log, submission_url: info.url, monitoring_url: info.url }] }),
      },
    ],
  };
  const logList = join(dir, "log_list.json");
  writeFileSync(logList, JSON.stringify(list));
  const args = [
    "-logs",
    logList,
    "-watchlist",
    watchlist,
    "-state_dir",
    stateDir,
    ...(o.certspotterBatchSize === null ? [] : ["-batch_size", String(o.certspotterBatchSize)]),
    "-stdout",
  ];
  const env = {
    PATH: "/usr/bin:/bin",
    HOME: dir,
    CERTSPOTTER_CONFIG_DIR: configDir,
    CERTSPOTTER_STATE_DIR: stateDir,
  };
  const started = performance.now();
  const child = spawn(bin, args, { env, stdio: ["ignore", "pipe", "pipe"], cwd: dir });
  children.add(child);
  let matched = 0;
  let stderrTail = "";
  createInterface({ input: child.stdout }).on("line", (l) => {
    if (/^[0-9a-f]{64}:$/.test(l)) matched++;
  });
  child.stderr.on("data", (b: Buffer) => {
    stderrTail = (stderrTail + b.toString()).slice(-4000);
  });
  let exited = false;
  child.once("exit", () => {
    exited = true;
    children.delete(child);
  });

  const verifiedSize = (): number => {
    try {
      const logs = join(stateDir, "logs");
      for (const d of readdirSync(logs)) {
        const f = join(logs, d, "state.json");
        if (!existsSync(f)) continue;
        const s = JSON.parse(readFileSync(f, "utf8")) as {
          verified_sth?: { tree_size?: number } | null;
          verified_position?: { size?: number } | null;
        };
        return Math.min(s.verified_sth?.tree_size ?? 0, s.verified_position?.size ?? 0);
      }
    } catch {
      // not written yet, or being replaced
    }
    return 0;
  };
  const deadline = started + o.certspotterTimeoutS * 1000;
  let size = 0;
  let usage: ReturnType<typeof procUsage> = null;
  let wallS = 0;
  while (!exited && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    size = verifiedSize();
    if (size >= info.entries) {
      wallS = (performance.now() - started) / 1000;
      usage = child.pid === undefined ? null : procUsage(child.pid);
      break;
    }
  }
  if (wallS === 0) {
    wallS = (performance.now() - started) / 1000;
    usage = child.pid === undefined ? null : procUsage(child.pid);
  }
  if (!exited) {
    const gone = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await gone;
    clearTimeout(t);
  }
  let malformed = 0;
  try {
    for (const d of readdirSync(join(stateDir, "logs"))) {
      malformed += readdirSync(join(stateDir, "logs", d, "malformed_entries")).length;
    }
  } catch {
    // none
  }
  if (!o.keep) rmSync(dir, { recursive: true, force: true });
  const done = size >= info.entries;
  return {
    protocol,
    done,
    error: done
      ? null
      : `verified ${size} of ${info.entries} entries; stderr: ${stderrTail.trim().split("\n").slice(-3).join(" | ")}`,
    verifiedSize: size,
    matched,
    malformed,
    wallS,
    userS: usage?.userS ?? NaN,
    systemS: usage?.systemS ?? NaN,
    peakRssMb: usage?.hwmMb ?? null,
  };
}

// ─── reporting ────────────────────────────────────────────────────────────────────────────────────

/** The commit measured (read-only git commands), "+" when src/ differs from it. */
function commit(): string {
  const cwd = dirname(fileURLToPath(import.meta.url));
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd, encoding: "utf8" }).trim();
    let modified = false;
    try {
      execFileSync("git", ["diff", "--quiet", "HEAD", "--", "src"], { cwd, stdio: "ignore" });
      const untracked = execFileSync("git", ["ls-files", "--others", "--exclude-standard", "--", "src"], {
        cwd,
        encoding: "utf8",
      });
      modified = untracked.trim() !== "";
    } catch {
      modified = true;
    }
    return `${head}${modified ? "+ (src/ modified or untracked files)" : ""}`;
  } catch {
    return "unknown";
  }
}

const fmtInt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "?");
const fmt1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : "?");
const fmt2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : "?");
const fmtRate = (n: number): string => (n === Infinity ? "none" : fmt1(n));

/** "min–max (median n)" of some figures. */
function spread(xs: readonly number[], f: (n: number) => string): string {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return "?";
  const mid =
    v.length % 2 === 1
      ? (v[(v.length - 1) / 2] as number)
      : ((v[v.length / 2 - 1] as number) + (v[v.length / 2] as number)) / 2;
  return `${f(v[0] as number)}–${f(v[v.length - 1] as number)} (median ${f(mid)}, ${v.length} runs)`;
}

interface Measured {
  readonly size: number;
  readonly info: ServerInfo;
  readonly certwatch: WorkerResult[];
  readonly certspotter: (CertspotterResult & { serverCpuS: number | null })[];
  certspotterSkipped: string | null;
}

function report(
  m: Record<string, string>,
  o: Options,
  all: readonly Measured[],
  csVersion: string | null,
): void {
  const first = all[0];
  const out: string[] = [
    "",
    "certwatch CT benchmark",
    `machine: ${m["cpu"]}, ${m["cores"]} cores, ${m["memory"]}, Node ${m["node"]}, ${m["platform"]}; load average ${m["load"]}`,
    `commit: ${m["commit"]}`,
  ];
  if (first !== undefined) {
    const i = first.info;
    out.push(
      `log: synthetic, ${i.templates} template certificates (x509 / precert alternating, RSA-2048 and P-256 keys, 2 issuing CAs), ` +
        `${((i.matchingEntries / i.entries) * 100).toFixed(2)} % of entries naming one of ${i.domains} watched domains; ` +
        `avg leaf_input ${i.avgLeafBytes} B, extra_data ${i.avgExtraBytes} B, TileLeaf ${i.avgTileLeafBytes} B`,
      `certwatch: runCtOnce, real clients, fresh SQLite store, startAt beginning; ` +
        `${o.defaults ? "the ct settings of an empty configuration: " : ""}batchSize ${o.settings.batchSize}, ` +
        `concurrency ${o.settings.concurrency}, requestsPerSecond ${o.settings.requestsPerSecond}` +
        `${o.settings.adaptive === true ? ` (adaptive, up to ${o.settings.maxRequestsPerSecond ?? "?"})` : " (fixed)"}, ` +
        `commitEvery ${o.commitEvery}; the log answers at most ${o.logMaxBatch} entries per get-entries` +
        `${o.gzip ? "; tiles gzip-encoded" : ""}`,
    );
  }
  out.push(
    "",
    table(
      [
        "entries",
        "protocol",
        "outcome",
        "matched",
        "inventory",
        "errors",
        "wall s",
        "entries/s wall",
        "CPU s (u+s)",
        "entries/CPU-s",
        "server CPU s",
        "other CPU s",
        "RSS before MB",
        "peak RSS MB",
        "maxRSS MB",
        "heap MB before/after (GC'd)",
        "DB MB",
        "requests",
        "rate/s end (peak)",
        "429/503",
        "decreases",
      ],
      all.flatMap((r) =>
        r.certwatch.map((c) => {
          const cpu = c.userS + c.systemS;
          return [
            fmtInt(r.size),
            c.protocol,
            c.outcome === "ok" && c.position === r.size
              ? "verified"
              : `${c.outcome}${c.error ? `: ${c.error}` : ""}`,
            fmtInt(c.matched),
            fmtInt(c.inventory),
            fmtInt(c.entryErrors),
            fmt2(c.wallS),
            fmtInt(c.entriesRead / c.wallS),
            `${fmt2(cpu)} (${fmt1(c.userS)}+${fmt1(c.systemS)})`,
            fmtInt(c.entriesRead / cpu),
            c.serverCpuS === null ? "?" : fmt2(c.serverCpuS),
            c.otherCpuS === null ? "?" : fmt1(c.otherCpuS),
            fmtInt(c.baselineRssMb),
            fmtInt(c.peakRssMb),
            fmtInt(c.maxRssMb),
            `${fmt1(c.heapBeforeMb)}/${fmt1(c.heapAfterGcMb)}`,
            fmt1(c.dbMb),
            c.requests === null ? "?" : fmtInt(c.requests),
            c.rate,
            c.throttled === null ? "?" : fmtInt(c.throttled),
            c.decreases,
          ];
        }),
      ),
    ),
  );
  for (const r of all) {
    for (const c of r.certwatch) {
      for (const l of c.logLines.slice(0, 5)) out.push(`  ${c.protocol} @ ${fmtInt(r.size)}: ${l}`);
    }
  }

  // certspotter
  out.push("");
  if (!o.certspotterWanted) {
    out.push("certspotter: skipped (--no-certspotter)");
  } else if (o.certspotter === null) {
    out.push("certspotter: not installed");
  } else {
    out.push(
      `certspotter: ${o.certspotter} (${csVersion ?? "?"}), -batch_size ${o.certspotterBatchSize ?? "default (1000)"}, -stdout, matches saved to its state dir`,
    );
    for (const r of all)
      if (r.certspotterSkipped !== null) out.push(`  ${fmtInt(r.size)}: ${r.certspotterSkipped}`);
    const rows: string[][] = [];
    const pairs: { protocol: Protocol; cw: number; cs: number }[] = [];
    for (const r of all) {
      for (const s of r.certspotter) {
        const cw = r.certwatch.find((c) => c.protocol === s.protocol);
        const csCpu = s.userS + s.systemS;
        const csWall = s.done ? r.size / s.wallS : NaN;
        const csPerCpu = s.done ? r.size / csCpu : NaN;
        const cwWall = cw ? cw.entriesRead / cw.wallS : NaN;
        const cwPerCpu = cw ? cw.entriesRead / (cw.userS + cw.systemS) : NaN;
        pairs.push({ protocol: s.protocol, cw: cwWall, cs: csWall });
        rows.push([
          fmtInt(r.size),
          s.protocol,
          s.done ? "verified" : `INCOMPLETE: ${s.error ?? ""}`,
          fmtInt(s.matched),
          fmtInt(s.malformed),
          fmt2(s.wallS),
          fmtInt(csWall),
          `${fmt2(csCpu)} (${fmt1(s.userS)}+${fmt1(s.systemS)})`,
          fmtInt(csPerCpu),
          s.serverCpuS === null ? "?" : fmt2(s.serverCpuS),
          s.peakRssMb === null ? "?" : fmtInt(s.peakRssMb),
          fmtInt(cwWall),
          fmtInt(cwPerCpu),
          `${fmt2(cwWall / csWall)}×`,
          `${fmt2(cwPerCpu / csPerCpu)}×`,
        ]);
      }
    }
    if (rows.length > 0) {
      out.push(
        table(
          [
            "entries",
            "protocol",
            "certspotter",
            "matched",
            "malformed",
            "wall s",
            "entries/s wall",
            "CPU s (u+s)",
            "entries/CPU-s",
            "server CPU s",
            "peak RSS MB",
            "certwatch /s wall",
            "certwatch /CPU-s",
            "ratio wall",
            "ratio CPU",
          ],
          rows,
        ),
        "ratio = certwatch / certspotter (above 1: certwatch is faster). certspotter's wall time runs from its start to the " +
          "moment its state file shows the whole log verified (polled every 50 ms); its CPU is read from /proc at that moment.",
      );
      for (const p of o.protocols) {
        const ps = pairs.filter((x) => x.protocol === p);
        if (ps.length < 2) continue;
        out.push(
          `${p}, entries/s wall: certwatch ${spread(
            ps.map((x) => x.cw),
            fmtInt,
          )}; certspotter ${spread(
            ps.map((x) => x.cs),
            fmtInt,
          )}; ratio run by run ${spread(
            ps.map((x) => x.cw / x.cs),
            (n) => `${fmt2(n)}×`,
          )}`,
        );
      }
    }
  }

  // targets
  out.push("");
  for (const r of all) {
    for (const c of r.certwatch) {
      const perCpu = c.entriesRead / (c.userS + c.systemS);
      out.push(
        `${fmtInt(r.size)} ${c.protocol}: ${fmtInt(perCpu)} entries per CPU-second of the certwatch process ` +
          `(target >= ${fmtInt(TARGET_ENTRIES_PER_CPU_S)}: ${perCpu >= TARGET_ENTRIES_PER_CPU_S ? "met" : "MISSED"}), ` +
          `${fmtInt(c.entriesRead / c.wallS)} entries/s wall`,
      );
    }
  }
  if (all.length > 1) {
    for (const p of o.protocols) {
      const peaks = all.map((r) => {
        const c = r.certwatch.find((x) => x.protocol === p);
        return c ? `${fmtInt(r.size)}: ${fmtInt(c.peakRssMb)} MB` : `${fmtInt(r.size)}: ?`;
      });
      out.push(`peak RSS by log size, ${p}: ${peaks.join(", ")}`);
    }
  }
  process.stdout.write(`${out.join("\n")}\n`);
}

// ─── main ─────────────────────────────────────────────────────────────────────────────────────────

async function bench(): Promise<number> {
  const o = parseOptions();
  const m = machine(commit());
  const dir = mkdtempSync(join(os.tmpdir(), "certwatch-bench-ct-"));
  const killAll = (): void => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  };
  process.on("exit", () => {
    killAll();
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));
  const watchdogMs = 30 * 60_000 + o.sizes.reduce((s, n) => s + n, 0) * 5;
  setTimeout(() => {
    process.stderr.write(`bench: no result after ${watchdogMs} ms; giving up\n`);
    process.exit(1);
  }, watchdogMs).unref();

  const csVersion = o.certspotter !== null ? certspotterVersion(o.certspotter) : null;
  const csTiled = o.certspotter !== null && certspotterKnowsTiledLogs(o.certspotter);
  const cacheFile = join(
    o.keep ? dir : os.tmpdir(),
    `certwatch-bench-ct-templates-${o.templates}-${o.matchEvery}-${o.domains}.json`,
  );
  const all: Measured[] = [];
  let failed = false;
  for (const size of o.sizes) {
    process.stderr.write(`bench: starting a log of ${size.toLocaleString("en")} entries...\n`);
    const server = await startLogServer(size, o, cacheFile);
    const i = server.info;
    process.stderr.write(
      `bench: log ready at ${i.url} (templates ${i.templatesMs} ms${i.templatesCached ? ", cached" : ""}, ` +
        `leaf hashes ${i.hashMs} ms, ${i.rssMb} MB)\n`,
    );
    try {
      for (let run = 0; run < o.repeat; run++) {
        if (o.repeat > 1) process.stderr.write(`bench: run ${run + 1} of ${o.repeat}\n`);
        const measured: Measured = {
          size,
          info: i,
          certwatch: [],
          certspotter: [],
          certspotterSkipped: null,
        };
        for (const protocol of o.protocols) {
          process.stderr.write(`bench: certwatch, ${protocol}...\n`);
          const jobDir = mkdtempSync(join(dir, `${protocol}-`));
          const r = await runWorker(
            {
              protocol,
              url: i.url,
              key: i.key,
              domains: i.watchedDomains,
              dir: jobDir,
              settings: o.settings,
              commitEvery: o.commitEvery,
              quiet: false,
            },
            o,
          );
          measured.certwatch.push(r);
          if (r.outcome !== "ok" || r.position !== size) failed = true;
          if (!o.keep) rmSync(jobDir, { recursive: true, force: true });
        }
        if (o.certspotter !== null) {
          const protocols = o.protocols.filter((p) => p === "rfc6962" || csTiled);
          if (o.protocols.includes("static-ct") && !csTiled) {
            measured.certspotterSkipped =
              "static-ct: not run, this certspotter does not know tiled logs (no monitoring_url in its log list parser)";
          }
          for (const protocol of protocols) {
            process.stderr.write(`bench: certspotter, ${protocol}...\n`);
            const before = await server.usage();
            const r = await runCertspotter(o.certspotter, i, protocol, o);
            const after = await server.usage();
            const serverCpuS =
              before && after
                ? (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1e6
                : null;
            measured.certspotter.push({ ...r, serverCpuS });
          }
        }
        all.push(measured);
      }
    } finally {
      await server.stop();
    }
  }
  report(m, o, all, csVersion);
  if (o.out !== undefined) {
    appendFileSync(
      o.out,
      `${JSON.stringify({ machine: m, options: o, results: all.map(({ info, ...r }) => ({ ...r, info: { ...info, watchedDomains: info.watchedDomains.length } })) })}\n`,
    );
  }
  if (o.keep) process.stderr.write(`bench: kept ${dir}\n`);
  return failed ? 1 : 0;
}

if (process.argv.includes("--worker")) {
  process.once("message", (job: Job) => {
    worker(job).then(
      (result) => {
        process.send?.({ type: "result", result } satisfies WorkerMessage, () => process.exit(0));
      },
      (e: unknown) => {
        const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
        process.send?.({ type: "error", message } satisfies WorkerMessage, () => process.exit(1));
      },
    );
  });
} else {
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
}
