/**
 * @module sources/tls/classify-error
 * Names why a TLS handshake gave no certificate, from the first bytes the server sent and the error.
 */

export type HandshakeFailureReason = "plain-http" | "tls-alert" | "handshake-failed" | "not-tls" | "timeout";

export interface HandshakeFailure {
  /** The first bytes the server sent (may be empty). */
  readonly firstBytes: Uint8Array;
  readonly bytesReceived: number;
  readonly error: { readonly code?: string | undefined; readonly message: string } | null;
  readonly timedOut: boolean;
  readonly timeoutMs: number;
}

export type ClassifiedFailure =
  | { readonly kind: "no-certificate"; readonly reason: HandshakeFailureReason; readonly error: string }
  | { readonly kind: "unreachable"; readonly reason: "timeout"; readonly error: string };

const ALERTS: Readonly<Record<number, string>> = {
  0: "close_notify",
  10: "unexpected_message",
  20: "bad_record_mac",
  21: "decryption_failed",
  22: "record_overflow",
  30: "decompression_failure",
  40: "handshake_failure",
  41: "no_certificate",
  42: "bad_certificate",
  43: "unsupported_certificate",
  44: "certificate_revoked",
  45: "certificate_expired",
  46: "certificate_unknown",
  47: "illegal_parameter",
  48: "unknown_ca",
  49: "access_denied",
  50: "decode_error",
  51: "decrypt_error",
  60: "export_restriction",
  70: "protocol_version",
  71: "insufficient_security",
  80: "internal_error",
  86: "inappropriate_fallback",
  90: "user_canceled",
  100: "no_renegotiation",
  109: "missing_extension",
  110: "unsupported_extension",
  112: "unrecognized_name",
  113: "bad_certificate_status_response",
  115: "unknown_psk_identity",
  116: "certificate_required",
  120: "no_application_protocol",
};

export function alertName(description: number): string {
  return ALERTS[description] ?? `alert ${description}`;
}

/** TLS record content types: change_cipher_spec, alert, handshake, application_data, heartbeat. */
function looksLikeTlsRecord(b: Uint8Array): boolean {
  const type = b[0];
  if (type === undefined) return false;
  if (type < 0x14 || type > 0x18) return false;
  return b.length < 2 || b[1] === 0x03;
}

/** Printable preview of bytes: ASCII kept, the rest as \xNN, at most `max` bytes. */
export function previewBytes(b: Uint8Array, max = 32): string {
  let out = "";
  for (const byte of b.subarray(0, max)) {
    out +=
      byte >= 0x20 && byte < 0x7f && byte !== 0x5c
        ? String.fromCharCode(byte)
        : `\\x${byte.toString(16).padStart(2, "0")}`;
  }
  return b.length > max ? `${out}…` : out;
}

/** "wrong version number" out of OpenSSL's "…:SSL routines:ssl3_get_record:wrong version number:…". */
export function opensslReason(message: string): string {
  const m = /SSL routines:[^:]*:([^:]+)/.exec(message);
  return (m?.[1] ?? message).trim();
}

function alertFromMessage(message: string): string | null {
  const number = /SSL alert number (\d+)/.exec(message);
  if (number?.[1] !== undefined) {
    const n = Number(number[1]);
    return `${alertName(n)} (alert ${n})`;
  }
  return /alert/i.test(message) ? opensslReason(message) : null;
}

/** A plaintext alert record as the server's first bytes: 15 03 0x 00 02 <level> <description>. */
function alertFromRecord(b: Uint8Array): string | null {
  if (b.length < 7 || b[0] !== 0x15 || b[1] !== 0x03 || b[3] !== 0x00 || b[4] !== 0x02) return null;
  const n = b[6] ?? 0;
  return `${alertName(n)} (alert ${n})`;
}

export function classifyHandshakeFailure(f: HandshakeFailure): ClassifiedFailure {
  const head = f.firstBytes;
  const text = Buffer.from(head).toString("latin1");
  if (text.startsWith("HTTP/")) {
    const statusLine = text.split(/\r?\n/, 1)[0] ?? "";
    return {
      kind: "no-certificate",
      reason: "plain-http",
      error: `the server answered in plain HTTP instead of TLS ("${previewBytes(Buffer.from(statusLine, "latin1"), 60)}")`,
    };
  }
  if (head.length > 0 && !looksLikeTlsRecord(head)) {
    return {
      kind: "no-certificate",
      reason: "not-tls",
      error: `the server does not speak TLS; it sent "${previewBytes(head)}"`,
    };
  }
  if (f.timedOut) {
    if (f.bytesReceived === 0) {
      return {
        kind: "unreachable",
        reason: "timeout",
        error: `TCP connected, but the TLS handshake never completed: no answer to the ClientHello within ${f.timeoutMs} ms`,
      };
    }
    return {
      kind: "no-certificate",
      reason: "timeout",
      error: `TCP connected and the server began the TLS handshake, but it did not complete within ${f.timeoutMs} ms`,
    };
  }
  const message = f.error?.message ?? "the handshake ended without a certificate";
  const alert = alertFromRecord(head) ?? alertFromMessage(message);
  if (alert !== null) {
    return {
      kind: "no-certificate",
      reason: "tls-alert",
      error: `the server rejected the handshake with TLS alert ${alert}`,
    };
  }
  const code = f.error?.code;
  if (code === "ECONNRESET" || code === "EPIPE") {
    const how = f.bytesReceived === 0 ? "before answering the ClientHello" : "during the TLS handshake";
    return {
      kind: "no-certificate",
      reason: "handshake-failed",
      error: `the server closed the connection ${how} (${code})`,
    };
  }
  const reason = opensslReason(message);
  return {
    kind: "no-certificate",
    reason: "handshake-failed",
    error: `TLS handshake failed: ${reason}${code !== undefined ? ` (${code})` : ""}`,
  };
}
