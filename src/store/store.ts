/**
 * @module store/store
 * The one persistence interface. SQLite (default) and PostgreSQL (scale-out) implement it and
 * pass the same contract suite (store.contract.ts). Use cases depend on this, never on a driver.
 */
import type { Alert, AlertStatus } from "../domain/alert.js";
import type { CertificateSummary } from "../domain/certificate.js";
import type { Endpoint } from "../domain/endpoint.js";
import type { AlertChange, AlertDraft } from "../alerts/reconcile.js";
import type { Notification } from "../notify/notification.js";
import type { CtBatchRecord, CtLogState, LogListCacheEntry } from "./ct-records.js";
import type { AuthStore } from "./auth-records.js";
import type { ScheduleStore } from "./schedule-records.js";
import type { TriageStore } from "./triage-records.js";
import type { InventoryStore } from "./inventory-store.js";
import type { MetricsQueries } from "./metrics-queries.js";
import type { LeaseStore } from "./lease-store.js";

/** A certificate as served or logged: its summary plus the exact DER bytes. */
export interface CertificateRecord {
  readonly summary: CertificateSummary;
  readonly der: Uint8Array;
  /** CT identity: SHA-256 of the TBS without poison and SCT list (a precertificate and its certificate share it). */
  readonly identity?: string;
  /** A CT precertificate (carries the poison extension). */
  readonly precertificate?: boolean;
}

/** A stored certificate with what ties it to its precertificate or certificate. */
export interface InventoryCertificate {
  readonly summary: CertificateSummary;
  readonly identity: string | null;
  readonly precertificate: boolean;
}

/** What one endpoint gave in one run. */
export interface ObservationRecord {
  readonly endpoint: Endpoint;
  /** e.g. "served", "no-certificate", "unreachable". */
  readonly outcome: string;
  /** Negotiated protocol when a handshake completed, e.g. "TLSv1.3". */
  readonly protocol: string | null;
  /** SHA-256 of each certificate exactly as sent, leaf first. */
  readonly chain: readonly string[];
  /** Anything else worth keeping (HTTP status, HSTS header, error text). */
  readonly details: Readonly<Record<string, unknown>>;
}

/** Everything one run found over one scope, written in one transaction. */
export interface RunRecord {
  /** Reconcile scope, e.g. "tls:www.contoso.com:443". */
  readonly scope: string;
  readonly now: Date;
  readonly certificates: readonly CertificateRecord[];
  readonly observations: readonly ObservationRecord[];
  /** Every alert condition that holds now in this scope (already mapped through the catalogue). */
  readonly findings: readonly AlertDraft[];
}

export interface AlertFilter {
  /** Default "open". */
  readonly status?: AlertStatus | "all";
  /** Only alerts currently or last raised in one of these scopes. */
  readonly scopes?: readonly string[];
  readonly source?: Alert["source"];
  readonly limit?: number;
}

export interface StoredObservation extends ObservationRecord {
  readonly observedAt: string;
}

/** A CRL as last downloaded from one distribution point URL. */
export interface CrlCacheEntry {
  readonly url: string;
  readonly der: Uint8Array;
  /** Validators for a conditional request next time. */
  readonly etag: string | null;
  readonly lastModified: string | null;
  /** RFC 3339 UTC. */
  readonly thisUpdate: string;
  readonly nextUpdate: string | null;
  readonly fetchedAt: string;
}

/** A claimed outbox row: one notification for one target. */
export interface OutboxItem {
  readonly rowId: number;
  readonly target: string;
  /** Failed attempts so far. */
  readonly attempts: number;
  readonly notification: Notification;
  /**
   * The lease this claim holds (opaque: the rows' lease end as stored). renewOutbox and failOutbox act only on rows
   * still held under it, so a sender whose lease lapsed never takes back, nor clears, another sender's claim.
   */
  readonly lease: string;
}

/** What renewOutbox kept: the rows still held, under their new lease. */
export interface OutboxRenewal {
  readonly lease: string;
  /** How many of the rows were still held (the others were delivered, or claimed by another sender). */
  readonly held: number;
}

/** When a target's earliest undelivered notification may be tried. */
export interface OutboxNextAttempt {
  /** RFC 3339 (milliseconds). */
  readonly at: string;
  /** True when that time is the end of a lease (another sender holds the row), not a back-off. */
  readonly leased: boolean;
}

export interface OutboxTargetStatus {
  readonly target: string;
  /** Undelivered notifications. */
  readonly pending: number;
  /** Delivered notifications still kept. */
  readonly delivered: number;
  readonly oldestPending: string | null;
  /** When the earliest undelivered row may be tried (after its back-off and any lease). */
  readonly nextAttemptAt: string | null;
  readonly maxAttempts: number;
  readonly lastError: string | null;
}

