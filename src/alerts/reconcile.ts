/**
 * @module alerts/reconcile
 * The alert lifecycle as a pure plan: findings of one run over one scope against the alerts of that
 * scope → open / touch / resolve / reopen. The store applies the plan inside its transaction.
 *
 * An alert may be held by several scopes (a certificate-keyed alert raised by two endpoints): it
 * stays open while any scope still finds it and resolves when the last one stops.
 */
import type { Alert } from "../domain/alert.js";
import { alertId, rfc3339 } from "../domain/alert.js";
import type { CertificateSummary } from "../domain/certificate.js";
import type { Endpoint } from "../domain/endpoint.js";
import type { Finding } from "../domain/finding.js";
import type { EventSource, Severity } from "../events.js";
import { eventByName } from "../events.js";

/** A finding mapped through the catalogue (and the configured severity overrides). */
export interface AlertDraft {
  readonly id: string;
  readonly eventId: number;
  readonly name: string;
  readonly severity: Severity;
  readonly source: EventSource;
  readonly summary: string;
  readonly remediation: string;
  readonly subject: string;
  readonly key: string;
  readonly endpoint: Endpoint | null;
  readonly certificate: CertificateSummary | null;
  readonly details: Readonly<Record<string, unknown>>;
}

export type AlertChangeKind = "opened" | "reopened" | "touched" | "resolved";

export interface AlertChange {
  readonly kind: AlertChangeKind;
  readonly alert: Alert;
}

export function draftFromFinding(
  f: Finding,
  severityOverrides: Readonly<Record<string, Severity>> = {},
): AlertDraft {
  const ev = eventByName(f.event);
  return {
    id: alertId(ev.id, f.key),
    eventId: ev.id,
    name: ev.name,
    severity: severityOverrides[ev.name] ?? severityOverrides[String(ev.id)] ?? ev.severity,
    source: ev.source,
    summary: ev.summary,
    remediation: ev.remediation,
    subject: f.subject,
    key: f.key,
    endpoint: f.endpoint,
    certificate: f.certificate,
    details: f.details,
  };
}

export interface ReconcileInput {
  readonly scope: string;
  readonly now: Date;
  readonly findings: readonly AlertDraft[];
  /** Stored alerts (any status) whose id is the id of a finding. */
  readonly existing: ReadonlyMap<string, Alert>;
  /** Alerts currently held by this scope, with how many *other* scopes also hold each. */
  readonly heldByScope: ReadonlyMap<string, { alert: Alert; otherScopes: number }>;
}

export interface ReconcilePlan {
  readonly changes: readonly AlertChange[];
  /** Alert ids this scope holds after the run. */
  readonly holdIds: readonly string[];
  /** Alert ids this scope releases. */
  readonly releaseIds: readonly string[];
}

export function planReconcile(input: ReconcileInput): ReconcilePlan {
  const now = rfc3339(input.now);
  const changes: AlertChange[] = [];
  const found = new Map<string, AlertDraft>();
  for (const d of input.findings) if (!found.has(d.id)) found.set(d.id, d);

  for (const d of found.values()) {
    const prev = input.existing.get(d.id);
    const base = { ...d, lastSeen: now };
    if (!prev) {
      changes.push({
        kind: "opened",
        alert: { ...base, status: "open", firstSeen: now, resolvedAt: null },
      });
    } else if (prev.status === "resolved") {
      changes.push({
        kind: "reopened",
        alert: { ...base, status: "open", firstSeen: prev.firstSeen, resolvedAt: null },
      });
    } else {
      changes.push({
        kind: "touched",
        alert: { ...base, status: "open", firstSeen: prev.firstSeen, resolvedAt: null },
      });
    }
  }

  const releaseIds: string[] = [];
  for (const [id, { alert, otherScopes }] of input.heldByScope) {
    if (found.has(id)) continue;
    releaseIds.push(id);
    if (otherScopes === 0 && alert.status === "open") {
      changes.push({ kind: "resolved", alert: { ...alert, status: "resolved", resolvedAt: now } });
    }
  }
  return { changes, holdIds: [...found.keys()], releaseIds };
}
