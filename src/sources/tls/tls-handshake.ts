/**
 * @module sources/tls/tls-handshake
 * One client TLS handshake with a deadline that accepts any certificate, TLS 1.0–1.3 and any cipher.
 */
import * as net from "node:net";
import * as tls from "node:tls";
import { FirstBytesTap } from "./first-bytes-tap.js";
import { readCertificateMessage, serverHandshakeSecretFromKeylog, serverHelloOf } from "./wire-chain.js";

/** SECLEVEL=0 lets OpenSSL 3 complete TLS 1.0/1.1 and accept RSA-1024 / SHA-1 certificates. */
export const PERMISSIVE_CIPHERS = "DEFAULT:@SECLEVEL=0";

export interface HandshakeParams {
  readonly socket: net.Socket;
  /** SNI; null sends none. */
  readonly serverName: string | null;
  readonly timeoutMs: number;
  readonly minVersion: tls.SecureVersion;
  readonly maxVersion: tls.SecureVersion;
  /** PEM of the only CA the client trusts (a placeholder: see chain-capture). */
  readonly ca: string;
  readonly requestOcsp: boolean;
}

export type HandshakeResult =
  | {
      readonly ok: true;
      readonly socket: tls.TLSSocket;
      readonly ocspStaple: Uint8Array | null;
      /** Every byte the server sent during the handshake; null when it exceeded the retention cap. */
      readonly serverFlight: Buffer | null;
      /** TLS 1.3 SERVER_HANDSHAKE_TRAFFIC_SECRET, to read the encrypted Certificate message. */
      readonly serverHandshakeSecret: Buffer | null;
    }
  | {
      readonly ok: false;
      readonly timedOut: boolean;
      readonly error: { readonly code?: string | undefined; readonly message: string } | null;
      readonly firstBytes: Uint8Array;
      readonly bytesReceived: number;
      /** Set when OpenSSL refused the server's Certificate message as too large (see `OversizedFlight`). */
      readonly oversized?: OversizedFlight;
    };

/**
 * OpenSSL's client refuses a Certificate message above its max_cert_list (100 KiB by default, and Node
 * cannot raise it): "excessive message size". Browsers accept larger ones, so the server does serve a
 * certificate; the rest of its flight is read off the raw socket (bounded) to recover the chain.
 */
export interface OversizedFlight {
  /** Every byte the server sent up to the end of its Certificate message (or the cap or the deadline). */
  readonly serverBytes: Buffer;
  /** The server sent more than `OVERSIZED_RETAIN_BYTES` before its Certificate message was whole. */
  readonly overflowed: boolean;
  /** TLS 1.3 SERVER_HANDSHAKE_TRAFFIC_SECRET (the Certificate message is encrypted), when logged. */
  readonly serverHandshakeSecret: Buffer | null;
}

/** OpenSSL's default limit on the Certificate message (SSL_MAX_CERT_LIST_DEFAULT, 100 KiB). */
export const OPENSSL_MAX_CERT_LIST = 100 * 1024;

/** How much of an oversized flight is read to recover its chain (a Certificate message may be 16 MiB). */
export const OVERSIZED_RETAIN_BYTES = 1024 * 1024;

const contexts = new Map<string, tls.SecureContext>();

/**
 * One client context per (protocol range, CA): building one parses the CA and sets up OpenSSL's
 * store, which costs more than the handshake itself when done per connection.
 */
export function secureContextFor(
  p: Pick<HandshakeParams, "minVersion" | "maxVersion" | "ca">,
): tls.SecureContext {
  const key = `${p.minVersion}/${p.maxVersion}/${p.ca}`;
  let ctx = contexts.get(key);
  if (!ctx) {
    ctx = tls.createSecureContext({
      ca: [p.ca],
      minVersion: p.minVersion,
      maxVersion: p.maxVersion,
      ciphers: PERMISSIVE_CIPHERS,
    });
    contexts.set(key, ctx);
  }
  return ctx;
}

/** The name to send in SNI: host names only (RFC 6066: no IP literals, no trailing dot). */
export function sniName(serverName: string | null): string | null {
  if (serverName === null) return null;
  const name = serverName.replace(/\.$/, "").toLowerCase();
  return name === "" || net.isIP(name) !== 0 ? null : name;
}

