/**
 * @module bench/workers/queue
 * The job queue's raw rate (pg-boss 10 on the benchmark's PostgreSQL, as the workers use it: a `short` queue, a
 * singleton key per job): jobs sent one `send` at a time, jobs sent by `insert` in batches of 1,000 (the planner's
 * way), and no-op jobs worked off by pg-boss's work() — 32 pollers taking one job each, one poller taking batches of
 * 100 — and by the workers' own dispatcher (src/work/dispatcher.ts: up to 32 jobs at once, fetching again as soon as
 * a slot frees).
 */
import { performance } from "node:perf_hooks";
import pg from "pg";
import PgBoss from "pg-boss";
import { systemClock } from "../../src/daemon/clock.js";
import { jsonLog } from "../../src/daemon/json-log.js";
import { Dispatcher } from "../../src/work/dispatcher.js";

export interface QueueFigures {
  readonly sendPerSecond: number;
  readonly insertPerSecond: number;
  /** 32 pollers, one job each (pollingIntervalSeconds 0.5). */
  readonly workOnePerSecond: number;
  /** 1 poller, 100 jobs a fetch. */
  readonly workBatchPerSecond: number;
  /** The workers' dispatcher, 32 slots. */
  readonly dispatcherPerSecond: number;
  readonly jobs: number;
}

export async function queueBench(url: string, jobs: number): Promise<QueueFigures> {
  const pool = new pg.Pool({ connectionString: url, max: 8 });
  pool.on("error", () => undefined);
  const boss = new PgBoss({
    db: { executeSql: (text, values) => pool.query(text, values) },
    schema: "bench_boss",
    schedule: false,
    supervise: false,
  });
  boss.on("error", (e) => console.error(`pg-boss: ${e.message}`));
  await boss.start();
  try {
    await boss.createQueue("bench-send", { name: "bench-send", policy: "short" });
    await boss.createQueue("bench-one", { name: "bench-one", policy: "short" });
    await boss.createQueue("bench-batch", { name: "bench-batch", policy: "short" });
    await boss.createQueue("bench-dispatch", { name: "bench-dispatch", policy: "short" });

    const sends = Math.min(jobs, 2000);
    let t = performance.now();
    for (let i = 0; i < sends; i++) await boss.send("bench-send", { i }, { singletonKey: `k${i}` });
    const sendPerSecond = sends / ((performance.now() - t) / 1000);

    const insertAll = async (queue: string, count = jobs): Promise<number> => {
      const t0 = performance.now();
      for (let i = 0; i < count; i += 1000) {
        const batch = Array.from({ length: Math.min(1000, count - i) }, (_, k) => ({
          name: queue,
          data: { i: i + k },
          singletonKey: `k${i + k}`,
        }));
        await boss.insert(batch);
      }
      return count / ((performance.now() - t0) / 1000);
    };
    // work() drains slowly (its rate is the point): fewer jobs for it.
    const slow = Math.min(jobs, 2000);
    const insertPerSecond = await insertAll("bench-dispatch");
    await insertAll("bench-one", slow);
    await insertAll("bench-batch", slow);

    const drain = async (queue: string, pollers: number, batchSize: number): Promise<number> => {
      let done = 0;
      let finish: () => void = () => undefined;
      const all = new Promise<void>((resolve) => (finish = resolve));
      t = performance.now();
      for (let p = 0; p < pollers; p++) {
        await boss.work(queue, { batchSize, pollingIntervalSeconds: 0.5 }, (batch) => {
          done += batch.length;
          if (done >= slow) finish();
          return Promise.resolve();
        });
      }
      await all;
      const rate = slow / ((performance.now() - t) / 1000);
      await boss.offWork(queue);
      return rate;
    };
    const workOnePerSecond = await drain("bench-one", 32, 1);
    const workBatchPerSecond = await drain("bench-batch", 1, 100);

    let done = 0;
    const stop = new AbortController();
    const dispatcher = new Dispatcher<object>({
      boss,
      queue: "bench-dispatch",
      capacity: () => 32,
      pollMs: 500,
      run: () => {
        if (++done >= jobs) stop.abort();
        return Promise.resolve();
      },
      log: jsonLog(() => undefined),
      clock: systemClock,
    });
    t = performance.now();
    await dispatcher.run(stop.signal);
    const dispatcherPerSecond = jobs / ((performance.now() - t) / 1000);
    await dispatcher.settle(10_000);
    return {
      sendPerSecond,
      insertPerSecond,
      workOnePerSecond,
      workBatchPerSecond,
      dispatcherPerSecond,
      jobs,
    };
  } finally {
    await boss.stop({ graceful: false, close: false }).catch(() => undefined);
    await pool.end();
  }
}
