/**
 * @module sources/revocation/ocsp.test
 * OCSP against a real loopback responder (statuses, delegation, faults, transport) and cross-checked with OpenSSL.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseCertificate, type ParsedCertificate } from "../../pki/certificate.js";
import { createRootCa, issueIntermediate, issueLeaf, type Issued } from "../../../test/helpers/pki.js";
import { startTlsServer } from "../../../test/helpers/tls-servers.js";
import { publicAddressesOnly } from "../../util/address-policy.js";
import { HttpClient } from "../../util/http-get.js";
import { probeEndpoint } from "../tls/prober.js";
import {
  buildOcspResponse,
  ocspResponseFor,
  startOcspResponder,
  testCertId,
  type OcspResponderOptions,
  type RunningOcspResponder,
} from "../../../test/helpers/ocsp-responder.js";
import {
  buildOcspRequest,
  checkOcsp,
  queryOcsp,
  verifyOcspResponse,
  type OcspOutcome,
  type OcspVerdict,
} from "./ocsp.js";

const OCSP_SIGNING = "1.3.6.1.5.5.7.3.9";
// The responders are on loopback: this client has no address policy, as with allowPrivateAddresses: true.
const client = new HttpClient({ keepAlive: false });
const FETCH = { client, timeoutMs: 2000, maxBytes: 64 * 1024 };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const run = promisify(execFile);
const hasOpenssl = spawnSync("openssl", ["version"]).status === 0;

function parsed(c: Issued): ParsedCertificate {
  const r = parseCertificate(c.certDer);
  if (!r.ok) throw new Error(r.error);
  return r.cert;
}

let root: Issued;
let ca: Issued;
let otherCa: Issued;
let goodLeaf: Issued;
let revokedLeaf: Issued;
let unknownLeaf: Issued;
let delegated: Issued;
let delegatedNoEku: Issued;
let delegatedByOther: Issued;
let delegatedExpired: Issued;
let issuer: ParsedCertificate;
const revokedAt = new Date(Math.floor((Date.now() - 3 * DAY) / 1000) * 1000);
const responders: RunningOcspResponder[] = [];

before(async () => {
  root = await createRootCa({ subject: "CN=certwatch OCSP test root" });
  ca = await issueIntermediate(root, { subject: "CN=certwatch OCSP test CA, O=certwatch" });
  otherCa = await createRootCa({ subject: "CN=some other CA" });
  goodLeaf = await issueLeaf(ca, { dnsNames: ["good.example.test"] });
  revokedLeaf = await issueLeaf(ca, { dnsNames: ["revoked.example.test"] });
  unknownLeaf = await issueLeaf(ca, { dnsNames: ["unknown.example.test"] });
  delegated = await issueLeaf(ca, { subject: "CN=OCSP responder", extendedKeyUsages: [OCSP_SIGNING] });
  delegatedNoEku = await issueLeaf(ca, { subject: "CN=not an OCSP responder" });
  delegatedByOther = await issueLeaf(otherCa, {
    subject: "CN=foreign responder",
    extendedKeyUsages: [OCSP_SIGNING],
    // Not from the key pool, which could hand it the key of `ca` (a different CA may not share it).
    freshKey: true,
  });
  delegatedExpired = await issueLeaf(ca, {
    subject: "CN=expired OCSP responder",
    extendedKeyUsages: [OCSP_SIGNING],
    notBefore: new Date(Date.now() - 30 * DAY),
    notAfter: new Date(Date.now() - DAY),
  });
  issuer = parsed(ca);
});

after(async () => {
  client.destroy();
  await Promise.all(responders.map((r) => r.close()));
});

async function responder(options: Partial<OcspResponderOptions> = {}): Promise<RunningOcspResponder> {
  const r = await startOcspResponder({
    issuer: ca,
    statuses: {
      [goodLeaf.cert.serialNumber]: { status: "good" },
      [revokedLeaf.cert.serialNumber]: { status: "revoked", revokedAt, reason: "keyCompromise" },
    },
    ...options,
  });
  responders.push(r);
  return r;
}

async function ask(r: RunningOcspResponder, leaf: Issued, url = r.url): Promise<OcspOutcome> {
  return checkOcsp(url, parsed(leaf), issuer, { ...FETCH, now: new Date() });
}

function verdictOf(o: OcspOutcome): OcspVerdict {
  assert.equal(o.kind, "answered", JSON.stringify(o));
  return o.verdict;
}

function invalid(v: OcspVerdict): Extract<OcspVerdict, { kind: "invalid" }> {
  assert.equal(v.kind, "invalid", JSON.stringify(v));
  return v;
}

describe("OCSP against a local responder", () => {
  it("reads a good status over GET, signed by the issuer", async () => {
    const r = await responder();
    const o = await ask(r, goodLeaf);
    const v = verdictOf(o);
    assert.equal(v.kind, "good");
    assert.equal(v.kind === "good" && v.responder, "issuer");
    assert.ok(v.kind === "good" && v.nextUpdate !== null && v.nextUpdate > new Date());
    assert.deepEqual(
      r.requests.map((q) => [q.method, q.serials]),
      [["GET", [parsed(goodLeaf).serialNumber]]],
    );
  });

  it("reads a revoked status with its time and reason", async () => {
    const v = verdictOf(await ask(await responder(), revokedLeaf));
    assert.equal(v.kind, "revoked");
    if (v.kind !== "revoked") return;
    assert.equal(v.revokedAt.getTime(), revokedAt.getTime());
    assert.equal(v.reason, "keyCompromise");
  });

  it("reads unknown for a serial the responder does not know", async () => {
    assert.equal(verdictOf(await ask(await responder(), unknownLeaf)).kind, "unknown");
  });

  it("accepts a delegated responder certificate with the OCSP-signing EKU issued by the CA", async () => {
    const v = verdictOf(await ask(await responder({ signer: delegated }), revokedLeaf));
    assert.equal(v.kind, "revoked");
    assert.equal(v.kind === "revoked" && v.responder, "delegated");
  });

  it("rejects a delegated responder without the OCSP-signing EKU", async () => {
    const v = invalid(verdictOf(await ask(await responder({ signer: delegatedNoEku }), revokedLeaf)));
    assert.equal(v.problem, "unauthorized-responder");
    assert.match(v.error, /OCSP-signing/);
  });

  it("rejects a delegated responder issued by another CA, and an expired one", async () => {
    const foreign = invalid(verdictOf(await ask(await responder({ signer: delegatedByOther }), goodLeaf)));
    assert.equal(foreign.problem, "unauthorized-responder");
    assert.match(foreign.error, /not issued by/);
    const expired = invalid(verdictOf(await ask(await responder({ signer: delegatedExpired }), goodLeaf)));
    assert.equal(expired.problem, "unauthorized-responder");
    assert.match(expired.error, /not valid now/);
  });

  it("rejects a response signed with the wrong key", async () => {
    const direct = invalid(verdictOf(await ask(await responder({ wrongKey: true }), goodLeaf)));
    assert.equal(direct.problem, "bad-signature");
    const viaDelegate = invalid(
      verdictOf(await ask(await responder({ signer: delegated, wrongKey: true }), goodLeaf)),
    );
    assert.equal(viaDelegate.problem, "bad-signature");
  });

  it("rejects a stale response", async () => {
    const v = invalid(verdictOf(await ask(await responder({ fault: "stale" }), goodLeaf)));
    assert.equal(v.problem, "stale");
    assert.match(v.error, /nextUpdate/);
  });

  it("names an unsuccessful responseStatus (tryLater)", async () => {
    const v = invalid(verdictOf(await ask(await responder({ fault: "try-later" }), goodLeaf)));
    assert.equal(v.problem, "unsuccessful-status");
    assert.match(v.error, /tryLater/);
  });

  it("rejects a garbage body as unparseable", async () => {
    const v = invalid(verdictOf(await ask(await responder({ fault: "garbage" }), goodLeaf)));
    assert.equal(v.problem, "unparseable");
  });

  it("retries once with POST when GET is refused", async () => {
    const r = await responder({ rejectGet: true });
    const o = await ask(r, goodLeaf);
    assert.equal(verdictOf(o).kind, "good");
    assert.equal(o.kind === "answered" && o.method, "POST");
    assert.deepEqual(
      r.requests.map((q) => q.method),
      ["GET", "POST"],
    );
  });

  it("POSTs when the GET URL would exceed 255 bytes", async () => {
    const r = await responder();
    const o = await ask(r, goodLeaf, `${r.url}/${"x".repeat(200)}`);
    assert.equal(verdictOf(o).kind, "good");
    assert.deepEqual(
      r.requests.map((q) => q.method),
      ["POST"],
    );
  });

  it("reports an HTTP error status without retrying it as POST", async () => {
    const r = await responder({ fault: "http-500" });
    const o = await ask(r, goodLeaf);
    assert.equal(o.kind, "error");
    assert.equal(o.kind === "error" && o.reason, "http-status");
    assert.equal(o.kind === "error" && o.status, 500);
    assert.equal(r.requests.length, 1);
  });

  it("reports a responder that is down, quickly", async () => {
    const port = await closedPort();
    const started = Date.now();
    const o = await queryOcsp(`http://127.0.0.1:${port}/`, buildOcspRequest(parsed(goodLeaf), issuer), FETCH);
    assert.equal(o.kind === "error" && o.reason, "network", JSON.stringify(o));
    assert.ok(Date.now() - started < FETCH.timeoutMs);
  });

  it("gives up on a silent responder at the deadline", async () => {
    const r = await responder({ fault: "silent" });
    const started = Date.now();
    const o = await queryOcsp(r.url, buildOcspRequest(parsed(goodLeaf), issuer), {
      ...FETCH,
      timeoutMs: 400,
    });
    const elapsed = Date.now() - started;
    assert.equal(o.kind === "error" && o.reason, "timeout", JSON.stringify(o));
    assert.ok(elapsed >= 350 && elapsed < 1500, `elapsed ${elapsed} ms`);
  });

  it("refuses a loopback responder under the public-only policy, before any request", async () => {
    const r = await responder();
    const guarded = new HttpClient({ keepAlive: false, addressPolicy: publicAddressesOnly });
    try {
      const o = await checkOcsp(r.url, parsed(goodLeaf), issuer, {
        ...FETCH,
        client: guarded,
        now: new Date(),
      });
      assert.equal(o.kind === "error" && o.reason, "forbidden-address", JSON.stringify(o));
      assert.match(o.kind === "error" ? o.error : "", /127\.0\.0\.1 is a loopback address/);
      assert.equal(r.requests.length, 0);
    } finally {
      guarded.destroy();
    }
  });

  it("caps the response size, streamed or declared", async () => {
    const request = buildOcspRequest(parsed(goodLeaf), issuer);
    for (const fault of ["endless", "big"] as const) {
      const r = await responder({ fault });
      const o = await queryOcsp(r.url, request, FETCH);
      assert.equal(o.kind === "error" && o.reason, "too-large", `${fault}: ${JSON.stringify(o)}`);
    }
  });
});

describe("verifyOcspResponse on given DER (stapled responses)", () => {
  const now = () => new Date();
  const verifyFor = (
    leaf: Issued,
    der: Uint8Array,
    extra: { maxAgeSeconds?: number; nonce?: Uint8Array } = {},
  ) => verifyOcspResponse(der, { leaf: parsed(leaf), issuer, now: now(), ...extra });

  it("verifies a response stapled in a real TLS handshake", async () => {
    const der = ocspResponseFor(
      revokedLeaf,
      { issuer: ca, signer: delegated },
      { status: "revoked", revokedAt },
    );
    const server = await startTlsServer({ chain: [revokedLeaf, ca], key: revokedLeaf, ocspStaple: der });
    try {
      const o = await probeEndpoint(
        { host: "revoked.example.test", port: server.port, address: server.host },
        "revoked.example.test",
        {
          connectTimeoutMs: 2000,
          handshakeTimeoutMs: 2000,
          httpTimeoutMs: 2000,
          maxResponseHeaderBytes: 32768,
          legacyProtocols: false,
          hsts: false,
        },
      );
      assert.equal(o.kind, "served");
      assert.ok(o.ocspStaple, "the prober captured the staple");
      const v = verifyFor(revokedLeaf, o.ocspStaple);
      assert.equal(v.kind, "revoked", JSON.stringify(v));
      assert.equal(v.responder, "delegated");
    } finally {
      await server.close();
    }
  });

  it("matches a CertID hashed with SHA-256", () => {
    const der = ocspResponseFor(goodLeaf, { issuer: ca }, { status: "good" }, { certIdHash: "SHA-256" });
    assert.equal(verifyFor(goodLeaf, der).kind, "good");
  });

  it("accepts a ResponderID by name", () => {
    const der = ocspResponseFor(
      goodLeaf,
      { issuer: ca, signer: delegated, responderId: "name" },
      { status: "good" },
    );
    const v = verifyFor(goodLeaf, der);
    assert.equal(v.kind === "good" && v.responder, "delegated");
  });

  it("rejects a response about another certificate", () => {
    const der = ocspResponseFor(unknownLeaf, { issuer: ca }, { status: "good" });
    assert.equal(invalid(verifyFor(goodLeaf, der)).problem, "wrong-certificate");
  });

  it("rejects a CertID under another issuer with the same serial", async () => {
    const twin = await issueLeaf(otherCa, {
      serialNumber: goodLeaf.cert.serialNumber,
      dnsNames: ["twin.test"],
    });
    const der = buildOcspResponse({ issuer: ca }, [
      { certId: testCertId(twin, otherCa), status: { status: "good" } },
    ]);
    assert.equal(invalid(verifyFor(goodLeaf, der)).problem, "wrong-certificate");
  });

  it("applies maxAgeSeconds when there is no nextUpdate", () => {
    const fresh = ocspResponseFor(goodLeaf, { issuer: ca }, { status: "good" }, { nextUpdate: null });
    const v = verifyFor(goodLeaf, fresh);
    assert.equal(v.kind === "good" && v.nextUpdate, null);
    const old = ocspResponseFor(
      goodLeaf,
      { issuer: ca },
      { status: "good" },
      { thisUpdate: new Date(Date.now() - 2 * DAY), nextUpdate: null },
    );
    assert.equal(verifyFor(goodLeaf, old).kind, "good");
    assert.equal(invalid(verifyFor(goodLeaf, old, { maxAgeSeconds: DAY / 1000 })).problem, "stale");
  });

  it("tolerates 5 minutes of clock skew, not more", () => {
    const skewed = (ms: number) =>
      ocspResponseFor(
        goodLeaf,
        { issuer: ca },
        { status: "good" },
        { thisUpdate: new Date(Date.now() + ms) },
      );
    assert.equal(verifyFor(goodLeaf, skewed(2 * 60_000)).kind, "good");
    assert.equal(invalid(verifyFor(goodLeaf, skewed(HOUR))).problem, "not-yet-valid");
  });

  it("checks an echoed nonce", () => {
    const sent = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    const certId = testCertId(goodLeaf, ca);
    const echo = (n: Uint8Array) =>
      buildOcspResponse({ issuer: ca }, [{ certId, status: { status: "good" } }], {}, n);
    assert.equal(verifyFor(goodLeaf, echo(sent), { nonce: sent }).kind, "good");
    assert.equal(
      invalid(verifyFor(goodLeaf, echo(new Uint8Array([9])), { nonce: sent })).problem,
      "nonce-mismatch",
    );
  });

  it("verifies RSA-signed responses", async () => {
    const rsaCa = await createRootCa({ keyType: "rsa-2048", subject: "CN=RSA CA" });
    const leaf = await issueLeaf(rsaCa, { dnsNames: ["rsa.example.test"] });
    const der = ocspResponseFor(leaf, { issuer: rsaCa }, { status: "good" });
    assert.equal(
      verifyOcspResponse(der, { leaf: parsed(leaf), issuer: parsed(rsaCa), now: now() }).kind,
      "good",
    );
  });

  it("never throws on malformed input", () => {
    const der = ocspResponseFor(goodLeaf, { issuer: ca }, { status: "good" });
    const garbage = [
      new Uint8Array(0),
      der.subarray(0, der.length - 20),
      new Uint8Array(Buffer.from("<html><body>It works!</body></html>")),
    ];
    for (const bad of garbage) assert.equal(invalid(verifyFor(goodLeaf, bad)).problem, "unparseable");
    const unknownStatus = new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x09]);
    assert.match(invalid(verifyFor(goodLeaf, unknownStatus)).error, /status 9/);
  });
});

describe("cross-checked with OpenSSL", { skip: !hasOpenssl && "openssl CLI not found" }, () => {
  let dir: string;
  const file = (name: string) => join(dir, name);
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "certwatch-ocsp-"));
    writeFileSync(file("root.pem"), root.certPem);
    writeFileSync(file("ca.pem"), ca.certPem);
    writeFileSync(file("ca.key"), ca.keyPem);
    writeFileSync(file("good.pem"), goodLeaf.certPem);
    writeFileSync(file("revoked.pem"), revokedLeaf.certPem);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("builds the same request DER as `openssl ocsp -no_nonce`", async () => {
    await run("openssl", [
      "ocsp",
      "-issuer",
      file("ca.pem"),
      "-cert",
      file("good.pem"),
      "-no_nonce",
      "-reqout",
      file("req.der"),
    ]);
    const ours = buildOcspRequest(parsed(goodLeaf), issuer);
    assert.deepEqual(Buffer.from(ours), readFileSync(file("req.der")));
  });

  for (const signer of ["issuer", "delegated"] as const) {
    it(`answers \`openssl ocsp -url\` with a response it verifies (${signer})`, async () => {
      const r = await responder(signer === "delegated" ? { signer: delegated } : {});
      const { stdout, stderr } = await run("openssl", [
        "ocsp",
        "-issuer",
        file("ca.pem"),
        "-cert",
        file("revoked.pem"),
        "-url",
        r.url,
        "-CAfile",
        file("root.pem"),
        "-verify_other",
        file("ca.pem"),
      ]);
      assert.match(stderr + stdout, /Response verify OK/);
      assert.match(stdout, /revoked\.pem: revoked/);
      assert.match(stdout, /Reason: keyCompromise/);
      assert.equal(r.requests[0]?.method, "POST");
    });
  }

  it("verifies what `openssl ocsp -index` answers to our request, nonce included", async () => {
    const serial = parsed(revokedLeaf).serialNumber.toUpperCase();
    writeFileSync(
      file("index.txt"),
      `R\t301231235959Z\t250102030405Z,keyCompromise\t${serial}\tunknown\t/CN=revoked\n`,
    );
    const nonce = new Uint8Array([0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4]);
    writeFileSync(file("our-req.der"), buildOcspRequest(parsed(revokedLeaf), issuer, { nonce }));
    await run("openssl", [
      "ocsp",
      "-index",
      file("index.txt"),
      "-CA",
      file("ca.pem"),
      "-rsigner",
      file("ca.pem"),
      "-rkey",
      file("ca.key"),
      "-reqin",
      file("our-req.der"),
      "-respout",
      file("resp.der"),
      "-ndays",
      "1",
    ]);
    const der = readFileSync(file("resp.der"));
    const v = verifyOcspResponse(der, { leaf: parsed(revokedLeaf), issuer, now: new Date(), nonce });
    assert.equal(v.kind, "revoked", JSON.stringify(v));
    if (v.kind !== "revoked") return;
    assert.equal(v.revokedAt.toISOString(), "2025-01-02T03:04:05.000Z");
    assert.equal(v.reason, "keyCompromise");
    assert.equal(v.responder, "issuer");
    const other = verifyOcspResponse(der, {
      leaf: parsed(revokedLeaf),
      issuer,
      now: new Date(),
      nonce: new Uint8Array([7]),
    });
    assert.equal(invalid(other).problem, "nonce-mismatch");
  });
});

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
