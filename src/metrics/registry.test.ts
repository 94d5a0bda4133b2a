import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { register as globalRegistry } from "prom-client";
import { parseExposition, samplesOf } from "../../test/helpers/prom-text.js";
import { at, certificate, draft, endpoint, observation, run, T0 } from "../store/contract-fixtures.js";
import type { CtLogState } from "../store/ct-records.js";
import { openStore } from "../store/open.js";
import type { Store } from "../store/store.js";
import { metricsHandler } from "./handler.js";
import { metricsRegistry } from "./registry.js";

const SIEM = { target: "siem", minSeverity: "info", resolved: true } as const;

const ctState = (over: Partial<CtLogState> = {}): CtLogState => ({
  logId: "bG9n",
  url: "https://ct.example/2026/",
  protocol: "rfc6962",
  position: 1000,
  frontier: { size: 1000, hashes: ["aa".repeat(32)] },
  verified: { size: 1000, rootHash: "cc".repeat(32), timestamp: 1_764_064_000_000 },
  verifiedFrontier: { size: 1000, hashes: ["aa".repeat(32)] },
  backfillUntil: 0,
  headSize: 1250,
  headTimestamp: 1_764_064_800_250,
  lastEntryTimestamp: 1_764_064_000_000,
  lastError: null,
  updatedAt: "2026-11-25T10:00:00Z",
  ...over,
});

/** A store with two served endpoints, open alerts with outbox rows, and a CT log behind its head. */
async function filledStore(): Promise<Store> {
  const store = await openStore("sqlite::memory:", { routes: [SIEM] });
  const soon = certificate("soon");
  const later = {
    ...certificate("later"),
    summary: { ...certificate("later").summary, notAfter: "2027-06-01T00:00:00Z" },
  };
  const stale = certificate("stale");
  await store.recordRun(
    run("tls:old.contoso.com:443", at(-8 * 24 * 60), [], {
      certificates: [stale],
      observations: [observation(endpoint("old.contoso.com", "203.0.113.9"), stale)],
    }),
  );
  await store.recordRun(
    run(
      "tls:www.contoso.com:443",
      T0,
      [draft("hsts-missing", "www"), draft("hsts-missing", "api", { severity: "high" })],
      {
        certificates: [soon, later],
        observations: [
          {
            ...observation(endpoint("www.contoso.com", "203.0.113.7"), later),
            chain: [later.summary.sha256, soon.summary.sha256],
          },
          observation(endpoint("api.contoso.com", "203.0.113.8"), later),
        ],
      },
    ),
  );
  const batch = { now: T0, certificates: [], inventory: [], roots: [], entryErrors: [], findings: [] };
  await store.recordCtBatch({ ...batch, state: ctState() });
  return store;
}

