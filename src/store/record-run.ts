/**
 * @module store/record-run
 * The body of Store.recordRun, run inside one transaction: certificates, endpoints, observations, then
 * the reconcile plan (alerts.reconcile) applied to alerts and alert_scopes.
 */
import type { Transaction } from "kysely";
import type { Alert } from "../domain/alert.js";
import { rfc3339 } from "../domain/alert.js";
import type { AlertChange, AlertDraft } from "../alerts/reconcile.js";
import { planReconcile } from "../alerts/reconcile.js";
import type { DeliveryRoute } from "../notify/routing.js";
import type { StoreDialect } from "./dialect.js";
import { enqueueNotifications } from "./outbox-store.js";
import { chunksFor } from "./dialect.js";
import { recordLifecycle } from "./triage-store.js";
import { alertFromRow, alertRow, certificateNames, certificateRow, observationRow } from "./rows.js";
import type { Database } from "./schema.js";
import type { CertificateRecord, ObservationRecord, RunRecord } from "./store.js";

type Trx = Transaction<Database>;

export async function writeRun(
  trx: Trx,
  d: StoreDialect,
  run: RunRecord,
  routes: readonly DeliveryRoute[] = [],
): Promise<AlertChange[]> {
  const now = rfc3339(run.now);
  await insertCertificates(trx, d, run.certificates, now);
  await upsertEndpoints(trx, d, run.observations, now);
  for (const rows of chunksFor(d, run.observations, 8)) {
    await trx
      .insertInto("observations")
      .values(rows.map((o) => observationRow(o, now)))
      .execute();
  }
  return reconcileScope(
    trx,
    d,
    { scope: run.scope, now: run.now, findings: run.findings, additive: false },
    routes,
  );
}

export async function insertCertificates(
  trx: Trx,
  d: StoreDialect,
  certs: readonly CertificateRecord[],
  now: string,
): Promise<void> {
  const unique = new Map(certs.map((c) => [c.summary.sha256, c]));
  if (unique.size === 0) return;
  const known = new Set<string>();
  for (const ids of chunksFor(d, [...unique.keys()], 1)) {
    const rows = await trx.selectFrom("certificates").select("sha256").where("sha256", "in", ids).execute();
    for (const r of rows) known.add(r.sha256);
  }
  // Sorted inserts: two concurrent runs (PostgreSQL) then lock shared rows in the same order, never a cycle.
  const fresh = [...unique.values()]
    .filter((c) => !known.has(c.summary.sha256))
    .sort((a, b) => compareText(a.summary.sha256, b.summary.sha256));
  if (fresh.length === 0) return;
  // `on conflict do nothing`: a concurrent writer (PostgreSQL) may have stored it meanwhile.
  for (const rows of chunksFor(d, fresh, 10)) {
    await trx
      .insertInto("certificates")
      .values(rows.map((c) => certificateRow(c, now)))
      .onConflict((oc) => oc.column("sha256").doNothing())
      .execute();
  }
  const names = fresh.flatMap((c) =>
    certificateNames(c.summary).map((name) => ({ sha256: c.summary.sha256, name })),
  );
  for (const rows of chunksFor(d, names, 2)) {
    await trx
      .insertInto("certificate_names")
      .values(rows)
      .onConflict((oc) => oc.columns(["sha256", "name"]).doNothing())
      .execute();
  }
}

async function upsertEndpoints(
  trx: Trx,
  d: StoreDialect,
  observations: readonly ObservationRecord[],
  now: string,
): Promise<void> {
  // One row per endpoint (the last observation wins): PostgreSQL refuses to update a row twice in one upsert.
  const byKey = new Map<string, ObservationRecord>();
  for (const o of observations) {
    byKey.set(JSON.stringify([o.endpoint.host, o.endpoint.port, o.endpoint.address ?? ""]), o);
  }
  const rows = [...byKey.entries()]
    .sort(([a], [b]) => compareText(a, b))
    .map(([, o]) => ({
      host: o.endpoint.host,
      port: o.endpoint.port,
      address: o.endpoint.address ?? "",
      first_seen: now,
      last_seen: now,
      last_outcome: o.outcome,
    }));
  for (const chunk of chunksFor(d, rows, 6)) {
    await trx
      .insertInto("endpoints")
      .values(chunk)
      .onConflict((oc) =>
        oc.columns(["host", "port", "address"]).doUpdateSet((eb) => ({
          last_seen: eb.ref("excluded.last_seen"),
          last_outcome: eb.ref("excluded.last_outcome"),
        })),
      )
      .execute();
  }
}

export interface ScopeFindings {
  readonly scope: string;
  readonly now: Date;
  readonly findings: readonly AlertDraft[];
  /**
   * Additive: open or touch the findings, release nothing (CT entries are events: a later batch not
   * naming a certificate does not mean its problem went away).
   */
  readonly additive: boolean;
}

