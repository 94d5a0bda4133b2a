import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Limiter, mapLimit } from "./concurrency.js";

describe("bounded concurrency", () => {
  it("mapLimit keeps order and never exceeds the limit", async () => {
    let active = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (x) => {
      peak = Math.max(peak, ++active);
      await sleep(x);
      active--;
      return x * 10;
    });
    assert.deepEqual(out, [50, 10, 40, 20, 30]);
    assert.equal(peak, 2);
  });

  it("Limiter admits at most `limit` tasks and releases on failure too", async () => {
    const limiter = new Limiter(3);
    let active = 0;
    let peak = 0;
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        limiter.run(async () => {
          peak = Math.max(peak, ++active);
          await sleep(2);
          active--;
          if (i % 4 === 0) throw new Error(`task ${i}`);
          return i;
        }),
      ),
    );
    assert.equal(peak, 3);
    assert.equal(results.filter((r) => r.status === "rejected").length, 3);
    assert.equal(await limiter.run(() => Promise.resolve("still usable")), "still usable");
  });
});
