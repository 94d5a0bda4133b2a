/**
 * @module store/triage-store
 * The triage half of KyselyStore (triage-records.ts): the alerts page the API lists (filters and a keyset on
 * (first_seen, id)), triage actions with their history and audit entries in one transaction, and the hook that
 * reconcile calls to record the checks' lifecycle changes and clear the triage state they end.
 */
import {
  sql,
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type Selectable,
  type SqlBool,
  type Transaction,
} from "kysely";
import type { AlertChange } from "../alerts/reconcile.js";
import { rfc3339 } from "../domain/alert.js";
import { insertAudit } from "./audit-log.js";
import type { AuditActor, AuditContext } from "./auth-records.js";
import type { StoreDialect } from "./dialect.js";
import { chunksFor } from "./dialect.js";
import { alertFromRow } from "./rows.js";
import type { AlertHistoryTable, AlertsTable, Database } from "./schema.js";
import {
  MAX_NOTE,
  TriageError,
  type AlertHistoryEntry,
  type AlertHistoryKind,
  type AlertQuery,
  type AlertTriage,
  type TriageChange,
  type TriagedAlert,
  type TriageStore,
} from "./triage-records.js";

type Db = Kysely<Database>;
type Eb = ExpressionBuilder<Database, "alerts">;

const HISTORY_KINDS: readonly string[] = ["opened", "reopened", "resolved", "acknowledged", "snoozed"];
const DEFAULT_HISTORY = 100;
const MAX_HISTORY = 1000;

/** The triage columns, all null: what a check's resolve or reopen leaves. */
const CLEARED = {
  acknowledged_at: null,
  acknowledged_by: null,
  snoozed_until: null,
  snoozed_by: null,
  resolved_by: null,
  triage_note: null,
} as const;

function triageOf(r: Selectable<AlertsTable>): AlertTriage {
  return {
    acknowledgedAt: r.acknowledged_at,
    acknowledgedBy: r.acknowledged_by,
    snoozedUntil: r.snoozed_until,
    snoozedBy: r.snoozed_by,
    resolvedBy: r.resolved_by,
    note: r.triage_note,
  };
}

const triaged = (r: Selectable<AlertsTable>): TriagedAlert => ({
  alert: alertFromRow(r),
  triage: triageOf(r),
});

/** How the audit log names an actor (the same text here, so the two can be read side by side). */
export function actorName(actor: AuditActor): string {
  return actor.kind === "user"
    ? actor.name
    : actor.kind === "token"
      ? `${actor.name}/${actor.tokenId}`
      : "system";
}

function historyFromRow(r: Selectable<AlertHistoryTable>): AlertHistoryEntry {
  const kind = HISTORY_KINDS.includes(r.kind) ? (r.kind as AlertHistoryKind) : "opened";
  const actorKind =
    (["check", "user", "token", "system"] as const).find((k) => k === r.actor_kind) ?? "system";
  return {
    id: Number(r.id),
    at: r.at,
    kind,
    actor: r.actor,
    actorKind,
    scope: r.scope,
    note: r.note,
    until: r.until,
  };
}