/** Reconcile one scope and write the outbox rows of its changes for `routes`, in the caller's transaction. */
export async function reconcileScope(
  trx: Trx,
  d: StoreDialect,
  run: ScopeFindings,
  routes: readonly DeliveryRoute[] = [],
): Promise<AlertChange[]> {
  const found = new Set(run.findings.map((f) => f.id));
  // A run that may release alerts reads what its scope holds: one run of a scope at a time (PostgreSQL; SQLite
  // serializes every write). An additive run reads and writes only its findings' alerts, under their locks: a
  // scope lock would make every CT batch of every log wait for the others.
  const foundLocks = [...found].sort().map((id) => `alert:${id}`);
  await d.lockKeys(trx, run.additive ? foundLocks : [`scope:${run.scope}`]);
  const held = new Set<string>();
  if (run.additive) {
    for (const chunk of chunksFor(d, [...found], 1)) {
      const rows = await trx
        .selectFrom("alert_scopes")
        .select("alert_id")
        .where("scope", "=", run.scope)
        .where("alert_id", "in", chunk)
        .execute();
      for (const r of rows) held.add(r.alert_id);
    }
  } else {
    const rows = await trx
      .selectFrom("alert_scopes")
      .select("alert_id")
      .where("scope", "=", run.scope)
      .execute();
    for (const r of rows) held.add(r.alert_id);
  }
  const ids = [...new Set([...held, ...found])].sort();
  // Sorted, so that two runs sharing alerts always lock them in the same order (additive: taken above).
  if (!run.additive) {
    await d.lockKeys(
      trx,
      ids.map((id) => `alert:${id}`),
    );
  }

  const existing = new Map<string, Alert>();
  const heldByScope = new Map<string, { alert: Alert; otherScopes: number }>();
  for (const chunk of chunksFor(d, ids, 1)) {
    const rows = await trx
      .selectFrom("alerts")
      .selectAll("alerts")
      .select((eb) =>
        eb
          .selectFrom("alert_scopes")
          .select(eb.fn.countAll().as("n"))
          .whereRef("alert_scopes.alert_id", "=", "alerts.id")
          .where("alert_scopes.scope", "<>", run.scope)
          .as("other_scopes"),
      )
      .where("alerts.id", "in", chunk)
      .execute();
    for (const row of rows) {
      const alert = alertFromRow(row);
      if (found.has(row.id)) existing.set(row.id, alert);
      if (held.has(row.id)) heldByScope.set(row.id, { alert, otherScopes: Number(row.other_scopes ?? 0) });
    }
  }

  const plan = planReconcile({
    scope: run.scope,
    now: run.now,
    findings: run.findings,
    existing,
    heldByScope,
  });
  await upsertAlerts(
    trx,
    d,
    plan.changes.map((c) => c.alert),
    run.scope,
  );
  // Alert history, and the triage state a resolve or a reopen ends (triage-records.ts).
  await recordLifecycle(trx, d, plan.changes, run.now, run.scope);
  const newHolds = plan.holdIds
    .filter((id) => !held.has(id))
    .map((alert_id) => ({ alert_id, scope: run.scope }));
  for (const chunk of chunksFor(d, newHolds, 2)) {
    await trx
      .insertInto("alert_scopes")
      .values(chunk)
      .onConflict((oc) => oc.columns(["alert_id", "scope"]).doNothing())
      .execute();
  }
  for (const chunk of chunksFor(d, plan.releaseIds, 1)) {
    await trx
      .deleteFrom("alert_scopes")
      .where("scope", "=", run.scope)
      .where("alert_id", "in", chunk)
      .execute();
  }
  await enqueueNotifications(trx, d, routes, plan.changes, run.now);
  return [...plan.changes];
}

async function upsertAlerts(
  trx: Trx,
  d: StoreDialect,
  alerts: readonly Alert[],
  scope: string,
): Promise<void> {
  for (const chunk of chunksFor(d, alerts, 15)) {
    await trx
      .insertInto("alerts")
      .values(chunk.map((a) => alertRow(a, scope)))
      .onConflict((oc) =>
        oc.column("id").doUpdateSet((eb) => ({
          severity: eb.ref("excluded.severity"),
          subject: eb.ref("excluded.subject"),
          endpoint: eb.ref("excluded.endpoint"),
          certificate: eb.ref("excluded.certificate"),
          details: eb.ref("excluded.details"),
          status: eb.ref("excluded.status"),
          first_seen: eb.ref("excluded.first_seen"),
          last_seen: eb.ref("excluded.last_seen"),
          resolved_at: eb.ref("excluded.resolved_at"),
          last_scope: eb.ref("excluded.last_scope"),
        })),
      )
      .execute();
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
