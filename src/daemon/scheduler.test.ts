/**
 * @module daemon/scheduler.test
 * The scheduler against a fake clock moved by hand: spread, jitter, resume from last runs, the concurrency bound,
 * scan-now, job changes and stopping. No assertion depends on the wall clock.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Clock } from "./clock.js";
import { Scheduler, type SchedulerOptions } from "./scheduler.js";

const MIN = 60_000;
const HOUR = 60 * MIN;

/** Time stands still until `advance` moves it; sleepers wake in time order. */
class FakeClock implements Clock {
  t = 1_000_000_000_000;
  private sleepers: { until: number; wake: () => void }[] = [];

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const s = {
        until: this.t + ms,
        wake: () => {
          this.sleepers = this.sleepers.filter((x) => x !== s);
          signal.removeEventListener("abort", s.wake);
          resolve();
        },
      };
      this.sleepers.push(s);
      signal.addEventListener("abort", s.wake, { once: true });
    });
  }

  /** Moves time forward by `ms` in steps, letting every woken task run before the next step. */
  async advance(ms: number, step = 1000): Promise<void> {
    const end = this.t + ms;
    await settle();
    while (this.t < end) {
      this.t = Math.min(end, this.t + step);
      for (const s of this.sleepers.filter((x) => x.until <= this.t)) s.wake();
      await settle();
    }
  }
}

/** Lets pending promise callbacks and their follow-ups run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

/** A deterministic uniform [0, 1) (a 32-bit LCG): the spread is the same on every run of the test. */
function seeded(seed = 42): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

interface Harness {
  clock: FakeClock;
  scheduler: Scheduler;
  starts: { key: string; at: number }[];
  finished: { key: string; startedAt: number; error: unknown }[];
  stop: AbortController;
  loop: Promise<void>;
}

function harness(o: Partial<SchedulerOptions> = {}): Harness {
  const clock = new FakeClock();
  const starts: Harness["starts"] = [];
  const finished: Harness["finished"] = [];
  const scheduler = new Scheduler({
    clock,
    concurrency: 1000,
    jitter: 0.1,
    startSpreadMs: MIN,
    random: seeded(),
    run: (key) => {
      starts.push({ key, at: clock.now() });
      return Promise.resolve();
    },
    onFinished: (key, startedAt, _ms, error) => {
      finished.push({ key, startedAt, error });
    },
    ...o,
  });
  const stop = new AbortController();
  return { clock, scheduler, starts, finished, stop, loop: scheduler.run(stop.signal) };
}

const jobs = (n: number, intervalMs = HOUR) =>
  Array.from({ length: n }, (_, i) => ({ key: `tls:h${i}.test:443`, intervalMs }));

