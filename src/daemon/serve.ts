/**
 * @module daemon/serve
 * `certwatch serve` and `certwatch worker`: loads the configuration, starts the daemon, and turns signals into its
 * life cycle — SIGTERM or SIGINT stop it gracefully (a second one cuts the shutdown bound short), SIGHUP reloads
 * the configuration. Logs are JSON lines on stderr (on PostgreSQL each carries the worker id). Exits 0 after a
 * requested stop; a configuration or store that cannot be used at start ends the command like any other (exit 2 or
 * 3, one plain line). A worker is the daemon without the dashboard and API (with `--listen` or `work.listen`, only
 * /healthz, /readyz and /metrics); `serve --no-work` the daemon without the work.
 */
import type { ListenAddress } from "../config/daemon-schema.js";
import { loadConfig } from "../config/load.js";
import { systemClock, type Clock } from "./clock.js";
import { Daemon } from "./daemon.js";
import { stderrJsonLog } from "./json-log.js";
import { requirePostgres } from "../work/needs-postgres.js";
import { newWorkerId } from "../work/worker-id.js";

export interface Signals {
  on(signal: NodeJS.Signals, handler: () => void): void;
  off(signal: NodeJS.Signals, handler: () => void): void;
}

export const processSignals: Signals = {
  on: (signal, handler) => process.on(signal, handler),
  off: (signal, handler) => process.off(signal, handler),
};

export interface ServeOptions {
  readonly configPath: string;
  readonly stderr: NodeJS.WritableStream;
  readonly signals?: Signals;
  readonly clock?: Clock;
  /** `worker`: no HTTP, only the work (PostgreSQL). Default `serve`. */
  readonly role?: "serve" | "worker";
  /** `worker --listen`: its health and metrics listener (overrides work.listen). */
  readonly listen?: ListenAddress;
  /** `serve --no-work`: the dashboard and API only, the workers do the work (PostgreSQL). */
  readonly work?: boolean;
}

export async function serve(o: ServeOptions): Promise<number> {
  const signals = o.signals ?? processSignals;
  const config = await loadConfig(o.configPath);
  const worker = o.role === "worker";
  if (worker) requirePostgres(config, "certwatch worker");
  if (o.work === false) requirePostgres(config, "certwatch serve --no-work");
  const workerId = newWorkerId();
  const log =
    config.store.kind === "postgres"
      ? stderrJsonLog(o.stderr).child({ worker: workerId })
      : stderrJsonLog(o.stderr);
  const daemon = new Daemon({
    configPath: o.configPath,
    config,
    log,
    clock: o.clock ?? systemClock,
    http: !worker,
    work: o.work !== false,
    workerId,
    ...(worker && o.listen !== undefined ? { workerListen: o.listen } : {}),
  });

  let stopRequested: (signal: NodeJS.Signals) => void = () => undefined;
  const stopped = new Promise<NodeJS.Signals>((resolve) => (stopRequested = resolve));
  let stops = 0;
  const onStop = (signal: NodeJS.Signals) => () => {
    stops++;
    if (stops === 1) {
      log.info("stopping", { signal });
      stopRequested(signal);
    } else {
      log.warn("stopping now: work in progress is not waited for", { signal });
      daemon.hurry();
    }
  };
  const onTerm = onStop("SIGTERM");
  const onInt = onStop("SIGINT");
  const onHup = () => {
    log.info("reloading the configuration", { signal: "SIGHUP", config: config.configPath });
    void daemon.reload();
  };
  signals.on("SIGTERM", onTerm);
  signals.on("SIGINT", onInt);
  signals.on("SIGHUP", onHup);
  try {
    await daemon.start();
    await stopped;
    await daemon.stop();
    return 0;
  } finally {
    signals.off("SIGTERM", onTerm);
    signals.off("SIGINT", onInt);
    signals.off("SIGHUP", onHup);
  }
}