export interface Store {
  /** Bring the schema to the latest version; safe to call on every start. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** Users, API tokens, sessions and the audit log of the daemon (auth-records.ts). */
  readonly auth: AuthStore;
  /** The daemon's schedule: jobs' last runs and the managed endpoints (schedule-records.ts). */
  readonly schedule: ScheduleStore;
  /** Alert triage, history and the API's paged listing (triage-records.ts). */
  readonly triage: TriageStore;
  /** The certificate inventory as the API lists it (inventory-store.ts). */
  readonly inventory: InventoryStore;
  /** What `/metrics` reads at each scrape (metrics-queries.ts). */
  readonly metrics: MetricsQueries;
  /** Leases on the work several worker processes share: CT logs, scan runs, the planner (lease-store.ts). */
  readonly leases: LeaseStore;

  /**
   * Store certificates (deduplicated by SHA-256), observations and endpoints of one run, and
   * reconcile its findings against the alerts of the same scope — all in one transaction.
   * Returns what changed (opened, reopened, touched, resolved).
   */
  recordRun(run: RunRecord): Promise<AlertChange[]>;

  listAlerts(filter?: AlertFilter): Promise<Alert[]>;
  getAlert(id: string): Promise<Alert | undefined>;

  /** Known certificates whose SANs cover this host name (exactly or by a wildcard). */
  certificatesForName(host: string): Promise<CertificateSummary[]>;
  getCertificateDer(sha256: string): Promise<Uint8Array | undefined>;

  /** The cached CRL of a distribution point URL, if any. */
  getCrlCache(url: string): Promise<CrlCacheEntry | undefined>;
  /** Insert or replace the cached CRL of a URL. */
  putCrlCache(entry: CrlCacheEntry): Promise<void>;

  /**
   * Forget observations made before `before`, except each endpoint address's newest one (what was last seen of an
   * endpoint stays, however long ago); returns how many. Alerts, certificates and the inventory keep their own.
   */
  pruneObservations(before: Date): Promise<number>;
  /** Latest observations of a host:port (every address), newest first. */
  latestObservations(host: string, port: number, limit?: number): Promise<StoredObservation[]>;

  // --- Certificate Transparency -------------------------------------------------------------------

  getCtLogState(logId: string): Promise<CtLogState | undefined>;
  listCtLogStates(): Promise<CtLogState[]>;
  /**
   * One batch of one log in one transaction: certificates, inventory, roots, entry errors, the alerts they
   * raise (additive, scope `ct:entries`), the log's health alert (scope `ct:log:<id>`) and the new state.
   * A crash before the commit leaves the previous position: the batch is read again, nothing is lost
   * and, since alert ids are stable, nothing is doubled.
   */
  recordCtBatch(batch: CtBatchRecord): Promise<AlertChange[]>;
  /** Which of these CT identities the inventory already holds. */
  knownCtIdentities(identities: readonly string[]): Promise<Set<string>>;
  /** Which of these names a stored certificate carries (served or logged) or a scanned endpoint has as host. */
  knownNames(names: readonly string[]): Promise<Set<string>>;
  /** Roots seen chaining certificates for each watched domain (hex SPKI SHA-256). */
  rootBaseline(domains: readonly string[]): Promise<Map<string, Set<string>>>;
  /** Stored certificates naming one of these domains or a name under it. */
  certificatesUnder(domains: readonly string[]): Promise<InventoryCertificate[]>;
  /** Host names known under these domains (certificate names, wildcards without `*.`, and scanned hosts), sorted. */
  namesUnder(domains: readonly string[]): Promise<string[]>;
  getLogListCache(url: string): Promise<LogListCacheEntry | undefined>;
  putLogListCache(entry: LogListCacheEntry): Promise<void>;

  // --- Delivery outbox ------------------------------------------------------------------------------
  // Rows are written by recordRun and recordCtBatch, in their transaction, for the routes the store was
  // opened with (openStore(url, { routes })).

  /** Lease up to `limit` due notifications of a target until `leaseUntil`, oldest first. */
  claimOutbox(target: string, limit: number, now: Date, leaseUntil: Date): Promise<OutboxItem[]>;
  /** Extend the lease of the rows still held under `lease` (and undelivered) until `leaseUntil`: a live sender's heartbeat. */
  renewOutbox(rowIds: readonly number[], lease: string, leaseUntil: Date): Promise<OutboxRenewal>;
  /** The target accepted these rows. */
  completeOutbox(rowIds: readonly number[], now: Date): Promise<void>;
  /**
   * The target did not accept them: count the attempt, keep the error, try again at `nextAttemptAt`. With `lease`,
   * only the rows still held under it (another sender may have claimed the others after the lease lapsed).
   */
  failOutbox(rowIds: readonly number[], error: string, nextAttemptAt: Date, lease?: string): Promise<void>;
  outboxStatus(): Promise<OutboxTargetStatus[]>;
  /** When the target's earliest undelivered notification may be tried (back-off and leases); null when none. */
  outboxNextAttempt(target: string): Promise<OutboxNextAttempt | null>;
  /** Forget delivered rows older than `before` (never an undelivered one); returns how many. */
  pruneOutbox(before: Date): Promise<number>;
}
