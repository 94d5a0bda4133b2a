/**
 * @module store/schema
 * Table types for Kysely: what the migrations create, column for column (times RFC 3339 text, JSON as text).
 */
import type { Generated } from "kysely";

export interface EndpointsTable {
  host: string;
  port: number;
  /** '' when the name did not resolve. */
  address: string;
  first_seen: string;
  last_seen: string;
  last_outcome: string;
}

export interface CertificatesTable {
  sha256: string;
  der: Uint8Array;
  serial: string;
  subject: string;
  issuer: string;
  not_before: string;
  not_after: string;
  dns_names: string;
  ip_addresses: string;
  first_seen: string;
  /** CT identity (hex), when the writer computed it. */
  identity: string | null;
  /** 1 for a CT precertificate (poisoned), else 0. */
  precertificate: Generated<number>;
}

/** Lower-cased SAN dNSNames (wildcards kept as `*.parent`), for certificatesForName. */
export interface CertificateNamesTable {
  sha256: string;
  name: string;
}

export interface ObservationsTable {
  id: Generated<number>;
  host: string;
  port: number;
  address: string;
  observed_at: string;
  outcome: string;
  protocol: string | null;
  chain: string;
  details: string;
}

export interface AlertsTable {
  id: string;
  event_id: number;
  name: string;
  key: string;
  severity: string;
  source: string;
  subject: string;
  endpoint: string | null;
  certificate: string | null;
  details: string;
  status: string;
  first_seen: string;
  last_seen: string;
  resolved_at: string | null;
  /** The scope of the last run that wrote the alert: lists resolved alerts (which hold no scope). */
  last_scope: string;
  /** Triage (migration 006, triage-records.ts); cleared when a check resolves or reopens the alert. */
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  snoozed_until: string | null;
  snoozed_by: string | null;
  resolved_by: string | null;
  triage_note: string | null;
}

/** Lifecycle changes (by checks: actor null) and triage actions of each alert. */
export interface AlertHistoryTable {
  id: Generated<number>;
  alert_id: string;
  at: string;
  kind: string;
  actor: string | null;
  /** check | user | token | system */
  actor_kind: string;
  scope: string | null;
  note: string | null;
  until: string | null;
}

/** Which scopes currently raise an alert; it resolves when the last one releases it. */
export interface AlertScopesTable {
  alert_id: string;
  scope: string;
}

/** A downloaded CRL by distribution point URL (DER exactly as fetched). */
export interface CrlCacheTable {
  url: string;
  der: Uint8Array;
  etag: string | null;
  last_modified: string | null;
  this_update: string;
  next_update: string | null;
  fetched_at: string;
}

export interface CtLogsTable {
  log_id: string;
  url: string;
  protocol: string;
  position: number;
  /** FrontierJson as text. */
  frontier: string;
  verified_size: number;
  verified_root: string;
  verified_timestamp: number;
  verified_frontier: string;
  backfill_until: number;
  head_size: number;
  head_timestamp: number | null;
  last_entry_timestamp: number | null;
  last_error: string | null;
  updated_at: string;
}

export interface CtInventoryTable {
  identity: string;
  sha256: string;
  log_id: string;
  entry_index: number;
  entry_type: string;
  logged_at: number;
  issuer_key_sha256: string | null;
  root_spki_sha256: string | null;
  root_subject: string | null;
  /** JSON array of watched domains. */
  domains: string;
  first_seen: string;
}

export interface CtRootsTable {
  domain: string;
  root_spki_sha256: string;
  root_subject: string;
  first_seen: string;
}

export interface CtEntryErrorsTable {
  log_id: string;
  entry_index: number;
  error: string;
  seen_at: string;
}

export interface CtLogListCacheTable {
  url: string;
  json: Uint8Array;
  signature: Uint8Array | null;
  fetched_at: string;
}

/** One notification for one target; `delivered_at` set only on the target's success answer. */
export interface OutboxTable {
  id: Generated<number>;
  notification_id: string;
  target: string;
  alert_id: string;
  kind: string;
  /** The Alert as JSON, as it was at the change. */
  payload: string;
  created_at: string;
  attempts: Generated<number>;
  next_attempt_at: string;
  /** A worker holds the row until then (it crashed if the time passed without an answer). */
  lease_until: string | null;
  last_error: string | null;
  delivered_at: string | null;
}

/** When a target last got a notification of an alert (reminders count from it). */
export interface NotifyLastTable {
  alert_id: string;
  target: string;
  notified_at: string;
}

/** A local or SSO user (auth). */
export interface UsersTable {
  name: string;
  role: string;
  /** PHC scrypt string; null for a user who only signs in through OIDC. */
  password_hash: string | null;
  oidc_issuer: string | null;
  oidc_subject: string | null;
  created_at: string;
  /** 1 when disabled. */
  disabled: Generated<number>;
}

/** An API token: the secret only as its SHA-256. */
export interface ApiTokensTable {
  id: string;
  user_name: string;
  name: string;
  secret_hash: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

/** A browser session: its id and CSRF token only as SHA-256. */
export interface SessionsTable {
  id_hash: string;
  user_name: string;
  created_at: string;
  last_seen_at: string;
  /** The absolute end (the idle end follows from last_seen_at). */
  expires_at: string;
  csrf_hash: string;
  ip: string | null;
  user_agent: string | null;
  /** `password` or `oidc` (migration 010; earlier sessions are `password`). */
  method: Generated<string>;
  /** The provider's ID token of a single sign-on session, for RP-initiated logout only (never logged). */
  id_token_hint: string | null;
}

/** Who changed what; details are structured JSON that never holds a secret. */
export interface AuditLogTable {
  id: Generated<number>;
  at: string;
  actor: string;
  /** user | token | system */
  actor_kind: string;
  action: string;
  target: string | null;
  details: string;
  ip: string | null;
}

/** When a scheduled job (a scan target, the domain checks) last ran. */
export interface ScheduleRunsTable {
  job: string;
  last_run_at: string;
  duration_ms: number;
  error: string | null;
}

/** An endpoint scanned beside the configured ones (API, CT discovery). */
export interface ManagedEndpointsTable {
  host: string;
  port: number;
  /** JSON array of IP addresses, or null. */
  addresses: string | null;
  server_name: string | null;
  scan_interval_minutes: number | null;
  origin: string;
  created_at: string;
  created_by: string | null;
}

/** A lease on shared work (a CT log, a scan target's run, the planner): its holder until `expires_at`. */
export interface WorkLeasesTable {
  name: string;
  /** Who took it: the worker id and a number per acquisition. */
  holder: string;
  /** Milliseconds since the epoch, on the database's clock. */
  expires_at: number;
  taken_at: number;
}

export interface Database {
  endpoints: EndpointsTable;
  certificates: CertificatesTable;
  certificate_names: CertificateNamesTable;
  observations: ObservationsTable;
  alerts: AlertsTable;
  alert_scopes: AlertScopesTable;
  alert_history: AlertHistoryTable;
  crl_cache: CrlCacheTable;
  ct_logs: CtLogsTable;
  ct_inventory: CtInventoryTable;
  ct_roots: CtRootsTable;
  ct_entry_errors: CtEntryErrorsTable;
  ct_log_list_cache: CtLogListCacheTable;
  outbox: OutboxTable;
  notify_last: NotifyLastTable;
  users: UsersTable;
  api_tokens: ApiTokensTable;
  sessions: SessionsTable;
  audit_log: AuditLogTable;
  schedule_runs: ScheduleRunsTable;
  managed_endpoints: ManagedEndpointsTable;
  work_leases: WorkLeasesTable;
}