describe("metricsRegistry", () => {
  it("exports expiry, alerts, CT lag, the outbox and scan durations from the store, with process metrics", async () => {
    const store = await filledStore();
    try {
      const metrics = metricsRegistry({ store, now: () => T0, notifyTargets: () => ["siem", "mail"] });
      metrics.observeScanDuration(1.5);
      const scrape = metricsHandler(metrics);
      const { body, contentType } = await scrape();
      assert.match(contentType, /^text\/plain; version=0\.0\.4/);
      const e = parseExposition(body);

      const expiry = samplesOf(e, "probe_ssl_earliest_cert_expiry");
      assert.deepEqual(
        expiry.map((s) => [s.labels.instance, s.labels.address, s.value]),
        [
          ["api.contoso.com:443", "203.0.113.8", Date.UTC(2027, 5, 1) / 1000],
          ["www.contoso.com:443", "203.0.113.7", Date.UTC(2026, 11, 30) / 1000],
        ],
      );
      const notAfter = samplesOf(e, "x509_cert_not_after");
      assert.equal(notAfter.length, 2); // soon and later; the stale endpoint's certificate is left out
      assert.deepEqual(
        notAfter.map((s) => s.value),
        [Date.UTC(2026, 11, 30) / 1000, Date.UTC(2027, 5, 1) / 1000],
      );
      assert.equal(samplesOf(e, "x509_cert_expired")[0]?.value, 0);
      assert.equal(samplesOf(e, "x509_cert_not_before")[0]?.value, Date.UTC(2026, 8, 1) / 1000);

      assert.deepEqual(
        samplesOf(e, "certwatch_alerts_open").map((s) => [s.labels.event_id, s.labels.severity, s.value]),
        [
          ["42", "high", 1],
          ["42", "medium", 1],
        ],
      );
      assert.deepEqual(
        samplesOf(e, "certwatch_outbox_pending").map((s) => [s.labels.target, s.value]),
        [
          ["siem", 2],
          ["mail", 0],
        ],
      );
      assert.equal(
        samplesOf(e, "certwatch_ct_log_lag_entries", { log: "https://ct.example/2026/" })[0]?.value,
        250,
      );
      assert.equal(
        samplesOf(e, "certwatch_ct_log_last_head_timestamp_seconds", { log: "https://ct.example/2026/" })[0]
          ?.value,
        1_764_064_800.25,
      );
      assert.equal(samplesOf(e, "certwatch_scan_duration_seconds_count")[0]?.value, 1);
      assert.equal(samplesOf(e, "certwatch_scan_duration_seconds_bucket", { le: "2.5" })[0]?.value, 1);
      assert.equal(samplesOf(e, "certwatch_scan_duration_seconds_bucket", { le: "1" })[0]?.value, 0);
      assert.equal(e.types.get("certwatch_scan_duration_seconds"), "histogram");
      assert.equal(samplesOf(e, "certwatch_metrics_store_ok")[0]?.value, 1);
      assert.ok(samplesOf(e, "process_cpu_user_seconds_total").length === 1, "process metrics");
      assert.ok(samplesOf(e, "nodejs_eventloop_lag_seconds").length === 1, "Node.js metrics");

      // Its own registry: nothing of certwatch's lands in prom-client's global one.
      assert.equal(globalRegistry.getSingleMetric("certwatch_alerts_open"), undefined);
      assert.equal(globalRegistry.getSingleMetric("x509_cert_not_after"), undefined);
    } finally {
      await store.close();
    }
  });

  it("caps the certificates and endpoints exported, keeping those closest to expiry, and says so", async () => {
    const store = await filledStore();
    try {
      const metrics = metricsRegistry({
        store,
        now: () => T0,
        processMetrics: false,
        limits: { maxCertificates: 1, maxEndpoints: 1 },
      });
      const e = parseExposition(await metrics.scrape());
      assert.equal(samplesOf(e, "probe_ssl_earliest_cert_expiry").length, 1);
      assert.deepEqual(
        samplesOf(e, "x509_cert_not_after").map((s) => s.value),
        [Date.UTC(2027, 5, 1) / 1000], // api's only certificate: the one endpoint shown
      );
      assert.equal(
        samplesOf(e, "certwatch_metrics_truncated", { metric: "probe_ssl_earliest_cert_expiry" })[0]?.value,
        1,
      );
      const roomy = parseExposition(
        await metricsRegistry({ store, now: () => T0, processMetrics: false }).scrape(),
      );
      assert.equal(
        samplesOf(roomy, "certwatch_metrics_truncated", { metric: "x509_cert_not_after" })[0]?.value,
        0,
      );
    } finally {
      await store.close();
    }
  });

  it("follows the store between scrapes: a resolved alert and a delivered notification disappear", async () => {
    const store = await filledStore();
    try {
      const metrics = metricsRegistry({ store, now: () => T0, processMetrics: false });
      assert.equal(samplesOf(parseExposition(await metrics.scrape()), "certwatch_alerts_open").length, 2);
      await store.recordRun(run("tls:www.contoso.com:443", at(10), [draft("hsts-missing", "www")]));
      const rows = await store.claimOutbox("siem", 10, at(11), at(12));
      await store.completeOutbox(
        rows.map((r) => r.rowId),
        at(11),
      );
      const e = parseExposition(await metrics.scrape());
      assert.deepEqual(
        samplesOf(e, "certwatch_alerts_open").map((s) => [s.labels.severity, s.value]),
        [["medium", 1]],
      );
      assert.deepEqual(samplesOf(e, "certwatch_outbox_pending"), []);
    } finally {
      await store.close();
    }
  });

  it("a worker's registry (storeSeries: false) never reads the store and has only its own series", async () => {
    const store = await filledStore();
    await store.close(); // a read would fail: the worker's scrape must not try one
    const errors: unknown[] = [];
    let leases: Record<string, number> = { planner: 0, worker: 1, scan: 2, ct: 0, job: 0 };
    const metrics = metricsRegistry({
      store,
      now: () => T0,
      onStoreError: (e) => errors.push(e),
      storeSeries: false,
      workerSeries: true,
      leasesHeld: () => leases,
    });
    metrics.observeScanDuration(0.3);
    metrics.observeJob("scan", "completed");
    metrics.observeJob("scan", "completed");
    metrics.observeJob("ct", "failed");
    const e = parseExposition(await metrics.scrape());
    assert.deepEqual(errors, []);
    for (const family of [
      "probe_ssl_earliest_cert_expiry",
      "x509_cert_not_after",
      "x509_cert_not_before",
      "x509_cert_expired",
      "certwatch_alerts_open",
      "certwatch_ct_log_lag_entries",
      "certwatch_ct_log_last_head_timestamp_seconds",
      "certwatch_outbox_pending",
      "certwatch_metrics_truncated",
      "certwatch_metrics_store_ok",
    ]) {
      assert.equal(e.types.get(family), undefined, `${family} is not exported by a worker`);
    }
    assert.equal(samplesOf(e, "certwatch_scan_duration_seconds_count")[0]?.value, 1);
    assert.equal(samplesOf(e, "process_cpu_user_seconds_total").length, 1, "process metrics");
    assert.equal(e.types.get("certwatch_worker_jobs_total"), "counter");
    const jobs = samplesOf(e, "certwatch_worker_jobs_total").map((s) => [
      s.labels.queue,
      s.labels.outcome,
      s.value,
    ]);
    assert.equal(jobs.length, 9, "every queue and outcome from the start");
    assert.deepEqual(
      jobs.filter(([, , v]) => v !== 0),
      [
        ["scan", "completed", 2],
        ["ct", "failed", 1],
      ],
    );
    assert.deepEqual(
      samplesOf(e, "certwatch_worker_leases_held").map((s) => [s.labels.kind, s.value]),
      [
        ["planner", 0],
        ["worker", 1],
        ["scan", 2],
        ["ct", 0],
        ["job", 0],
      ],
    );
    leases = {};
    const later = parseExposition(await metrics.scrape());
    assert.deepEqual(samplesOf(later, "certwatch_worker_leases_held"), [], "read at each scrape");
  });

  it("serve's registry is as before: no worker series unless asked for", async () => {
    const store = await filledStore();
    try {
      const metrics = metricsRegistry({ store, now: () => T0, processMetrics: false });
      metrics.observeJob("scan", "completed");
      const e = parseExposition(await metrics.scrape());
      assert.equal(e.types.get("certwatch_worker_jobs_total"), undefined);
      assert.equal(e.types.get("certwatch_worker_leases_held"), undefined);
      assert.equal(samplesOf(e, "certwatch_alerts_open").length, 2);
      assert.equal(samplesOf(e, "certwatch_metrics_store_ok")[0]?.value, 1);
    } finally {
      await store.close();
    }
  });

  it("still answers when the store cannot be read: process metrics, and certwatch_metrics_store_ok 0", async () => {
    const store = await filledStore();
    const errors: unknown[] = [];
    const metrics = metricsRegistry({ store, now: () => T0, onStoreError: (e) => errors.push(e) });
    assert.equal(samplesOf(parseExposition(await metrics.scrape()), "certwatch_alerts_open").length, 2);
    await store.close();
    const e = parseExposition(await metrics.scrape());
    assert.equal(samplesOf(e, "certwatch_metrics_store_ok")[0]?.value, 0);
    assert.deepEqual(samplesOf(e, "certwatch_alerts_open"), []);
    assert.deepEqual(samplesOf(e, "x509_cert_not_after"), []);
    assert.equal(samplesOf(e, "process_cpu_user_seconds_total").length, 1);
    assert.equal(errors.length, 1);
  });
});
