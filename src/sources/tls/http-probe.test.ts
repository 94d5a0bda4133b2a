/**
 * @module sources/tls/http-probe.test
 * Response heads are parsed within bounds: status, every HSTS value, interim responses, folding; a head longer
 * than the cap still yields what was read whole, so that HSTS is judged (a real TLS server sends 70 KiB of it).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Duplex } from "node:stream";
import { hstsFindings } from "../../checks/hsts.js";
import { createRootCa, issueIntermediate, issueLeaf, type Issued } from "../../../test/helpers/pki.js";
import { startTlsServer, type RunningServer } from "../../../test/helpers/tls-servers.js";
import { buildRequest, hostHeader, parseResponseHead, parseTruncatedHead, probeHttp } from "./http-probe.js";
import { probeEndpoint, type ProbeOptions } from "./prober.js";

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

  void it("reads what a head cut at the cap holds whole: the final status and the HSTS lines before the cut", () => {
    const cut = (t: string) => parseTruncatedHead(Buffer.from(t, "latin1"));
    assert.deepEqual(
      cut(
        "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 301 Moved\r\nStrict-Transport-Security: max-age=5\r\nX: a",
      ),
      { status: 301, hsts: ["max-age=5"] },
    );
    // The line the cap cut is not judged: "max-age=3" may be the start of "max-age=31536000".
    assert.deepEqual(cut("HTTP/1.1 200 OK\r\nX: a\r\nStrict-Transport-Security: max-age=3"), {
      status: 200,
      hsts: [],
    });
    assert.deepEqual(cut("SSH-2.0-x\r\nX: a"), { error: 'not an HTTP response: "SSH-2.0-x"' });
    assert.deepEqual(cut("HTTP/1.1 200 OK"), { error: "the HTTP status line is longer than the byte cap" });
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
    assert.deepEqual(await p, {
      kind: "too-large",
      status: 200,
      hsts: [],
      maxBytes: 100,
      error: "the HTTP response header exceeds the 100-byte cap",
    });
    const garbage = fakeServer();
    const g = probeHttp(garbage, { host: "h", timeoutMs: 1000, maxHeaderBytes: 100 });
    garbage.push(Buffer.from("x".repeat(1000)));
    assert.deepEqual(await g, {
      kind: "error",
      error:
        "the HTTP response header exceeds the 100-byte cap; the HTTP status line is longer than the byte cap",
    });
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

void describe("a response head larger than the cap, from a real TLS server", () => {
  const HOST = "big.example.test";
  const OPTS: ProbeOptions = {
    connectTimeoutMs: 1500,
    handshakeTimeoutMs: 1500,
    httpTimeoutMs: 1500,
    maxResponseHeaderBytes: 64 * 1024,
    legacyProtocols: false,
    hsts: true,
  };
  const MIN = 15_552_000;
  let inter: Issued;
  let leaf: Issued;
  const servers: RunningServer[] = [];
  before(async () => {
    inter = await issueIntermediate(await createRootCa({ subject: "CN=HTTP Probe Test Root" }));
    leaf = await issueLeaf(inter, { dnsNames: [HOST] });
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  async function probe(hsts: string | null, opts: ProbeOptions = OPTS) {
    const s = await startTlsServer({ chain: [leaf, inter], key: leaf, hsts, fillerHeaderBytes: 70 * 1024 });
    servers.push(s);
    const endpoint = { host: HOST, port: s.port, address: s.host };
    const o = await probeEndpoint(endpoint, HOST, opts);
    assert.equal(o.kind, "served", JSON.stringify(o));
    return { endpoint, http: o.kind === "served" ? o.http : { kind: "skipped" as const } };
  }

  void it("70 KiB of headers and no HSTS within the 64 KiB read raises 42 with reason headers-too-large", async () => {
    for (const hsts of [null, "max-age=31536000"]) {
      // With the header after the filler the server does send it, but past the cap: HSTS cannot be confirmed.
      const { endpoint, http } = await probe(hsts);
      assert.equal(http.kind, "too-large");
      assert.deepEqual(
        hstsFindings(endpoint, http, MIN).map((f) => [f.event, f.details]),
        [["hsts-missing", { httpStatus: 200, reason: "headers-too-large", maxHeaderBytes: 65536 }]],
        `hsts: ${hsts}`,
      );
    }
  });

  void it("the same response read whole under a larger cap is judged on its header", async () => {
    const { endpoint, http } = await probe("max-age=31536000", {
      ...OPTS,
      maxResponseHeaderBytes: 128 * 1024,
    });
    assert.equal(http.kind, "response");
    assert.deepEqual(hstsFindings(endpoint, http, MIN), []);
  });
});