/**
 * Handshakes over `params.socket`. On success the caller owns the returned TLS socket (destroying it
 * destroys the TCP socket); on failure every socket is already destroyed.
 */
export function handshake(params: HandshakeParams): Promise<HandshakeResult> {
  return new Promise((resolve) => {
    const tap = new FirstBytesTap(params.socket);
    // requestOCSP is honoured by tls.connect but missing from @types/node's ConnectionOptions.
    const options: tls.ConnectionOptions & { requestOCSP: boolean } = {
      socket: tap,
      rejectUnauthorized: false,
      secureContext: secureContextFor(params),
      requestOCSP: params.requestOcsp,
    };
    const sni = sniName(params.serverName);
    if (sni !== null) options.servername = sni;

    let ocspStaple: Uint8Array | null = null;
    let serverHandshakeSecret: Buffer | null = null;
    let settled = false;
    let secure: tls.TLSSocket;
    try {
      secure = tls.connect(options);
    } catch (e) {
      tap.destroy();
      params.socket.destroy();
      const message = e instanceof Error ? e.message : String(e);
      resolve({
        ok: false,
        timedOut: false,
        error: { message },
        firstBytes: new Uint8Array(),
        bytesReceived: 0,
      });
      return;
    }
    const fail = (timedOut: boolean, e: NodeJS.ErrnoException | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      secure.destroy();
      tap.destroy();
      params.socket.destroy();
      resolve({
        ok: false,
        timedOut,
        error: e === null ? null : { code: e.code, message: e.message },
        firstBytes: tap.firstBytes(),
        bytesReceived: tap.bytesReceived,
      });
    };
    const timer = setTimeout(() => fail(true, null), params.timeoutMs);
    const started = Date.now();
    /** The rest of the server's flight, read by the tap alone once OpenSSL gave up on its size. */
    const readOversized = (e: NodeJS.ErrnoException): void => {
      settled = true;
      clearTimeout(timer);
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(deadline);
        secure.destroy();
        params.socket.destroy();
        const serverBytes = Buffer.from(tap.received());
        resolve({
          ok: false,
          timedOut: false,
          error: { code: e.code, message: e.message },
          firstBytes: serverBytes.subarray(0, 64),
          bytesReceived: tap.bytesReceived,
          oversized: { serverBytes, overflowed: tap.overflowed, serverHandshakeSecret },
        });
      };
      const whole = (): boolean => {
        const bytes = tap.received();
        const hello = serverHelloOf(bytes);
        if (hello === null) return false;
        return (
          readCertificateMessage({ serverBytes: bytes, ...hello, serverHandshakeSecret }).kind !==
          "incomplete"
        );
      };
      const deadline = setTimeout(finish, Math.max(0, params.timeoutMs - (Date.now() - started)));
      tap.detach(OVERSIZED_RETAIN_BYTES, () => {
        if (tap.overflowed || whole()) finish();
      });
      params.socket.once("close", finish);
      params.socket.once("end", finish);
      if (tap.overflowed || whole()) finish();
    };
    secure.on("OCSPResponse", (response: Buffer | undefined) => {
      if (response && response.length > 0) ocspStaple = new Uint8Array(response);
    });
    secure.on("keylog", (line: Buffer) => {
      serverHandshakeSecret ??= serverHandshakeSecretFromKeylog(line);
    });
    // Stays attached: a late error on a socket the caller owns must never become an uncaught exception.
    secure.on("error", (e: NodeJS.ErrnoException) => {
      if (!settled && e.code === "ERR_SSL_EXCESSIVE_MESSAGE_SIZE") readOversized(e);
      else fail(false, e);
    });
    secure.once("close", () =>
      fail(false, { name: "Error", message: "the connection closed during the TLS handshake" }),
    );
    secure.once("secureConnect", () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const serverFlight = tap.overflowed ? null : tap.received();
      tap.release();
      secure.removeAllListeners("keylog");
      resolve({ ok: true, socket: secure, ocspStaple, serverFlight, serverHandshakeSecret });
    });
  });
}
