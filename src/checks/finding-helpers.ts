/**
 * @module checks/finding-helpers
 * Small constructors so every check builds keys and subjects the same way.
 */
import type { CertificateSummary } from "../domain/certificate.js";
import { endpointLabel, type Endpoint } from "../domain/endpoint.js";
import type { Finding } from "../domain/finding.js";
import type { EventName } from "../events.js";

export type KeyPart = "endpoint" | "cert" | "endpoint+cert";

export function endpointFinding(
  event: EventName,
  endpoint: Endpoint,
  keyBy: KeyPart,
  certificate: CertificateSummary | null,
  details: Record<string, unknown>,
): Finding {
  const ep = endpointLabel(endpoint);
  const sha = certificate?.sha256 ?? "none";
  const key = keyBy === "endpoint" ? ep : keyBy === "cert" ? sha : `${ep}/${sha}`;
  return { event, key, subject: endpoint.host, endpoint, certificate, details };
}
