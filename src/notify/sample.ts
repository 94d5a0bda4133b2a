/**
 * @module notify/sample
 * The sample notification `certwatch notify test` sends: a realistic alert of the catalogue, marked as a test in its
 * details so nobody acts on it.
 */
import { alertId, rfc3339 } from "../domain/alert.js";
import type { Alert } from "../domain/alert.js";
import { eventByName } from "../events.js";
import type { Notification } from "./notification.js";
import { notificationId } from "./notification.js";

/** A test alert (event 42 hsts-missing on www.example.com), opened `now`. */
export function sampleNotification(now: Date): Notification {
  const ev = eventByName("hsts-missing");
  const at = rfc3339(now);
  const key = "www.example.com:443@192.0.2.10";
  const alert: Alert = {
    id: alertId(ev.id, key),
    eventId: ev.id,
    name: ev.name,
    severity: ev.severity,
    source: ev.source,
    summary: ev.summary,
    remediation: ev.remediation,
    subject: "www.example.com",
    key,
    endpoint: { host: "www.example.com", port: 443, address: "192.0.2.10" },
    certificate: null,
    details: { test: true, note: "certwatch notify test: a sample alert, nothing to fix", status: 200 },
    status: "open",
    firstSeen: at,
    lastSeen: at,
    resolvedAt: null,
  };
  return { id: notificationId(alert.id, "opened", `test:${at}`), kind: "opened", alert, createdAt: at };
}
