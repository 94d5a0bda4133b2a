/**
 * @module metrics/registry
 * certwatch's Prometheus metrics (docs/metrics.md): certificate expiry in the names existing dashboards use
 * (blackbox_exporter's `probe_ssl_earliest_cert_expiry`, x509-certificate-exporter's `x509_cert_*`), open alerts,
 * CT lag, undelivered notifications and scan durations, plus the process defaults — in a registry of its own
 * (never prom-client's global one). Store-derived series are read at scrape time (`store.metrics`); they are the
 * same in every process on one store, so a worker leaves them out (`storeSeries: false`) and exports only what is
 * its own: the process, its scans, the jobs it ran and the leases it holds (`workerSeries`).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { MetricsQueries } from "../store/metrics-queries.js";
import { CertificateNameCache, certificateNames, DN_FIELDS } from "./distinguished-name.js";
import { JOB_OUTCOMES, WORK_KINDS, type JobOutcome, type WorkKind } from "../work/queues.js";
import { labelValue } from "./label-value.js";
import {
  datedCertificates,
  endpointExpiries,
  serialDecimal,
  soonestCertificates,
  type ServedCertificate,
} from "./served-certificates.js";

/** How much a scrape exports at most: label values come from certificates, which anyone can make. */
export interface MetricsLimits {
  /** Endpoints with a `probe_ssl_earliest_cert_expiry` series. */
  readonly maxEndpoints: number;
  /** Certificates with `x509_cert_*` series, soonest to expire first. */
  readonly maxCertificates: number;
  /** Endpoints not observed for this long are left out (removed from the configuration, say). */
  readonly endpointMaxAgeSeconds: number;
}

export const DEFAULT_METRICS_LIMITS: MetricsLimits = {
  maxEndpoints: 10_000,
  maxCertificates: 2_000,
  endpointMaxAgeSeconds: 7 * 86_400,
};

export interface MetricsDeps {
  readonly store: { readonly metrics: MetricsQueries };
  readonly now: () => Date;
  /** The delivery targets configured now: each has an outbox series, 0 when nothing waits. */
  readonly notifyTargets?: () => readonly string[];
  readonly limits?: Partial<MetricsLimits>;
  /** Process metrics (CPU, memory, event loop, GC); default true. */
  readonly processMetrics?: boolean;
  /** Why a scrape could not read the store (the series from it are left out; `certwatch_metrics_store_ok` 0). */
  readonly onStoreError?: (error: unknown) => void;
  /**
   * The series read from the store (expiry, alerts, CT lag, outbox, with `certwatch_metrics_truncated` and
   * `certwatch_metrics_store_ok`); default true. False for `certwatch worker`: every worker would export the same
   * cluster-wide numbers, and a sum() over them would count each once per worker. The store is then never read.
   */
  readonly storeSeries?: boolean;
  /**
   * `certwatch_worker_jobs_total` and `certwatch_worker_leases_held`: a process that takes jobs from the
   * PostgreSQL work queues (a worker, serve on PostgreSQL). Default false.
   */
  readonly workerSeries?: boolean;
  /** The work leases this process holds now, by kind (`scan`, `ct`, …), read at scrape time. */
  readonly leasesHeld?: () => Readonly<Record<string, number>>;
}

/** What the daemon holds: the registry, the scan histogram it observes, and a scrape. */
export interface CertwatchMetrics {
  readonly registry: Registry;
  /** `certwatch_scan_duration_seconds`: the daemon observes each TLS scan run's duration. */
  observeScanDuration(seconds: number): void;
  /** `certwatch_worker_jobs_total`: a job taken from a work queue ended (ignored without `workerSeries`). */
  observeJob(queue: WorkKind, outcome: JobOutcome): void;
  /** Reads the store and renders every series (concurrent scrapes share one read). */
  scrape(): Promise<string>;
  readonly contentType: string;
}

const X509_LABELS = [
  "serial_number",
  ...DN_FIELDS.map((f) => `subject_${f}` as const),
  ...DN_FIELDS.map((f) => `issuer_${f}` as const),
  "sha256",
] as const;
type X509Label = (typeof X509_LABELS)[number];

