/**
 * @module sources/ct/polite-http.test
 * Politeness against a local server: retries with back-off on network errors and 5xx, Retry-After (seconds,
 * dates, capped), concurrency and rate limits, aborts, interpreter retries and the counters; the adaptive
 * rate with an injected clock that the server moves (each answer "takes" the time the test says).
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { parseRetryAfter, PoliteHttp, type PoliteHttpOptions, type PoliteResult } from "./polite-http.js";

interface Script {
  /** Statuses answered by successive requests to one path, then 200 "ok". */
  statuses: number[];
  retryAfter?: string;
}

describe("parseRetryAfter", () => {
  const now = Date.parse("2025-01-01T00:00:00Z");
  it("reads seconds and HTTP dates", () => {
    assert.equal(parseRetryAfter("120", now), 120_000);
    assert.equal(parseRetryAfter(" 0 ", now), 0);
    assert.equal(parseRetryAfter("Wed, 01 Jan 2025 00:00:30 GMT", now), 30_000);
    assert.equal(parseRetryAfter("Tue, 31 Dec 2024 00:00:00 GMT", now), 0);
  });
  it("ignores what it cannot read", () => {
    assert.equal(parseRetryAfter(undefined, now), null);
    assert.equal(parseRetryAfter("-5", now), null);
    assert.equal(parseRetryAfter("1.5", now), null);
    assert.equal(parseRetryAfter("soon", now), null);
    assert.equal(parseRetryAfter("", now), null);
  });
});

