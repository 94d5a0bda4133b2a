/**
 * @module store/outbox-store
 * The outbox: rows written inside the transaction that changes the alerts (so a crash never loses a
 * notification), claimed by a delivery worker under a lease, marked delivered only on the target's success.
 */
import type { Kysely, Transaction } from "kysely";
import { sql } from "kysely";
import type { AlertChange } from "../alerts/reconcile.js";
import type { Alert } from "../domain/alert.js";
import { rfc3339 } from "../domain/alert.js";
import type { Notification, NotificationKind } from "../notify/notification.js";
import type { PlannedNotification } from "../notify/outbox-plan.js";
import { planOutbox, reminderClocksNeeded } from "../notify/outbox-plan.js";
import type { DeliveryRoute } from "../notify/routing.js";
import type { StoreDialect } from "./dialect.js";
import { chunksFor } from "./dialect.js";
import type { Database } from "./schema.js";
import type { OutboxItem, OutboxNextAttempt, OutboxRenewal, OutboxTargetStatus } from "./store.js";

type Trx = Transaction<Database>;

const MAX_ERROR_CHARS = 500;

/**
 * Outbox rows for the changes of one reconcile, inside its transaction: the plan (`notify/outbox-plan.ts`) says
 * which; the store reads the reminder clocks the plan needs and writes what it returns.
 */
export async function enqueueNotifications(
  trx: Trx,
  d: StoreDialect,
  routes: readonly DeliveryRoute[],
  changes: readonly AlertChange[],
  now: Date,
): Promise<void> {
  if (routes.length === 0 || changes.length === 0) return;
  const needed = reminderClocksNeeded(routes, changes);
  const last = needed.length === 0 ? new Map<string, string>() : await lastNotified(trx, d, needed);
  const plan = planOutbox(routes, changes, now, (p) => last.get(`${p.alertId}\n${p.target}`));
  await insertOutbox(trx, d, plan.notifications, now);
  const at = rfc3339(now);
  await upsertLast(
    trx,
    d,
    plan.notified.map((p) => ({ alert_id: p.alertId, target: p.target, notified_at: at })),
  );
}

/** The plan's notifications as undelivered rows, due now; a row already written (same id, target) is kept. */
async function insertOutbox(
  trx: Trx,
  d: StoreDialect,
  notifications: readonly PlannedNotification[],
  now: Date,
): Promise<void> {
  const values = notifications.map((n) => ({
    notification_id: n.notificationId,
    target: n.target,
    alert_id: n.alert.id,
    kind: n.kind,
    payload: JSON.stringify(n.alert),
    created_at: rfc3339(now),
    attempts: 0,
    next_attempt_at: rfc3339ms(now),
    lease_until: null,
    last_error: null,
    delivered_at: null,
  }));
  for (const chunk of chunksFor(d, values, 11)) {
    await trx
      .insertInto("outbox")
      .values(chunk)
      .onConflict((oc) => oc.columns(["target", "notification_id"]).doNothing())
      .execute();
  }
}

async function lastNotified(
  trx: Trx,
  d: StoreDialect,
  alertIds: readonly string[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const chunk of chunksFor(d, [...new Set(alertIds)], 1)) {
    const rows = await trx.selectFrom("notify_last").selectAll().where("alert_id", "in", chunk).execute();
    for (const r of rows) out.set(`${r.alert_id}\n${r.target}`, r.notified_at);
  }
  return out;
}

async function upsertLast(
  trx: Trx,
  d: StoreDialect,
  rows: readonly { alert_id: string; target: string; notified_at: string }[],
): Promise<void> {
  const unique = [...new Map(rows.map((r) => [`${r.alert_id}\n${r.target}`, r])).values()];
  for (const chunk of chunksFor(d, unique, 3)) {
    await trx
      .insertInto("notify_last")
      .values(chunk)
      .onConflict((oc) =>
        oc
          .columns(["alert_id", "target"])
          .doUpdateSet((eb) => ({ notified_at: eb.ref("excluded.notified_at") })),
      )
      .execute();
  }
}

/**
 * Take up to `limit` due rows of a target, oldest first, and lease them until `leaseUntil`. A row is due when it
 * is undelivered, its next attempt time has come and no live lease holds it.
 *
 * The lease is its end time as stored (`lease_until`, milliseconds): renewals and failures name it, and touch only
 * rows whose `lease_until` is still that value. A sender whose lease lapsed (a stalled process) and whose rows were
 * claimed by another gets nothing back: the other claim wrote another value. (Two claims of one row writing the
 * same millisecond would need two senders claiming it at the same instant, which the claim's lock prevents.)
 */
export async function claimOutbox(
  db: Kysely<Database>,
  d: StoreDialect,
  target: string,
  limit: number,
  now: Date,
  leaseUntil: Date,
): Promise<OutboxItem[]> {
  const at = rfc3339ms(now);
  const lease = rfc3339ms(leaseUntil);
  return db.transaction().execute(async (trx) => {
    let q = trx
      .selectFrom("outbox")
      .selectAll()
      .where("target", "=", target)
      .where("delivered_at", "is", null)
      .where("next_attempt_at", "<=", at)
      .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<=", at)]))
      .orderBy("id")
      .limit(limit);
    if (d.name === "postgres") q = q.forUpdate().skipLocked();
    const rows = await q.execute();
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    for (const chunk of chunksFor(d, ids, 1)) {
      await trx.updateTable("outbox").set({ lease_until: lease }).where("id", "in", chunk).execute();
    }
    return rows.map((r) => ({
      rowId: Number(r.id),
      target: r.target,
      attempts: Number(r.attempts),
      lease,
      notification: {
        id: r.notification_id,
        kind: r.kind as NotificationKind,
        alert: JSON.parse(r.payload) as Alert,
        createdAt: r.created_at,
      } satisfies Notification,
    }));
  });
}

