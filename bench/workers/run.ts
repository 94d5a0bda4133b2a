/**
 * @module bench/workers/run
 * The workers benchmark of issue 13: 1 vs 2 `certwatch worker` processes (the built CLI, child processes) on a fresh
 * PostgreSQL database each time —
 *
 * - scans: N endpoints of the scan benchmark's server farm (bench/scan/server-farm.ts), all due at once; the time
 *   until every one has its run recorded, scans/s, each worker's CPU;
 * - CT: K synthetic logs of E entries each (bench/ct/log-server.ts), `startAt: beginning`, two logs read at once per
 *   worker (`ct.logConcurrency: 2`); the time until every log is read to its head, entries/s;
 *
 * and the job queue's raw rate (queue.ts). The benchmark holds the planner lease while the workers start, so that
 * every worker is up when the first job is sent, and the clock starts when it lets go.
 *
 * `npm run bench:workers`; `npm run bench:workers -- --scans 500 --ct-logs 4 --ct-entries 50000 --jobs 10000
 * [--only queue|scans|ct] [--from-sources]`.
 */
import { fork, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { openStore } from "../../src/store/open.js";
import { TestDatabases } from "../../test/helpers/postgres.js";
import type { ServerInfo } from "../ct/log-server.js";
import { machineLines, table } from "../daemon/serve-process.js";
import type { FarmMessage } from "../scan/protocol.js";
import { plannerBench } from "./planner.js";
import { queueBench } from "./queue.js";
import { WorkerProcess } from "./worker-process.js";

const { values } = parseArgs({
  options: {
    scans: { type: "string", default: "500" },
    "ct-logs": { type: "string", default: "4" },
    "ct-entries": { type: "string", default: "50000" },
    jobs: { type: "string", default: "10000" },
    "planner-targets": { type: "string", default: "100000" },
    workers: { type: "string", default: "1,2" },
    only: { type: "string" },
    "from-sources": { type: "boolean", default: false },
  },
});
const N = Number(values.scans);
const LOGS = Number(values["ct-logs"]);
const ENTRIES = Number(values["ct-entries"]);
const JOBS = Number(values.jobs);
const PLANNER_TARGETS = Number(values["planner-targets"]);
const COUNTS = values.workers.split(",").map(Number);
const fromSources = values["from-sources"];
const only = values.only;
if (
  !(Number.isInteger(N) && N >= 1 && N <= 62_500) ||
  !(Number.isInteger(LOGS) && LOGS >= 1) ||
  !(Number.isInteger(ENTRIES) && ENTRIES >= 1) ||
  !(Number.isInteger(JOBS) && JOBS >= 100) ||
  !COUNTS.every((c) => Number.isInteger(c) && c >= 1 && c <= 16) ||
  !(Number.isInteger(PLANNER_TARGETS) && PLANNER_TARGETS >= 1) ||
  (only !== undefined && !["queue", "planner", "scans", "ct"].includes(only))
) {
  console.error(
    "usage: run [--scans N] [--ct-logs K] [--ct-entries E] [--jobs J] [--workers 1,2] [--only queue|scans|ct] [--from-sources]",
  );
  process.exit(2);
}

const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => process.exit(130));
const compiled = import.meta.url.endsWith(".js");
const loader = compiled ? [] : ["--import", import.meta.resolve("tsx")];
const q = (s: string) => JSON.stringify(s);
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

