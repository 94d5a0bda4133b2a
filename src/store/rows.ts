/**
 * @module store/rows
 * Domain objects ⇄ table rows: JSON columns, '' for a missing address, catalogue text for alerts.
 */
import type { Insertable, Selectable } from "kysely";
import type { Alert, AlertStatus } from "../domain/alert.js";
import type { CertificateSummary } from "../domain/certificate.js";
import type { Endpoint } from "../domain/endpoint.js";
import type { EventSource } from "../events.js";
import { eventById, isSeverity } from "../events.js";
import type { CertificateRecord, ObservationRecord, StoredObservation } from "./store.js";
import type { AlertsTable, CertificatesTable, ObservationsTable } from "./schema.js";

const SOURCES: readonly string[] = ["ct", "tls", "dns"] satisfies EventSource[];
const STATUSES: readonly string[] = ["open", "resolved"] satisfies AlertStatus[];

/** Certificate columns without the DER, for summaries. */
export const SUMMARY_COLUMNS = [
  "sha256",
  "serial",
  "subject",
  "issuer",
  "not_before",
  "not_after",
  "dns_names",
  "ip_addresses",
] as const;

type SummaryRow = Pick<Selectable<CertificatesTable>, (typeof SUMMARY_COLUMNS)[number]>;

function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`stored ${what} is not valid JSON`, { cause: e });
  }
}

function checked<T extends string>(value: string, allowed: readonly string[], what: string): T {
  if (!allowed.includes(value)) throw new Error(`stored ${what} ${JSON.stringify(value)} is not recognised`);
  return value as T;
}

export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Drivers return Buffer (or a subclass); callers get a plain Uint8Array. */
export function toBytes(value: Uint8Array): Uint8Array {
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

export function certificateRow(c: CertificateRecord, now: string): Insertable<CertificatesTable> {
  const s = c.summary;
  return {
    sha256: s.sha256,
    der: toBuffer(c.der),
    serial: s.serialNumber,
    subject: s.subject,
    issuer: s.issuer,
    not_before: s.notBefore,
    not_after: s.notAfter,
    dns_names: JSON.stringify(s.dnsNames),
    ip_addresses: JSON.stringify(s.ipAddresses),
    first_seen: now,
    identity: c.identity ?? null,
    precertificate: c.precertificate === true ? 1 : 0,
  };
}

export function certificateFromRow(r: SummaryRow): CertificateSummary {
  return {
    sha256: r.sha256,
    serialNumber: r.serial,
    subject: r.subject,
    issuer: r.issuer,
    dnsNames: parseJson<string[]>(r.dns_names, "certificate dns_names"),
    ipAddresses: parseJson<string[]>(r.ip_addresses, "certificate ip_addresses"),
    notBefore: r.not_before,
    notAfter: r.not_after,
  };
}

/** How a DNS name is indexed and looked up: lower case, no trailing dot. */
export function normalizeName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, "");
}

/** The distinct names under which a certificate is found by certificatesForName. */
export function certificateNames(s: CertificateSummary): string[] {
  return [...new Set(s.dnsNames.map(normalizeName).filter((n) => n !== ""))].sort();
}

export function observationRow(o: ObservationRecord, now: string): Insertable<ObservationsTable> {
  return {
    host: o.endpoint.host,
    port: o.endpoint.port,
    address: o.endpoint.address ?? "",
    observed_at: now,
    outcome: o.outcome,
    protocol: o.protocol,
    chain: JSON.stringify(o.chain),
    details: JSON.stringify(o.details),
  };
}

export function observationFromRow(r: Selectable<ObservationsTable>): StoredObservation {
  return {
    endpoint: { host: r.host, port: Number(r.port), address: r.address === "" ? null : r.address },
    outcome: r.outcome,
    protocol: r.protocol,
    chain: parseJson<string[]>(r.chain, "observation chain"),
    details: parseJson<Record<string, unknown>>(r.details, "observation details"),
    observedAt: r.observed_at,
  };
}

export function alertRow(a: Alert, scope: string): Insertable<AlertsTable> {
  return {
    id: a.id,
    event_id: a.eventId,
    name: a.name,
    key: a.key,
    severity: a.severity,
    source: a.source,
    subject: a.subject,
    endpoint: a.endpoint === null ? null : JSON.stringify(a.endpoint),
    certificate: a.certificate === null ? null : JSON.stringify(a.certificate),
    details: JSON.stringify(a.details),
    status: a.status,
    first_seen: a.firstSeen,
    last_seen: a.lastSeen,
    resolved_at: a.resolvedAt,
    last_scope: scope,
  };
}

/** Summary and remediation come from the catalogue, so improved texts reach stored alerts too. */
export function alertFromRow(r: Selectable<AlertsTable>): Alert {
  const ev = eventById(Number(r.event_id));
  if (!isSeverity(r.severity))
    throw new Error(`stored severity ${JSON.stringify(r.severity)} is not recognised`);
  return {
    id: r.id,
    eventId: Number(r.event_id),
    name: r.name,
    severity: r.severity,
    source: checked<EventSource>(r.source, SOURCES, "source"),
    summary: ev?.summary ?? r.name,
    remediation: ev?.remediation ?? "",
    subject: r.subject,
    key: r.key,
    endpoint: r.endpoint === null ? null : parseJson<Endpoint>(r.endpoint, "alert endpoint"),
    certificate:
      r.certificate === null ? null : parseJson<CertificateSummary>(r.certificate, "alert certificate"),
    details: parseJson<Record<string, unknown>>(r.details, "alert details"),
    status: checked<AlertStatus>(r.status, STATUSES, "status"),
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    resolvedAt: r.resolved_at,
  };
}
