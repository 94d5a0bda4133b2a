/**
 * @module store/kysely-store
 * The Store written once with Kysely's query builder: SQLite today, PostgreSQL (PostgresDialect) later.
 */
import type { Kysely } from "kysely";
import { rfc3339, type Alert } from "../domain/alert.js";
import type { CertificateSummary } from "../domain/certificate.js";
import type { AlertChange } from "../alerts/reconcile.js";
import { SEVERITIES, severityRank } from "../events.js";
import type { StoreDialect } from "./dialect.js";
import { chunksFor } from "./dialect.js";
import { migrateToLatest } from "./migrations/index.js";
import { writeRun } from "./record-run.js";
import {
  alertFromRow,
  certificateFromRow,
  normalizeName,
  observationFromRow,
  SUMMARY_COLUMNS,
  toBytes,
} from "./rows.js";
import type { Database } from "./schema.js";
import type {
  AlertFilter,
  CrlCacheEntry,
  InventoryCertificate,
  OutboxItem,
  OutboxNextAttempt,
  OutboxRenewal,
  OutboxTargetStatus,
  RunRecord,
  Store,
  StoredObservation,
} from "./store.js";
import type { CtBatchRecord, CtLogState, LogListCacheEntry } from "./ct-records.js";
import * as ct from "./ct-store.js";
import type { DeliveryRoute } from "../notify/routing.js";
import * as outbox from "./outbox-store.js";
import type { AuthStore } from "./auth-records.js";
import { authStoreOver } from "./auth-store.js";
import type { ScheduleStore } from "./schedule-records.js";
import { scheduleStoreOver } from "./schedule-store.js";
import type { TriageStore } from "./triage-records.js";
import { triageStoreOver } from "./triage-store.js";
import { inventoryStoreOver, type InventoryStore } from "./inventory-store.js";
import { metricsQueriesOver, type MetricsQueries } from "./metrics-queries.js";
import { leaseStoreOver, type LeaseStore } from "./lease-store.js";

export const DEFAULT_OBSERVATION_LIMIT = 20;

