/**
 * @module sources/ct/adaptive-rate.test
 * The AIMD rate controller fed sequences of outcomes: slow start under fast answers, the ceiling, halving
 * on 429/503 once per round trip, decreases on failures and on latency growth (not on some slow answers
 * among fast ones), the floor, and growth only when the rate is what holds requests back.
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

  it("after a decrease, grows by steps (5 % of the ceiling per second of traffic), not by doubling", () => {
    const c = new AdaptiveRate({ initial: 20, max: 200 });
    answer(c, 60); // 80/s
    c.throttled(c.sent()); // 40/s
    assert.ok(!c.slowStart);
    // 40 answers at 40–49/s, a little under a second: +9/s (+10 per second).
    answer(c, 40);
    assert.ok(c.rate > 48.5 && c.rate < 49.5, `rate ${c.rate}`);
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

  it("stops growing when answers get much slower, and slows down when they get slower still", () => {
    const c = new AdaptiveRate({ initial: 20, max: 1000 });
    answer(c, 20, 20); // 40/s at 20 ms
    // 4x slower: once the fastest of the last 16 answers is over 2x the best + 20 ms, growth stops.
    answer(c, 16, 80);
    const held = c.rate;
    assert.equal(held, 40 + 15);
    answer(c, 10, 80);
    assert.equal(c.rate, held);
    assert.equal(c.decreases, 0);
    assert.ok(c.slowStart, "a pause in growth is not a setback");
    // 10x slower: over 4x the best + 20 ms, the rate goes down (a fifth, once per round trip).
    answer(c, 16, 200);
    assert.equal(c.rate, held * 0.8);
    assert.equal(c.lastDecrease, "latency");
    // Fast again: growth resumes, by steps.
    const low = c.rate;
    answer(c, 60, 20);
    assert.ok(c.rate > low, `rate ${c.rate} did not grow from ${low}`);
    assert.ok(!c.slowStart);
  });

  it("is not slowed down by some slow answers among fast ones (its own busy event loop)", () => {
    const c = new AdaptiveRate({ initial: 20, max: 1000 });
    answer(c, 8, 10);
    // Three of every four answers come 20 times slower: the log is fine, the reader was busy.
    for (let i = 0; i < 15; i++) {
      answer(c, 3, 200);
      answer(c, 1, 10);
    }
    assert.equal(c.decreases, 0);
    assert.equal(c.rate, 20 + 8 + 60);
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
