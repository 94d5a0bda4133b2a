/**
 * @module store/triage-records
 * What people do with alerts, kept beside them: the triage state of each alert (acknowledged, snoozed, resolved by
 * hand, the last note), its history (the lifecycle changes the checks made, and the triage actions with who and
 * why), and the paged, filtered listing the REST API serves. The TriageStore interface over it.
 *
 * How triage meets the checks (reconcile): triage belongs to one occurrence of a problem. When a check resolves an
 * alert, or reopens one, its acknowledgement, snooze and note are cleared. An alert resolved by hand whose
 * condition still holds is reopened by the next check of its scope (and delivery targets hear "reopened"); one
 * whose condition is gone stays resolved. An alert reopened by hand that no check holds any more stays open until
 * someone resolves it. Triage actions are not sent to delivery targets: they hear the checks' lifecycle only.
 */
import type { Alert, AlertStatus } from "../domain/alert.js";
import { CertwatchError } from "../errors.js";
import type { EventSource, Severity } from "../events.js";
import type { AuditContext } from "./auth-records.js";

/** The triage state of an alert: all null when nobody has touched it (or a check changed its status since). */
export interface AlertTriage {
  readonly acknowledgedAt: string | null;
  /** A user name, `<user>/<token id>` for an API token, or `system`. */
  readonly acknowledgedBy: string | null;
  /** Hidden from "untriaged" lists until then (RFC 3339); past snoozes are kept but no longer count. */
  readonly snoozedUntil: string | null;
  readonly snoozedBy: string | null;
  /** Who resolved it by hand; null when a check resolved it (or it is open). */
  readonly resolvedBy: string | null;
  /** The note of the last triage action. */
  readonly note: string | null;
}

export interface TriagedAlert {
  readonly alert: Alert;
  readonly triage: AlertTriage;
}

/**
 * A lifecycle change or a triage action. opened / reopened / resolved with a null actor are the checks' (with the
 * reconcile scope); with an actor they were done by hand.
 */
export type AlertHistoryKind = "opened" | "reopened" | "resolved" | "acknowledged" | "snoozed";

export interface AlertHistoryEntry {
  readonly id: number;
  /** RFC 3339 UTC. */
  readonly at: string;
  readonly kind: AlertHistoryKind;
  /** null for a check; else as in the audit log (`alice`, `alice/<token id>`, `system`). */
  readonly actor: string | null;
  readonly actorKind: "check" | "user" | "token" | "system";
  /** The reconcile scope of a check's change (`tls:www.contoso.com:443`); null for a person's. */
  readonly scope: string | null;
  readonly note: string | null;
  /** A snooze's end. */
  readonly until: string | null;
}

export type TriageAction = "acknowledge" | "snooze" | "resolve" | "reopen";

export interface TriageChange {
  readonly action: TriageAction;
  /** Why; at most MAX_NOTE characters. */
  readonly note: string | null;
  /** snooze only: until when (after ctx.at). */
  readonly until?: Date;
}

export const MAX_NOTE = 1000;

/** "untriaged": open, not acknowledged, not snoozed now. */
export type TriageFilter = "acknowledged" | "snoozed" | "untriaged";

/** A page of alerts, newest first by firstSeen (then id): a key that never changes, so paging sees each alert once. */
export interface AlertQuery {
  readonly status?: AlertStatus | "all";
  readonly eventId?: number;
  readonly severity?: Severity;
  readonly source?: EventSource;
  /** The subject or the endpoint's host is this name or under it (lower case). */
  readonly domain?: string;
  /** A substring (case-insensitive for ASCII) of the subject, name, key, details, endpoint or certificate. */
  readonly text?: string;
  readonly triage?: TriageFilter;
  /** Keyset cursor: alerts strictly after this one in the order. */
  readonly after?: { readonly firstSeen: string; readonly id: string };
  readonly limit: number;
  /** What "snoozed" is judged against. */
  readonly now: Date;
}

export type TriageErrorCode = "NOT_FOUND" | "ALERT_STATE";

/** A triage action refused: no such alert, or not in a state it applies to (resolving a resolved alert). */
export class TriageError extends CertwatchError {
  constructor(
    readonly code: TriageErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "TriageError";
  }
}

export interface TriageStore {
  listAlertPage(query: AlertQuery): Promise<TriagedAlert[]>;
  getTriagedAlert(id: string): Promise<TriagedAlert | undefined>;
  /** Newest first. */
  alertHistory(id: string, limit?: number): Promise<AlertHistoryEntry[]>;
  /**
   * Apply a triage action, its history entry and its audit entry in one transaction. NOT_FOUND, ALERT_STATE
   * (acknowledge or snooze a resolved alert, resolve a resolved one, reopen an open one).
   */
  triageAlert(id: string, change: TriageChange, ctx: AuditContext): Promise<TriagedAlert>;
}