export class KyselyStore implements Store {
  #closed = false;
  #auth: AuthStore | undefined;
  #schedule: ScheduleStore | undefined;
  #triage: TriageStore | undefined;
  #inventory: InventoryStore | undefined;
  #metrics: MetricsQueries | undefined;
  #leases: LeaseStore | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: StoreDialect,
    /** Who hears of alert changes: outbox rows are written for these targets. */
    private readonly routes: readonly DeliveryRoute[] = [],
  ) {}

  async migrate(): Promise<void> {
    await migrateToLatest(this.db as unknown as Kysely<unknown>, this.dialect);
  }

  /**
   * The database under the store, for tools that work on whole tables (certwatch migrate's copy, copy-store.ts);
   * everything else goes through the Store interface.
   */
  get database(): { readonly db: Kysely<Database>; readonly dialect: StoreDialect } {
    return { db: this.db, dialect: this.dialect };
  }

  get auth(): AuthStore {
    return (this.#auth ??= authStoreOver(this.db, this.dialect));
  }

  get schedule(): ScheduleStore {
    return (this.#schedule ??= scheduleStoreOver(this.db));
  }

  get triage(): TriageStore {
    return (this.#triage ??= triageStoreOver(this.db, this.dialect));
  }

  get inventory(): InventoryStore {
    return (this.#inventory ??= inventoryStoreOver(this.db));
  }

  get metrics(): MetricsQueries {
    return (this.#metrics ??= metricsQueriesOver(this.db, this.dialect));
  }

  get leases(): LeaseStore {
    return (this.#leases ??= leaseStoreOver(this.db, this.dialect));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.db.destroy();
  }

  claimOutbox(target: string, limit: number, now: Date, leaseUntil: Date): Promise<OutboxItem[]> {
    return outbox.claimOutbox(this.db, this.dialect, target, limit, now, leaseUntil);
  }

  renewOutbox(rowIds: readonly number[], lease: string, leaseUntil: Date): Promise<OutboxRenewal> {
    return outbox.renewOutbox(this.db, this.dialect, rowIds, lease, leaseUntil);
  }

  completeOutbox(rowIds: readonly number[], now: Date): Promise<void> {
    return outbox.completeOutbox(this.db, this.dialect, rowIds, now);
  }

  failOutbox(rowIds: readonly number[], error: string, nextAttemptAt: Date, lease?: string): Promise<void> {
    return outbox.failOutbox(this.db, this.dialect, rowIds, error, nextAttemptAt, lease);
  }

  outboxStatus(): Promise<OutboxTargetStatus[]> {
    return outbox.outboxStatus(this.db);
  }

  outboxNextAttempt(target: string): Promise<OutboxNextAttempt | null> {
    return outbox.outboxNextAttempt(this.db, target);
  }

  pruneOutbox(before: Date): Promise<number> {
    return outbox.pruneOutbox(this.db, before);
  }

  recordRun(run: RunRecord): Promise<AlertChange[]> {
    return this.db.transaction().execute((trx) => writeRun(trx, this.dialect, run, this.routes));
  }

  async listAlerts(filter: AlertFilter = {}): Promise<Alert[]> {
    const scopes = filter.scopes === undefined ? [undefined] : chunksFor(this.dialect, filter.scopes, 2);
    if (scopes.length === 0) return [];
    const alerts = new Map<string, Alert>();
    for (const chunk of scopes) {
      for (const a of await this.#listAlertsChunk(filter, chunk)) alerts.set(a.id, a);
    }
    // Chunks (a scope list too long for one statement) are merged in the order SQL gives one chunk.
    const all = scopes.length > 1 ? [...alerts.values()].sort(compareAlerts) : [...alerts.values()];
    return filter.limit === undefined ? all : all.slice(0, filter.limit);
  }

  async #listAlertsChunk(filter: AlertFilter, scopes: readonly string[] | undefined): Promise<Alert[]> {
    const status = filter.status ?? "open";
    let q = this.db.selectFrom("alerts").selectAll("alerts");
    if (status !== "all") q = q.where("alerts.status", "=", status);
    if (filter.source !== undefined) q = q.where("alerts.source", "=", filter.source);
    if (scopes !== undefined) {
      q = q.where((eb) =>
        eb.or([
          // An uncorrelated IN: a correlated EXISTS re-ran the scope list per alert (quadratic).
          eb(
            "alerts.id",
            "in",
            eb
              .selectFrom("alert_scopes")
              .select("alert_scopes.alert_id")
              .where("alert_scopes.scope", "in", scopes),
          ),
          eb.and([eb("alerts.status", "=", "resolved"), eb("alerts.last_scope", "in", scopes)]),
        ]),
      );
    }
    let ordered = q
      .orderBy((eb) => {
        let c = eb.case("alerts.severity").when(SEVERITIES[0]).then(eb.lit<number>(0));
        for (const s of SEVERITIES.slice(1)) c = c.when(s).then(eb.lit(severityRank(s)));
        return c.else(eb.lit(-1)).end();
      }, "desc")
      .orderBy("alerts.event_id")
      .orderBy("alerts.subject")
      .orderBy("alerts.id");
    if (filter.limit !== undefined) ordered = ordered.limit(filter.limit);
    return (await ordered.execute()).map(alertFromRow);
  }

  async getAlert(id: string): Promise<Alert | undefined> {
    const row = await this.db.selectFrom("alerts").selectAll().where("id", "=", id).executeTakeFirst();
    return row === undefined ? undefined : alertFromRow(row);
  }

  async certificatesForName(host: string): Promise<CertificateSummary[]> {
    const name = normalizeName(host);
    if (name === "") return [];
    const dot = name.indexOf(".");
    const names = dot > 0 ? [name, `*${name.slice(dot)}`] : [name];
    const rows = await this.db
      .selectFrom("certificates")
      .select(SUMMARY_COLUMNS)
      .where("sha256", "in", (eb) =>
        eb.selectFrom("certificate_names").select("certificate_names.sha256").where("name", "in", names),
      )
      .orderBy("not_after", "desc")
      .orderBy("sha256")
      .execute();
    return rows.map(certificateFromRow);
  }

  async getCertificateDer(sha256: string): Promise<Uint8Array | undefined> {
    const row = await this.db
      .selectFrom("certificates")
      .select("der")
      .where("sha256", "=", sha256)
      .executeTakeFirst();
    return row === undefined ? undefined : toBytes(row.der);
  }

  async getCrlCache(url: string): Promise<CrlCacheEntry | undefined> {
    const row = await this.db.selectFrom("crl_cache").selectAll().where("url", "=", url).executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      url: row.url,
      der: toBytes(row.der),
      etag: row.etag,
      lastModified: row.last_modified,
      thisUpdate: row.this_update,
      nextUpdate: row.next_update,
      fetchedAt: row.fetched_at,
    };
  }

  async putCrlCache(e: CrlCacheEntry): Promise<void> {
    const row = {
      url: e.url,
      der: e.der,
      etag: e.etag,
      last_modified: e.lastModified,
      this_update: e.thisUpdate,
      next_update: e.nextUpdate,
      fetched_at: e.fetchedAt,
    };
    const { url: _url, ...update } = row;
    await this.db
      .insertInto("crl_cache")
      .values(row)
      .onConflict((oc) => oc.column("url").doUpdateSet(update))
      .execute();
  }

  async pruneObservations(before: Date): Promise<number> {
    const newest = this.db
      .selectFrom("observations")
      .select((eb) => eb.fn.max("id").as("id"))
      .groupBy(["host", "port", "address"]);
    const result = await this.db
      .deleteFrom("observations")
      .where("observed_at", "<", rfc3339(before))
      .where("id", "not in", newest)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async latestObservations(
    host: string,
    port: number,
    limit = DEFAULT_OBSERVATION_LIMIT,
  ): Promise<StoredObservation[]> {
    const rows = await this.db
      .selectFrom("observations")
      .selectAll()
      .where("host", "=", host)
      .where("port", "=", port)
      .orderBy("observed_at", "desc")
      .orderBy("id", "desc")
      .limit(limit)
      .execute();
    return rows.map(observationFromRow);
  }

  getCtLogState(logId: string): Promise<CtLogState | undefined> {
    return ct.getCtLogState(this.db, logId);
  }

  listCtLogStates(): Promise<CtLogState[]> {
    return ct.listCtLogStates(this.db);
  }

  recordCtBatch(batch: CtBatchRecord): Promise<AlertChange[]> {
    return this.db.transaction().execute((trx) => ct.writeCtBatch(trx, this.dialect, batch, this.routes));
  }

  knownCtIdentities(identities: readonly string[]): Promise<Set<string>> {
    return ct.knownCtIdentities(this.db, this.dialect, identities);
  }

  knownNames(names: readonly string[]): Promise<Set<string>> {
    return ct.knownNames(this.db, this.dialect, names);
  }

  rootBaseline(domains: readonly string[]): Promise<Map<string, Set<string>>> {
    return ct.rootBaseline(this.db, this.dialect, domains);
  }

  certificatesUnder(domains: readonly string[]): Promise<InventoryCertificate[]> {
    return ct.certificatesUnder(this.db, this.dialect, domains);
  }

  namesUnder(domains: readonly string[]): Promise<string[]> {
    return ct.namesUnder(this.db, domains);
  }

  getLogListCache(url: string): Promise<LogListCacheEntry | undefined> {
    return ct.getLogListCache(this.db, url);
  }

  putLogListCache(entry: LogListCacheEntry): Promise<void> {
    return ct.putLogListCache(this.db, entry);
  }
}

/** The listAlerts order: most severe first, then event id, then subject (then id, for a total order). */
export function compareAlerts(a: Alert, b: Alert): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    a.eventId - b.eventId ||
    (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}
