/**
 * @module notify/routing
 * Which targets hear of which alert change: per target, the events, the minimum severity, whether resolutions
 * go out, and when a still-open alert is worth a reminder. Pure: the store applies it inside the transaction
 * that changes the alerts, so the outbox rows and the alert change commit together.
 */
import type { AlertChange } from "../alerts/reconcile.js";
import type { NotifyConfig } from "../config/notify-schema.js";
import type { Severity } from "../events.js";
import { eventByName, severityRank } from "../events.js";
import type { NotificationKind } from "./notification.js";

export interface DeliveryRoute {
  readonly target: string;
  /** Event ids this target takes; undefined: every event. */
  readonly events?: ReadonlySet<number>;
  readonly minSeverity: Severity;
  /** Resolutions go out too. */
  readonly resolved: boolean;
  /** An alert still open this long after its last notification to this target is notified again. */
  readonly renotifyAfterMs?: number;
}

const DAY_MS = 86_400_000;

/** The routes of the configured targets, in configuration order. */
export function routesFromConfig(notify: NotifyConfig): DeliveryRoute[] {
  return Object.entries(notify).map(([target, t]) => ({
    target,
    ...(t.events ? { events: new Set(t.events.map((e) => eventByName(e).id)) } : {}),
    minSeverity: t.minSeverity,
    resolved: t.resolved,
    ...(t.renotifyAfterDays !== undefined ? { renotifyAfterMs: t.renotifyAfterDays * DAY_MS } : {}),
  }));
}

function takes(route: DeliveryRoute, change: AlertChange): boolean {
  const a = change.alert;
  if (route.events !== undefined && !route.events.has(a.eventId)) return false;
  return severityRank(a.severity) >= severityRank(route.minSeverity);
}

/**
 * What this change means to this target: a notification kind, "remind?" for a touched alert that may be due for
 * a reminder (the caller knows when the target last heard of it), or null.
 */
export function routeChange(route: DeliveryRoute, change: AlertChange): NotificationKind | "remind?" | null {
  if (!takes(route, change)) return null;
  switch (change.kind) {
    case "opened":
    case "reopened":
      return change.kind;
    case "resolved":
      return route.resolved ? "resolved" : null;
    case "touched":
      return route.renotifyAfterMs === undefined ? null : "remind?";
  }
}

/** A reminder is due when the target last heard of the alert at least renotifyAfterMs ago. */
export function reminderDue(route: DeliveryRoute, lastNotifiedAt: string, now: Date): boolean {
  if (route.renotifyAfterMs === undefined) return false;
  return now.getTime() - Date.parse(lastNotifiedAt) >= route.renotifyAfterMs;
}
