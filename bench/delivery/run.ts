/**
 * @module bench/delivery/run
 * The delivery benchmark of issue 6, against a local Splunk HEC receiver (test/helpers/splunk-hec-receiver.ts) in
 * a child process, so that its CPU and memory are not ours:
 *
 * - **end to end**: N alerts recorded through `store.recordRun` (a fresh SQLite file, outbox rows written in the
 *   same transactions) and delivered by the real worker (`drainOutbox`) and Splunk notifier in batches; the clock
 *   runs from the first recordRun until the receiver holds all N events. Target ≥ 2,000 alerts/s.
 * - **outage**: the receiver is down (connections refused) while N alerts are queued and a drain fails; it comes
 *   back and one drain delivers them all. Peak RSS of this process, sampled every 20 ms, must stay ≤ 150 MB.
 *
 * Each phase runs in a fresh process (this file with `--phase`), so its peak RSS is its own.
 * `npm run bench:delivery` (N = 10,000); `npm run bench:delivery -- --n 50000 --batch 1000`.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import * as os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { draftFromFinding } from "../../src/alerts/reconcile.js";
import type { SplunkTargetConfig } from "../../src/config/notify-schema.js";
import { notifySchema } from "../../src/config/notify-schema.js";
import type { DrainReport } from "../../src/notify/deliver.js";
import { drainOutbox } from "../../src/notify/deliver.js";
import { routesFromConfig } from "../../src/notify/routing.js";
import { createSplunkNotifier } from "../../src/notify/splunk.js";
import { leaseMsFor } from "../../src/notify/targets-lease.js";
import { sleep } from "../../src/sources/ct/polite-http.js";
import { openStore } from "../../src/store/open.js";
import type { Store } from "../../src/store/store.js";
import type { ReceiverMessage } from "./hec-server.js";

const MB = 1024 * 1024;
const TARGET_ALERTS_PER_S = 2000;
const TARGET_OUTAGE_RSS_MB = 150;
const TOKEN = "00000000-1111-2222-3333-444444444444";
const PER_RUN = 500;

type Phase = "e2e" | "outage";

interface PhaseResult {
  readonly phase: Phase;
  readonly n: number;
  readonly recordS: number;
  readonly deliverS: number;
  readonly totalS: number;
  readonly received: number;
  readonly duplicates: number;
  readonly requests: number;
  readonly delivered: number;
  readonly pendingAfter: number;
  readonly peakRssMb: number;
  readonly baselineRssMb: number;
  readonly cpuS: number;
  readonly dbMb: number;
}

// ─── the receiver, in its own process ───────────────────────────────────────────────────────────

class Receiver {
  #child: ChildProcess | null = null;
  #port = 0;
  #pending = new Map<string, (m: ReceiverMessage) => void>();

  async start(): Promise<number> {
    const child = fork(fileURLToPath(new URL("./hec-server.js", import.meta.url)), [TOKEN], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.#child = child;
    child.on("message", (m: ReceiverMessage) => {
      const f = this.#pending.get(m.type);
      if (f) {
        this.#pending.delete(m.type);
        f(m);
      }
    });
    const ready = await this.#ask({ type: "ready" }, "ready");
    this.#port = ready.type === "ready" ? ready.port : 0;
    return this.#port;
  }

  #ask(msg: object, reply: ReceiverMessage["type"]): Promise<ReceiverMessage> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`receiver did not answer ${reply}`)), 120_000);
      this.#pending.set(reply, (m) => {
        clearTimeout(t);
        resolve(m);
      });
      if (reply !== "ready") this.#child?.send(msg);
    });
  }

  async counts(): Promise<{ received: number; duplicates: number; requests: number }> {
    const m = await this.#ask({ type: "counts" }, "counts");
    return m.type === "counts" ? m : { received: 0, duplicates: 0, requests: 0 };
  }

  async stop(): Promise<void> {
    const c = this.#child;
    if (c === null) return;
    this.#child = null;
    const exited = new Promise<void>((r) => c.once("exit", () => r()));
    c.kill("SIGTERM");
    await exited;
  }
}

// ─── one phase, in a fresh process ──────────────────────────────────────────────────────────────

function splunkConfig(port: number, batch: number): SplunkTargetConfig {
  const cfg = notifySchema.parse({
    splunk: {
      url: `http://127.0.0.1:${port}`,
      token: { env: "BENCH_HEC_TOKEN" },
      batchSize: batch,
      timeoutMs: 10_000,
    },
  }).splunk;
  return cfg as SplunkTargetConfig;
}

async function recordAlerts(store: Store, n: number, offset: number): Promise<void> {
  const now = new Date();
  for (let start = 0; start < n; start += PER_RUN) {
    const findings = [];
    for (let i = start; i < Math.min(n, start + PER_RUN); i++) {
      const host = `host-${offset + i}.contoso.com`;
      findings.push(
        draftFromFinding({
          event: "hsts-missing",
          key: `${host}:443@192.0.2.${i % 250}`,
          subject: host,
          endpoint: { host, port: 443, address: `192.0.2.${i % 250}` },
          certificate: null,
          details: { status: 200, header: null, note: `benchmark alert ${offset + i} | a=b \\ "quoted"` },
        }),
      );
    }
    await store.recordRun({
      scope: `bench:${offset + start}`,
      now,
      certificates: [],
      observations: [],
      findings,
    });
  }
}

async function phase(which: Phase, n: number, batch: number): Promise<PhaseResult> {
  process.env.BENCH_HEC_TOKEN = TOKEN;
  const dir = mkdtempSync(join(os.tmpdir(), "certwatch-bench-delivery-"));
  const receiver = new Receiver();
  let peak = 0;
  const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  try {
    // Outage: nothing listens where the target points until the receiver "comes back" (at a new address: the
    // rows are the same rows, queued while it was down).
    const port = which === "e2e" ? await receiver.start() : await freePort();
    let cfg = splunkConfig(port, batch);
    const store = await openStore(`sqlite:${join(dir, "certwatch.db")}`, {
      routes: routesFromConfig({ splunk: cfg }),
    });
    const ctx = {
      ca: [],
      secret: () => TOKEN,
      log: { warn: (m: string) => process.stderr.write(`warning: ${m}\n`) },
      now: () => new Date(),
    };
    let notifier = createSplunkNotifier("splunk", cfg, ctx);
    const deps = {
      store,
      notifiers: [notifier],
      now: () => new Date(),
      backoff: { baseMs: 100, maxMs: 2000 },
      leaseMs: () => leaseMsFor(cfg),
      sleep: (ms: number, signal?: AbortSignal) => sleep(ms, signal),
      log: () => undefined,
    };
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    peak = baseline;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await recordAlerts(store, n, 0);
    if (which === "outage") {
      const failed: DrainReport = await drainOutbox(deps, { deadline: new Date(Date.now() + 1000) });
      if ((failed.targets[0]?.delivered ?? 0) !== 0) throw new Error("the receiver was supposed to be down");
      await notifier.close();
      cfg = splunkConfig(await receiver.start(), batch);
      notifier = createSplunkNotifier("splunk", cfg, ctx);
    }
    const t1 = performance.now();
    // The first failure backed off for up to 2 s: the drain waits it out like a real one.
    const report = await drainOutbox(
      { ...deps, notifiers: [notifier] },
      { deadline: new Date(Date.now() + 600_000) },
    );
    let counts = await receiver.counts();
    for (let i = 0; i < 100 && counts.received < n; i++) {
      await sleep(50);
      counts = await receiver.counts();
    }
    const t2 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    const status = await store.outboxStatus();
    await notifier.close();
    await store.close();
    return {
      phase: which,
      n,
      recordS: (t1 - t0) / 1000,
      deliverS: (t2 - t1) / 1000,
      totalS: (t2 - t0) / 1000,
      received: counts.received,
      duplicates: counts.duplicates,
      requests: counts.requests,
      delivered: report.targets[0]?.delivered ?? 0,
      pendingAfter: status.reduce((k, s) => k + s.pending, 0),
      peakRssMb: peak / MB,
      baselineRssMb: baseline / MB,
      cpuS: (cpu.user + cpu.system) / 1e6,
      dbMb: statSync(join(dir, "certwatch.db")).size / MB,
    };
  } finally {
    clearInterval(sample);
    await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function runPhase(which: Phase, n: number, batch: number): Promise<PhaseResult> {
  return new Promise((resolve, reject) => {
    const child = fork(
      fileURLToPath(import.meta.url),
      ["--phase", which, "--n", String(n), "--batch", String(batch)],
      {
        execArgv: ["--expose-gc"],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      },
    );
    child.once("message", (m: { result?: PhaseResult; error?: string }) =>
      m.result ? resolve(m.result) : reject(new Error(m.error ?? "phase failed")),
    );
    child.once("exit", (code) => code !== 0 && reject(new Error(`phase ${which} exited with ${code}`)));
  });
}

// ─── main ───────────────────────────────────────────────────────────────────────────────────────

const { values } = parseArgs({
  options: {
    phase: { type: "string" },
    n: { type: "string", default: "10000" },
    batch: { type: "string", default: "500" },
    runs: { type: "string", default: "3" },
  },
});
const n = Number(values.n);
const batch = Number(values.batch);

if (values.phase === "e2e" || values.phase === "outage") {
  phase(values.phase, n, batch).then(
    (result) => process.send?.({ result }, () => process.exit(0)),
    (e: unknown) =>
      process.send?.({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) }, () =>
        process.exit(1),
      ),
  );
} else {
  const cpus = os.cpus();
  console.log(
    `certwatch bench:delivery — N = ${n.toLocaleString("en")} alerts, Splunk HEC batches of ${batch}; ` +
      `${cpus.length} × ${cpus[0]?.model ?? "?"}, Node ${process.version}`,
  );
  const rows: PhaseResult[] = [];
  for (let r = 0; r < Number(values.runs); r++) {
    rows.push(await runPhase("e2e", n, batch));
    rows.push(await runPhase("outage", n, batch));
  }
  console.log(
    "| phase | alerts | record s | deliver s | total s | alerts/s end to end | requests | received | duplicates | pending after | CPU s | RSS before MB | peak RSS MB |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const x of rows) {
    console.log(
      `| ${x.phase} | ${x.n} | ${x.recordS.toFixed(2)} | ${x.deliverS.toFixed(2)} | ${x.totalS.toFixed(2)} | ${Math.round(x.n / x.totalS)} | ${x.requests} | ${x.received} | ${x.duplicates} | ${x.pendingAfter} | ${x.cpuS.toFixed(2)} | ${x.baselineRssMb.toFixed(0)} | ${x.peakRssMb.toFixed(0)} |`,
    );
  }
  const e2e = rows.filter((x) => x.phase === "e2e");
  const outage = rows.filter((x) => x.phase === "outage");
  const rate = Math.min(...e2e.map((x) => x.n / x.totalS));
  const rss = Math.max(...outage.map((x) => x.peakRssMb));
  const complete = rows.every((x) => x.received === x.n && x.pendingAfter === 0 && x.duplicates === 0);
  console.log(
    `\nend to end: slowest run ${Math.round(rate)} alerts/s (target ≥ ${TARGET_ALERTS_PER_S}): ${rate >= TARGET_ALERTS_PER_S ? "met" : "MISSED"}`,
  );
  console.log(
    `outage drain: highest peak RSS ${rss.toFixed(0)} MB (target ≤ ${TARGET_OUTAGE_RSS_MB}): ${rss <= TARGET_OUTAGE_RSS_MB ? "met" : "MISSED"}`,
  );
  console.log(`every alert delivered exactly once, nothing pending: ${complete ? "yes" : "NO"}`);
}
