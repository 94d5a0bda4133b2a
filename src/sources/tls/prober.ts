/**
 * @module sources/tls/prober
 * Probes one endpoint (TCP, TLS chain as sent, staple, HSTS, legacy protocols); failures become observations.
 */
import { performance } from "node:perf_hooks";
import type { TLSSocket } from "node:tls";
import type { Endpoint } from "../../domain/endpoint.js";
import { captureChain, placeholderTrustAnchor } from "./chain-capture.js";
import { classifyHandshakeFailure, opensslReason } from "./classify-error.js";
import { hostHeader, probeHttp } from "./http-probe.js";
import { legacyFromNegotiated, probeLegacyProtocols } from "./legacy-probe.js";
import type { ChainTooLarge, HttpProbe, LegacyProtocolProbe, TlsObservation } from "./observation.js";
import { connectTcp } from "./tcp-connect.js";
import {
  handshake,
  OPENSSL_MAX_CERT_LIST,
  OVERSIZED_RETAIN_BYTES,
  type OversizedFlight,
} from "./tls-handshake.js";
import { readCertificateMessage, serverHelloOf } from "./wire-chain.js";

export interface ProbeOptions {
  connectTimeoutMs: number;
  handshakeTimeoutMs: number;
  httpTimeoutMs: number;
  maxResponseHeaderBytes: number;
  /** Also check whether TLS 1.0 / 1.1 is accepted (may cost one more connection). */
  legacyProtocols: boolean;
  /** Send one GET / to read Strict-Transport-Security. */
  hsts: boolean;
}

export const DEFAULT_PROBE_OPTIONS: Readonly<ProbeOptions> = {
  connectTimeoutMs: 5_000,
  handshakeTimeoutMs: 10_000,
  httpTimeoutMs: 10_000,
  maxResponseHeaderBytes: 64 * 1024,
  legacyProtocols: true,
  hsts: true,
};

/** Deadlines and caps are clamped to sane bounds so that a bad option cannot disable them. */
function bounded(n: number, fallback: number, max: number): number {
  return Number.isFinite(n) && n > 0 ? Math.min(Math.floor(n), max) : fallback;
}

function normalise(o: ProbeOptions): ProbeOptions {
  const d = DEFAULT_PROBE_OPTIONS;
  return {
    connectTimeoutMs: bounded(o.connectTimeoutMs, d.connectTimeoutMs, 300_000),
    handshakeTimeoutMs: bounded(o.handshakeTimeoutMs, d.handshakeTimeoutMs, 300_000),
    httpTimeoutMs: bounded(o.httpTimeoutMs, d.httpTimeoutMs, 300_000),
    maxResponseHeaderBytes: bounded(o.maxResponseHeaderBytes, d.maxResponseHeaderBytes, 16 * 1024 * 1024),
    legacyProtocols: o.legacyProtocols,
    hsts: o.hsts,
  };
}

/**
 * Probes `endpoint` (its address must be set) sending `serverName` as SNI (none for null or an IP).
 * Never throws: every failure is an observation.
 */
export async function probeEndpoint(
  endpoint: Endpoint,
  serverName: string | null,
  options: ProbeOptions,
): Promise<TlsObservation> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  try {
    return await probe(endpoint, serverName, normalise(options), elapsed);
  } catch (e) {
    return {
      kind: "no-certificate",
      endpoint,
      reason: "handshake-failed",
      error: `probe failed unexpectedly: ${e instanceof Error ? e.message : String(e)}`,
      durationMs: elapsed(),
    };
  }
}

async function probe(
  endpoint: Endpoint,
  serverName: string | null,
  o: ProbeOptions,
  elapsed: () => number,
): Promise<TlsObservation> {
  const address = endpoint.address;
  if (address === null) {
    return {
      kind: "unreachable",
      endpoint,
      reason: "dns",
      error: "no address to connect to",
      durationMs: elapsed(),
    };
  }
  const ca = await placeholderTrustAnchor();
  const tcp = await connectTcp(address, endpoint.port, o.connectTimeoutMs);
  if (!tcp.ok)
    return { kind: "unreachable", endpoint, reason: tcp.reason, error: tcp.error, durationMs: elapsed() };

  const hs = await handshake({
    socket: tcp.socket,
    serverName,
    timeoutMs: o.handshakeTimeoutMs,
    minVersion: "TLSv1",
    maxVersion: "TLSv1.3",
    ca,
    requestOcsp: true,
  });
  if (!hs.ok && hs.oversized) {
    return oversized(endpoint, serverName, hs.oversized, hs.error?.message ?? "", elapsed, (protocol) =>
      legacyCheck(o, protocol, address, endpoint.port, serverName, ca),
    );
  }
  if (!hs.ok) {
    const c = classifyHandshakeFailure({ ...hs, timeoutMs: o.handshakeTimeoutMs });
    return c.kind === "unreachable"
      ? { kind: "unreachable", endpoint, reason: c.reason, error: c.error, durationMs: elapsed() }
      : { kind: "no-certificate", endpoint, reason: c.reason, error: c.error, durationMs: elapsed() };
  }

  const secure = hs.socket;
  try {
    const protocol = secure.getProtocol() ?? "unknown";
    const cipher = secure.getCipher();
    const cipherName = cipher.standardName || cipher.name;
    const wire = hs.serverFlight
      ? {
          serverBytes: hs.serverFlight,
          protocol,
          cipher: cipherName,
          serverHandshakeSecret: hs.serverHandshakeSecret,
        }
      : null;
    const chain = captureChain(secure, wire);
    if (chain.length === 0) {
      return {
        kind: "no-certificate",
        endpoint,
        reason: "handshake-failed",
        error: "the TLS handshake completed without a server certificate (anonymous or PSK cipher suite)",
        durationMs: elapsed(),
      };
    }
    // The legacy check needs its own connection; run it while the HTTP request is in flight.
    const legacy = legacyCheck(o, protocol, address, endpoint.port, serverName, ca);
    const http = await httpCheck(o, secure, serverName ?? endpoint.host, endpoint.port);
    secure.destroy(); // now, not after the legacy check

    return {
      kind: "served",
      endpoint,
      serverName,
      protocol,
      cipher: cipherName,
      chain,
      ocspStaple: hs.ocspStaple,
      http,
      legacy: await legacy,
      durationMs: elapsed(),
    };
  } finally {
    secure.destroy();
  }
}

