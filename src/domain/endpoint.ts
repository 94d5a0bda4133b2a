/**
 * @module domain/endpoint
 * An endpoint is host:port at one IP address; a configured target is host:port at every address.
 */

export interface Endpoint {
  readonly host: string;
  readonly port: number;
  /** The IP address connected to; null when the name did not resolve. */
  readonly address: string | null;
}

/** What the configuration names: one host and port, with optional pinned addresses. */
export interface Target {
  readonly host: string;
  readonly port: number;
  /** Pinned addresses; when present DNS is not consulted. */
  readonly addresses?: readonly string[];
  /** Server name sent in the TLS handshake (defaults to host; IP hosts send none). */
  readonly serverName?: string;
  /** How often the daemon scans it, in minutes (default schedule.scanIntervalMinutes). */
  readonly scanIntervalMinutes?: number;
}

export function endpointLabel(e: Endpoint): string {
  const addr = e.address === null ? "" : e.address.includes(":") ? `[${e.address}]` : e.address;
  return addr === "" ? `${e.host}:${e.port}` : `${e.host}:${e.port}@${addr}`;
}

/** The reconcile scope of everything found about one configured target. */
export function targetScope(t: { host: string; port: number }): string {
  return `tls:${t.host.toLowerCase()}:${t.port}`;
}
