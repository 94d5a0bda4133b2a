/**
 * @module daemon/swappable-store.test
 * The daemon's store handle follows a reload's reopened store, also through sub-stores kept from before.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { openStore } from "../store/open.js";
import { swappableStore } from "./swappable-store.js";

describe("swappable store", () => {
  it("forwards calls, and sub-stores taken before a swap, to the store in place", async () => {
    const first = await openStore("sqlite::memory:");
    const second = await openStore("sqlite::memory:");
    try {
      const swap = swappableStore(first);
      const schedule = swap.store.schedule; // kept by a route module at construction
      await schedule.recordScheduleRun({
        job: "domains",
        at: "2026-01-01T00:00:00Z",
        durationMs: 1,
        error: null,
      });
      assert.equal(swap.swap(second), first);
      await schedule.recordScheduleRun({
        job: "tls:a.test:443",
        at: "2026-01-01T00:00:00Z",
        durationMs: 1,
        error: null,
      });
      assert.deepEqual([...(await first.schedule.lastRuns()).keys()], ["domains"]);
      assert.deepEqual([...(await second.schedule.lastRuns()).keys()], ["tls:a.test:443"]);
      assert.equal(await swap.store.getAlert("none"), undefined);
      assert.equal(swap.current(), second);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
