/**
 * @module sources/tls/observation
 * What the TLS prober saw at one endpoint: plain data, no event ids. Checks turn it into findings.
 */
import type { Endpoint } from "../../domain/endpoint.js";

/** Result of the one HTTPS request sent over the probed connection. */
export type HttpProbe =
  | {
      readonly kind: "response";
      readonly status: number;
      /** Raw value(s) of Strict-Transport-Security, in order; empty when absent. */
      readonly hsts: readonly string[];
    }
  | {
      /**
       * The response head ran past the byte cap: the final status line and the Strict-Transport-Security
       * values among the header lines read whole before it (one sent after the cap is unseen).
       */
      readonly kind: "too-large";
      readonly status: number;
      readonly hsts: readonly string[];
      readonly maxBytes: number;
      readonly error: string;
    }
  | { readonly kind: "error"; readonly error: string }
  | { readonly kind: "skipped" };

/** Whether the endpoint completes a TLS 1.0 / 1.1 handshake. */
export interface LegacyProtocolProbe {
  /** Protocols that completed a handshake, e.g. ["TLSv1", "TLSv1.1"]. */
  readonly accepted: readonly ("TLSv1" | "TLSv1.1")[];
  /** Set when the probe itself could not run to a conclusion (timeout, reset); not a finding. */
  readonly error?: string;
  readonly skipped?: boolean;
}

/** A Certificate message above the client's limit (OpenSSL's max_cert_list). */
export interface ChainTooLarge {
  /** Length of the Certificate message body, when its header was read. */
  readonly certificateMessageBytes: number | null;
  /** The limit it exceeds (OpenSSL's default, 102400). */
  readonly clientLimitBytes: number;
  /** Protocol the server chose in its ServerHello. */
  readonly protocol: string | null;
  /** The TLS client's error. */
  readonly error: string;
}

export type TlsObservation =
  | {
      readonly kind: "served";
      readonly endpoint: Endpoint;
      /** Server name sent in SNI, or null (IP endpoints). */
      readonly serverName: string | null;
      /** Negotiated protocol, e.g. "TLSv1.3". */
      readonly protocol: string;
      readonly cipher: string;
      /** DER of every certificate exactly as the server sent it, leaf first. */
      readonly chain: readonly Uint8Array[];
      /** DER OCSP response stapled by the server, when any. */
      readonly ocspStaple: Uint8Array | null;
      readonly http: HttpProbe;
      readonly legacy: LegacyProtocolProbe;
      /**
       * Set when the server's Certificate message is larger than OpenSSL-based clients accept: the chain
       * was read off the wire, but no TLS client built on OpenSSL (this one included) completes the
       * handshake, so `http` could not be checked.
       */
      readonly chainTooLarge?: ChainTooLarge;
      readonly durationMs: number;
    }
  | {
      /** Connected, but no certificate came back. */
      readonly kind: "no-certificate";
      readonly endpoint: Endpoint;
      readonly reason:
        "plain-http" | "tls-alert" | "handshake-failed" | "not-tls" | "timeout" | "chain-too-large";
      readonly error: string;
      /** With reason `chain-too-large`: what is known of the Certificate message that could not be read. */
      readonly chainTooLarge?: ChainTooLarge;
      readonly durationMs: number;
    }
  | {
      /** Could not reach the endpoint at all (or its name did not resolve). */
      readonly kind: "unreachable";
      readonly endpoint: Endpoint;
      readonly reason: "dns" | "refused" | "timeout" | "network";
      readonly error: string;
      readonly durationMs: number;
    };

export type TlsObservationKind = TlsObservation["kind"];
