/**
 * @module store/schedule-records
 * What the daemon's scheduler keeps in the store: when each job last ran (so a restart does not run everything
 * again at once), and the endpoints managed at run time rather than in certwatch.yaml (added through the API,
 * or discovered in CT under a watched domain when `schedule.scanDiscoveredHosts` is on).
 */
import type { Target } from "../domain/endpoint.js";
import type { AuditContext } from "./auth-records.js";

/** The last run of one scheduled job. */
export interface ScheduleRun {
  /** The job: a scan target's scope (`tls:<host>:<port>`) or `domains`. */
  readonly job: string;
  /** When it started, RFC 3339 UTC. */
  readonly at: string;
  readonly durationMs: number;
  /** Why it failed (a store error, say); null when it ran. Findings are alerts, not errors. */
  readonly error: string | null;
}

/** Who added a managed endpoint. */
export type ManagedOrigin = "api" | "ct";

/** An endpoint scanned by the daemon beside the configured ones. */
export interface ManagedEndpoint extends Target {
  readonly origin: ManagedOrigin;
  readonly createdAt: string;
  /** The user or token name that added it; null for CT discovery. */
  readonly createdBy: string | null;
}

export interface ScheduleStore {
  /** The last run of every job ever recorded. */
  lastRuns(): Promise<Map<string, ScheduleRun>>;
  /** The last run of one job, if it ever ran (a worker's check before it starts a job). */
  lastRun(job: string): Promise<ScheduleRun | undefined>;
  /** Insert or replace a job's last run. */
  recordScheduleRun(run: ScheduleRun): Promise<void>;
  /** Forget these jobs' runs (targets no longer scheduled). */
  forgetScheduleRuns(jobs: readonly string[]): Promise<void>;

  /** Every managed endpoint, by host then port. */
  listManagedEndpoints(): Promise<ManagedEndpoint[]>;
  /**
   * Add or replace the managed endpoint of `host:port`; with `audit`, writes `endpoint.create` / `endpoint.update`
   * in the same transaction. Returns whether it was new.
   */
  putManagedEndpoint(endpoint: ManagedEndpoint, audit?: AuditContext): Promise<{ created: boolean }>;
  /**
   * Add it only when no managed endpoint has this host and port (CT discovery must not override an operator's
   * entry). Returns whether it was added.
   */
  addManagedEndpointIfAbsent(endpoint: ManagedEndpoint): Promise<boolean>;
  /** Remove it (and its last run); with `audit`, writes `endpoint.delete`. False when there was none. */
  deleteManagedEndpoint(host: string, port: number, audit?: AuditContext): Promise<boolean>;
}
