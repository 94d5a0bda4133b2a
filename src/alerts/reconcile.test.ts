import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Alert } from "../domain/alert.js";
import { draftFromFinding, planReconcile, type AlertDraft } from "./reconcile.js";

const endpoint = { host: "www.contoso.com", port: 443, address: "127.0.0.1" };
const draft = (key: string): AlertDraft =>
  draftFromFinding({
    event: "hsts-missing",
    key,
    subject: "www.contoso.com",
    endpoint,
    certificate: null,
    details: {},
  });
const t1 = new Date("2026-11-25T10:00:00Z");
const t2 = new Date("2026-11-25T11:00:00Z");

function apply(existing: Alert[], held: string[], findings: AlertDraft[], now: Date, otherScopes = 0) {
  const byId = new Map(existing.map((a) => [a.id, a]));
  return planReconcile({
    scope: "tls:www.contoso.com:443",
    now,
    findings,
    existing: new Map(findings.flatMap((f) => (byId.has(f.id) ? [[f.id, byId.get(f.id)!] as const] : []))),
    heldByScope: new Map(held.map((id) => [id, { alert: byId.get(id)!, otherScopes }])),
  });
}

describe("alert lifecycle", () => {
  it("opens a new alert with a stable id", () => {
    const plan = apply([], [], [draft("a")], t1);
    assert.equal(plan.changes.length, 1);
    const c = plan.changes[0]!;
    assert.equal(c.kind, "opened");
    assert.equal(c.alert.id, draft("a").id);
    assert.equal(c.alert.firstSeen, "2026-11-25T10:00:00Z");
    assert.equal(c.alert.resolvedAt, null);
    assert.notEqual(draft("a").id, draft("b").id);
  });

  it("touches an open alert: lastSeen moves, firstSeen stays, no duplicate", () => {
    const opened = apply([], [], [draft("a")], t1).changes[0]!.alert;
    const plan = apply([opened], [opened.id], [draft("a"), draft("a")], t2);
    assert.deepEqual(
      plan.changes.map((c) => c.kind),
      ["touched"],
    );
    assert.equal(plan.changes[0]!.alert.firstSeen, "2026-11-25T10:00:00Z");
    assert.equal(plan.changes[0]!.alert.lastSeen, "2026-11-25T11:00:00Z");
  });

  it("resolves what the scope no longer finds, and reopens it when it returns", () => {
    const opened = apply([], [], [draft("a")], t1).changes[0]!.alert;
    const resolved = apply([opened], [opened.id], [], t2);
    assert.deepEqual(
      resolved.changes.map((c) => c.kind),
      ["resolved"],
    );
    assert.equal(resolved.changes[0]!.alert.resolvedAt, "2026-11-25T11:00:00Z");
    assert.deepEqual(resolved.releaseIds, [opened.id]);
    const back = apply([resolved.changes[0]!.alert], [], [draft("a")], new Date("2026-11-26T00:00:00Z"));
    assert.deepEqual(
      back.changes.map((c) => c.kind),
      ["reopened"],
    );
    assert.equal(back.changes[0]!.alert.resolvedAt, null);
    assert.equal(back.changes[0]!.alert.firstSeen, "2026-11-25T10:00:00Z");
  });

  it("keeps an alert open while another scope still holds it", () => {
    const opened = apply([], [], [draft("a")], t1).changes[0]!.alert;
    const plan = apply([opened], [opened.id], [], t2, 1);
    assert.deepEqual(plan.changes, []);
    assert.deepEqual(plan.releaseIds, [opened.id]);
  });

  it("applies severity overrides by name or id", () => {
    const f = {
      event: "hsts-missing",
      key: "k",
      subject: "s",
      endpoint: null,
      certificate: null,
      details: {},
    } as const;
    assert.equal(draftFromFinding(f).severity, "medium");
    assert.equal(draftFromFinding(f, { "hsts-missing": "low" }).severity, "low");
    assert.equal(draftFromFinding(f, { "42": "critical" }).severity, "critical");
  });
});
