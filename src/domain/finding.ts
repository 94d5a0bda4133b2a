/**
 * @module domain/finding
 * What a pure check returns: one event raised for one key, with the evidence in `details`.
 */
import type { EventName } from "../events.js";
import type { CertificateSummary } from "./certificate.js";
import type { Endpoint } from "./endpoint.js";

export interface Finding {
  readonly event: EventName;
  /** Identifies "the same problem" for de-duplication (SPEC §1 key column). */
  readonly key: string;
  /** What the alert is about, for humans: a host, a domain, a CRL URL. */
  readonly subject: string;
  readonly endpoint: Endpoint | null;
  readonly certificate: CertificateSummary | null;
  readonly details: Readonly<Record<string, unknown>>;
}
