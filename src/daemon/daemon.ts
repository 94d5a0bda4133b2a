/**
 * @module daemon/daemon
 * The running daemon: the HTTP server, the store, and the generation of loops for the configuration in force.
 * It starts them in order (open and migrate the store, listen, schedule), reloads the configuration on request
 * (a bad one is logged and the running one kept), and stops them in order (loops to a safe point within the
 * shutdown bound, then the server, then the store). A worker (`http: false`) listens only when given an address
 * (`--listen`, `work.listen`), and then only for its health and its own metrics.
 */
import { isDeepStrictEqual } from "node:util";
import { AppContext, openConfiguredStore, storeUrl } from "../app/context.js";
import type { DeliveryTestResult } from "../api/deps.js";
import { loadConfig } from "../config/load.js";
import { metricsHandler, metricsRegistry, type CertwatchMetrics } from "../metrics/index.js";
import type { ListenAddress } from "../config/daemon-schema.js";
import type { ResolvedConfig } from "../config/schema.js";
import { sampleNotification } from "../notify/sample.js";
import { createHttpApp } from "../server/app.js";
import { createWorkerHttpApp, type WorkerHttpDeps } from "../server/worker-app.js";
import type { ReadyCheck, ScanControl, ServerDeps } from "../server/deps.js";
import { listen, type ListenSettings, type RunningHttpServer } from "../server/listen.js";
import type { Store } from "../store/store.js";
import type { Clock } from "./clock.js";
import { Generation } from "./generation.js";
import type { JsonLog } from "./json-log.js";
import { swappableStore, type SwappableStore } from "./swappable-store.js";
import type { WorkRunner } from "./work-runner.js";
import { DistributedWork } from "../work/distributed-work.js";
import { requirePostgres } from "../work/needs-postgres.js";
import type { JobOutcome, WorkKind } from "../work/queues.js";

/** Requests in flight get this long to finish when the daemon stops. */
const HTTP_GRACE_MS = 2000;

/** What a worker's listen error says to change. */
const WORKER_LISTEN_SETTINGS: ListenSettings = {
  name: "work.listen",
  inUseBy: "another certwatch worker on this host? each needs its own port",
  setHost: "set work.listen or certwatch worker --listen",
  setPort: "set work.listen or certwatch worker --listen",
};

export interface DaemonOptions {
  readonly configPath: string;
  readonly config: ResolvedConfig;
  readonly log: JsonLog;
  readonly clock: Clock;
  /** Serve the dashboard, the API and the health routes (false: `certwatch worker`). */
  readonly http?: boolean;
  /** Do the work: scans, CT, domain checks, delivery (false: `serve --no-work`, PostgreSQL only). */
  readonly work?: boolean;
  /** Who this process is among the workers sharing a PostgreSQL store (logs, leases). */
  readonly workerId?: string;
  /** `certwatch worker --listen`: where its health and metrics answer (else work.listen; neither: nowhere). */
  readonly workerListen?: ListenAddress;
}

export class Daemon {
  readonly #o: DaemonOptions;
  readonly #log: JsonLog;
  #config: ResolvedConfig;
  #swap: SwappableStore | null = null;
  #server: RunningHttpServer | null = null;
  #gen: WorkRunner | null = null;
  #metrics: CertwatchMetrics | null = null;
  /** Reloads and the stop run one after the other. */
  #ops: Promise<void> = Promise.resolve();
  #stopping = false;
  /** Between stopping the old generation and starting the new one: still "running" for /readyz. */
  #reloading = false;
  readonly #hurry = new AbortController();

  constructor(o: DaemonOptions) {
    this.#o = o;
    this.#log = o.log;
    this.#config = o.config;
  }

  get url(): string | null {
    return this.#server?.url ?? null;
  }

  /** Opens the store (migrating it), listens, then schedules everything. On failure, closes what it opened. */
  start(): Promise<void> {
    const started = this.#start();
    // A SIGHUP during the start is applied after it.
    this.#ops = started.catch(() => undefined);
    return started;
  }