/** A live sender's heartbeat: extend the lease of the rows it still holds (undelivered, still under `lease`). */
export async function renewOutbox(
  db: Kysely<Database>,
  d: StoreDialect,
  rowIds: readonly number[],
  lease: string,
  leaseUntil: Date,
): Promise<OutboxRenewal> {
  const next = rfc3339ms(leaseUntil);
  let held = 0;
  for (const chunk of chunksFor(d, rowIds, 1)) {
    const r = await db
      .updateTable("outbox")
      .set({ lease_until: next })
      .where("id", "in", chunk)
      .where("lease_until", "=", lease)
      .where("delivered_at", "is", null)
      .executeTakeFirst();
    held += Number(r.numUpdatedRows);
  }
  return { lease: next, held };
}

export async function completeOutbox(
  db: Kysely<Database>,
  d: StoreDialect,
  rowIds: readonly number[],
  now: Date,
): Promise<void> {
  for (const chunk of chunksFor(d, rowIds, 1)) {
    await db
      .updateTable("outbox")
      .set({ delivered_at: rfc3339ms(now), lease_until: null, last_error: null })
      .where("id", "in", chunk)
      .execute();
  }
}

export async function failOutbox(
  db: Kysely<Database>,
  d: StoreDialect,
  rowIds: readonly number[],
  error: string,
  nextAttemptAt: Date,
  lease?: string,
): Promise<void> {
  for (const chunk of chunksFor(d, rowIds, 1)) {
    let q = db
      .updateTable("outbox")
      .set((eb) => ({
        attempts: eb("attempts", "+", 1),
        next_attempt_at: rfc3339ms(nextAttemptAt),
        lease_until: null,
        last_error: error.slice(0, MAX_ERROR_CHARS),
      }))
      .where("id", "in", chunk)
      .where("delivered_at", "is", null);
    if (lease !== undefined) q = q.where("lease_until", "=", lease);
    await q.execute();
  }
}

/** Per target: undelivered rows, when the next can be tried, the oldest, the last error; delivered rows kept. */
export async function outboxStatus(db: Kysely<Database>): Promise<OutboxTargetStatus[]> {
  const pending = await db
    .selectFrom("outbox")
    .select((eb) => [
      "target",
      eb.fn.countAll<number>().as("pending"),
      eb.fn.min("created_at").as("oldest"),
      eb.fn
        .min(
          sql<string>`case when lease_until is not null and lease_until > next_attempt_at then lease_until else next_attempt_at end`,
        )
        .as("next_at"),
      eb.fn.max("attempts").as("max_attempts"),
    ])
    .where("delivered_at", "is", null)
    .groupBy("target")
    .execute();
  const delivered = await db
    .selectFrom("outbox")
    .select((eb) => ["target", eb.fn.countAll<number>().as("n")])
    .where("delivered_at", "is not", null)
    .groupBy("target")
    .execute();
  const errors = await db
    .selectFrom("outbox")
    .select(["target", "last_error"])
    .where("delivered_at", "is", null)
    .where("last_error", "is not", null)
    .orderBy("id", "desc")
    .execute();
  const out = new Map<string, OutboxTargetStatus>();
  const entry = (target: string): OutboxTargetStatus =>
    out.get(target) ?? {
      target,
      pending: 0,
      delivered: 0,
      oldestPending: null,
      nextAttemptAt: null,
      maxAttempts: 0,
      lastError: null,
    };
  for (const p of pending) {
    out.set(p.target, {
      ...entry(p.target),
      pending: Number(p.pending),
      oldestPending: p.oldest,
      nextAttemptAt: p.next_at,
      maxAttempts: Number(p.max_attempts ?? 0),
    });
  }
  for (const r of delivered) out.set(r.target, { ...entry(r.target), delivered: Number(r.n) });
  for (const e of errors) {
    const s = entry(e.target);
    if (s.lastError === null) out.set(e.target, { ...s, lastError: e.last_error });
  }
  return [...out.values()].sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
}

/**
 * When the target's earliest undelivered row may be tried (after its back-off and any lease), and whether that is
 * the end of a lease; null when none.
 */
export async function outboxNextAttempt(
  db: Kysely<Database>,
  target: string,
): Promise<OutboxNextAttempt | null> {
  const row = await db
    .selectFrom("outbox")
    .select((eb) => [
      eb.fn
        .min(
          sql<string>`case when lease_until is not null and lease_until > next_attempt_at then lease_until else next_attempt_at end`,
        )
        .as("next_at"),
      eb.fn
        .min(
          sql<string>`case when lease_until is not null and lease_until > next_attempt_at then lease_until end`,
        )
        .as("lease_at"),
    ])
    .where("target", "=", target)
    .where("delivered_at", "is", null)
    .executeTakeFirst();
  if (row?.next_at === undefined || row.next_at === null) return null;
  return { at: row.next_at, leased: row.lease_at === row.next_at };
}

/** Forget delivered rows older than `before`; returns how many. Undelivered rows are never pruned. */
export async function pruneOutbox(db: Kysely<Database>, before: Date): Promise<number> {
  const r = await db
    .deleteFrom("outbox")
    .where("delivered_at", "is not", null)
    .where("delivered_at", "<", rfc3339ms(before))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Millisecond precision: retry delays are often shorter than a second. Sorts as text like rfc3339(). */
export function rfc3339ms(d: Date): string {
  return d.toISOString();
}
