/**
 * Revocation end to end: a real local CA publishing CRLs over HTTP, a real OCSP responder, TLS
 * servers on loopback, and the scan with the real prober, CRL/OCSP clients and SQLite store.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Alert } from "../../src/domain/alert.js";
import { targetScope, type Target } from "../../src/domain/endpoint.js";
import { issueCrl } from "../helpers/crl-ca.js";
import { startHttpFixtureServer, type HttpFixtureServer } from "../helpers/http-fixture-server.js";
import { ocspResponseFor, startOcspResponder, type RunningOcspResponder } from "../helpers/ocsp-responder.js";
import { createRootCa, issueIntermediate, issueLeaf, type Issued } from "../helpers/pki.js";
import { startTlsServer, type RunningServer } from "../helpers/tls-servers.js";
import { FAST_REVOCATION, scanWorld, type ScanWorld } from "./scan-world.js";

const HSTS = "max-age=31536000";
const DAY = 86_400_000;

describe("revocation (events 30, 32, 35, 104) against a local CA, CRL server and OCSP responder", () => {
  let root: Issued;
  let int: Issued;
  let crls: HttpFixtureServer;
  let ocsp: RunningOcspResponder;
  let world: ScanWorld;
  const servers: RunningServer[] = [];
  const targets: Target[] = [];
  let alerts: Alert[] = [];
  const serials: Record<string, string> = {};

  const of = (host: string) =>
    alerts
      .filter((a) => a.endpoint?.host === host)
      .map((a) => a.name)
      .sort();
  const find = (host: string, name: string) =>
    alerts.find((a) => a.endpoint?.host === host && a.name === name);

  /** A leaf for `host` whose CRL distribution point is `crlPath` on the fixture server. */
  async function endpoint(
    host: string,
    crlPath: string,
    extra: { ocsp?: string | null; issuer?: Issued; staple?: Uint8Array; leafKeyOnly?: boolean } = {},
  ) {
    const issuer = extra.issuer ?? int;
    const leaf = await issueLeaf(issuer, {
      dnsNames: [host],
      crlDistributionPoints: [crls.url(crlPath)],
      ...(extra.ocsp === null ? {} : { ocspUrl: extra.ocsp ?? ocsp.url }),
    });
    serials[host] = leaf.cert.serialNumber;
    if (issuer === int) ocsp.setStatus(leaf.cert.serialNumber, { status: "good" });
    const s = await startTlsServer({
      chain: [leaf, issuer],
      key: leaf,
      hsts: HSTS,
      ...(extra.staple ? { ocspStaple: extra.staple } : {}),
    });
    servers.push(s);
    targets.push({ host, port: s.port, addresses: ["127.0.0.1"] });
    return leaf;
  }

  before(async () => {
    crls = await startHttpFixtureServer({});
    root = await createRootCa({ subject: "CN=Revocation Test Root", freshKey: true });
    int = await issueIntermediate(root, {
      subject: "CN=Revocation Test CA",
      freshKey: true,
      crlDistributionPoints: [crls.url("/root.crl")],
    });
    const revokedInt = await issueIntermediate(root, {
      subject: "CN=Revoked CA",
      freshKey: true,
      crlDistributionPoints: [crls.url("/root.crl")],
    });
    ocsp = await startOcspResponder({ issuer: int });

    await endpoint("good.test", "/int.crl");
    await endpoint("good2.test", "/int.crl");
    const revokedByCrl = await endpoint("crl-revoked.test", "/int.crl");
    const revokedByOcsp = await endpoint("ocsp-revoked.test", "/int.crl");
    ocsp.setStatus(revokedByOcsp.cert.serialNumber, {
      status: "revoked",
      revokedAt: new Date(Date.now() - DAY),
      reason: "superseded",
    });
    await endpoint("behind-revoked-ca-1.test", "/revoked-ca.crl", { issuer: revokedInt, ocsp: null });
    await endpoint("behind-revoked-ca-2.test", "/revoked-ca.crl", { issuer: revokedInt, ocsp: null });
    await endpoint("crl-404.test", "/missing.crl");
    await endpoint("crl-expired.test", "/expired.crl");
    await endpoint("crl-badsig.test", "/badsig.crl");
    await endpoint("crl-partitioned.test", "/ca-only.crl");
    await endpoint("crl-forever.test", "/forever.crl");
    await endpoint("crl-html.test", "/html.crl");
    await endpoint("crl-huge.test", "/huge.crl");
    await endpoint("ocsp-down.test", "/int.crl", { ocsp: "http://127.0.0.1:9/ocsp" });
    // The stapled answer says revoked; the responder (which would say good) must not be asked.
    const stapledLeafIssuer = int;
    const stapled = await issueLeaf(stapledLeafIssuer, {
      dnsNames: ["stapled.test"],
      crlDistributionPoints: [crls.url("/int.crl")],
      ocspUrl: ocsp.url,
    });
    const staple = ocspResponseFor(
      stapled,
      { issuer: int },
      { status: "revoked", revokedAt: new Date(Date.now() - DAY), reason: "keyCompromise" },
    );
    const s = await startTlsServer({ chain: [stapled, int], key: stapled, hsts: HSTS, ocspStaple: staple });
    servers.push(s);
    targets.push({ host: "stapled.test", port: s.port, addresses: ["127.0.0.1"] });
    serials["stapled.test"] = stapled.cert.serialNumber;

    const revokedEntry = { serialHex: revokedByCrl.cert.serialNumber, reason: "keyCompromise" as const };
    crls.route("/int.crl", {
      kind: "static",
      body: await issueCrl(int, { entries: [revokedEntry] }),
      etag: '"int-1"',
    });
    crls.route("/root.crl", {
      kind: "static",
      body: await issueCrl(root, {
        entries: [{ serialHex: revokedInt.cert.serialNumber, reason: "cACompromise" }],
      }),
    });
    crls.route("/revoked-ca.crl", { kind: "static", body: await issueCrl(revokedInt, { entries: [] }) });
    crls.route("/missing.crl", { kind: "status", status: 404 });
    crls.route("/expired.crl", {
      kind: "static",
      body: await issueCrl(int, {
        entries: [],
        thisUpdate: new Date(Date.now() - 10 * DAY),
        nextUpdate: new Date(Date.now() - DAY),
      }),
    });
    crls.route("/badsig.crl", {
      kind: "static",
      body: await issueCrl(int, { entries: [], signWith: revokedInt }),
    });
    crls.route("/ca-only.crl", {
      kind: "static",
      body: await issueCrl(int, {
        entries: [],
        idp: { uris: [crls.url("/ca-only.crl")], onlyContainsCACerts: true },
      }),
    });
    crls.route("/forever.crl", { kind: "stream" });
    crls.route("/html.crl", { kind: "html" });
    crls.route("/huge.crl", { kind: "stream", bytes: 200 * 1024 * 1024, declareLength: true });

    world = await scanWorld([root], {}, { revocation: FAST_REVOCATION });
    await world.run(targets);
    alerts = await world.store.listAlerts({ status: "open" });
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await crls?.close();
    await ocsp?.close();
    await world?.close();
  });

  it("a healthy chain (CRL and OCSP good) raises nothing", () => {
    assert.deepEqual(of("good.test"), []);
    assert.deepEqual(of("good2.test"), []);
  });

  it("a leaf listed on its CRL raises 30 with the date and reason", () => {
    const a = find("crl-revoked.test", "revoked");
    assert.ok(a, JSON.stringify(of("crl-revoked.test")));
    assert.deepEqual(a.details.sources, ["crl"]);
    assert.equal(a.details.reason, "keyCompromise");
    assert.ok(typeof a.details.revokedAt === "string");
    assert.match(String(a.details.disagreement), /OCSP .* says good/);
  });

  it("a leaf revoked only by OCSP raises 30 and says that the CRL disagrees", () => {
    const a = find("ocsp-revoked.test", "revoked");
    assert.ok(a);
    assert.deepEqual(a.details.sources, ["ocsp"]);
    assert.equal(a.details.reason, "superseded");
    assert.match(String(a.details.disagreement), /does not list it/);
  });

  it("a revoked intermediate raises 30 on every endpoint that serves it (one alert, keyed by the intermediate)", async () => {
    const scopeOf = (host: string) => targetScope(targets.find((t) => t.host === host)!);
    const forEndpoint = async (host: string) =>
      (await world.store.listAlerts({ scopes: [scopeOf(host)] })).filter((a) => a.name === "revoked");
    const [a1] = await forEndpoint("behind-revoked-ca-1.test");
    const [a2] = await forEndpoint("behind-revoked-ca-2.test");
    assert.ok(a1 && a2);
    assert.equal(a1.id, a2.id, "one alert for the intermediate, held by both endpoints");
    assert.equal(a1.details.role, "intermediate");
    assert.equal(a1.certificate?.subject, "CN=Revoked CA");
    assert.equal(a1.details.reason, "cACompromise");
  });

  it("an unreachable CRL raises 32 keyed by its URL", () => {
    const a = alerts.find((x) => x.name === "crl-unreachable" && x.subject === crls.url("/missing.crl"));
    assert.equal(a?.details.stage, "download");
    assert.equal(a?.details.reason, "http-status");
  });

  it("an expired CRL raises 35", () => {
    const a = alerts.find((x) => x.name === "crl-expired" && x.subject === crls.url("/expired.crl"));
    assert.ok(a);
  });

  it("a CRL whose signature does not verify raises 32 saying so", () => {
    const a = alerts.find((x) => x.name === "crl-unreachable" && x.subject === crls.url("/badsig.crl"));
    assert.equal(a?.details.reason, "bad-signature");
  });

  it("a partitioned CRL for CA certificates does not vouch for a leaf (32 out-of-scope)", () => {
    const a = alerts.find((x) => x.name === "crl-unreachable" && x.subject === crls.url("/ca-only.crl"));
    assert.equal(a?.details.reason, "out-of-scope");
  });

  it("a CRL that streams forever, one that is HTML and one of 200 MB each end in a clear 32", () => {
    const reason = (path: string) =>
      alerts.find((x) => x.name === "crl-unreachable" && x.subject === crls.url(path))?.details.reason;
    assert.ok(
      ["too-large", "timeout"].includes(String(reason("/forever.crl"))),
      String(reason("/forever.crl")),
    );
    assert.equal(reason("/html.crl"), "not-a-crl");
    assert.equal(reason("/huge.crl"), "too-large");
  });

  it("an OCSP responder that is down raises 104", () => {
    assert.deepEqual(of("ocsp-down.test"), ["ocsp-unreachable"]);
  });

  it("a stapled response is used and the responder is not asked", () => {
    const a = find("stapled.test", "revoked");
    assert.equal(a?.details.ocsp, "stapled");
    assert.equal(a?.details.reason, "keyCompromise");
    assert.ok(!ocsp.requests.some((r) => r.serials.includes(serials["stapled.test"]!.replace(/^(00)+/, ""))));
  });

  it("each CRL and OCSP question is fetched once per run, and the CRL comes from the store next time", async () => {
    assert.equal(crls.hits("/int.crl"), 1);
    assert.equal(crls.hits("/root.crl"), 1);
    const goodSerial = serials["good.test"]!.toLowerCase().replace(/^(00)+/, "");
    assert.equal(ocsp.requests.filter((r) => r.serials.includes(goodSerial)).length, 1);
    await world.run(targets);
    assert.equal(crls.hits("/int.crl"), 1, "cached until nextUpdate");
    assert.deepEqual(
      (await world.store.listAlerts({ status: "open" })).map((a) => a.id).sort(),
      alerts.map((a) => a.id).sort(),
      "the second run finds the same alerts",
    );
  });
});