describe("scheduler", () => {
  it("spreads the first runs of 1,000 new targets over the start spread instead of one instant", async () => {
    const h = harness();
    const t0 = h.clock.now();
    h.scheduler.setJobs(jobs(1000));
    await h.clock.advance(1000);
    const inFirstSecond = h.starts.length;
    await h.clock.advance(MIN);
    assert.equal(h.starts.length, 1000, "every target ran within the spread");
    assert.ok(inFirstSecond < 60, `about 1,000/60 per second, got ${inFirstSecond} in the first`);
    const perTenSeconds = new Map<number, number>();
    for (const s of h.starts) {
      const bucket = Math.floor((s.at - t0) / 10_000);
      perTenSeconds.set(bucket, (perTenSeconds.get(bucket) ?? 0) + 1);
    }
    assert.ok(Math.max(...perTenSeconds.values()) < 250, "no ten seconds take a quarter of them");
    h.stop.abort();
    await h.loop;
  });

  it("runs each job again after its interval, give or take the jitter, and jitter pulls aligned jobs apart", async () => {
    const h = harness({ startSpreadMs: 0 });
    h.scheduler.setJobs(jobs(50));
    await h.clock.advance(1000);
    assert.equal(h.starts.length, 50, "a zero spread starts them together");
    const first = h.clock.now();
    await h.clock.advance(HOUR * 0.89);
    assert.equal(h.starts.length, 50, "nothing before interval - 10 %");
    await h.clock.advance(HOUR * 0.22);
    assert.equal(h.starts.length, 100, "everything again by interval + 10 %");
    const second = h.starts.slice(50).map((s) => s.at - first);
    assert.ok(new Set(second).size > 40, "the second runs are spread, not together");
    h.stop.abort();
    await h.loop;
  });

  it("resumes from the last runs: a recent one waits for the rest of its interval, an overdue one runs within the spread", async () => {
    const h = harness();
    const now = h.clock.now();
    h.scheduler.setJobs(
      [
        { key: "recent", intervalMs: HOUR },
        { key: "overdue", intervalMs: HOUR },
        { key: "new", intervalMs: HOUR },
      ],
      new Map([
        ["recent", now - 10 * MIN],
        ["overdue", now - 3 * HOUR],
      ]),
    );
    await h.clock.advance(MIN + 1000);
    assert.deepEqual(h.starts.map((s) => s.key).sort(), ["new", "overdue"]);
    await h.clock.advance(40 * MIN);
    assert.deepEqual(
      h.starts.map((s) => s.key).filter((k) => k === "recent"),
      [],
      "not before 50 minutes less the jitter",
    );
    await h.clock.advance(20 * MIN);
    assert.equal(h.starts.filter((s) => s.key === "recent").length, 1);
    const recent = h.scheduler.status().find((s) => s.key === "recent");
    assert.ok(recent && recent.lastRunAt !== null && recent.lastRunAt > now);
    h.stop.abort();
    await h.loop;
  });

  it("never runs more than `concurrency` jobs at once, the most overdue first, and drains the queue as they finish", async () => {
    let active = 0;
    let peak = 0;
    const release: (() => void)[] = [];
    const h = harness({
      concurrency: 3,
      startSpreadMs: 0,
      run: (key) => {
        h.starts.push({ key, at: h.clock.now() });
        active++;
        peak = Math.max(peak, active);
        return new Promise<void>((resolve) =>
          release.push(() => {
            active--;
            resolve();
          }),
        );
      },
    });
    h.scheduler.setJobs(jobs(10));
    await h.clock.advance(1000);
    assert.equal(h.starts.length, 3);
    while (release.length > 0) {
      release.shift()?.();
      await h.clock.advance(1000);
    }
    assert.equal(h.starts.length, 10);
    assert.equal(peak, 3);
    h.stop.abort();
    await h.loop;
  });

  it("scan now runs a job at once (again after the current run when it is running); an unknown key is refused", async () => {
    const h = harness();
    const now = h.clock.now();
    h.scheduler.setJobs([{ key: "a", intervalMs: HOUR }], new Map([["a", now]]));
    await h.clock.advance(1000);
    assert.equal(h.starts.length, 0);
    assert.equal(h.scheduler.runNow("a"), true);
    assert.equal(h.scheduler.runNow("b"), false);
    await h.clock.advance(1000);
    assert.equal(h.starts.length, 1);
    h.stop.abort();
    await h.loop;
  });

  it("applies a new job set: removed jobs stop, added ones start within the spread, a changed interval counts from the last run", async () => {
    const h = harness();
    h.scheduler.setJobs([
      { key: "kept", intervalMs: HOUR },
      { key: "removed", intervalMs: HOUR },
    ]);
    await h.clock.advance(MIN + 1000);
    assert.equal(h.starts.length, 2);
    const keptRun = h.starts.find((s) => s.key === "kept")?.at ?? 0;
    h.scheduler.setJobs([
      { key: "kept", intervalMs: 10 * MIN },
      { key: "added", intervalMs: HOUR },
    ]);
    await h.clock.advance(MIN + 1000);
    assert.ok(h.starts.some((s) => s.key === "added"));
    await h.clock.advance(2 * HOUR);
    assert.equal(h.starts.filter((s) => s.key === "removed").length, 1, "never again");
    const kept = h.starts.filter((s) => s.key === "kept").map((s) => s.at);
    assert.ok(kept.length >= 10, `every 10 minutes now (${kept.length} runs)`);
    assert.ok((kept[1] ?? 0) - keptRun <= 11 * MIN);
    h.stop.abort();
    await h.loop;
  });

  it("a job that throws is reported and scheduled as usual", async () => {
    const h = harness({
      startSpreadMs: 0,
      run: (key) => {
        h.starts.push({ key, at: h.clock.now() });
        return Promise.reject(new Error("store locked"));
      },
    });
    h.scheduler.setJobs([{ key: "a", intervalMs: 10 * MIN }]);
    await h.clock.advance(25 * MIN);
    assert.equal(h.starts.length, 3);
    assert.equal((h.finished[0]?.error as Error).message, "store locked");
    h.stop.abort();
    await h.loop;
  });

  it("stopping starts nothing new, hands the signal to running jobs, and resolves once they have finished", async () => {
    let finish: (() => void) | undefined;
    let sawAbort = false;
    const h = harness({
      concurrency: 1,
      startSpreadMs: 0,
      run: (key, signal) => {
        h.starts.push({ key, at: h.clock.now() });
        return new Promise<void>((resolve) => {
          finish = () => {
            sawAbort = signal.aborted;
            resolve();
          };
        });
      },
    });
    h.scheduler.setJobs(jobs(2));
    await h.clock.advance(1000);
    assert.equal(h.starts.length, 1);
    assert.equal(h.scheduler.running, true);
    h.stop.abort();
    let ended = false;
    void h.loop.then(() => (ended = true));
    await h.clock.advance(5000);
    assert.equal(ended, false, "waits for the running job");
    assert.equal(h.scheduler.running, false);
    finish?.();
    await h.loop;
    assert.equal(sawAbort, true);
    assert.equal(h.starts.length, 1, "the queued job never started");
    assert.equal(h.finished.length, 1, "the finished run was reported (and so persisted)");
  });
});
