import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AlertChange, AlertChangeKind } from "../alerts/reconcile.js";
import { alertId, type Alert } from "../domain/alert.js";
import { eventByName, type EventName } from "../events.js";
import { notificationId } from "./notification.js";
import { planOutbox, reminderClocksNeeded, type AlertTarget } from "./outbox-plan.js";
import type { DeliveryRoute } from "./routing.js";

const NOW = new Date("2026-11-25T10:00:00.000Z");
const DAY = 86_400_000;

function change(kind: AlertChangeKind, event: EventName, key: string): AlertChange {
  const e = eventByName(event);
  const alert: Alert = {
    id: alertId(e.id, key),
    eventId: e.id,
    name: e.name,
    severity: e.severity,
    source: e.source,
    summary: e.summary,
    remediation: e.remediation,
    subject: key,
    key,
    endpoint: null,
    certificate: null,
    details: {},
    status: kind === "resolved" ? "resolved" : "open",
    firstSeen: "2026-11-01T00:00:00Z",
    lastSeen: "2026-11-25T10:00:00Z",
    resolvedAt: kind === "resolved" ? "2026-11-25T10:00:00Z" : null,
  };
  return { kind, alert };
}

const everything = (target: string, extra: Partial<DeliveryRoute> = {}): DeliveryRoute => ({
  target,
  minSeverity: "info",
  resolved: true,
  ...extra,
});

const noClock = (): string | undefined => assert.fail("the plan asked for a clock it did not need");

describe("planOutbox", () => {
  it("one notification per route that takes the change, with the id receivers deduplicate on", () => {
    const opened = change("opened", "hsts-missing", "www");
    const plan = planOutbox(
      [everything("siem"), everything("mail", { minSeverity: "critical" }), everything("chat")],
      [opened],
      NOW,
      noClock,
    );
    assert.deepEqual(
      plan.notifications.map((n) => [n.target, n.kind, n.notificationId]),
      [
        ["siem", "opened", notificationId(opened.alert.id, "opened", "2026-11-25T10:00:00Z")],
        ["chat", "opened", notificationId(opened.alert.id, "opened", "2026-11-25T10:00:00Z")],
      ],
    );
    assert.equal(plan.notifications[0]?.alert, opened.alert);
    assert.deepEqual(plan.notified, [
      { alertId: opened.alert.id, target: "siem" },
      { alertId: opened.alert.id, target: "chat" },
    ]);
  });

  it("resolutions only to routes that take them; events outside a route's list go nowhere", () => {
    const resolved = change("resolved", "hsts-missing", "www");
    const revoked = change("opened", "revoked", "serial-1");
    const routes = [
      everything("siem", { events: new Set([eventByName("revoked").id]) }),
      everything("mail", { resolved: false }),
    ];
    const plan = planOutbox(routes, [resolved, revoked], NOW, noClock);
    assert.deepEqual(
      plan.notifications.map((n) => [n.target, n.kind, n.alert.name]),
      [
        ["siem", "opened", "revoked"],
        ["mail", "opened", "revoked"],
      ],
    );
  });

  it("a touched alert: a reminder when the target last heard renotifyAfter ago, its clock started when it never did", () => {
    const routes = [
      everything("siem", { renotifyAfterMs: DAY }),
      everything("mail", { renotifyAfterMs: DAY }),
    ];
    const old = change("touched", "hsts-missing", "old");
    const recent = change("touched", "hsts-missing", "recent");
    const asked: AlertTarget[] = [];
    const clocks = new Map([
      [`${old.alert.id} siem`, new Date(NOW.getTime() - DAY).toISOString()],
      [`${recent.alert.id} siem`, new Date(NOW.getTime() - DAY + 1000).toISOString()],
    ]);
    assert.deepEqual(reminderClocksNeeded(routes, [old, recent]), [old.alert.id, recent.alert.id]);
    const plan = planOutbox(routes, [old, recent], NOW, (pair) => {
      asked.push(pair);
      return clocks.get(`${pair.alertId} ${pair.target}`);
    });
    assert.deepEqual(
      plan.notifications.map((n) => [n.target, n.kind, n.alert.key]),
      [["siem", "reminder", "old"]],
    );
    // mail never heard of either (added after they opened): no reminder, its clock starts now.
    assert.deepEqual(
      new Set(plan.notified.map((p) => `${p.target}:${p.alertId === old.alert.id ? "old" : "recent"}`)),
      new Set(["mail:old", "mail:recent", "siem:old"]),
    );
    assert.equal(asked.length, 4);
  });

  it("asks for no clock when no route sends reminders", () => {
    const touched = change("touched", "hsts-missing", "www");
    assert.deepEqual(reminderClocksNeeded([everything("siem")], [touched]), []);
    const plan = planOutbox([everything("siem")], [touched], NOW, noClock);
    assert.deepEqual(plan, { notifications: [], notified: [] });
  });
});
