/**
 * @module server/deps
 * What the HTTP layer (health routes, /metrics, the REST API under /api/v1, the dashboard) is given by the
 * daemon. One object for every route module: the store, the configuration in force, the clock, the log, and
 * handles on the running daemon (readiness, the scan scheduler). Route modules read these and call the
 * application layer; they never build adapters themselves.
 */
import type { DeliveryTestResult, ScanTargetInfo } from "../api/deps.js";
import type { ResolvedConfig } from "../config/schema.js";
import type { JsonLog } from "../daemon/json-log.js";
import type { Store } from "../store/store.js";

/** One line of /readyz: a named check and whether it passed (and why not). */
export interface ReadyCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail?: string;
}

/** A scheduled scan target as the daemon sees it: what the API shows, and its id. */
export interface ScanTargetStatus extends ScanTargetInfo {
  /** The reconcile scope, `tls:<host>:<port>`: also the target's id. */
  readonly scope: string;
}

/** The daemon's scan scheduler, for the API ("scan now", endpoint status). */
export interface ScanControl {
  /** Run this target's scan as soon as a slot is free; false when no such target is scheduled. */
  scanNow(host: string, port: number): boolean | Promise<boolean>;
  targets(): ScanTargetStatus[];
  /** Read the managed endpoints again (after the API changed them) and schedule what changed. */
  refreshTargets(): Promise<void>;
}

export interface ServerDeps {
  /** The daemon's store. It stays the same object across configuration reloads. */
  readonly store: Store;
  /** The configuration in force; SIGHUP may replace it, so read it per request. */
  readonly config: () => ResolvedConfig;
  readonly now: () => Date;
  readonly log: JsonLog;
  /** The checks behind /readyz (store reachable, migrations applied, scheduler running). */
  readonly readiness: () => Promise<readonly ReadyCheck[]>;
  /** Absent when the HTTP app runs without the scheduler (tests of the routes alone). */
  readonly scans?: ScanControl;
  /** Sends the sample notification to one delivery target (the API's delivery test). */
  readonly testDelivery?: (target: string) => Promise<DeliveryTestResult>;
  /** The `/metrics` exposition; absent: prom-client's default registry. */
  readonly metrics?: () => Promise<{ readonly body: string; readonly contentType: string }>;
}
