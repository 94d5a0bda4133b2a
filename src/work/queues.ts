/**
 * @module work/queues
 * The pg-boss queues the workers share, what their jobs carry, and how long a job may stay active. Every queue has
 * the `short` policy: at most one job waiting per key (a scan target, a CT log, a housekeeping job), so planners
 * sending the same job twice queue it once. Who runs a job is decided by a lease when it starts (held-lease.ts),
 * not by the queue: see docs/scale-out.md for why not the `singleton` or `stately` policies.
 */
import type { Target } from "../domain/endpoint.js";
import type { ResolvedConfig } from "../config/schema.js";

/** pg-boss keeps its tables in this schema of certwatch's database. */
export const BOSS_SCHEMA = "certwatch_boss";

export const SCAN_QUEUE = "certwatch-scan";
export const CT_QUEUE = "certwatch-ct";
export const HOUSEKEEPING_QUEUE = "certwatch-housekeeping";
export const QUEUES = [SCAN_QUEUE, CT_QUEUE, HOUSEKEEPING_QUEUE] as const;

/** The queues by what they carry: the `queue` label of `certwatch_worker_jobs_total`. */
export const WORK_KINDS = ["scan", "ct", "housekeeping"] as const;
export type WorkKind = (typeof WORK_KINDS)[number];

/**
 * How a job taken from a queue ended: its work ran and ended (`completed`), ended in an error or lost its lease
 * (`failed`), or was not run — another worker holds its lease, it ran since it was planned, its log is no longer
 * followed (`skipped`).
 */
export const JOB_OUTCOMES = ["completed", "failed", "skipped"] as const;
export type JobOutcome = (typeof JOB_OUTCOMES)[number];

/** One scan of one target. */
export interface ScanJob {
  /** The target's scope `tls:<host>:<port>` (its key). */
  readonly scope: string;
  readonly target: Target;
  /** The target's last run when the job was planned (RFC 3339), null when never: a job whose target ran since is done. */
  readonly basis: string | null;
  /** "Scan now" (the API): runs even if the target ran since. */
  readonly now?: boolean;
}

/** Reading one CT log from its position to its head. */
export interface CtJob {
  readonly logId: string;
}

export type HousekeepingName = "domains" | "outbox:prune" | "ct:expiry";

export interface HousekeepingJob {
  readonly job: HousekeepingName;
  readonly basis: string | null;
  readonly now?: boolean;
}

/** The schedule_runs key of a CT log (when it was last read to its head). */
export const ctRunKey = (logId: string): string => `ct:log:${logId}`;
export const CT_EXPIRY_JOB = "ct:expiry";

/**
 * How long a scan job may stay active before pg-boss counts it failed and retries it: above the longest a scan
 * of one target can take with these timeouts (every address probed, the legacy handshake, revocation), with
 * room. A worker that dies mid-scan is noticed sooner, by its lease.
 */
export function scanExpireSeconds(config: ResolvedConfig): number {
  const s = config.scan;
  const r = config.revocation;
  const probe = s.connectTimeoutMs + s.handshakeTimeoutMs + s.httpTimeoutMs;
  const legacy = s.legacyProtocols ? s.connectTimeoutMs + s.handshakeTimeoutMs : 0;
  const revocation = r.crl || r.ocsp ? r.timeoutMs * (r.maxDistributionPoints + 1) : 0;
  const dns = config.dns.timeoutMs * config.dns.tries;
  const worstMs = dns + 2 * (probe + legacy + revocation);
  return Math.min(3600, Math.max(60, Math.ceil(worstMs / 1000) + 30));
}

/** CT and housekeeping jobs can run long (a backlog, thousands of DNS questions); their leases say they are alive. */
export const LONG_JOB_EXPIRE_SECONDS = 6 * 3600;
