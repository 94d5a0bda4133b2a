/**
 * @module work/due.test
 * When the planner sends a job: at its last start + interval ± 10 %, drawn the same by every planner; spread over the
 * start window when it never ran or is overdue past the grace.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { draw, dueAt } from "./due.js";

const HOUR = 3_600_000;
const NOW = Date.parse("2026-11-25T10:00:00Z");
const base = { key: "tls:a.test:443", intervalMs: HOUR, now: NOW, startSpreadMs: 300_000, graceMs: 30_000 };

describe("dueAt", () => {
  it("is the last start + interval ± 10 %, the same for every planner, and differs between targets", () => {
    const last = NOW - 50 * 60_000;
    const a = dueAt({ ...base, lastRunAt: last });
    assert.deepEqual(a, dueAt({ ...base, lastRunAt: last }), "two planners agree");
    assert.equal(a.spread, false);
    assert.ok(a.at >= last + 0.9 * HOUR && a.at <= last + 1.1 * HOUR);
    const ats = new Set(
      Array.from({ length: 20 }, (_, i) => dueAt({ ...base, key: `tls:t${i}.test:443`, lastRunAt: last }).at),
    );
    assert.ok(ats.size > 15, "targets that ran together drift apart");
  });

  it("spreads a target that never ran over min(interval, spread) from now", () => {
    const d = dueAt({ ...base, lastRunAt: null });
    assert.equal(d.spread, true);
    assert.ok(d.at >= NOW && d.at < NOW + 300_000);
    const short = dueAt({ ...base, intervalMs: 60_000, lastRunAt: null });
    assert.ok(short.at < NOW + 60_000, "never later than its interval");
  });

  it("starts a slightly late target at once, and spreads one overdue after a stop", () => {
    // Late by less than the grace (a planning round or two): its due time is past, it is sent at once.
    const late = dueAt({ ...base, graceMs: 0.25 * HOUR, lastRunAt: NOW - 1.1 * HOUR - 10_000 });
    assert.equal(late.spread, false);
    assert.ok(late.at <= NOW);
    const overdue = dueAt({ ...base, lastRunAt: NOW - 5 * HOUR });
    assert.equal(overdue.spread, true);
    assert.ok(overdue.at >= NOW && overdue.at < NOW + 300_000);
  });

  it("draws uniformly enough in [0, 1)", () => {
    const xs = Array.from({ length: 1000 }, (_, i) => draw(`k${i}`));
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    assert.ok(Math.abs(mean - 0.5) < 0.05);
  });
});
