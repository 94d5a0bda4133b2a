/**
 * Three `certwatch worker` processes sharing one fresh PostgreSQL store, each killed with SIGKILL at a bad moment —
 * one in the middle of a webhook delivery (a receiver that holds its answers), one in the middle of a scan (a TLS
 * server that answers slowly), one in the middle of reading a CT log (12,300 entries read at a polite rate) — and
 * replaced, as a supervisor would. Then: every target was scanned and its alerts exist once; every entry of the log
 * was processed (its position and verified head at the end, every malformed entry recorded, every watched host
 * alerted) and no alert was raised twice; every notification reached the receiver, a duplicate only with the same
 * id. The survivors stop on SIGTERM and give their leases back.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { until, type Daemon, type LogLine } from "./serve-kit.js";
import { alive, eventually, fillLog, killHard, workersWorld, type WorkersWorld } from "./workers-world.js";

const HOSTS = 30;
const MALFORMED = [1000, 5000, 9000, 12_000];
const ENTRIES = 12_300;
/** The first requests the receiver holds this long: every worker is then in the middle of a delivery. */
const HOLD_MS = 4000;

describe("certwatch worker: three workers, each stage killed in the middle", () => {
  let world: WorkersWorld;
  const killed: { stage: string; worker: Daemon }[] = [];

  before(async () => {
    world = await workersWorld({
      fastTargets: 6,
      slowResponseMs: 6000,
      // 256 entries a request, 8 requests a second: the log takes about six seconds to read, a commit every two.
      extraConfig: ["  batchSize: 256", "  concurrency: 1", "  adaptive: false", "  requestsPerSecond: 8"],
    });
  });

  after(() => world?.close());

  const q = async <T extends Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> =>
    (await world.db.query<T>(text, values)).rows;
  const linesOf = (match: (l: LogLine) => boolean) =>
    world.workers.flatMap((w) => w.lines.filter(match).map((l) => ({ w, l })));
  async function firstLine(match: (l: LogLine) => boolean, what: string, timeoutMs = 30_000) {
    let found: { w: Daemon; l: LogLine } | undefined;
    await until(() => (found = linesOf(match)[0]) !== undefined, what, timeoutMs);
    return found as { w: Daemon; l: LogLine };
  }

  it("recovers from a worker killed mid-delivery and one killed mid-scan", async () => {
    world.hook.fail(9, { delayMs: HOLD_MS });
    const first = [world.startWorker(), world.startWorker(), world.startWorker()];
    const slowStarted = await firstLine(
      (l) => l.msg === "scan started" && l.target === world.slowTarget,
      "the slow target's scan starts",
    );
    // Each worker sends one notification at a time: with three held requests, each of them is mid-delivery.
    await until(() => world.hook.inFlight === 3, "every worker has a delivery in flight");
    const sender = first.find((w) => w !== slowStarted.w);
    assert.ok(sender);
    await killHard(sender);
    killed.push({ stage: "delivery", worker: sender });
    assert.ok(alive(slowStarted.w), "the slow scan is still running");
    assert.equal(
      slowStarted.w.lines.some((l) => l.msg === "scanned" && l.target === world.slowTarget),
      false,
    );
    await killHard(slowStarted.w);
    killed.push({ stage: "scan", worker: slowStarted.w });
    world.startWorker();
    world.startWorker();

    // Another worker scans the slow target again, from the start (its run was never recorded).
    await firstLine(
      (l) => l.msg === "scanned" && l.target === world.slowTarget,
      "the slow target is scanned by a survivor",
      40_000,
    );
    const runs = await q<{ job: string }>("select job from schedule_runs where job like 'tls:%'");
    assert.deepEqual(
      runs.map((r) => r.job).sort(),
      world.targets.map((t) => `tls:${t}`).sort(),
      "every target has its run",
    );
  });

  it("recovers from a worker killed mid-CT-ingest: no entry skipped, no alert twice", async () => {
    await eventually(
      async () => (await q("select 1 from ct_logs")).length === 1,
      "the log's position is saved",
    );
    const hosts = await fillLog(world, { entries: ENTRIES, hosts: HOSTS, malformed: MALFORMED });
    const batch = await firstLine(
      (l) => l.msg === "ct batch committed" && Number(l.position) < ENTRIES,
      "a first batch of the log is committed",
    );
    await killHard(batch.w);
    killed.push({ stage: "ct", worker: batch.w });
    const committed = Math.max(
      ...batch.w.lines.filter((l) => l.msg === "ct batch committed").map((l) => Number(l.position)),
    );
    world.startWorker();

    await until(
      () => linesOf((l) => l.msg === "ct batch committed" && Number(l.position) === ENTRIES).length > 0,
      "a survivor reads the log to its head",
      40_000,
    );
    const after = linesOf((l) => l.msg === "ct batch committed").filter(({ w }) => w !== batch.w);
    assert.ok(
      after.every(({ l }) => Number(l.position) > committed),
      "the new holder went on from the killed worker's last committed batch",
    );
    const [state] = await q<{ position: string; verified_size: string; last_error: string | null }>(
      "select position, verified_size, last_error from ct_logs",
    );
    assert.deepEqual(
      [Number(state?.position), Number(state?.verified_size), state?.last_error],
      [ENTRIES, ENTRIES, null],
    );
    const errors = await q<{ entry_index: string }>(
      "select entry_index from ct_entry_errors order by entry_index",
    );
    assert.deepEqual(
      errors.map((e) => Number(e.entry_index)),
      MALFORMED,
      "every malformed entry is recorded: none skipped",
    );
    const alerts = await q<{ subject: string }>("select subject from alerts where name = 'new-subdomain'");
    assert.deepEqual(alerts.map((a) => a.subject).sort(), [...hosts].sort());
    assert.ok(
      !killed.some(({ worker }) =>
        worker.lines.some((l) => l.msg === "ct batch committed" && Number(l.position) === ENTRIES),
      ),
      "the killed worker did not finish the log",
    );
  });

  it("raised each alert once, delivered every notification (a duplicate only with its id), and stops cleanly", async () => {
    await eventually(
      async () => {
        const [r] = await q<{ n: string }>("select count(*) as n from outbox where delivered_at is null");
        return Number(r?.n) === 0;
      },
      "the outbox is delivered",
      40_000,
    );
    const opened = await q<{ alert_id: string; n: string }>(
      "select alert_id, count(*) as n from alert_history where kind = 'opened' group by alert_id",
    );
    const alerts = await q<{ id: string; name: string; subject: string }>(
      "select id, name, subject from alerts",
    );
    assert.equal(opened.length, alerts.length);
    assert.deepEqual(
      opened.filter((o) => Number(o.n) !== 1),
      [],
      "no alert opened twice",
    );
    for (const t of world.targets) {
      const host = t.split(":")[0];
      assert.equal(
        alerts.filter((a) => a.name === "hsts-missing" && a.subject === host).length,
        1,
        `${t} has its alert once`,
      );
    }

    const outbox = await q<{ notification_id: string }>("select notification_id from outbox");
    const ids = new Set(outbox.map((r) => r.notification_id));
    assert.equal(ids.size, outbox.length);
    const received = world.hook.received;
    assert.deepEqual(new Set(received.map((r) => r.id)), ids, "every notification reached the receiver");
    for (const r of world.hook.requests) assert.ok(ids.has(r.id), "no request carries an unknown id");
    const cut = world.hook.requests.filter((r) => r.status === 0);
    assert.ok(cut.length >= 1, "the killed senders' requests were cut off");
    for (const r of cut)
      assert.ok(
        received.some((x) => x.id === r.id),
        "a cut-off notification is sent again",
      );
    assert.equal(
      received.length,
      ids.size,
      "accepted once each; any further acceptance is a duplicate of an id",
    );
    assert.ok(killed.length === 3 && new Set(killed.map((k) => k.worker)).size === 3);

    const survivors = world.workers.filter(alive);
    for (const w of survivors) w.signal("SIGTERM");
    for (const w of survivors) {
      const run = await w.done;
      assert.equal(run.code, 0, run.stderr);
      assert.ok(w.lines.some((l) => l.msg === "stopped" && l.clean === true));
    }
    // The killed workers' leases stay until they expire; the survivors' are gone.
    const workerIds = survivors.map((w) => String(w.lines.find((l) => typeof l.worker === "string")?.worker));
    const leases = await q<{ holder: string }>("select holder from work_leases");
    assert.deepEqual(
      leases.filter((l) => workerIds.some((id) => l.holder.startsWith(`${id}#`))),
      [],
      "the survivors gave their leases back",
    );
  });
});
