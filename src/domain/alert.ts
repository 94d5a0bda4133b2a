/**
 * @module domain/alert
 * The alert object of SPEC §2 (CLI --json, REST API, webhooks) and its stable id.
 */
import { createHash } from "node:crypto";
import type { EventSource, Severity } from "../events.js";
import type { CertificateSummary } from "./certificate.js";
import type { Endpoint } from "./endpoint.js";

export type AlertStatus = "open" | "resolved";

export interface Alert {
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
  readonly status: AlertStatus;
  /** RFC 3339 UTC. */
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly resolvedAt: string | null;
}

/** Stable alert id: the same (eventId, key) always gives the same id, in every store. */
export function alertId(eventId: number, key: string): string {
  return createHash("sha256").update(`${eventId}\n${key}`).digest("hex").slice(0, 32);
}

/** RFC 3339 UTC with second precision, as every time in the alert object. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}
