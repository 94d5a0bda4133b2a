/**
 * @module sources/ct/adaptive-rate.test
 * The AIMD rate controller fed sequences of outcomes: slow start under fast answers, the ceiling, halving
 * on 429/503 once per round trip, decreases on failures and on latency growth, the floor, and growth only
 * when the rate is what holds requests back.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AdaptiveRate } from "./adaptive-rate.js";

/** `n` requests sent and answered one after the other after `ms`, each found the bucket empty. */
function answer(c: AdaptiveRate, n: number, ms = 20, kind = "", limited = true): void {
  for (let i = 0; i < n; i++) c.succeeded(c.sent(), ms, limited, kind);
}

describe("AdaptiveRate", () => {
  it("doubles in about a second's worth of fast answers (slow start)", () => {
    const c = new AdaptiveRate({ initial: 20, max: 200 });
    assert.equal(c.rate, 20);
    assert.ok(c.slowStart);
    answer(c, 20);
    assert.equal(c.rate, 40);
    answer(c, 40);
    assert.equal(c.rate, 80);
    assert.equal(c.decreases, 0);
  });

  it("never goes above the ceiling", () => {
    const c = new AdaptiveRate({ initial: 20, max: 50 });
    answer(c, 1000);
    assert.equal(c.rate, 50);
    assert.equal(c.peak, 50);
    // A ceiling below the start is the start.
    const low = new AdaptiveRate({ initial: 30, max: 10 });
    answer(low, 100);
    assert.equal(low.rate, 30);
  });

  it("does not grow while the rate is not what holds requests back", () => {
    const c = new AdaptiveRate({ initial: 20, max: 200 });
    answer(c, 500, 20, "", false);
    assert.equal(c.rate, 20);
  });

  it("halves on a 429 or 503, once for all the requests in flight when it came", () => {
    const c = new AdaptiveRate({ initial: 20, max: 200 });
    answer(c, 60); // 80/s
    const inFlight = [c.sent(), c.sent(), c.sent(), c.sent()];
    for (const seq of inFlight) c.throttled(seq);
    assert.equal(c.rate, 40);
    assert.equal(c.decreases, 1);
    assert.equal(c.lastDecrease, "throttled");
    // A request sent after the decrease that is throttled too: the new rate is still too fast.
    c.throttled(c.sent());
    assert.equal(c.rate, 20);
    assert.equal(c.decreases, 2);
  });

  it("after a decrease, grows by steps (2 % of the ceiling per second of traffic), not by doubling", () => {
    const c = new AdaptiveRate({ initial: 20, max: 200 });
    answer(c, 60); // 80/s
    c.throttled(c.sent()); // 40/s
    assert.ok(!c.slowStart);
    // 40 answers at about 40/s: one second, +4/s.
    answer(c, 40);
    assert.ok(c.rate > 43.5 && c.rate < 44.5, `rate ${c.rate}`);
  });

  it("takes a quarter off on other failures (5xx, timeouts, network errors), once per round trip", () => {
    const c = new AdaptiveRate({ initial: 40, max: 200 });
    const a = c.sent();
    const b = c.sent();
    c.failed(a);
    c.failed(b);
    assert.equal(c.rate, 30);
    assert.equal(c.lastDecrease, "failed");
  });

  it("stops growing when answers get twice as slow, and slows down when they get four times as slow", () => {
    const c = new AdaptiveRate({ initial: 20, max: 1000 });
    answer(c, 20, 20); // 40/s at 20 ms
    const before = c.rate;
    // 3x slower: the smoothed latency crosses 2x + 10 ms; growth stops there (and slow start ends).
    answer(c, 10, 60);
    const held = c.rate;
    assert.ok(held < before + 10, `grew from ${before} to ${held} while slower`);
    answer(c, 10, 60);
    assert.equal(c.rate, held);
    assert.equal(c.decreases, 0);
    // 10x slower: the rate goes down.
    answer(c, 10, 200);
    assert.ok(c.rate < held, `rate ${c.rate} not below ${held}`);
    assert.equal(c.lastDecrease, "latency");
    // Fast again: growth resumes, by steps.
    const low = c.rate;
    answer(c, 60, 20);
    assert.ok(c.rate > low, `rate ${c.rate} did not grow from ${low}`);
    assert.ok(!c.slowStart);
  });

  it("compares latencies within a kind of request", () => {
    const c = new AdaptiveRate({ initial: 20, max: 200 });
    // A tiny get-sth first, then get-entries ten times slower: not a slowdown.
    answer(c, 1, 2, "/ct/v1/get-sth");
    answer(c, 20, 100, "/ct/v1/get-entries");
    assert.equal(c.rate, 41);
    assert.equal(c.decreases, 0);
    assert.equal(c.latencyMs("/ct/v1/get-entries"), 100);
  });

  it("never goes below its floor", () => {
    const c = new AdaptiveRate({ initial: 8, max: 100 });
    for (let i = 0; i < 20; i++) c.throttled(c.sent());
    assert.equal(c.rate, 1);
    const slow = new AdaptiveRate({ initial: 0.5, max: 100 });
    slow.throttled(slow.sent());
    assert.equal(slow.rate, 0.5);
    assert.throws(() => new AdaptiveRate({ initial: 0, max: 10 }), RangeError);
    assert.throws(() => new AdaptiveRate({ initial: 1, max: Infinity }), RangeError);
  });
});
