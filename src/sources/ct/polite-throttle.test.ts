/**
 * @module sources/ct/polite-throttle.test
 * The adaptive rate against a real local log that rate-limits `get-entries` (a fixed window, 429 with
 * Retry-After beyond it): the RFC 6962 client slows down, reads every entry, and after the first 429 sends
 * at most {@link MARGIN} requests per window beyond what the log allows (the fixed rate of before sent a
 * burst of `concurrency` requests at the end of every pause, all refused). Counted from the log's own
 * arrival times, so nothing here depends on how fast the machine is; a slow machine only sends fewer
 * requests per window.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { leaf } from "../../../test/helpers/ct-client-kit.js";
import { startCtLog, type CtLog } from "../../../test/helpers/ct-log.js";
import type { RawEntry } from "./log-client.js";
import type { PoliteHttpOptions } from "./polite-http.js";
import { createRfc6962Client } from "./rfc6962-client.js";

const ENTRIES = 800;
const BATCH = 16;
const PER_WINDOW = 10;
const WINDOW_MS = 1000;
const CONCURRENCY = 6;
/**
 * Requests beyond the limit allowed in one window after the first 429: growth probes one request past it,
 * and one more for a timer that a busy machine fires late, together with the next one.
 */
const MARGIN = 2;

describe("adaptive politeness against a log that rate-limits", () => {
  let log: CtLog;
  before(async () => {
    log = await startCtLog({ autoPublish: false, maxBatch: BATCH });
    for (let i = 0; i < ENTRIES; i++) log.addRaw(leaf(i), Buffer.from(`extra-${i}`));
    log.publish();
  });
  after(() => log.close());

  /** Reads the whole log; returns the entries and the client's counters. */
  async function readAll(politeness: PoliteHttpOptions): Promise<{ entries: RawEntry[]; rate: number }> {
    log.faults = { rateLimit: { perWindow: PER_WINDOW, windowMs: WINDOW_MS, path: "get-entries" } };
    const c = createRfc6962Client({
      url: log.url,
      publicKey: log.publicKeyDer,
      timeoutMs: 5000,
      batchSize: BATCH,
      prefetch: CONCURRENCY,
      politeness: {
        concurrency: CONCURRENCY,
        maxRetries: 20,
        baseDelayMs: 50,
        maxRetryAfterMs: 2000,
        ...politeness,
      },
    });
    const entries: RawEntry[] = [];
    try {
      for await (const b of c.entries(0, ENTRIES)) entries.push(...b);
      return { entries, rate: c.stats.rate };
    } finally {
      c.close();
      log.faults = {};
    }
  }

  /** Requests (served and refused) per window of the log's limiter, from the first refused one on. */
  function perWindowAfterFirst429(): { windows: number[]; refused: number } {
    const a = log.arrivals.filter((x) => x.path.includes("get-entries"));
    const start = a[0]?.at ?? 0;
    const first = a.findIndex((x) => x.throttled);
    assert.ok(first >= 0, "the log never said 429: the test proves nothing");
    const windows: number[] = [];
    let refused = 0;
    for (const x of a.slice(first)) {
      const w = Math.floor((x.at - start) / WINDOW_MS);
      windows[w] = (windows[w] ?? 0) + 1;
      if (x.throttled) refused++;
    }
    return { windows: windows.filter((n) => n !== undefined), refused };
  }

  it("slows down, reads every entry, and stays within a margin of the limit after the first 429", async () => {
    log.arrivals.length = 0;
    const { entries, rate } = await readAll({ requestsPerSecond: 20, maxRequestsPerSecond: 200 });
    assert.equal(entries.length, ENTRIES);
    entries.forEach((e, i) => {
      assert.equal(e.index, i);
      assert.deepEqual(e.leafInput, leaf(i));
    });
    assert.ok(rate < 20, `the rate is ${rate}/s after being throttled at ${PER_WINDOW}/s`);
    const { windows, refused } = perWindowAfterFirst429();
    // The first window's refusals come with the first 429 (up to CONCURRENCY requests were in flight);
    // after it, the rate is paced below the limit, and probes past it now and then.
    for (const [i, n] of windows.slice(1).entries()) {
      assert.ok(
        n <= PER_WINDOW + MARGIN,
        `window ${i + 1}: ${n} requests (limit ${PER_WINDOW}); all: ${windows.join(",")}`,
      );
    }
    assert.ok(refused <= CONCURRENCY + windows.length, `${refused} refused in ${windows.length} windows`);
  });
});
