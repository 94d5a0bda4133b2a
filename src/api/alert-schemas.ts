/**
 * @module api/alert-schemas
 * The alert object of SPEC §2 as the API serves it (the same fields as `certwatch alerts --json`), with its triage
 * state, its history, and the filters of the alert list and CSV export. Outside text (subjects, CT names, server
 * errors) is returned as is, JSON-escaped: the dashboard escapes it when it shows it.
 */
import { z } from "@hono/zod-openapi";
import { alertJson } from "../cli/alert-output.js";
import { SEVERITIES } from "../events.js";
import type { AlertHistoryEntry, TriagedAlert } from "../store/triage-records.js";

export const AlertId = z.object({
  id: z
    .string()
    .regex(/^[0-9a-f]{32}$/, "must be an alert id (32 hex digits)")
    .openapi({ param: { name: "id", in: "path" }, example: "3f1c9a0e5b7d4c2a8e6f0b1d2c3e4f5a" }),
});

const Endpoint = z
  .object({ host: z.string(), port: z.number().int(), address: z.string().nullable() })
  .openapi("Endpoint");

export const CertificateSummary = z
  .object({
    sha256: z.string(),
    serialNumber: z.string(),
    subject: z.string(),
    issuer: z.string(),
    dnsNames: z.array(z.string()),
    ipAddresses: z.array(z.string()),
    notBefore: z.string(),
    notAfter: z.string(),
  })
  .openapi("CertificateSummary");

const Triage = z
  .object({
    acknowledgedAt: z.string().nullable(),
    acknowledgedBy: z.string().nullable(),
    snoozedUntil: z.string().nullable(),
    snoozedBy: z.string().nullable(),
    resolvedBy: z
      .string()
      .nullable()
      .openapi({ description: "Who resolved it by hand (null: a check did)." }),
    note: z.string().nullable().openapi({ description: "The note of the last triage action." }),
  })
  .openapi("Triage");

export const Alert = z
  .object({
    id: z.string(),
    eventId: z.number().int(),
    name: z.string().openapi({ example: "hsts-missing" }),
    severity: z.enum(SEVERITIES),
    source: z.enum(["ct", "tls", "dns"]),
    summary: z.string(),
    remediation: z.string(),
    subject: z.string().openapi({ example: "www.contoso.com" }),
    key: z.string(),
    endpoint: Endpoint.nullable(),
    certificate: CertificateSummary.nullable(),
    details: z.record(z.string(), z.unknown()),
    status: z.enum(["open", "resolved"]),
    firstSeen: z.string(),
    lastSeen: z.string(),
    resolvedAt: z.string().nullable(),
    triage: Triage,
  })
  .openapi("Alert");

export const HistoryEntry = z
  .object({
    at: z.string(),
    kind: z.enum(["opened", "reopened", "resolved", "acknowledged", "snoozed"]),
    actor: z.string().nullable().openapi({ description: "null: a check (see scope)." }),
    actorKind: z.enum(["check", "user", "token", "system"]),
    scope: z.string().nullable(),
    note: z.string().nullable(),
    until: z.string().nullable(),
  })
  .openapi("AlertHistoryEntry");

export const AlertDetail = Alert.extend({
  history: z.array(HistoryEntry).openapi({ description: "Newest first (at most 100)." }),
}).openapi("AlertDetail");

export type AlertBody = z.infer<typeof Alert>;

export function alertBody(t: TriagedAlert): AlertBody {
  return { ...(alertJson(t.alert) as Omit<AlertBody, "triage">), triage: { ...t.triage } };
}

export function historyBody(h: AlertHistoryEntry): z.infer<typeof HistoryEntry> {
  return {
    at: h.at,
    kind: h.kind,
    actor: h.actor,
    actorKind: h.actorKind,
    scope: h.scope,
    note: h.note,
    until: h.until,
  };
}

/** The filters the list and the CSV export share. */
export const AlertFilters = z.object({
  status: z.enum(["open", "resolved", "all"]).default("open"),
  eventId: z.coerce.number().int().min(1).max(9999).optional(),
  severity: z.enum(SEVERITIES).optional(),
  source: z.enum(["ct", "tls", "dns"]).optional(),
  domain: z.string().min(1).max(253).optional().openapi({
    description: "The subject or the endpoint's host is this name or under it.",
    example: "contoso.com",
  }),
  text: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .openapi({ description: "A substring of the subject, name, key, details, endpoint or certificate." }),
  triage: z
    .enum(["acknowledged", "snoozed", "untriaged"])
    .optional()
    .openapi({ description: "untriaged: open, not acknowledged, not snoozed now." }),
});

export const AlertListQuery = AlertFilters.extend({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(200).optional().openapi({ description: "The previous page's nextCursor (opaque)." }),
});

export const AlertPage = z
  .object({
    items: z.array(Alert),
    nextCursor: z.string().nullable().openapi({ description: "null on the last page." }),
  })
  .openapi("AlertPage");

const note = z.string().max(1000).optional().openapi({ description: "Why (kept in the alert's history)." });

export const TriageNote = z.object({ note }).openapi("TriageNote");

export const SnoozeRequest = z
  .object({
    note,
    until: z.iso.datetime({ offset: true }).optional().openapi({ example: "2026-12-01T08:00:00Z" }),
    minutes: z.number().int().min(1).max(525_600).optional(),
  })
  .refine((b) => (b.until === undefined) !== (b.minutes === undefined), {
    message: "give either until or minutes",
  })
  .openapi("SnoozeRequest");