function httpCheck(o: ProbeOptions, secure: TLSSocket, host: string, port: number): Promise<HttpProbe> {
  if (!o.hsts) return Promise.resolve({ kind: "skipped" });
  return probeHttp(secure, {
    host: hostHeader(host, port),
    timeoutMs: o.httpTimeoutMs,
    maxHeaderBytes: o.maxResponseHeaderBytes,
  });
}

async function legacyCheck(
  o: ProbeOptions,
  protocol: string,
  address: string,
  port: number,
  serverName: string | null,
  ca: string,
): Promise<LegacyProtocolProbe> {
  if (!o.legacyProtocols) return { accepted: [], skipped: true };
  const known = legacyFromNegotiated(protocol);
  if (known) return known;
  try {
    return await probeLegacyProtocols({
      address,
      port,
      serverName,
      connectTimeoutMs: o.connectTimeoutMs,
      handshakeTimeoutMs: o.handshakeTimeoutMs,
      ca,
    });
  } catch (e) {
    return {
      accepted: [],
      error: `legacy protocol probe failed: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
}

/**
 * The server's Certificate message is above what OpenSSL accepts (browsers take it): its chain read off
 * the wire (TLS 1.2 sends it in clear, TLS 1.3 is decrypted with the logged handshake secret) is checked
 * like any other; HSTS cannot be, since no OpenSSL client completes the handshake. When the chain cannot
 * be read either, the reason is still the size, never "no certificate".
 */
async function oversized(
  endpoint: Endpoint,
  serverName: string | null,
  flight: OversizedFlight,
  error: string,
  elapsed: () => number,
  legacy: (protocol: string) => Promise<LegacyProtocolProbe>,
): Promise<TlsObservation> {
  const hello = serverHelloOf(flight.serverBytes);
  const read = hello
    ? readCertificateMessage({
        serverBytes: flight.serverBytes,
        protocol: hello.protocol,
        cipher: hello.cipher,
        serverHandshakeSecret: flight.serverHandshakeSecret,
      })
    : ({ kind: "unreadable" } as const);
  const chainTooLarge: ChainTooLarge = {
    certificateMessageBytes: read.kind === "unreadable" ? null : read.messageBytes,
    clientLimitBytes: OPENSSL_MAX_CERT_LIST,
    protocol: hello?.protocol ?? null,
    error: `TLS handshake failed: ${opensslReason(error || "excessive message size")}`,
  };
  const size =
    chainTooLarge.certificateMessageBytes === null ? "" : ` (${chainTooLarge.certificateMessageBytes} bytes)`;
  const tooLarge = `the server's certificate chain${size} is larger than OpenSSL-based TLS clients accept (${OPENSSL_MAX_CERT_LIST} bytes)`;
  if (hello === null || read.kind !== "chain" || read.chain.length === 0) {
    const why = flight.overflowed
      ? `it is larger than the ${OVERSIZED_RETAIN_BYTES} bytes certwatch reads`
      : read.kind === "incomplete"
        ? "the server did not send all of it in time"
        : "its Certificate message could not be read off the wire";
    return {
      kind: "no-certificate",
      endpoint,
      reason: "chain-too-large",
      error: `${tooLarge}; its certificates could not be read either: ${why}`,
      chainTooLarge,
      durationMs: elapsed(),
    };
  }
  const legacyProtocols = await legacy(hello.protocol);
  return {
    kind: "served",
    endpoint,
    serverName,
    protocol: hello.protocol,
    cipher: hello.cipher,
    chain: read.chain,
    ocspStaple: null,
    http: { kind: "error", error: `not checked: ${tooLarge}, so no HTTPS request can be sent` },
    legacy: legacyProtocols,
    chainTooLarge,
    durationMs: elapsed(),
  };
}