  async #start(): Promise<void> {
    const config = this.#config;
    const store = await openConfiguredStore(config);
    const swap = swappableStore(store);
    this.#swap = swap;
    this.#metrics = metricsRegistry({
      store: swap.store,
      now: () => new Date(this.#o.clock.now()),
      notifyTargets: () => Object.keys(this.#config.notify),
      onStoreError: (e) =>
        this.#log.warn("metrics could not read the store", { component: "metrics", error: messageOf(e) }),
      // The store's numbers are the same from every process on it: serve exports them, workers do not.
      storeSeries: this.#o.http !== false,
      workerSeries: config.store.kind === "postgres" && this.#o.work !== false,
      leasesHeld: () => this.#gen?.leasesHeld?.() ?? {},
    });
    try {
      const workerAt = this.#o.workerListen ?? config.work.listen;
      if (this.#o.http === false && workerAt !== undefined) {
        this.#server = await listen(createWorkerHttpApp(this.#workerServerDeps()), {
          host: workerAt.host,
          port: workerAt.port,
          headersTimeoutMs: config.server.headersTimeoutSeconds * 1000,
          requestTimeoutMs: config.server.requestTimeoutSeconds * 1000,
          settings: WORKER_LISTEN_SETTINGS,
        });
        this.#log.info("listening", { component: "http", url: this.#server.url, routes: "health, metrics" });
      } else if (this.#o.http !== false) {
        this.#server = await listen(createHttpApp(this.#serverDeps(swap)), {
          host: config.server.host,
          port: config.server.port,
          ...(config.server.tls ? { tls: config.server.tls } : {}),
          headersTimeoutMs: config.server.headersTimeoutSeconds * 1000,
          requestTimeoutMs: config.server.requestTimeoutSeconds * 1000,
        });
        this.#log.info("listening", { component: "http", url: this.#server.url });
      }
      this.#gen = await this.#prepare(config, store);
      await this.#gen.start();
    } catch (e) {
      await this.#closeAfterFailedStart();
      throw e;
    }
    this.#log.info("started", {
      config: this.#o.configPath,
      endpoints: config.endpoints.length,
      domains: config.domains.length,
      notifyTargets: Object.keys(config.notify).length,
    });
  }

  /** Reads the configuration file again and applies it; a configuration that does not load changes nothing. */
  reload(): Promise<void> {
    this.#ops = this.#ops
      .then(() => this.#reload())
      .catch((e: unknown) => {
        this.#reloading = false;
        this.#log.error("reload failed", { error: messageOf(e) });
      });
    return this.#ops;
  }

  /** Cut the shutdown bound short: a second SIGTERM/SIGINT. */
  hurry(): void {
    this.#hurry.abort();
  }

  /**
   * Stops every loop at a safe point (within schedule.shutdownTimeoutSeconds), then the server, then the store.
   * Returns false when the bound ran out with work still running (the store is then left for the process exit
   * to release: closing it under a transaction would lose more than it saves).
   */
  async stop(): Promise<boolean> {
    this.#stopping = true;
    await this.#ops.catch(() => undefined);
    const bound = this.#config.schedule.shutdownTimeoutSeconds * 1000;
    const finished = this.#gen ? await this.#gen.stop(bound, this.#hurry.signal) : true;
    if (!finished) {
      this.#log.warn("shutdown bound reached with work in progress; it resumes at the next start", {
        boundSeconds: bound / 1000,
      });
    }
    await this.#server?.close(finished ? HTTP_GRACE_MS : 0);
    if (finished) {
      await this.#gen?.ctx.close();
      await this.#swap?.current().close();
    }
    this.#log.info("stopped", { clean: finished });
    return finished;
  }

  async #prepare(config: ResolvedConfig, store: Store): Promise<WorkRunner> {
    if (this.#o.http === false) requirePostgres(config, "certwatch worker");
    if (this.#o.work === false) requirePostgres(config, "certwatch serve --no-work");
    const ctx = await AppContext.open(config, {
      logLine: (m) => this.#log.line(m),
      notifiers: true,
      store,
      now: () => new Date(this.#o.clock.now()),
    });
    try {
      const metrics = this.#metrics;
      const common = {
        ctx,
        log: this.#log,
        clock: this.#o.clock,
        ...(metrics ? { observeScanDuration: (s: number) => metrics.observeScanDuration(s) } : {}),
      };
      // One process alone on SQLite; on PostgreSQL the work is shared with every other process on the store.
      if (config.store.kind === "sqlite") return await Generation.prepare(common);
      return await DistributedWork.prepare({
        ...common,
        workerId: this.#o.workerId ?? "certwatch",
        work: this.#o.work !== false,
        view: this.#o.http !== false,
        ...(metrics ? { observeJob: (q: WorkKind, o: JobOutcome) => metrics.observeJob(q, o) } : {}),
      });
    } catch (e) {
      await ctx.close();
      throw e;
    }
  }

  async #reload(): Promise<void> {
    const old = this.#gen;
    const swap = this.#swap;
    if (this.#stopping || old === null || swap === null) return;
    let next: WorkRunner;
    const before = this.#config;
    let config: ResolvedConfig;
    try {
      config = await loadConfig(this.#o.configPath);
    } catch (e) {
      this.#log.error("configuration not reloaded; the running one stays in force", { error: messageOf(e) });
      return;
    }
    // The HTTP server and the API (or a worker's listener) are built once, at start.
    const atStart: string[] = (["server", "publicUrl", "auth"] as const).filter(
      (k) => !isDeepStrictEqual(config[k], before[k]),
    );
    if (!isDeepStrictEqual(config.work.listen, before.work.listen)) atStart.push("work.listen");
    if (atStart.length > 0)
      this.#log.warn("settings that apply at the next start changed", { keys: atStart });
    // The store is opened with the delivery routes: another store, or other routes, need it opened again.
    const sameStore =
      storeUrl(config) === storeUrl(before) && isDeepStrictEqual(config.notify, before.notify);
    let store: Store | null = sameStore ? swap.current() : null;
    try {
      store ??= await openConfiguredStore(config);
      next = await this.#prepare(config, store);
    } catch (e) {
      if (!sameStore) await store?.close().catch(() => undefined);
      this.#log.error("configuration not reloaded; the running one stays in force", { error: messageOf(e) });
      return;
    }
    this.#reloading = true;
    const finished = await old.stop(config.schedule.shutdownTimeoutSeconds * 1000, this.#hurry.signal);
    if (!finished)
      this.#log.warn("work of the previous configuration is still running; starting the new one");
    await old.ctx.close();
    this.#config = config;
    const replaced = sameStore ? null : swap.swap(store);
    this.#gen = next;
    try {
      await next.start();
    } catch (e) {
      this.#log.error("the scheduler could not start", { error: messageOf(e) });
    } finally {
      this.#reloading = false;
    }
    // A store still used by work that outlived the bound is left open rather than closed under it.
    if (replaced !== null && finished) await replaced.close().catch(() => undefined);
    this.#log.info("configuration reloaded", {
      endpoints: config.endpoints.length,
      domains: config.domains.length,
      notifyTargets: Object.keys(config.notify).length,
    });
  }

  async #closeAfterFailedStart(): Promise<void> {
    await this.#gen?.ctx.close().catch(() => undefined);
    await this.#swap
      ?.current()
      .close()
      .catch(() => undefined);
    await this.#server?.close(0);
  }

  #serverDeps(swap: SwappableStore): ServerDeps {
    const scans: ScanControl = {
      scanNow: (host, port) => this.#gen?.scanNow(host, port) ?? false,
      targets: () => this.#gen?.targets() ?? [],
      refreshTargets: async () => {
        await this.#gen?.refreshTargets();
      },
    };
    return {
      store: swap.store,
      config: () => this.#config,
      now: () => new Date(this.#o.clock.now()),
      log: this.#log.child({ component: "http" }),
      readiness: () => this.#readiness(),
      scans,
      testDelivery: (target) => this.#testDelivery(target),
      ...(this.#metrics ? { metrics: metricsHandler(this.#metrics) } : {}),
    };
  }

  /** A worker's listener: its readiness (the same checks as serve's) and its own metrics, nothing of the API. */
  #workerServerDeps(): WorkerHttpDeps {
    const metrics = this.#metrics;
    if (metrics === null) throw new Error("the metrics registry is made before the listener");
    return {
      log: this.#log.child({ component: "http" }),
      readiness: () => this.#readiness(),
      metrics: metricsHandler(metrics),
    };
  }

  async #readiness(): Promise<ReadyCheck[]> {
    const checks: ReadyCheck[] = [];
    const store = this.#swap?.current();
    if (store === undefined) {
      checks.push({ name: "store", ok: false, detail: "not open yet" });
    } else {
      try {
        // A primary-key read: the database answers, whatever it holds.
        await store.getAlert("readyz");
        checks.push({ name: "store", ok: true });
      } catch (e) {
        checks.push({ name: "store", ok: false, detail: messageOf(e) });
      }
    }
    // openStore applies the migrations before it returns a store; a reload's new store is swapped in only then.
    checks.push({ name: "migrations", ok: store !== undefined });
    // serve --no-work: the workers do the work; this process needs the job queue (scan now) and the schedule's view.
    if (this.#o.work === false) {
      const queue = !this.#stopping && (this.#reloading || (this.#gen?.running ?? false));
      checks.push({ name: "queue", ok: queue, ...(queue ? {} : { detail: "not connected yet" }) });
      return checks;
    }
    // A reload waits for the old configuration's work before starting the new: the daemon stays in service.
    const running = !this.#stopping && (this.#reloading || (this.#gen?.running ?? false));
    checks.push({
      name: "scheduler",
      ok: running,
      ...(running ? {} : { detail: this.#stopping ? "stopping" : "not running" }),
    });
    return checks;
  }

  async #testDelivery(target: string): Promise<DeliveryTestResult> {
    const notifier = this.#gen?.ctx.notifiers.find((n) => n.target === target);
    if (!notifier) return { found: false, delivered: false, error: null };
    const outcome = await notifier.send([sampleNotification(new Date(this.#o.clock.now()))]);
    return outcome.kind === "delivered"
      ? { found: true, delivered: true, error: null }
      : { found: true, delivered: false, error: outcome.error };
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