describe("PoliteHttp", () => {
  const scripts = new Map<string, Script>();
  const hits = new Map<string, number>();
  let inFlight = 0;
  let maxInFlight = 0;
  let base = "";
  /** The injected clock of the adaptive tests: moved by sleeps, and by `lagMs` for every answer. */
  const clock = { t: 1_000_000, lagMs: 5, arrivals: [] as number[] };
  const sockets = new Set<Socket>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? "/";
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path.startsWith("/clock")) {
      clock.arrivals.push(clock.t);
      clock.t += clock.lagMs;
    }
    if (path.startsWith("/slow")) {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        res.end("slow");
      }, 30);
      return;
    }
    if (path === "/big") {
      res.writeHead(200, { "content-length": 4096 });
      res.end(Buffer.alloc(4096));
      return;
    }
    if (path === "/hang") return;
    const s = scripts.get(path);
    const status = s?.statuses.shift();
    if (status !== undefined) {
      const headers: Record<string, string> = {};
      if (s?.retryAfter !== undefined) headers["retry-after"] = s.retryAfter;
      res.writeHead(status, headers);
      res.end(`status ${status}`);
      return;
    }
    res.end("ok");
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );

  const req = { timeoutMs: 2000, maxBytes: 1024 };
  const fast: PoliteHttpOptions = { baseDelayMs: 5, maxDelayMs: 20, requestsPerSecond: Infinity };
  const counters = (p: PoliteHttp): { requests: number; retries: number; throttled: number } => {
    const { requests, retries, throttled } = p.stats;
    return { requests, retries, throttled };
  };
  const body = (r: PoliteResult<{ body: Buffer }>): string => {
    assert.equal(r.kind, "ok", r.kind === "error" ? r.error : "");
    return r.kind === "ok" ? r.value.body.toString() : "";
  };

  it("retries 5xx with back-off, then succeeds", async () => {
    scripts.set("/flaky", { statuses: [500, 502, 504] });
    const delays: number[] = [];
    const p = new PoliteHttp({
      ...fast,
      random: () => 0.5,
      sleep: (ms) => {
        delays.push(ms);
        return Promise.resolve();
      },
    });
    const r = await p.get(`${base}/flaky`, req);
    assert.equal(body(r), "ok");
    assert.equal(r.attempts, 4);
    // Equal jitter around 5, 10, 20 (capped at 20) ms.
    assert.deepEqual(delays, [3.75, 7.5, 15]);
    assert.deepEqual(counters(p), { requests: 4, retries: 3, throttled: 0 });
    p.destroy();
  });

  it("gives up after maxRetries with the last status", async () => {
    scripts.set("/down", { statuses: [500, 500, 500, 500, 500] });
    const p = new PoliteHttp({ ...fast, maxRetries: 2 });
    const r = await p.get(`${base}/down`, req);
    assert.equal(r.kind, "error");
    if (r.kind === "error") {
      assert.equal(r.reason, "http-status");
      assert.equal(r.status, 500);
      assert.equal(r.attempts, 3);
      assert.match(r.error, /HTTP 500 .*after 3 attempts/);
    }
    assert.equal(hits.get("/down"), 3);
    p.destroy();
  });

  it("passes other statuses through without retrying", async () => {
    scripts.set("/gone", { statuses: [404] });
    const p = new PoliteHttp(fast);
    const r = await p.get(`${base}/gone`, req);
    assert.equal(r.kind === "ok" && r.value.status, 404);
    assert.equal(hits.get("/gone"), 1);
    p.destroy();
  });

  it("waits for a 429's Retry-After in seconds and counts it as throttled", async () => {
    scripts.set("/limited", { statuses: [429], retryAfter: "7" });
    const delays: number[] = [];
    const p = new PoliteHttp({
      ...fast,
      sleep: (ms) => {
        delays.push(ms);
        return Promise.resolve();
      },
      // Time moves only when slept.
      now: () => 1_000_000 + delays.reduce((a, b) => a + b, 0),
    });
    assert.equal(body(await p.get(`${base}/limited`, req)), "ok");
    assert.deepEqual(delays, [7000]);
    assert.deepEqual(counters(p), { requests: 2, retries: 1, throttled: 1 });
    p.destroy();
  });

  it("waits for a 503's Retry-After date, capped at maxRetryAfterMs", async () => {
    const now = Date.parse("2025-06-01T12:00:00Z");
    scripts.set("/maintenance", { statuses: [503, 503], retryAfter: new Date(now + 90_000).toUTCString() });
    const delays: number[] = [];
    const p = new PoliteHttp({
      ...fast,
      maxRetryAfterMs: 60_000,
      sleep: (ms) => {
        delays.push(ms);
        return Promise.resolve();
      },
      now: () => now + delays.reduce((a, b) => a + b, 0),
    });
    assert.equal(body(await p.get(`${base}/maintenance`, req)), "ok");
    // 90 s capped to 60, then the 30 s left.
    assert.deepEqual(delays, [60_000, 30_000]);
    assert.equal(p.stats.throttled, 2);
    p.destroy();
  });

  it("really sleeps, at most the cap", async () => {
    scripts.set("/later", { statuses: [429], retryAfter: "3600" });
    const p = new PoliteHttp({ ...fast, maxRetryAfterMs: 100 });
    const t0 = Date.now();
    assert.equal(body(await p.get(`${base}/later`, req)), "ok");
    const took = Date.now() - t0;
    assert.ok(took >= 95 && took < 1000, `took ${took} ms`);
    p.destroy();
  });

  it("retries network errors and timeouts, not bodies over the cap", async () => {
    const p = new PoliteHttp({ ...fast, maxRetries: 1 });
    const r = await p.get(`${base}/hang`, { timeoutMs: 50, maxBytes: 1024 });
    assert.equal(r.kind === "error" && r.reason, "timeout");
    assert.equal(r.attempts, 2);
    const big = await p.get(`${base}/big`, req);
    assert.equal(big.kind === "error" && big.reason, "too-large");
    assert.equal(big.attempts, 1);
    const refused = await p.get("http://127.0.0.1:1/", req);
    assert.equal(refused.kind === "error" && refused.reason, "network");
    p.destroy();
  });

  it("retries when the interpreter asks, then reports bad-response", async () => {
    const p = new PoliteHttp({ ...fast, maxRetries: 2 });
    let calls = 0;
    const r = await p.request(`${base}/garbled`, req, () => {
      calls++;
      return calls < 2 ? { kind: "retry", error: "garbled" } : { kind: "ok", value: calls };
    });
    assert.deepEqual(r, { kind: "ok", value: 2, attempts: 2 });
    const bad = await p.request(`${base}/garbled`, req, () => ({ kind: "retry", error: "still garbled" }));
    assert.equal(bad.kind === "error" && bad.reason, "bad-response");
    assert.equal(bad.attempts, 3);
    p.destroy();
  });

  it("keeps at most `concurrency` requests in flight", async () => {
    maxInFlight = 0;
    const p = new PoliteHttp({ ...fast, concurrency: 2 });
    const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => p.get(`${base}/slow${i}`, req)));
    assert.ok(rs.every((r) => r.kind === "ok"));
    assert.equal(maxInFlight, 2);
    p.destroy();
  });

  it("keeps to the request rate", async () => {
    const p = new PoliteHttp({ requestsPerSecond: 20, burst: 1 });
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 5 }, () => p.get(`${base}/rate`, req)));
    const took = Date.now() - t0;
    assert.ok(took >= 190, `5 requests at 20/s took ${took} ms`);
    p.destroy();
  });

  it("stops waiting when aborted", async () => {
    scripts.set("/wait", { statuses: [429], retryAfter: "30" });
    const ac = new AbortController();
    const p = new PoliteHttp({ ...fast, signal: ac.signal });
    const t0 = Date.now();
    const pending = p.get(`${base}/wait`, req);
    setTimeout(() => ac.abort(), 50);
    const r = await pending;
    assert.equal(r.kind === "error" && r.reason, "aborted");
    assert.ok(Date.now() - t0 < 1000);
    // Aborted instances refuse new work at once.
    const again = await p.get(`${base}/rate`, req);
    assert.equal(again.kind === "error" && again.reason, "aborted");
    p.destroy();
  });

  it("aborts a request in flight through the per-request signal", async () => {
    const ac = new AbortController();
    const p = new PoliteHttp(fast);
    const pending = p.get(`${base}/hang`, { ...req, signal: ac.signal });
    setTimeout(() => ac.abort(), 30);
    const r = await pending;
    assert.equal(r.kind === "error" && r.reason, "aborted");
    p.destroy();
  });
  describe("adaptive rate", () => {
    /** Requests one after the other, on the injected clock; returns the sleeps asked for. */
    function adaptive(opts: PoliteHttpOptions = {}, fixed = false): { p: PoliteHttp; sleeps: number[] } {
      const sleeps: number[] = [];
      const p = new PoliteHttp({
        requestsPerSecond: 10,
        ...(fixed ? {} : { maxRequestsPerSecond: 100 }),
        concurrency: 1,
        baseDelayMs: 5,
        maxDelayMs: 20,
        now: () => clock.t,
        random: () => 0.5,
        sleep: (ms) => {
          sleeps.push(ms);
          clock.t += ms;
          return Promise.resolve();
        },
        ...opts,
      });
      return { p, sleeps };
    }
    async function run(p: PoliteHttp, n: number, path = "/clock"): Promise<void> {
      for (let i = 0; i < n; i++) assert.equal(body(await p.get(`${base}${path}`, req)), "ok");
    }

    it("rises while answers are fast and the rate is the limit", async () => {
      clock.lagMs = 5;
      const { p } = adaptive();
      await run(p, 30);
      // Slow start: +1 per answer.
      assert.equal(p.stats.rate, 40);
      assert.equal(p.stats.peakRate, 40);
      p.destroy();
    });

    it("keeps a fixed rate without maxRequestsPerSecond", async () => {
      clock.lagMs = 5;
      const { p, sleeps } = adaptive({}, true);
      await run(p, 30);
      assert.equal(p.stats.rate, 10);
      // One token per 100 ms, less the 5 ms each answer took.
      assert.ok(
        sleeps.slice(1).every((ms) => Math.abs(ms - 95) < 1e-6),
        sleeps.join(","),
      );
      p.destroy();
    });

    it("respects the ceiling: requests arrive at most maxRequestsPerSecond apart", async () => {
      clock.lagMs = 1;
      clock.arrivals = [];
      const { p } = adaptive({ maxRequestsPerSecond: 25 });
      await run(p, 80);
      assert.equal(p.stats.rate, 25);
      const a = clock.arrivals;
      // Once at the ceiling (after 15 answers), never two arrivals closer than 1/25 s.
      for (let i = 20; i < a.length; i++) {
        const gap = (a[i] as number) - (a[i - 1] as number);
        assert.ok(gap >= 40 - 1e-6, `arrival ${i}: ${gap} ms after the previous one`);
      }
      p.destroy();
    });

    it("halves on a 429 and waits its Retry-After, then starts again without a burst", async () => {
      clock.lagMs = 5;
      scripts.set("/clock-limited", { statuses: [429], retryAfter: "2" });
      const { p, sleeps } = adaptive();
      await run(p, 30); // 40/s
      sleeps.length = 0;
      clock.arrivals = [];
      const throttledAt = clock.t;
      assert.equal(body(await p.get(`${base}/clock-limited`, req)), "ok");
      assert.equal(p.stats.throttled, 1);
      // 40/s halved to 20, then one step (5/s per second: 5/20) for the answer that came after the pause.
      assert.equal(p.stats.rate, 20.25);
      assert.equal(p.stats.lastDecrease, "throttled");
      assert.ok(sleeps.includes(2000), `slept ${sleeps.join(",")}`);
      // The retry went out one interval (1/20 s) after the end of the pause, not at once.
      const retriedAt = clock.arrivals[1] as number;
      assert.ok(retriedAt - throttledAt >= 2000 + 50 - 1e-6, `retried ${retriedAt - throttledAt} ms later`);
      p.destroy();
    });

    it("slows down when answers get much slower, and grows again by steps", async () => {
      clock.lagMs = 5;
      const { p } = adaptive({ maxRequestsPerSecond: 1000 });
      await run(p, 30);
      const fast = p.stats.rate;
      clock.lagMs = 300;
      await run(p, 20);
      const slow = p.stats.rate;
      assert.ok(slow < fast, `rate ${slow} not below ${fast}`);
      assert.equal(p.stats.lastDecrease, "latency");
      clock.lagMs = 5;
      await run(p, 40);
      assert.ok(p.stats.rate > slow, `rate ${p.stats.rate} did not grow from ${slow}`);
      p.destroy();
    });

    it("takes a quarter off on a 500", async () => {
      clock.lagMs = 5;
      scripts.set("/clock-error", { statuses: [500] });
      const { p } = adaptive();
      await run(p, 30); // 40/s
      assert.equal(body(await p.get(`${base}/clock-error`, req)), "ok");
      // 30/s, then +step/rate for the answer (no longer in slow start).
      assert.ok(p.stats.rate > 30 && p.stats.rate < 30.2, `rate ${p.stats.rate}`);
      assert.equal(p.stats.lastDecrease, "failed");
      p.destroy();
    });
  });
});
