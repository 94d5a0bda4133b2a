/**
 * @module notify/notification
 * What the outbox holds and the notifiers send: one alert change (opened, reopened, resolved, or a reminder that
 * an alert is still open), with a stable id that receivers use to deduplicate at-least-once delivery.
 */
import { createHash } from "node:crypto";
import type { Alert } from "../domain/alert.js";
import { alertJson } from "../cli/alert-output.js";

/** Why a notification exists: the alert change it reports. */
export type NotificationKind = "opened" | "reopened" | "resolved" | "reminder";

export const NOTIFICATION_KINDS: readonly NotificationKind[] = ["opened", "reopened", "resolved", "reminder"];

export interface Notification {
  /**
   * Stable id of this notification: the same on every retry and for every target (webhook-id, Splunk/Sentinel
   * `notificationId`, the e-mail Message-ID), so a receiver can drop a duplicate delivery.
   */
  readonly id: string;
  readonly kind: NotificationKind;
  /** The alert as it was when the change happened (SPEC §2 alert object). */
  readonly alert: Alert;
  /** When the change happened, RFC 3339 UTC. */
  readonly createdAt: string;
}

/** The stable notification id of one alert change: a hash of (alert id, kind, time of the change). */
export function notificationId(alertId: string, kind: NotificationKind, at: string): string {
  return createHash("sha256").update(`${alertId}\n${kind}\n${at}`).digest("hex").slice(0, 32);
}

/**
 * The JSON every structured notifier sends (webhook, Splunk event, Sentinel record base): the alert object
 * of SPEC §2 plus what the notification is about.
 */
export function notificationJson(n: Notification): Record<string, unknown> {
  return { notificationId: n.id, notification: n.kind, notifiedAt: n.createdAt, alert: alertJson(n.alert) };
}

/** Words for people: "New", "Reopened", "Resolved", "Still open". */
export function kindLabel(kind: NotificationKind): string {
  switch (kind) {
    case "opened":
      return "New";
    case "reopened":
      return "Reopened";
    case "resolved":
      return "Resolved";
    case "reminder":
      return "Still open";
  }
}
