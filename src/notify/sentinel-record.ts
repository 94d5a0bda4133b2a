/**
 * @module notify/sentinel-record
 * The flat Microsoft Sentinel record of one notification, and its two wire shapes: the Data Collector API's
 * (plain names, Azure appends the type suffix) and the Logs Ingestion API's (the suffixed column names themselves).
 */
import { terminalSafeJson } from "../util/terminal-safe.js";
import type { Notification } from "./notification.js";

/** A column's type as a DCR stream / custom table declares it. */
export type SentinelColumnType = "string" | "real" | "datetime";

export interface SentinelField {
  /** The record's field name (what the Data Collector API receives). */
  readonly name: string;
  readonly type: SentinelColumnType;
  /**
   * The Log Analytics column: `<name>_d` for a number, `_t` for a date-time, `_s` for a string, exactly what the
   * Data Collector API creates from the JSON type, so that one KQL query (`VulnerabilityID_d == 18`, the commercial
   * product's rules) works on a table fed by either API.
   */
  readonly column: string;
}

const SUFFIX: Readonly<Record<SentinelColumnType, string>> = { string: "_s", real: "_d", datetime: "_t" };

const field = (name: string, type: SentinelColumnType): SentinelField => ({
  name,
  type,
  column: `${name}${SUFFIX[type]}`,
});

/**
 * When the notification was made. The Data Collector API silently ignores a payload field named TimeGenerated
 * (a reserved name), so the time travels as NotifiedAt and `time-generated-field: NotifiedAt` copies it into
 * TimeGenerated; the Logs Ingestion record sets TimeGenerated itself and carries NotifiedAt_t as well.
 */
export const TIME_FIELD = "NotifiedAt";

/** Every field, in record order. A null value is left out of the record (Azure stores an empty cell). */
export const SENTINEL_FIELDS: readonly SentinelField[] = [
  field(TIME_FIELD, "datetime"),
  field("VulnerabilityID", "real"),
  field("EventName", "string"),
  field("Severity", "string"),
  field("Source", "string"),
  field("Summary", "string"),
  field("Remediation", "string"),
  field("Subject", "string"),
  field("AlertId", "string"),
  field("NotificationId", "string"),
  field("Notification", "string"),
  field("Status", "string"),
  field("Host", "string"),
  field("Port", "real"),
  field("Address", "string"),
  field("CertificateSha256", "string"),
  field("CertificateSubject", "string"),
  field("CertificateIssuer", "string"),
  field("CertificateSerial", "string"),
  field("CertificateNotAfter", "datetime"),
  field("DnsNames", "string"),
  field("FirstSeen", "datetime"),
  field("LastSeen", "datetime"),
  field("ResolvedAt", "datetime"),
  field("Details", "string"),
  field("DashboardUrl", "string"),
];

/** The record of one notification: field name → value (null: absent). */
export type SentinelRecord = Readonly<Record<string, string | number | null>>;

/** The flat record of one notification; `publicUrl` adds the dashboard link. */
export function sentinelRecord(n: Notification, publicUrl?: string): SentinelRecord {
  const a = n.alert;
  const e = a.endpoint;
  const c = a.certificate;
  return {
    [TIME_FIELD]: n.createdAt,
    VulnerabilityID: a.eventId,
    EventName: a.name,
    Severity: a.severity,
    Source: a.source,
    Summary: a.summary,
    Remediation: a.remediation,
    Subject: a.subject,
    AlertId: a.id,
    NotificationId: n.id,
    Notification: n.kind,
    Status: a.status,
    Host: e?.host ?? null,
    Port: e?.port ?? null,
    Address: e?.address ?? null,
    CertificateSha256: c?.sha256 ?? null,
    CertificateSubject: c?.subject ?? null,
    CertificateIssuer: c?.issuer ?? null,
    CertificateSerial: c?.serialNumber ?? null,
    CertificateNotAfter: c?.notAfter ?? null,
    // DNS names hold no comma: split(DnsNames_s, ",") gives them back in KQL.
    DnsNames: c ? c.dnsNames.join(",") : null,
    FirstSeen: a.firstSeen,
    LastSeen: a.lastSeen,
    ResolvedAt: a.resolvedAt,
    Details: JSON.stringify(a.details),
    DashboardUrl:
      publicUrl !== undefined ? `${publicUrl.replace(/\/+$/, "")}/alerts/${encodeURIComponent(a.id)}` : null,
  };
}

/** The Data Collector API record: plain field names (Azure derives `<name>_d`, `_s`, `_t`), nulls left out. */
export function dataCollectorRecord(r: SentinelRecord): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const f of SENTINEL_FIELDS) {
    const v = r[f.name];
    if (v !== null && v !== undefined) out[f.name] = v;
  }
  return out;
}

/**
 * The Logs Ingestion API record: TimeGenerated and the suffixed column names, so the DCR's stream declaration
 * is the table's own schema and its transformKql is just `source`; nulls left out.
 */
export function logsIngestionRecord(r: SentinelRecord): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  const at = r[TIME_FIELD];
  if (typeof at === "string") out.TimeGenerated = at;
  for (const f of SENTINEL_FIELDS) {
    const v = r[f.name];
    if (v !== null && v !== undefined) out[f.column] = v;
  }
  return out;
}

/** The Logs Ingestion stream / custom table columns (TimeGenerated first), as the DCR declares them. */
export function logsIngestionColumns(): { name: string; type: SentinelColumnType }[] {
  return [
    { name: "TimeGenerated", type: "datetime" },
    ...SENTINEL_FIELDS.map((f) => ({ name: f.column, type: f.type })),
  ];
}

const OPEN = Buffer.from("[");
const COMMA = Buffer.from(",");
const CLOSE = Buffer.from("]");

/** A JSON array of records, as sent: its bytes and the notifications it carries. */
export interface RecordChunk {
  readonly body: Buffer;
  readonly notifications: readonly Notification[];
}

/**
 * The records packed, in order, into as few JSON arrays of at most `maxBytes` (UTF-8) as possible. A record that
 * cannot fit even alone is returned as `tooLarge` (nothing is packed then: the batch is refused as a whole).
 */
export function packRecords(
  batch: readonly Notification[],
  render: (n: Notification) => Record<string, string | number>,
  maxBytes: number,
): { readonly chunks: RecordChunk[] } | { readonly tooLarge: Notification; readonly bytes: number } {
  const chunks: RecordChunk[] = [];
  let parts: Buffer[] = [];
  let members: Notification[] = [];
  let size = 2; // "[" and "]"
  const flush = (): void => {
    if (parts.length === 0) return;
    const pieces: Buffer[] = [OPEN];
    parts.forEach((p, i) => pieces.push(...(i > 0 ? [COMMA, p] : [p])));
    pieces.push(CLOSE);
    chunks.push({ body: Buffer.concat(pieces, size), notifications: members });
    parts = [];
    members = [];
    size = 2;
  };
  for (const n of batch) {
    const json = Buffer.from(terminalSafeJson(render(n)), "utf8");
    if (json.length + 2 > maxBytes) return { tooLarge: n, bytes: json.length + 2 };
    const extra = json.length + (parts.length > 0 ? 1 : 0);
    if (size + extra > maxBytes) flush();
    size += json.length + (parts.length > 0 ? 1 : 0);
    parts.push(json);
    members.push(n);
  }
  flush();
  return { chunks };
}
