/**
 * @module work/boss
 * pg-boss on certwatch's PostgreSQL database: its own small pool (the store URL's host, TLS and password, as the
 * store connects), its tables in the schema `certwatch_boss`, the queues created if missing (every worker does it
 * at start, one at a time), and its maintenance (expiring jobs whose worker vanished,
 * archiving and dropping finished ones) run by whichever worker gets to it first.
 */
import pg from "pg";
import PgBoss from "pg-boss";
import { poolConfig } from "../store/postgres.js";
import { postgresSettings } from "../store/postgres-url.js";
import { BOSS_SCHEMA, QUEUES } from "./queues.js";

/** The advisory lock under which a worker creates the queues (pg-boss's create_queue is not safe run at once). */
const QUEUES_LOCK = "certwatch:boss-queues";

/** Connections pg-boss keeps: polls and sends are short statements. */
const BOSS_POOL_MAX = 4;

export interface BossOptions {
  /** Polls for jobs and runs maintenance (a worker); false: only sends (serve --no-work). */
  readonly work: boolean;
  /** How often expired jobs are looked for (seconds). */
  readonly maintenanceSeconds: number;
  readonly onError: (error: Error) => void;
}

export interface OpenBoss {
  readonly boss: PgBoss;
  /** Stops pg-boss (waiting for its handlers up to `timeoutMs`) and closes its pool. */
  stop(timeoutMs: number): Promise<void>;
}

export async function openBoss(storeUrl: string, o: BossOptions): Promise<OpenBoss> {
  const settings = postgresSettings(storeUrl);
  const pool = new pg.Pool({
    ...poolConfig(settings),
    max: Math.min(BOSS_POOL_MAX, settings.poolMax),
    application_name: `${settings.applicationName} (queue)`.slice(0, 63),
  });
  pool.on("error", () => undefined);
  const boss = new PgBoss({
    db: { executeSql: (text, values) => pool.query(text, values) },
    schema: BOSS_SCHEMA,
    supervise: o.work,
    schedule: false,
    maintenanceIntervalSeconds: o.maintenanceSeconds,
    // Finished jobs leave the job table after 15 minutes and the archive an hour later: 100,000 scans an hour
    // keep the archive near that many rows.
    archiveCompletedAfterSeconds: 900,
    archiveFailedAfterSeconds: 3600,
    deleteAfterSeconds: 3600,
  });
  boss.on("error", o.onError);
  try {
    await boss.start();
    await createQueues(pool, boss);
  } catch (e) {
    await boss.stop({ graceful: false, close: false }).catch(() => undefined);
    await pool.end().catch(() => undefined);
    throw e;
  }
  return {
    boss,
    async stop(timeoutMs) {
      try {
        await boss.stop({ graceful: true, timeout: timeoutMs, wait: true, close: false });
      } finally {
        await pool.end().catch(() => undefined);
      }
    },
  };
}

/**
 * Creates the queues that do not exist yet, one worker at a time: two workers starting together would both create
 * a queue's partition table and deadlock (seen with three workers on a fresh database).
 */
async function createQueues(pool: pg.Pool, boss: PgBoss): Promise<void> {
  const lock = await pool.connect();
  try {
    await lock.query("select pg_advisory_lock(hashtextextended($1, 0))", [QUEUES_LOCK]);
    try {
      const existing = new Set((await boss.getQueues()).map((q) => q.name));
      for (const name of QUEUES)
        if (!existing.has(name)) await boss.createQueue(name, { name, policy: "short" });
    } finally {
      await lock.query("select pg_advisory_unlock(hashtextextended($1, 0))", [QUEUES_LOCK]);
    }
  } finally {
    lock.release();
  }
}
