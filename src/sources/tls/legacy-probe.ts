/**
 * @module sources/tls/legacy-probe
 * Whether an endpoint still completes a TLS 1.0 / 1.1 handshake: one extra connection offering only those.
 */
import type { LegacyProtocolProbe } from "./observation.js";
import { connectTcp } from "./tcp-connect.js";
import { handshake } from "./tls-handshake.js";

export interface LegacyProbeParams {
  readonly address: string;
  readonly port: number;
  readonly serverName: string | null;
  readonly connectTimeoutMs: number;
  readonly handshakeTimeoutMs: number;
  /** Placeholder trust anchor PEM (see chain-capture). */
  readonly ca: string;
}

/** What the main handshake already proves: a negotiated TLS 1.0 / 1.1 needs no second connection. */
export function legacyFromNegotiated(protocol: string): LegacyProtocolProbe | null {
  return protocol === "TLSv1" || protocol === "TLSv1.1" ? { accepted: [protocol] } : null;
}

/**
 * Offers only TLS 1.0–1.1. A refusal (alert, handshake error) is the healthy answer, not an error; a
 * timeout, a reset or a failed connect leaves the question open and is reported in `error`.
 */
export async function probeLegacyProtocols(p: LegacyProbeParams): Promise<LegacyProtocolProbe> {
  const tcp = await connectTcp(p.address, p.port, p.connectTimeoutMs);
  if (!tcp.ok) return { accepted: [], error: `legacy protocol probe: ${tcp.error}` };
  const r = await handshake({
    socket: tcp.socket,
    serverName: p.serverName,
    timeoutMs: p.handshakeTimeoutMs,
    minVersion: "TLSv1",
    maxVersion: "TLSv1.1",
    ca: p.ca,
    requestOcsp: false,
  });
  if (r.ok) {
    const protocol = r.socket.getProtocol();
    r.socket.destroy();
    if (protocol === "TLSv1" || protocol === "TLSv1.1") return { accepted: [protocol] };
    return {
      accepted: [],
      error: `legacy protocol probe negotiated unexpected protocol ${protocol ?? "none"}`,
    };
  }
  if (r.timedOut) {
    return {
      accepted: [],
      error: `legacy protocol probe: no TLS 1.0/1.1 handshake within ${p.handshakeTimeoutMs} ms`,
    };
  }
  const code = r.error?.code;
  if (code !== undefined && code.startsWith("ERR_SSL_")) return { accepted: [] };
  return {
    accepted: [],
    error: `legacy protocol probe: the connection ended without a TLS answer (${code ?? r.error?.message ?? "closed"})`,
  };
}
