/**
 * @module work/dispatcher.test
 * The dispatcher on a real pg-boss queue (a fresh PostgreSQL database): never more jobs running than its capacity,
 * every job completed once, a job whose run throws failed (and so retried by pg-boss), and a stop that runs out of
 * time fails the jobs still running so that another worker gets them.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import pg from "pg";
import PgBoss from "pg-boss";
import { TestDatabases } from "../../test/helpers/postgres.js";
import { systemClock } from "../daemon/clock.js";
import { jsonLog } from "../daemon/json-log.js";
import { Dispatcher } from "./dispatcher.js";

const databases = new TestDatabases();
let pool: pg.Pool;
let boss: PgBoss;

before(async () => {
  await databases.ready();
  pool = new pg.Pool({ connectionString: await databases.create(), max: 4 });
  boss = new PgBoss({
    db: { executeSql: (text, values) => pool.query(text, values) },
    schema: "test_boss",
    schedule: false,
    supervise: false,
  });
  // pg-boss and the pool report a lost connection as an 'error' event: without listeners it would crash the file.
  // Those of the teardown (the database is dropped under them) are expected; one before it fails the file.
  boss.on("error", (e) => (tearingDown ? undefined : errors.push(e)));
  pool.on("error", (e) => (tearingDown ? undefined : errors.push(e)));
  await boss.start();
});

let tearingDown = false;
const errors: Error[] = [];

after(async () => {
  tearingDown = true;
  assert.deepEqual(
    errors.map((e) => e.message),
    [],
    "no connection error while the tests ran",
  );
  await boss.stop({ graceful: false, close: false, wait: true });
  await pool.end();
  await databases.dropAll();
});

async function queue(name: string, jobs: number, retryLimit = 0): Promise<void> {
  await boss.createQueue(name, { name, policy: "short" });
  await boss.insert(
    Array.from({ length: jobs }, (_, i) => ({ name, data: { i }, singletonKey: `k${i}`, retryLimit })),
  );
}

const states = async (name: string) =>
  (
    await pool.query<{ state: string; n: string }>(
      "select state, count(*) as n from test_boss.job where name = $1 group by state order by state",
      [name],
    )
  ).rows.map((r) => [r.state, Number(r.n)]);

function dispatcher(name: string, capacity: number, run: (data: { i: number }) => Promise<void>) {
  return new Dispatcher<{ i: number }>({
    boss,
    queue: name,
    capacity: () => capacity,
    pollMs: 500,
    run,
    log: jsonLog(() => undefined),
    clock: systemClock,
  });
}

describe("work/dispatcher", () => {
  it("runs at most its capacity at once, and completes every job once", async () => {
    await queue("d-capacity", 40);
    const seen: number[] = [];
    let running = 0;
    let most = 0;
    const stop = new AbortController();
    const d = dispatcher("d-capacity", 4, async ({ i }) => {
      running++;
      most = Math.max(most, running);
      await delay(10);
      seen.push(i);
      running--;
      if (seen.length === 40) stop.abort();
    });
    await d.run(stop.signal);
    assert.equal(await d.settle(5000), true);
    assert.equal(most, 4);
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      Array.from({ length: 40 }, (_, i) => i),
    );
    assert.deepEqual(await states("d-capacity"), [["completed", 40]]);
  });

  it("fails a job whose run throws, so pg-boss retries it", async () => {
    await queue("d-fail", 1, 1);
    const stop = new AbortController();
    let tries = 0;
    const d = dispatcher("d-fail", 2, () => {
      tries++;
      if (tries === 2) stop.abort();
      return Promise.reject(new Error(`try ${tries} failed`));
    });
    await d.run(stop.signal);
    await d.settle(5000);
    assert.equal(tries, 2, "tried, failed, retried once (retryLimit 1)");
    assert.deepEqual(await states("d-fail"), [["failed", 1]]);
  });

  it("a stop that runs out of time fails the jobs still running", async () => {
    await queue("d-stop", 2);
    const stop = new AbortController();
    let started = 0;
    const d = dispatcher("d-stop", 2, async () => {
      started++;
      await delay(3000);
    });
    const loop = d.run(stop.signal);
    while (started < 2) await delay(20);
    stop.abort();
    await loop;
    assert.equal(await d.settle(100), false);
    assert.deepEqual(await states("d-stop"), [["failed", 2]]);
  });
});
