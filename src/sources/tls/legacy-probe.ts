/**
 * @module sources/tls/legacy-probe
 * Whether an endpoint still completes a TLS 1.0 / 1.1 handshake: one extra connection offering only those.
 */
import type { LegacyProtocolProbe } from "./observation.js";
import * as tls from "node:tls";
import { secureContextFor, sniName } from "./tls-handshake.js";

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
 * One more connection limited to TLS 1.0/1.1: a plain socket straight into OpenSSL (no tap, no keylog —
 * only whether the handshake completes matters here). A refusal is the healthy answer, not an error;
 * a timeout or a connection that ends without a TLS answer is recorded in `error`.
 */
export function probeLegacyProtocols(p: LegacyProbeParams): Promise<LegacyProtocolProbe> {
  return new Promise((resolve) => {
    const started = Date.now();
    const options: tls.ConnectionOptions = {
      host: p.address,
      port: p.port,
      rejectUnauthorized: false,
      secureContext: secureContextFor({ minVersion: "TLSv1", maxVersion: "TLSv1.1", ca: p.ca }),
    };
    const sni = sniName(p.serverName);
    if (sni !== null) options.servername = sni;
    let connected = false;
    const socket = tls.connect(options, () => {
      const protocol = socket.getProtocol();
      finish(
        protocol === "TLSv1" || protocol === "TLSv1.1"
          ? { accepted: [protocol] }
          : {
              accepted: [],
              error: `legacy protocol probe negotiated unexpected protocol ${protocol ?? "none"}`,
            },
      );
    });
    const timer = setTimeout(() => {
      finish({
        accepted: [],
        error: connected
          ? `legacy protocol probe: no TLS 1.0/1.1 handshake within ${p.handshakeTimeoutMs} ms`
          : `legacy protocol probe: TCP connect timed out after ${p.connectTimeoutMs} ms`,
      });
    }, p.connectTimeoutMs + p.handshakeTimeoutMs);
    socket.once("connect", () => {
      connected = true;
      if (Date.now() - started > p.connectTimeoutMs)
        finish({ accepted: [], error: "legacy protocol probe: TCP connect too slow" });
    });
    socket.on("error", (e: NodeJS.ErrnoException) => {
      const code = e.code;
      if (code === "ERR_SSL_EXCESSIVE_MESSAGE_SIZE") {
        // The server answered the TLS 1.0/1.1-only hello with a ServerHello and went on to a certificate
        // chain larger than OpenSSL accepts: the protocol was accepted, whatever the client thinks of the chain.
        const protocol = socket.getProtocol();
        if (protocol === "TLSv1" || protocol === "TLSv1.1") {
          finish({ accepted: [protocol] });
          return;
        }
      }
      // OpenSSL refusing the protocol (or the server's alert) is the healthy answer.
      if (connected && code !== undefined && code.startsWith("ERR_SSL_")) finish({ accepted: [] });
      else
        finish({
          accepted: [],
          error: `legacy protocol probe: ${connected ? "the connection ended without a TLS answer" : "could not connect"} (${code ?? e.message})`,
        });
    });
    socket.once("close", () =>
      finish({
        accepted: [],
        error: "legacy protocol probe: the connection ended without a TLS answer (closed)",
      }),
    );
    let done = false;
    function finish(r: LegacyProtocolProbe): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    }
  });
}