/** Seconds: a scan of one target takes a second or two; of a thousand, minutes. */
const SCAN_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

export function metricsRegistry(deps: MetricsDeps): CertwatchMetrics {
  const limits = { ...DEFAULT_METRICS_LIMITS, ...deps.limits };
  const registry = new Registry();
  if (deps.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const storeSeriesOn = deps.storeSeries !== false;
  /** The store-derived series exist either way (a scrape's code stays one), registered only when exported. */
  const registers = storeSeriesOn ? [registry] : [];

  const earliestExpiry = new Gauge({
    name: "probe_ssl_earliest_cert_expiry",
    help: "Earliest notAfter of the certificate chain the endpoint served at its latest scan, in unix seconds",
    labelNames: ["instance", "address"] as const,
    registers,
  });
  const x509 = (name: string, help: string) =>
    new Gauge<X509Label>({ name, help, labelNames: X509_LABELS, registers });
  const notAfter = x509("x509_cert_not_after", "The certificate's notAfter, in unix seconds");
  const notBefore = x509("x509_cert_not_before", "The certificate's notBefore, in unix seconds");
  const expired = x509("x509_cert_expired", "1 when the certificate's notAfter has passed, else 0");
  const alertsOpen = new Gauge({
    name: "certwatch_alerts_open",
    help: "Open alerts by event id and severity",
    labelNames: ["event_id", "severity"] as const,
    registers,
  });
  const ctLag = new Gauge({
    name: "certwatch_ct_log_lag_entries",
    help: "Entries of the CT log's newest tree head not read yet (tree size minus position)",
    labelNames: ["log"] as const,
    registers,
  });
  const ctHead = new Gauge({
    name: "certwatch_ct_log_last_head_timestamp_seconds",
    help: "Timestamp of the CT log's newest signed tree head, in unix seconds",
    labelNames: ["log"] as const,
    registers,
  });
  const outboxPending = new Gauge({
    name: "certwatch_outbox_pending",
    help: "Notifications not yet delivered, per delivery target",
    labelNames: ["target"] as const,
    registers,
  });
  const truncated = new Gauge({
    name: "certwatch_metrics_truncated",
    help: "1 when the metric left series out to stay under its cap (see docs/metrics.md), else 0",
    labelNames: ["metric"] as const,
    registers,
  });
  const storeOk = new Gauge({
    name: "certwatch_metrics_store_ok",
    help: "1 when the last scrape read the store, 0 when it failed (store-derived series are then absent)",
    registers,
  });
  const scanDuration = new Histogram({
    name: "certwatch_scan_duration_seconds",
    help: "Duration of TLS scan runs, in seconds",
    buckets: SCAN_BUCKETS,
    registers: [registry],
  });
  const workerRegisters = deps.workerSeries === true ? [registry] : [];
  const jobs = new Counter({
    name: "certwatch_worker_jobs_total",
    help: "Jobs this process took from the work queues, by queue and how they ended (completed, failed, skipped)",
    labelNames: ["queue", "outcome"] as const,
    registers: workerRegisters,
  });
  // Every pair from the start: rate() and increase() see the first job of a kind, not a series appearing.
  for (const queue of WORK_KINDS) for (const outcome of JOB_OUTCOMES) jobs.inc({ queue, outcome }, 0);
  const leasesHeld = deps.leasesHeld;
  new Gauge({
    name: "certwatch_worker_leases_held",
    help: "Work leases this process holds now, by kind (planner, worker, scan, ct, job)",
    labelNames: ["kind"] as const,
    registers: workerRegisters,
    collect() {
      this.reset();
      for (const [kind, n] of Object.entries(leasesHeld?.() ?? {})) this.set({ kind: labelValue(kind) }, n);
    },
  });
  const storeSeries = [
    earliestExpiry,
    notAfter,
    notBefore,
    expired,
    alertsOpen,
    ctLag,
    ctHead,
    outboxPending,
  ];
  const names = new CertificateNameCache(limits.maxCertificates * 2);

  /** Everything read from the store, before any series changes: a scrape shows one moment. */
  const read = async () => {
    const q = deps.store.metrics;
    const now = deps.now();
    const since = new Date(now.getTime() - limits.endpointMaxAgeSeconds * 1000);
    const endpoints = await q.servedEndpoints(since, limits.maxEndpoints + 1);
    const shownEndpoints = endpoints.slice(0, limits.maxEndpoints);
    const certificates = datedCertificates(await q.certificateDates(shownEndpoints.flatMap((e) => e.chain)));
    const soonest = soonestCertificates(shownEndpoints, certificates, limits.maxCertificates);
    const unnamed = soonest.shown.filter((c) => names.get(c.sha256) === undefined).map((c) => c.sha256);
    if (unnamed.length > 0) {
      for (const [sha, der] of await q.certificateDer(unnamed)) names.set(sha, certificateNames(der));
    }
    return {
      now,
      expiries: endpointExpiries(shownEndpoints, certificates),
      endpointsTruncated: endpoints.length > limits.maxEndpoints,
      soonest,
      alerts: await q.openAlertCounts(),
      logs: await q.ctLogProgress(),
      pending: await q.outboxPending(),
    };
  };

  const x509Labels = (c: ServedCertificate): Record<X509Label, string> => {
    const n = names.get(c.sha256);
    const labels = { serial_number: labelValue(serialDecimal(c.serialNumber)), sha256: c.sha256 } as Record<
      X509Label,
      string
    >;
    for (const f of DN_FIELDS) {
      labels[`subject_${f}`] = labelValue(n?.subject[f] ?? "");
      labels[`issuer_${f}`] = labelValue(n?.issuer[f] ?? "");
    }
    return labels;
  };

  /** Synchronous: two scrapes never interleave their series. */
  const show = (r: Awaited<ReturnType<typeof read>>) => {
    for (const g of storeSeries) g.reset();
    for (const e of r.expiries) {
      earliestExpiry.set(
        { instance: labelValue(e.instance), address: labelValue(e.address) },
        e.earliestNotAfter,
      );
    }
    const nowSeconds = Math.floor(r.now.getTime() / 1000);
    for (const c of r.soonest.shown) {
      const labels = x509Labels(c);
      notAfter.set(labels, c.notAfterSeconds);
      notBefore.set(labels, c.notBeforeSeconds);
      expired.set(labels, c.notAfterSeconds <= nowSeconds ? 1 : 0);
    }
    truncated.set({ metric: "probe_ssl_earliest_cert_expiry" }, r.endpointsTruncated ? 1 : 0);
    truncated.set({ metric: "x509_cert_not_after" }, r.soonest.truncated ? 1 : 0);
    for (const a of r.alerts) {
      alertsOpen.set({ event_id: String(a.eventId), severity: labelValue(a.severity) }, a.open);
    }
    for (const l of r.logs) {
      const log = labelValue(l.url);
      ctLag.set({ log }, Math.max(0, l.headSize - l.position));
      if (l.headTimestamp !== null) ctHead.set({ log }, l.headTimestamp / 1000);
    }
    for (const t of deps.notifyTargets?.() ?? []) outboxPending.set({ target: labelValue(t) }, 0);
    for (const p of r.pending) outboxPending.set({ target: labelValue(p.target) }, p.pending);
    storeOk.set(1);
  };

  let inflight: Promise<string> | undefined;
  const scrape = async (): Promise<string> => {
    if (!storeSeriesOn) return registry.metrics();
    try {
      show(await read());
    } catch (e) {
      for (const g of storeSeries) g.reset();
      storeOk.set(0);
      deps.onStoreError?.(e);
    }
    return registry.metrics();
  };

  return {
    registry,
    observeScanDuration: (seconds) => scanDuration.observe(seconds),
    observeJob: (queue, outcome) => jobs.inc({ queue, outcome }),
    scrape: () => (inflight ??= scrape().finally(() => (inflight = undefined))),
    contentType: registry.contentType,
  };
}
