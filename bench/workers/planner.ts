/**
 * @module bench/workers/planner
 * The planner at the scale of the plan in docs/scale-out.md: T managed endpoints (100,000 by default) in a fresh
 * PostgreSQL store, each scanned hourly, their last runs spread over the past hour (a steady state), and the real
 * Planner (src/work/planner.ts) ticking on it: how long one tick takes (reading every target, last run and lease,
 * deciding, sending the jobs due in the next 15 s) and how many jobs it sends. The first tick also sends the
 * targets the fill left overdue (spread over the start window); the later ones are the steady state.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { AppContext } from "../../src/app/context.js";
import { loadConfig } from "../../src/config/load.js";
import { systemClock } from "../../src/daemon/clock.js";
import { jsonLog } from "../../src/daemon/json-log.js";
import { openStore } from "../../src/store/open.js";
import { openBoss } from "../../src/work/boss.js";
import { Leases } from "../../src/work/held-lease.js";
import { Planner } from "../../src/work/planner.js";
import { BOSS_SCHEMA } from "../../src/work/queues.js";

export interface PlannerFigures {
  readonly targets: number;
  readonly fillSeconds: number;
  /** Each tick: its duration and the jobs it sent. */
  readonly ticks: readonly { readonly ms: number; readonly jobs: number }[];
  readonly storeMb: number;
}

export async function plannerBench(url: string, dir: string, targets: number): Promise<PlannerFigures> {
  const store = await openStore(url);
  const db = new pg.Pool({ connectionString: url, max: 2 });
  db.on("error", () => undefined);
  const t0 = performance.now();
  await db.query(
    `insert into managed_endpoints (host, port, addresses, server_name, scan_interval_minutes, origin, created_at, created_by)
     select 'h' || i || '.bench.test', 443, null, null, null, 'api', '2026-01-01T00:00:00Z', 'bench'
     from generate_series(0, $1::int - 1) as i`,
    [targets],
  );
  // Steady state: each target last ran at some point of the past hour (the database's clock, RFC 3339 UTC).
  await db.query(
    `insert into schedule_runs (job, last_run_at, duration_ms, error)
     select 'tls:h' || i || '.bench.test:443',
            to_char((now() - random() * interval '1 hour') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 900, null
     from generate_series(0, $1::int - 1) as i`,
    [targets],
  );
  const fillSeconds = (performance.now() - t0) / 1000;
  writeFileSync(
    join(dir, "certwatch.yaml"),
    [`store: ${url}`, "ct: { logList: none }", "schedule: { scanIntervalMinutes: 60 }", ""].join("\n"),
  );
  const config = await loadConfig(join(dir, "certwatch.yaml"));
  const ctx = await AppContext.open(config, { store, notifiers: false, logLine: () => undefined });
  const log = jsonLog(() => undefined);
  const boss = await openBoss(url, { work: false, maintenanceSeconds: 60, onError: () => undefined });
  const leases = new Leases({
    store: store.leases,
    workerId: "bench",
    ttlMs: 30_000,
    clock: systemClock,
    log,
  });
  // Ticks run back to back, each on a clock 15 s later than the last: what a planner sees every 15 s.
  let offset = 0;
  const clock = {
    now: () => Date.now() + offset,
    sleep: (ms: number, s: AbortSignal) => systemClock.sleep(ms, s),
  };
  const planner = new Planner({
    ctx,
    boss: boss.boss,
    leases,
    log,
    clock,
    ctLogs: () => Promise.resolve([]),
    tickMs: 15_000,
    plan: true,
    view: false,
  });
  const jobs = async () =>
    Number((await db.query<{ n: string }>(`select count(*) as n from ${BOSS_SCHEMA}.job`)).rows[0]?.n);
  const ticks: { ms: number; jobs: number }[] = [];
  try {
    for (let i = 0; i < 6; i++) {
      const before = await jobs();
      const t = performance.now();
      await planner.tick();
      ticks.push({ ms: performance.now() - t, jobs: (await jobs()) - before });
      offset += 15_000;
    }
    const { rows } = await db.query<{ size: string }>("select pg_database_size(current_database()) as size");
    return { targets, fillSeconds, ticks, storeMb: Number(rows[0]?.size) / 1024 ** 2 };
  } finally {
    await leases.releaseAll();
    await boss.stop(1000);
    await ctx.close();
    await store.close();
    await db.end();
  }
}
