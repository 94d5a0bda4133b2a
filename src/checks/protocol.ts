/**
 * @module checks/protocol
 * 101 legacy-tls-protocol: the endpoint completes a TLS 1.0 or 1.1 handshake.
 */
import type { Endpoint } from "../domain/endpoint.js";
import type { Finding } from "../domain/finding.js";
import type { LegacyProtocolProbe } from "../sources/tls/observation.js";
import { endpointFinding } from "./finding-helpers.js";

export function legacyProtocolFindings(
  endpoint: Endpoint,
  legacy: LegacyProtocolProbe,
  negotiated: string,
): Finding[] {
  const accepted = new Set<string>(legacy.accepted);
  if (negotiated === "TLSv1" || negotiated === "TLSv1.1") accepted.add(negotiated);
  if (accepted.size === 0) return [];
  const protocols = [...accepted].sort().map((p) => (p === "TLSv1" ? "TLS 1.0" : "TLS 1.1"));
  return [
    endpointFinding("legacy-tls-protocol", endpoint, "endpoint", null, {
      protocols,
      bestProtocol: negotiated,
    }),
  ];
}
