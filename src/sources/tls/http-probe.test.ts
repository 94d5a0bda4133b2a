/**
 * @module sources/tls/http-probe.test
 * Response heads are parsed within bounds: status, every HSTS value, interim responses, folding.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Duplex } from "node:stream";
import { buildRequest, hostHeader, parseResponseHead, probeHttp } from "./http-probe.js";

/** A server side to push into; what the probe writes goes nowhere. */
function fakeServer(): Duplex {
  return new Duplex({ read: () => undefined, write: (_c, _e, cb: () => void) => cb() });
}

const head = (s: string): ReturnType<typeof parseResponseHead> => parseResponseHead(Buffer.from(s, "latin1"));

void describe("parseResponseHead", () => {
  void it("reads the status and every Strict-Transport-Security value, case-insensitively", () => {
    assert.deepEqual(
      head(
        "HTTP/1.1 200 OK\r\nstrict-transport-security: max-age=1\r\nX: y\r\nStrict-Transport-Security:  max-age=2 \r\n\r\nbody",
      ),
      { kind: "response", status: 200, hsts: ["max-age=1", "max-age=2"] },
    );
    assert.deepEqual(head("HTTP/1.0 404\n\n"), { kind: "response", status: 404, hsts: [] });
  });

  void it("skips interim 1xx responses and joins folded header lines", () => {
    assert.deepEqual(
      head(
        "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 301 Moved\r\nStrict-Transport-Security: max-age=5;\r\n includeSubDomains\r\n\r\n",
      ),
      { kind: "response", status: 301, hsts: ["max-age=5; includeSubDomains"] },
    );
  });

  void it("waits for the blank line, and rejects what is not HTTP", () => {
    assert.deepEqual(head("HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=1\r\n"), {
      kind: "incomplete",
    });
    assert.equal(head("SSH-2.0-x\r\n\r\n").kind, "malformed");
    assert.equal(head("HTTP/1.1 2000 OK\r\n\r\n").kind, "malformed");
  });

  void it("builds the request and Host header", () => {
    assert.equal(hostHeader("www.example.test.", 443), "www.example.test");
    assert.equal(hostHeader("::1", 8443), "[::1]:8443");
    assert.match(
      buildRequest("h:1"),
      /^GET \/ HTTP\/1\.1\r\nHost: h:1\r\n.*User-Agent: certwatch\r\n.*Connection: close\r\n\r\n$/s,
    );
  });
});

void describe("probeHttp", () => {
  void it("stops at the byte cap even when one chunk is huge", async () => {
    const s = fakeServer();
    const p = probeHttp(s, { host: "h", timeoutMs: 1000, maxHeaderBytes: 100 });
    s.push(Buffer.from(`HTTP/1.1 200 OK\r\nX: ${"a".repeat(10_000)}`));
    assert.deepEqual(await p, { kind: "error", error: "the HTTP response header exceeds the 100-byte cap" });
  });

  void it("reports an early close and a timeout", async () => {
    const closed = fakeServer();
    const p1 = probeHttp(closed, { host: "h", timeoutMs: 1000, maxHeaderBytes: 100 });
    closed.push("HTTP/1.1 200 OK\r\n");
    closed.push(null);
    assert.match(
      (await p1).kind === "error" ? JSON.stringify(await p1) : "",
      /before the HTTP response header was complete/,
    );
    const silent = fakeServer();
    const t0 = Date.now();
    const p2 = await probeHttp(silent, { host: "h", timeoutMs: 200, maxHeaderBytes: 100 });
    assert.ok(Date.now() - t0 < 1000);
    assert.match(p2.kind === "error" ? p2.error : "", /within 200 ms/);
  });
});
