/**
 * The fence, end to end: the worker reading a CT log is paused (SIGSTOP) past its lease in the middle of the log;
 * another worker takes the lease over and reads on. When the paused one wakes (SIGCONT) with a batch read under
 * the lease it lost, its commit is refused: it says so and writes nothing, and the log ends read exactly once —
 * position and verified head at its size, every malformed entry recorded, every watched host alerted once.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { until, type Daemon, type LogLine } from "./serve-kit.js";
import { eventually, fillLog, workersWorld, type WorkersWorld } from "./workers-world.js";

const ENTRIES = 12_300;
const MALFORMED = [3000, 11_000];

describe("certwatch worker: a paused worker cannot commit over its successor", () => {
  let world: WorkersWorld;

  before(async () => {
    world = await workersWorld({
      fastTargets: 1,
      slowResponseMs: 0,
      extraConfig: ["  batchSize: 256", "  concurrency: 1", "  adaptive: false", "  requestsPerSecond: 8"],
    });
  });

  after(async () => {
    for (const w of world?.workers ?? []) w.child.kill("SIGCONT");
    await world?.close();
  });

  const committed = (w: Daemon) =>
    w.lines.filter((l: LogLine) => l.msg === "ct batch committed").map((l) => Number(l.position));

  it("refuses the paused worker's batch; the log is read once, to its head", async () => {
    const [a, b] = [world.startWorker(), world.startWorker()];
    await eventually(
      async () => (await world.db.query("select 1 from ct_logs")).rowCount === 1,
      "the log's position is saved",
    );
    const hosts = await fillLog(world, { entries: ENTRIES, hosts: 30, malformed: MALFORMED });
    await until(() => committed(a).length + committed(b).length > 0, "a first batch is committed");
    const [paused, other] = committed(a).length > 0 ? [a, b] : [b, a];
    paused.signal("SIGSTOP");
    const before = Math.max(...committed(paused));
    await until(() => committed(other).length > 0, "the other worker takes the log over", 30_000);
    assert.ok(Math.min(...committed(other)) > before, "it reads on from the last committed batch");
    paused.signal("SIGCONT");

    await paused.line((l) => l.msg === "lost the log's lease; its new holder reads on", 0, 30_000);
    await until(() => committed(other).includes(ENTRIES), "the log is read to its head", 30_000);
    assert.deepEqual(
      committed(paused).filter((p) => p > before),
      [],
      "the paused worker committed nothing after it lost the lease",
    );
    const { rows: state } = await world.db.query<{ position: string; verified_size: string }>(
      "select position, verified_size from ct_logs",
    );
    assert.deepEqual([Number(state[0]?.position), Number(state[0]?.verified_size)], [ENTRIES, ENTRIES]);
    const { rows: errors } = await world.db.query<{ entry_index: string }>(
      "select entry_index from ct_entry_errors order by entry_index",
    );
    assert.deepEqual(
      errors.map((e) => Number(e.entry_index)),
      MALFORMED,
    );
    const { rows: alerts } = await world.db.query<{ subject: string; opened: string }>(
      `select a.subject, (select count(*) from alert_history h where h.alert_id = a.id and h.kind = 'opened') as opened
       from alerts a where a.name = 'new-subdomain'`,
    );
    assert.deepEqual(alerts.map((r) => r.subject).sort(), hosts.sort());
    assert.ok(
      alerts.every((r) => Number(r.opened) === 1),
      "each raised once",
    );

    for (const w of [paused, other]) w.signal("SIGTERM");
    for (const w of [paused, other]) assert.equal((await w.done).code, 0);
  });
});
