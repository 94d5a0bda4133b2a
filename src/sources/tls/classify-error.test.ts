/**
 * @module sources/tls/classify-error.test
 * Handshake failures are named from the server's first bytes and OpenSSL's error.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  classifyHandshakeFailure,
  opensslReason,
  previewBytes,
  type HandshakeFailure,
} from "./classify-error.js";

function failure(over: Partial<HandshakeFailure>): HandshakeFailure {
  return {
    firstBytes: new Uint8Array(),
    bytesReceived: 0,
    error: null,
    timedOut: false,
    timeoutMs: 1000,
    ...over,
  };
}

const WRONG_VERSION = {
  code: "ERR_SSL_WRONG_VERSION_NUMBER",
  message:
    "80FC662AB77F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n",
};

void describe("classifyHandshakeFailure", () => {
  void it("recognises a plain HTTP answer by its first bytes", () => {
    const c = classifyHandshakeFailure(
      failure({
        firstBytes: Buffer.from("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n"),
        error: WRONG_VERSION,
      }),
    );
    assert.deepEqual([c.kind, c.reason], ["no-certificate", "plain-http"]);
    assert.match(c.error, /"HTTP\/1\.1 400 Bad Request"/);
  });

  void it("calls other non-TLS bytes not-tls, with a printable preview", () => {
    const c = classifyHandshakeFailure(
      failure({ firstBytes: Buffer.from("220 smtp.example ESMTP\r\n"), error: WRONG_VERSION }),
    );
    assert.deepEqual([c.kind, c.reason], ["no-certificate", "not-tls"]);
    assert.match(c.error, /220 smtp\.example ESMTP\\x0d\\x0a/);
  });

  void it("names a plaintext alert record, and an alert reported by OpenSSL", () => {
    const record = classifyHandshakeFailure(failure({ firstBytes: Buffer.from([0x15, 3, 3, 0, 2, 2, 70]) }));
    assert.deepEqual([record.kind, record.reason], ["no-certificate", "tls-alert"]);
    assert.match(record.error, /protocol_version \(alert 70\)/);
    const reported = classifyHandshakeFailure(
      failure({
        firstBytes: Buffer.from([0x17, 3, 3, 0, 19]),
        error: {
          code: "ERR_SSL_TLSV1_ALERT_UNRECOGNIZED_NAME",
          message: "…:SSL routines:ssl3_read_bytes:tlsv1 unrecognized name:…:SSL alert number 112\n",
        },
      }),
    );
    assert.equal(reported.reason, "tls-alert");
    assert.match(reported.error, /unrecognized_name \(alert 112\)/);
  });

  void it("distinguishes a silent server (unreachable) from a stalled handshake (no-certificate)", () => {
    const silent = classifyHandshakeFailure(failure({ timedOut: true, timeoutMs: 1500 }));
    assert.deepEqual([silent.kind, silent.reason], ["unreachable", "timeout"]);
    assert.match(silent.error, /TCP connected, but the TLS handshake never completed.*1500 ms/);
    const stalled = classifyHandshakeFailure(
      failure({ timedOut: true, firstBytes: Buffer.from([0x16, 3, 3, 0, 90, 2]), bytesReceived: 6 }),
    );
    assert.deepEqual([stalled.kind, stalled.reason], ["no-certificate", "timeout"]);
  });

  void it("reports resets and other OpenSSL errors as handshake-failed", () => {
    const reset = classifyHandshakeFailure(
      failure({
        error: {
          code: "ECONNRESET",
          message: "Client network socket disconnected before secure TLS connection was established",
        },
      }),
    );
    assert.deepEqual([reset.kind, reset.reason], ["no-certificate", "handshake-failed"]);
    assert.match(reset.error, /before answering the ClientHello/);
    const other = classifyHandshakeFailure(
      failure({
        firstBytes: Buffer.from([0x16, 3, 3]),
        bytesReceived: 3,
        error: {
          code: "ERR_SSL_EXCESSIVE_MESSAGE_SIZE",
          message: "x:SSL routines:tls_get_message_body:excessive message size:y",
        },
      }),
    );
    assert.equal(other.reason, "handshake-failed");
    assert.equal(
      other.error,
      "TLS handshake failed: excessive message size (ERR_SSL_EXCESSIVE_MESSAGE_SIZE)",
    );
  });

  void it("has small helpers that never throw", () => {
    assert.equal(opensslReason(WRONG_VERSION.message), "wrong version number");
    assert.equal(opensslReason("plain message"), "plain message");
    assert.equal(previewBytes(Buffer.from([0, 0x41, 0x5c]), 2), "\\x00A…");
  });
});
