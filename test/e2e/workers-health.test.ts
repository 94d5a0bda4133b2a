/**
 * `certwatch worker --listen`: a worker started as an operator would, on PostgreSQL, answers /healthz, /readyz and
 * its own /metrics (the jobs it ran; never the store's cluster-wide series, which serve exports) and nothing else;
 * SIGTERM closes the port and exits 0. work.listen in the config does the same, --listen overrides it, and a port
 * in use is one line and exit 2.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseExposition, samplesOf } from "../helpers/prom-text.js";
import { certwatch } from "./run-cli.js";
import { scanned, waitReady } from "./serve-kit.js";
import { eventually, HOOK_SECRET, workersWorld, type WorkersWorld } from "./workers-world.js";

async function metricsOf(url: string): Promise<{ text: string; contentType: string | null }> {
  const r = await fetch(`${url}/metrics`);
  assert.equal(r.status, 200);
  return { text: await r.text(), contentType: r.headers.get("content-type") };
}

const jobsDone = (text: string, queue: string, outcome: string): number =>
  samplesOf(parseExposition(text), "certwatch_worker_jobs_total", { queue, outcome })[0]?.value ?? 0;

describe("certwatch worker --listen: health and metrics of a worker", () => {
  let world: WorkersWorld;

  before(async () => {
    world = await workersWorld({ fastTargets: 1, slowResponseMs: 0 });
  });

  after(() => world?.close());

  it("answers /healthz, /readyz and its own /metrics, 404 elsewhere; SIGTERM closes the port, exit 0", async () => {
    const worker = world.startWorker(["worker", "--listen", "127.0.0.1:0"]);
    const url = await worker.url();
    assert.match(url, /^http:\/\/127\.0\.0\.1:[1-9][0-9]*$/);

    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: "ok" });
    assert.equal(health.headers.get("cache-control"), "no-store");
    const ready = (await waitReady(url)) as { status: string; checks: { name: string; ok: boolean }[] };
    assert.equal(ready.status, "ready");
    assert.deepEqual(
      ready.checks.map((c) => [c.name, c.ok]),
      [
        ["store", true],
        ["migrations", true],
        ["scheduler", true],
      ],
    );

    // A job ran: the scan of the first target, counted once it is marked done.
    const t0 = world.targets[0] ?? "";
    await worker.line(scanned(t0));
    await eventually(
      async () => jobsDone((await metricsOf(url)).text, "scan", "completed") >= 1,
      "the scan job is counted",
      15_000,
    );
    const { text, contentType } = await metricsOf(url);
    assert.match(contentType ?? "", /^text\/plain; version=0\.0\.4/);
    const e = parseExposition(text);
    assert.equal(e.types.get("certwatch_worker_jobs_total"), "counter");
    assert.equal(jobsDone(text, "scan", "failed"), 0);
    assert.ok((samplesOf(e, "certwatch_scan_duration_seconds_count")[0]?.value ?? 0) >= 1);
    assert.equal(samplesOf(e, "certwatch_worker_leases_held", { kind: "worker" })[0]?.value, 1);
    assert.equal(samplesOf(e, "process_cpu_user_seconds_total").length, 1);
    // The store's numbers are the same from every worker: serve exports them, a worker does not.
    for (const family of [
      "certwatch_alerts_open",
      "probe_ssl_earliest_cert_expiry",
      "x509_cert_not_after",
      "certwatch_ct_log_lag_entries",
      "certwatch_outbox_pending",
      "certwatch_metrics_store_ok",
    ]) {
      assert.ok(!text.includes(family), `${family} is not a worker's`);
    }

    // Nothing else: no API, no dashboard, no assets, no other method.
    for (const [method, path] of [
      ["GET", "/"],
      ["GET", "/nope"],
      ["GET", "/api/v1/alerts"],
      ["GET", "/api/v1/openapi.json"],
      ["GET", "/assets/app.css"],
      ["POST", "/api/v1/auth/login"],
      ["POST", "/healthz"],
    ] as const) {
      const r = await fetch(`${url}${path}`, { method });
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.deepEqual(await r.json(), { error: "not found" });
    }
    // Nothing secret in what it answers: neither the store's URL nor a delivery target's secret.
    const answered = [
      text,
      await (await fetch(`${url}/healthz`)).text(),
      await (await fetch(`${url}/readyz`)).text(),
    ].join("\n");
    for (const secret of [world.storeUrl, new URL(world.storeUrl).pathname.slice(1), HOOK_SECRET]) {
      assert.ok(!answered.includes(secret), `${secret} is not shown`);
    }

    worker.signal("SIGTERM");
    const run = await worker.done;
    assert.equal(run.code, 0, run.stderr);
    const stopped = worker.lines.findIndex((l) => l.msg === "stopped");
    assert.ok(stopped > 0, "it logged stopped");
    assert.equal(worker.lines[stopped]?.clean, true);
    await assert.rejects(fetch(`${url}/healthz`), "the port is closed");
  });

  it("listens on work.listen; --listen overrides it; a port in use is one line and exit 2", async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const taken = (holder.address() as AddressInfo).port;
    try {
      const yaml = readFileSync(join(world.dir, "certwatch.yaml"), "utf8");
      const withListen = yaml.replace(/^work: \{/m, `work: { listen: "127.0.0.1:${taken}",`);
      assert.notEqual(withListen, yaml);
      writeFileSync(join(world.dir, "listen.yaml"), withListen);

      const refused = await certwatch(["worker", "--config", "listen.yaml"], world.dir);
      assert.equal(refused.code, 2, refused.stderr);
      const last = refused.stderr.trimEnd().split("\n").at(-1);
      assert.equal(
        last,
        `certwatch: work.listen: cannot listen on 127.0.0.1:${taken}: the port is in use (another certwatch ` +
          "worker on this host? each needs its own port); set work.listen or certwatch worker --listen",
      );

      const worker = world.startWorker(["worker", "--config", "listen.yaml", "--listen", "127.0.0.1:0"]);
      const url = await worker.url();
      assert.notEqual(new URL(url).port, String(taken));
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      worker.signal("SIGTERM");
      assert.equal((await worker.done).code, 0);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});