/** Busy and total jiffies of the whole machine (/proc/stat): how saturated its cores were over a run. */
function machineJiffies(): { busy: number; total: number } {
  const first = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const f = first.trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

interface Run {
  readonly workers: number;
  readonly seconds: number;
  readonly done: number;
  readonly cpu: readonly number[];
  readonly perWorker: readonly number[];
  readonly peakRssMb: readonly number[];
  readonly dbMb: number;
  readonly problems: number;
  /** Share of the machine's cores busy during the run (every process: workers, servers, PostgreSQL). */
  readonly machineBusy: number;
  /** Bytes and rows of the biggest tables at the end (the queue's schema as one). */
  readonly tables: readonly { readonly name: string; readonly bytes: number; readonly rows: number }[];
  /** The first warnings and errors the workers logged. */
  readonly samples: readonly string[];
}

/**
 * Starts `count` workers on `dir`'s configuration (database `url`), holding the planner lease until all say they
 * work, then measures until `progress()` reaches `total`.
 */
async function measure(
  url: string,
  dir: string,
  count: number,
  total: number,
  progress: (db: pg.Pool) => Promise<number>,
  perWorkerLine: string,
): Promise<Run> {
  const store = await openStore(url);
  if (!(await store.leases.take("planner", "bench", 600_000)))
    throw new Error("could not hold the planner lease");
  const workers = Array.from({ length: count }, () => new WorkerProcess(dir, fromSources));
  const db = new pg.Pool({ connectionString: url, max: 2 });
  db.on("error", () => undefined);
  try {
    for (const w of workers) await w.waitFor("working");
    const cpu0 = workers.map((w) => w.cpuSeconds());
    const j0 = machineJiffies();
    const t0 = Date.now();
    await store.leases.release("planner", "bench");
    let done = 0;
    while ((done = await progress(db)) < total) {
      if (Date.now() - t0 > 30 * 60_000) throw new Error(`not done after 30 minutes (${done} of ${total})`);
      await sleep(200);
    }
    const seconds = (Date.now() - t0) / 1000;
    const j1 = machineJiffies();
    const cpu = workers.map((w, i) => w.cpuSeconds() - (cpu0[i] ?? 0));
    const { rows } = await db.query<{ size: string }>("select pg_database_size(current_database()) as size");
    await db.query("analyze");
    const { rows: tables } = await db.query<{ name: string; bytes: string; rows: string }>(
      `select case when n.nspname = 'certwatch_boss' then 'certwatch_boss (pg-boss)' else c.relname end as name,
              sum(pg_total_relation_size(c.oid)) as bytes, sum(c.reltuples)::bigint as rows
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where c.relkind in ('r', 'p') and n.nspname in ('public', 'certwatch_boss')
       group by 1 order by 2 desc limit 8`,
    );
    for (const w of workers) await w.stop();
    return {
      workers: count,
      seconds,
      done,
      cpu,
      perWorker: workers.map((w) => w.counts.get(perWorkerLine) ?? 0),
      peakRssMb: workers.map((w) => w.peakRssMb()),
      dbMb: Number(rows[0]?.size) / 1024 ** 2,
      problems: workers.reduce((n, w) => n + w.problems.length, 0),
      machineBusy: (j1.busy - j0.busy) / Math.max(1, j1.total - j0.total),
      tables: tables.map((t) => ({
        name: t.name,
        bytes: Number(t.bytes),
        rows: Math.max(0, Number(t.rows)),
      })),
      samples: workers.flatMap((w) => w.problems.slice(0, 3).map((p) => JSON.stringify(p))),
    };
  } finally {
    await db.end();
    await store.close();
    for (const w of workers) await w.stop(5000);
  }
}

async function startFarm(dir: string): Promise<Extract<FarmMessage, { type: "ready" }>> {
  const entry = fileURLToPath(
    new URL(compiled ? "../scan/server-farm.js" : "../scan/server-farm.ts", import.meta.url),
  );
  const child = fork(entry, ["--n", String(N), "--dir", dir], {
    execArgv: loader,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  children.add(child);
  return new Promise((resolve, reject) => {
    child.on("message", (m: FarmMessage) => {
      if (m.type === "ready") resolve(m);
      else if (m.type === "error") reject(new Error(`server farm: ${m.message}`));
    });
    child.on("exit", (code) => reject(new Error(`the server farm exited (${code}) before it was ready`)));
  });
}

async function startLogServer(cache: string): Promise<ServerInfo> {
  const entry = fileURLToPath(
    new URL(compiled ? "../ct/log-server.js" : "../ct/log-server.ts", import.meta.url),
  );
  const args = [
    "--entries",
    String(ENTRIES),
    "--domains",
    "100",
    "--max-batch",
    "1000",
    "--template-cache",
    cache,
  ];
  const child = spawn(process.execPath, [...loader, entry, ...args], { stdio: ["pipe", "pipe", "inherit"] });
  children.add(child);
  return new Promise<ServerInfo>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    rl.once("line", (line) => {
      rl.close();
      resolve(JSON.parse(line) as ServerInfo);
    });
    child.once("exit", (code) => reject(new Error(`the log server exited (${code}) before it was ready`)));
  });
}

function runRows(runs: readonly Run[], unit: string): string[][] {
  const base = runs[0];
  return runs
    .map((r) => [
      String(r.workers),
      r.done.toLocaleString("en"),
      r.seconds.toFixed(1),
      (r.done / r.seconds).toFixed(r.done / r.seconds >= 100 ? 0 : 1),
      base ? `${((base.seconds / r.seconds) * 1).toFixed(2)}×` : "",
      r.cpu.map((c) => c.toFixed(1)).join(" + "),
      (r.done / r.cpu.reduce((a, c) => a + c, 0)).toFixed(0),
      r.perWorker.join(" / "),
      r.peakRssMb.map((m) => m.toFixed(0)).join(" / "),
      r.dbMb.toFixed(0),
      `${(100 * r.machineBusy).toFixed(0)} %`,
      String(r.problems),
    ])
    .map((row) => row.map((c) => c.replace("{unit}", unit)));
}

async function main(): Promise<void> {
  console.log(
    `certwatch bench:workers — scans of ${N} endpoints, ${LOGS} CT logs of ${ENTRIES.toLocaleString("en")} entries, ` +
      `${JOBS.toLocaleString("en")} queue jobs; workers ${COUNTS.join(" vs ")}`,
  );
  for (const l of machineLines(fromSources)) console.log(l);
  const databases = new TestDatabases();
  await databases.ready();
  const scratch = mkdtempSync(join(tmpdir(), "certwatch-bench-workers-"));
  try {
    if (only === undefined || only === "queue") {
      const f = await queueBench(await databases.create(), JOBS);
      console.log(
        `\njob queue (pg-boss ${"10"}, short policy, a singleton key per job), ${f.jobs.toLocaleString("en")} jobs:`,
      );
      console.log(
        table(
          ["operation", "jobs/s"],
          [
            ["send, one at a time", f.sendPerSecond.toFixed(0)],
            ["insert, 1,000 a statement (the planner)", f.insertPerSecond.toFixed(0)],
            ["work: 32 pollers × 1 job (a worker's scan pollers)", f.workOnePerSecond.toFixed(0)],
            ["work: 1 poller × 100 jobs", f.workBatchPerSecond.toFixed(0)],
            ["certwatch's dispatcher: 32 slots, fetch as slots free", f.dispatcherPerSecond.toFixed(0)],
          ],
        ),
      );
    }

    if (only === undefined || only === "planner") {
      const dir = mkdtempSync(join(scratch, "planner-"));
      const p = await plannerBench(await databases.create(), dir, PLANNER_TARGETS);
      console.log(
        `\nplanner: ${p.targets.toLocaleString("en")} managed endpoints scanned hourly, last runs spread over the past ` +
          `hour (filled in ${p.fillSeconds.toFixed(1)} s; store ${p.storeMb.toFixed(0)} MB); one tick every 15 s:`,
      );
      console.log(
        table(
          ["tick", "ms", "jobs sent"],
          p.ticks.map((t, i) => [String(i + 1), t.ms.toFixed(0), String(t.jobs)]),
        ),
      );
    }

    if (only === undefined || only === "scans") {
      const farm = await startFarm(scratch);
      console.log(`\nfarm: ${N} endpoints on 127.2.x.y:${farm.port}`);
      const runs: Run[] = [];
      for (const count of COUNTS) {
        const url = await databases.create();
        const dir = mkdtempSync(join(scratch, "scans-"));
        writeFileSync(
          join(dir, "certwatch.yaml"),
          [
            `store: ${url}`,
            `trust: { extraRoots: [${q(farm.rootPem)}] }`,
            "ct: { logList: none }",
            "schedule: { scanIntervalMinutes: 60, startSpreadSeconds: 0, shutdownTimeoutSeconds: 30 }",
            // Idle workers look at the queue twice a second: a short benchmark is not decided by who polled first.
            "work: { plannerSeconds: 1, pollSeconds: 0.5 }",
            "endpoints:",
            ...farm.endpoints.map(
              (e) => `  - { url: ${q(`https://${e.host}:${farm.port}`)}, addresses: [${q(e.address)}] }`,
            ),
            "",
          ].join("\n"),
        );
        const run = await measure(
          url,
          dir,
          count,
          N,
          async (db) =>
            Number(
              (
                await db.query<{ n: string }>(
                  "select count(*) as n from schedule_runs where job like 'tls:%'",
                )
              ).rows[0]?.n,
            ),
          "scanned",
        );
        runs.push(run);
        console.log(`  ${count} worker(s): ${N} scans in ${run.seconds.toFixed(1)} s`);
        for (const p of run.samples) console.log(`    ${p}`);
      }
      console.log(
        table(
          [
            "workers",
            "scans",
            "seconds",
            "scans/s",
            "speed-up",
            "worker CPU s",
            "scans per CPU-s",
            "scans per worker",
            "peak RSS MB",
            "DB MB",
            "machine busy",
            "warnings",
          ],
          runRows(runs, "scans"),
        ),
      );
      const last = runs.at(-1);
      if (last) {
        console.log(`\nthe store after ${N} scans (${last.workers} worker(s)), biggest tables:`);
        console.log(
          table(
            ["table", "KB", "rows", "bytes per scanned endpoint"],
            last.tables.map((t) => [
              t.name,
              (t.bytes / 1024).toFixed(0),
              String(t.rows),
              (t.bytes / N).toFixed(0),
            ]),
          ),
        );
      }
    }

    if (only === undefined || only === "ct") {
      const cache = join(scratch, "templates.json");
      const logs: ServerInfo[] = [];
      for (let i = 0; i < LOGS; i++) logs.push(await startLogServer(cache));
      console.log(
        `\nCT: ${LOGS} logs of ${ENTRIES.toLocaleString("en")} entries (${logs[0]?.watchedDomains.length} watched domains, 1 % matching)`,
      );
      const runs: Run[] = [];
      for (const count of COUNTS) {
        const url = await databases.create();
        const dir = mkdtempSync(join(scratch, "ct-"));
        writeFileSync(
          join(dir, "certwatch.yaml"),
          [
            `store: ${url}`,
            `domains: [${(logs[0]?.watchedDomains ?? []).map(q).join(", ")}]`,
            // No DNS server here: CAA and lookalike lookups fail at once instead of reaching the internet.
            'dns: { servers: ["127.0.0.1:9"], timeoutMs: 200, tries: 1 }',
            "lookalikes: { maxCandidates: 1 }",
            "takeover: { http: false, tries: 1 }",
            "ct:",
            "  logList: none",
            "  startAt: beginning",
            "  batchSize: 1000",
            "  logConcurrency: 2",
            "  pollSeconds: 1",
            "  logs:",
            ...logs.map(
              (l, i) => `    - { url: ${q(l.url)}, key: ${q(l.key)}, name: ${q(`bench log ${i}`)} }`,
            ),
            // Idle workers look at the queue twice a second: a short benchmark is not decided by who polled first.
            "work: { plannerSeconds: 1, pollSeconds: 0.5 }",
            "",
          ].join("\n"),
        );
        const run = await measure(
          url,
          dir,
          count,
          LOGS * ENTRIES,
          async (db) =>
            Number(
              (await db.query<{ n: string }>("select coalesce(sum(position), 0) as n from ct_logs")).rows[0]
                ?.n,
            ),
          "ct batch committed",
        );
        runs.push(run);
        console.log(
          `  ${count} worker(s): ${(LOGS * ENTRIES).toLocaleString("en")} entries in ${run.seconds.toFixed(1)} s`,
        );
        for (const p of run.samples) console.log(`    ${p}`);
      }
      console.log(
        table(
          [
            "workers",
            "entries",
            "seconds",
            "entries/s",
            "speed-up",
            "worker CPU s",
            "entries per CPU-s",
            "batches per worker",
            "peak RSS MB",
            "DB MB",
            "machine busy",
            "warnings",
          ],
          runRows(runs, "entries"),
        ),
      );
    }
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
    await databases.dropAll();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