/** LIKE's wildcards and its escape character, taken literally. */
function likeLiteral(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The JSON text of an endpoint's host without escapes (a host name never needs one). */
const PLAIN_HOST = String.raw`"host":"([^"\\]*)"`;

/**
 * The endpoint's host, out of the endpoint JSON column, lower-cased (`=` is case-sensitive). On PostgreSQL by a
 * match on the JSON text, not a jsonb cast: one alert whose JSON holds `\u0000` would make the cast, and so every
 * listing with this filter, fail.
 */
function endpointHost(d: StoreDialect): Expression<string | null> {
  return d.name === "postgres"
    ? sql<string | null>`lower((regexp_match(alerts.endpoint, ${PLAIN_HOST}))[1])`
    : sql<string | null>`lower(json_extract(alerts.endpoint, '$.host'))`;
}

/** `column` is `name` or a name under it. */
function nameOrUnder(eb: Eb, column: Expression<string | null>, name: string): Expression<SqlBool> {
  // ESCAPE said: SQLite has no default escape character (PostgreSQL's is the backslash).
  return eb.or([eb(column, "=", name), sql<SqlBool>`${column} like ${`%.${likeLiteral(name)}`} escape '\\'`]);
}

function filters(eb: Eb, d: StoreDialect, q: AlertQuery): Expression<SqlBool> {
  const all: Expression<SqlBool>[] = [];
  const status = q.status ?? "open";
  if (status !== "all") all.push(eb("alerts.status", "=", status));
  if (q.eventId !== undefined) all.push(eb("alerts.event_id", "=", q.eventId));
  if (q.severity !== undefined) all.push(eb("alerts.severity", "=", q.severity));
  if (q.source !== undefined) all.push(eb("alerts.source", "=", q.source));
  if (q.domain !== undefined) {
    const name = q.domain.toLowerCase();
    all.push(
      eb.or([
        nameOrUnder(eb, sql<string>`lower(alerts.subject)`, name),
        nameOrUnder(eb, endpointHost(d), name),
      ]),
    );
  }
  if (q.text !== undefined) {
    const pattern = `%${likeLiteral(q.text.toLowerCase())}%`;
    const columns = ["subject", "name", "key", "details", "endpoint", "certificate"] as const;
    // LIKE is case-insensitive for ASCII in SQLite (as its lower() is ASCII-only): the column is compared as it
    // is, which scans the table in half the time (bench:api). PostgreSQL's LIKE is not: lower() the column there.
    const column = (c: (typeof columns)[number]) =>
      d.name === "postgres" ? sql`lower(${sql.ref(`alerts.${c}`)})` : sql.ref(`alerts.${c}`);
    all.push(eb.or(columns.map((c) => sql<SqlBool>`${column(c)} like ${pattern} escape '\\'`)));
  }
  const now = rfc3339(q.now);
  if (q.triage === "acknowledged") all.push(eb("alerts.acknowledged_at", "is not", null));
  if (q.triage === "snoozed") all.push(eb("alerts.snoozed_until", ">", now));
  if (q.triage === "untriaged") {
    all.push(eb("alerts.status", "=", "open"));
    all.push(eb("alerts.acknowledged_at", "is", null));
    all.push(eb.or([eb("alerts.snoozed_until", "is", null), eb("alerts.snoozed_until", "<=", now)]));
  }
  if (q.after !== undefined) {
    const { firstSeen, id } = q.after;
    all.push(
      eb.or([
        eb("alerts.first_seen", "<", firstSeen),
        eb.and([eb("alerts.first_seen", "=", firstSeen), eb("alerts.id", "<", id)]),
      ]),
    );
  }
  return eb.and(all);
}

export async function listAlertPage(db: Db, d: StoreDialect, q: AlertQuery): Promise<TriagedAlert[]> {
  const rows = await db
    .selectFrom("alerts")
    .selectAll()
    .where((eb) => filters(eb, d, q))
    .orderBy("first_seen", "desc")
    .orderBy("id", "desc")
    .limit(Math.max(1, Math.min(q.limit, 10_000)))
    .execute();
  return rows.map(triaged);
}

export async function getTriagedAlert(db: Db, id: string): Promise<TriagedAlert | undefined> {
  const row = await db.selectFrom("alerts").selectAll().where("id", "=", id).executeTakeFirst();
  return row === undefined ? undefined : triaged(row);
}

export async function alertHistory(
  db: Db,
  id: string,
  limit = DEFAULT_HISTORY,
): Promise<AlertHistoryEntry[]> {
  const rows = await db
    .selectFrom("alert_history")
    .selectAll()
    .where("alert_id", "=", id)
    .orderBy("id", "desc")
    .limit(Math.max(1, Math.min(limit, MAX_HISTORY)))
    .execute();
  return rows.map(historyFromRow);
}

export async function triageAlert(
  db: Db,
  d: StoreDialect,
  id: string,
  change: TriageChange,
  ctx: AuditContext,
): Promise<TriagedAlert> {
  const note = change.note === null ? null : change.note.slice(0, MAX_NOTE);
  const at = rfc3339(ctx.at);
  const actor = actorName(ctx.actor);
  return db.transaction().execute(async (trx) => {
    // The same lock reconcile takes: a check and a person never change one alert at once (PostgreSQL).
    await d.lockKeys(trx, [`alert:${id}`]);
    const row = await trx.selectFrom("alerts").selectAll().where("id", "=", id).executeTakeFirst();
    if (row === undefined) throw new TriageError("NOT_FOUND", "no such alert");
    const open = row.status === "open";
    let kind: AlertHistoryKind;
    let until: string | null = null;
    switch (change.action) {
      case "acknowledge":
        if (!open) throw new TriageError("ALERT_STATE", "only an open alert can be acknowledged");
        kind = "acknowledged";
        await trx
          .updateTable("alerts")
          .set({ acknowledged_at: at, acknowledged_by: actor, triage_note: note })
          .where("id", "=", id)
          .execute();
        break;
      case "snooze":
        if (!open) throw new TriageError("ALERT_STATE", "only an open alert can be snoozed");
        if (change.until === undefined || !(change.until.getTime() > ctx.at.getTime())) {
          throw new TriageError("ALERT_STATE", "a snooze ends in the future");
        }
        kind = "snoozed";
        until = rfc3339(change.until);
        await trx
          .updateTable("alerts")
          .set({ snoozed_until: until, snoozed_by: actor, triage_note: note })
          .where("id", "=", id)
          .execute();
        break;
      case "resolve":
        if (!open) throw new TriageError("ALERT_STATE", "the alert is already resolved");
        kind = "resolved";
        await trx
          .updateTable("alerts")
          .set({ ...CLEARED, status: "resolved", resolved_at: at, resolved_by: actor, triage_note: note })
          .where("id", "=", id)
          .execute();
        break;
      case "reopen":
        if (open) throw new TriageError("ALERT_STATE", "the alert is already open");
        kind = "reopened";
        await trx
          .updateTable("alerts")
          .set({ ...CLEARED, status: "open", resolved_at: null, triage_note: note })
          .where("id", "=", id)
          .execute();
        break;
    }
    await trx
      .insertInto("alert_history")
      .values({ alert_id: id, at, kind, actor, actor_kind: ctx.actor.kind, scope: null, note, until })
      .execute();
    await insertAudit(trx, ctx, {
      action: `alert.${change.action}`,
      target: id,
      details: {
        eventId: Number(row.event_id),
        ...(note !== null && { note }),
        ...(until !== null && { until }),
      },
    });
    const after = await trx.selectFrom("alerts").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    return triaged(after);
  });
}

/**
 * Called by reconcile inside its transaction, after the alerts are written: a history entry for each opened,
 * reopened and resolved alert (touches are not history: every check touches every open alert), and the triage
 * state of the resolved and reopened ones cleared (it belonged to the occurrence that ended).
 */
export async function recordLifecycle(
  trx: Transaction<Database>,
  d: StoreDialect,
  changes: readonly AlertChange[],
  now: Date,
  scope: string,
): Promise<void> {
  const at = rfc3339(now);
  const lifecycle = changes.filter((c) => c.kind !== "touched");
  for (const chunk of chunksFor(d, lifecycle, 8)) {
    await trx
      .insertInto("alert_history")
      .values(
        chunk.map((c) => ({
          alert_id: c.alert.id,
          at,
          kind: c.kind,
          actor: null,
          actor_kind: "check",
          scope,
          note: null,
          until: null,
        })),
      )
      .execute();
  }
  const ended = lifecycle.filter((c) => c.kind !== "opened").map((c) => c.alert.id);
  for (const ids of chunksFor(d, ended, 1)) {
    await trx.updateTable("alerts").set(CLEARED).where("id", "in", ids).execute();
  }
}

/** The TriageStore over one Kysely instance (what KyselyStore exposes as `store.triage`). */
export function triageStoreOver(db: Db, d: StoreDialect): TriageStore {
  return {
    listAlertPage: (q) => listAlertPage(db, d, q),
    getTriagedAlert: (id) => getTriagedAlert(db, id),
    alertHistory: (id, limit) => alertHistory(db, id, limit),
    triageAlert: (id, change, ctx) => triageAlert(db, d, id, change, ctx),
  };
}
