/**
 * @module store/contract-fixtures
 * Test data for the store contract: certificates with real SHA-256 of their (fake) DER, endpoints, runs.
 */
import { createHash } from "node:crypto";
import type { AlertDraft } from "../alerts/reconcile.js";
import { draftFromFinding } from "../alerts/reconcile.js";
import type { CertificateSummary } from "../domain/certificate.js";
import type { Endpoint } from "../domain/endpoint.js";
import type { Finding } from "../domain/finding.js";
import type { EventName, Severity } from "../events.js";
import type { CertificateRecord, ObservationRecord, RunRecord } from "./store.js";

export const T0 = new Date("2026-11-25T10:00:00Z");

/** T0 plus some minutes. */
export function at(minutes: number): Date {
  return new Date(T0.getTime() + minutes * 60_000);
}

export function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function certificate(
  label: string,
  dnsNames: readonly string[] = [`${label}.contoso.com`],
): CertificateRecord {
  const der = new Uint8Array(createHash("sha512").update(`der:${label}`).digest());
  const summary: CertificateSummary = {
    sha256: createHash("sha256").update(der).digest("hex"),
    serialNumber: createHash("md5").update(label).digest("hex"),
    subject: `CN=${dnsNames[0] ?? label}`,
    issuer: "CN=Contoso Test CA,O=Contoso",
    dnsNames,
    ipAddresses: [],
    notBefore: "2026-09-01T00:00:00Z",
    notAfter: "2026-12-30T00:00:00Z",
  };
  return { summary, der };
}

export function endpoint(host: string, address: string | null = "203.0.113.7", port = 443): Endpoint {
  return { host, port, address };
}

export function observation(ep: Endpoint, cert?: CertificateRecord): ObservationRecord {
  return cert === undefined
    ? { endpoint: ep, outcome: "unreachable", protocol: null, chain: [], details: { error: "ECONNREFUSED" } }
    : {
        endpoint: ep,
        outcome: "served",
        protocol: "TLSv1.3",
        chain: [cert.summary.sha256],
        details: { status: 200 },
      };
}

export interface DraftOptions {
  readonly subject?: string;
  readonly endpoint?: Endpoint | null;
  readonly certificate?: CertificateSummary | null;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly severity?: Severity;
}

export function draft(event: EventName, key: string, o: DraftOptions = {}): AlertDraft {
  const f: Finding = {
    event,
    key,
    subject: o.subject ?? key,
    endpoint: o.endpoint ?? null,
    certificate: o.certificate ?? null,
    details: o.details ?? {},
  };
  return draftFromFinding(f, o.severity === undefined ? {} : { [event]: o.severity });
}

export function run(
  scope: string,
  now: Date,
  findings: readonly AlertDraft[],
  extra: { certificates?: readonly CertificateRecord[]; observations?: readonly ObservationRecord[] } = {},
): RunRecord {
  return {
    scope,
    now,
    findings,
    certificates: extra.certificates ?? [],
    observations: extra.observations ?? [],
  };
}
