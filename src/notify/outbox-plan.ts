/**
 * @module notify/outbox-plan
 * The outbox rows one reconcile writes: which target hears of which alert change, as what kind of notification,
 * and whose "last heard of it" time moves. Pure: the store reads what the plan needs (when each target last heard
 * of the touched alerts), then writes the plan's rows in the transaction that changes the alerts.
 */
import type { AlertChange } from "../alerts/reconcile.js";
import type { Alert } from "../domain/alert.js";
import { rfc3339 } from "../domain/alert.js";
import type { NotificationKind } from "./notification.js";
import { notificationId } from "./notification.js";
import type { DeliveryRoute } from "./routing.js";
import { reminderDue, routeChange } from "./routing.js";

/** One outbox row: a notification of one alert change to one target. */
export interface PlannedNotification {
  /** Stable across retries and re-runs: receivers deduplicate on it. */
  readonly notificationId: string;
  readonly target: string;
  readonly kind: NotificationKind;
  /** The alert as it is after the change: the payload the notifier renders. */
  readonly alert: Alert;
}

/** An (alert, target) pair: the key of the target's reminder clock for the alert. */
export interface AlertTarget {
  readonly alertId: string;
  readonly target: string;
}

export interface OutboxPlan {
  readonly notifications: readonly PlannedNotification[];
  /**
   * The pairs whose reminder clock is set to the plan's time: every notification's, and a touched alert's for a
   * target that has no record of it (the target was added after the alert opened: its clock starts now).
   */
  readonly notified: readonly AlertTarget[];
}

/**
 * The alerts whose reminder clocks the plan needs: those touched by a change that some route would remind of.
 * Empty when no route sends reminders (the common case: no read at all).
 */
export function reminderClocksNeeded(
  routes: readonly DeliveryRoute[],
  changes: readonly AlertChange[],
): string[] {
  const ids = new Set<string>();
  for (const change of changes) {
    if (routes.some((route) => routeChange(route, change) === "remind?")) ids.add(change.alert.id);
  }
  return [...ids];
}

/**
 * The rows for these changes. `lastNotifiedAt` answers, for the alerts `reminderClocksNeeded` named, when the
 * target last heard of the alert (RFC 3339), or undefined when it has no record.
 */
export function planOutbox(
  routes: readonly DeliveryRoute[],
  changes: readonly AlertChange[],
  now: Date,
  lastNotifiedAt: (pair: AlertTarget) => string | undefined,
): OutboxPlan {
  const at = rfc3339(now);
  const notifications: PlannedNotification[] = [];
  const clocksStarted: AlertTarget[] = [];
  const add = (alert: Alert, target: string, kind: NotificationKind) =>
    notifications.push({ notificationId: notificationId(alert.id, kind, at), target, kind, alert });
  const reminders: { alert: Alert; route: DeliveryRoute }[] = [];
  for (const change of changes) {
    for (const route of routes) {
      const kind = routeChange(route, change);
      if (kind === "remind?") reminders.push({ alert: change.alert, route });
      else if (kind !== null) add(change.alert, route.target, kind);
    }
  }
  // Reminders after the other notifications: the order the outbox rows were always written in.
  for (const { alert, route } of reminders) {
    const pair = { alertId: alert.id, target: route.target };
    const when = lastNotifiedAt(pair);
    if (when === undefined) clocksStarted.push(pair);
    else if (reminderDue(route, when, now)) add(alert, route.target, "reminder");
  }
  const notified = new Map<string, AlertTarget>();
  for (const pair of [
    ...clocksStarted,
    ...notifications.map((n) => ({ alertId: n.alert.id, target: n.target })),
  ]) {
    notified.set(`${pair.alertId}\n${pair.target}`, pair);
  }
  return { notifications, notified: [...notified.values()] };
}
