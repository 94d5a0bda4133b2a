/**
 * @module daemon/work-runner
 * What the daemon runs for one configuration, whichever way it is run: in this process alone (generation.ts, an
 * SQLite store) or shared with other workers through PostgreSQL (work/distributed-work.ts). The daemon starts,
 * stops and reloads it, and the API asks it about the scan schedule.
 */
import type { AppContext } from "../app/context.js";
import type { ScanTargetStatus } from "../server/deps.js";

export interface WorkRunner {
  readonly ctx: AppContext;
  /** Started and not stopping (/readyz). */
  readonly running: boolean;
  start(): Promise<void>;
  /**
   * Stops every loop at its next safe point and waits for them, at most `boundMs`; false when the bound ran out
   * (something still runs: the caller must not close what it uses). `hurry` cuts the bound short.
   */
  stop(boundMs: number, hurry?: AbortSignal): Promise<boolean>;
  /** Scan this target soon; false when it is no scheduled target. */
  scanNow(host: string, port: number): boolean | Promise<boolean>;
  targets(): ScanTargetStatus[];
  /** Read the managed endpoints again (after the API changed them). */
  refreshTargets(): Promise<void>;
  /** The work leases held now, by kind (PostgreSQL only: `certwatch_worker_leases_held`). */
  leasesHeld?(): Readonly<Record<string, number>>;
}
