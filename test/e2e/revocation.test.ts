/**
 * Revocation end to end: a real local CA publishing CRLs over HTTP, a real OCSP responder, TLS
 * servers on loopback, and the scan with the real prober, CRL/OCSP clients and SQLite store. The test CAs
 * publish on 127.0.0.1, which these scans allow explicitly (allowPrivateAddresses); the last suite keeps the
 * default and shows that URLs pointing inside the network are refused before any connection.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { isIP, type AddressInfo, type LookupFunction } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Alert } from "../../src/domain/alert.js";
import { targetScope, type Target } from "../../src/domain/endpoint.js";
import { createDnsClient, type DnsClient } from "../../src/sources/dns/resolver.js";
import { publicAddressesOnly } from "../../src/util/address-policy.js";
import { issueCrl } from "../helpers/crl-ca.js";
import { startDnsServer, type DnsServer } from "../helpers/dns-server.js";
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
    // Five distribution points: the first three (maxDistributionPoints) are fetched, the rest reported.
    const many = await issueLeaf(int, {
      dnsNames: ["many-dps.test"],
      crlDistributionPoints: [1, 2, 3, 4, 5].map((i) => crls.url(`/dp${i}.crl`)),
      ocspUrl: ocsp.url,
    });
    ocsp.setStatus(many.cert.serialNumber, { status: "good" });
    const manyServer = await startTlsServer({ chain: [many, int], key: many, hsts: HSTS });
    servers.push(manyServer);
    targets.push({ host: "many-dps.test", port: manyServer.port, addresses: ["127.0.0.1"] });
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
    const intCrl = await issueCrl(int, { entries: [] });
    for (const i of [1, 2, 3, 4, 5]) crls.route(`/dp${i}.crl`, { kind: "static", body: intCrl });
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

  it("a certificate with more distribution points than maxDistributionPoints: the rest are skipped and reported (32)", () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((i) => crls.hits(`/dp${i}.crl`)),
      [1, 1, 1, 0, 0],
    );
    const a = find("many-dps.test", "crl-unreachable");
    assert.equal(a?.subject, crls.url("/dp4.crl"));
    assert.equal(a?.details.reason, "too-many-distribution-points");
    assert.match(
      String(a?.details.error),
      /names 5 CRL distribution points .* is 3; skipped .*dp4\.crl, .*dp5\.crl$/,
    );
    assert.deepEqual(of("many-dps.test"), ["crl-unreachable"]);
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

/** A plain HTTP server on `host` that counts the connections it accepts. */
async function countingServer(
  host: string,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ origin: string; port: number; connections(): number; close(): Promise<void> }> {
  const server = createServer(handler);
  let connections = 0;
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://${host}:${port}`,
    port,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A `lookup` that asks the test DNS server, as the system resolver would ask the real one. */
function lookupVia(dns: DnsClient): LookupFunction {
  return (hostname, options, callback) => {
    void dns.resolveAddresses(hostname).then((r) => {
      const first = r.kind === "ok" ? r.addresses[0] : undefined;
      if (r.kind !== "ok" || first === undefined) {
        const e: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
        e.code = "ENOTFOUND";
        callback(e, options.all === true ? [] : "");
        return;
      }
      if (options.all === true)
        callback(
          null,
          r.addresses.map((address) => ({ address, family: isIP(address) })),
        );
      else callback(null, first, isIP(first));
    });
  };
}

describe("by default, CRL and OCSP URLs that point inside the network are refused before any connection", () => {
  let root: Issued;
  let int: Issued;
  let inside: Awaited<ReturnType<typeof countingServer>>;
  let standIn: Awaited<ReturnType<typeof countingServer>>;
  let ocsp: RunningOcspResponder;
  let dns: DnsServer;
  let world: ScanWorld;
  let standInWorld: ScanWorld;
  const servers: RunningServer[] = [];
  let alerts: Alert[] = [];
  const urls: Record<string, string> = {};

  async function endpoint(host: string, crlUrl: string, ocspUrl?: string): Promise<Target> {
    urls[host] = crlUrl;
    const leaf = await issueLeaf(int, {
      dnsNames: [host],
      crlDistributionPoints: [crlUrl],
      ...(ocspUrl !== undefined ? { ocspUrl } : {}),
    });
    const s = await startTlsServer({ chain: [leaf, int], key: leaf, hsts: HSTS });
    servers.push(s);
    return { host, port: s.port, addresses: ["127.0.0.1"] };
  }

  const find = (host: string, name: string) =>
    alerts.find((a) => a.endpoint?.host === host && a.name === name);

  before(async () => {
    root = await createRootCa({ subject: "CN=Inside Test Root", freshKey: true });
    int = await issueIntermediate(root, { subject: "CN=Inside Test CA", freshKey: true });
    const crl = Buffer.from(await issueCrl(int, { entries: [] }));
    // A valid CRL for any path: a connection that got through would be answered and counted.
    inside = await countingServer("127.0.0.1", (_req, res) => {
      res.writeHead(200, { "content-type": "application/pkix-crl", "content-length": crl.length }).end(crl);
    });
    ocsp = await startOcspResponder({ issuer: int });
    // 127.0.0.2 stands in for a CA's public server; it redirects to the loopback one.
    standIn = await countingServer("127.0.0.2", (_req, res) => {
      res.writeHead(302, { location: `${inside.origin}/via-redirect.crl`, "content-length": 0 }).end();
    });
    dns = await startDnsServer({
      "crl.inside.test": { A: ["127.0.0.1"] },
      "ocsp.inside.test": { A: ["127.0.0.1"] },
      "crl.public.test": { A: ["127.0.0.2"] },
    });
    const lookup = lookupVia(createDnsClient({ servers: [dns.server], timeoutMs: 1000, tries: 2 }));

    const targets = [
      await endpoint("literal.test", `${inside.origin}/literal.crl`, ocsp.url),
      await endpoint(
        "by-name.test",
        `http://crl.inside.test:${inside.port}/by-name.crl`,
        `http://ocsp.inside.test:${ocsp.port}/ocsp`,
      ),
      await endpoint("metadata.test", "http://169.254.169.254/latest/meta-data/iam/security-credentials/"),
      await endpoint("mapped.test", `http://[::ffff:127.0.0.1]:${inside.port}/mapped.crl`),
    ];
    const redirected = await endpoint("redirect.test", `http://crl.public.test:${standIn.port}/ca.crl`);

    // The defaults (allowPrivateAddresses: false), resolving names through the test DNS server.
    const defaults = { ...FAST_REVOCATION, allowPrivateAddresses: false, lookup };
    world = await scanWorld([root], {}, { revocation: defaults });
    await world.run(targets);
    // The same, except that the stand-in's address counts as public: its redirect is judged by the default.
    standInWorld = await scanWorld(
      [root],
      {},
      {
        revocation: {
          ...defaults,
          addressPolicy: (a) => (a === "127.0.0.2" ? null : publicAddressesOnly(a)),
        },
      },
    );
    await standInWorld.run([redirected]);
    alerts = [
      ...(await world.store.listAlerts({ status: "open" })),
      ...(await standInWorld.store.listAlerts({ status: "open" })),
    ];
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await inside?.close();
    await standIn?.close();
    await ocsp?.close();
    await dns?.close();
    await world?.close();
    await standInWorld?.close();
  });

  /** `hint`: the default policy names the setting that would allow it (the stand-in world's policy does not). */
  const refused = (host: string, why: RegExp, hint = true) => {
    const a = find(host, "crl-unreachable");
    assert.ok(
      a,
      `${host}: ${JSON.stringify(alerts.filter((x) => x.endpoint?.host === host).map((x) => x.name))}`,
    );
    assert.equal(a.subject, urls[host]);
    assert.equal(a.details.stage, "download");
    assert.equal(a.details.reason, "forbidden-address", String(a.details.error));
    assert.match(String(a.details.error), why);
    if (hint) assert.match(String(a.details.error), /revocation\.allowPrivateAddresses/);
  };

  it("a CRL at 127.0.0.1 raises 32 forbidden-address", () => {
    refused("literal.test", /127\.0\.0\.1 is a loopback address/);
  });

  it("a CRL at a name that resolves to 127.0.0.1 raises 32 forbidden-address (judged after DNS)", () => {
    refused("by-name.test", /crl\.inside\.test resolves to 127\.0\.0\.1, a loopback address/);
  });

  it("a CRL at the cloud metadata address 169.254.169.254 raises 32 forbidden-address", () => {
    refused("metadata.test", /169\.254\.169\.254 is a link-local address/);
  });

  it("a CRL at loopback written as IPv4-mapped IPv6 raises 32 forbidden-address", () => {
    refused("mapped.test", /loopback address, carried in IPv4-mapped IPv6/);
  });

  it("a public-looking CRL URL that redirects to loopback raises 32 forbidden-address", () => {
    refused(
      "redirect.test",
      /redirect 1 from http:\/\/crl\.public\.test.* 127\.0\.0\.1 is a loopback address/,
      false,
    );
    assert.equal(standIn.connections(), 1, "the stand-in for the public server was asked");
  });

  it("an OCSP responder at 127.0.0.1, by address or by name, raises 104 forbidden-address", () => {
    for (const host of ["literal.test", "by-name.test"]) {
      const a = find(host, "ocsp-unreachable");
      assert.ok(a, host);
      assert.match(String(a.details.error), /^forbidden-address: .*127\.0\.0\.1.*loopback address/, host);
    }
  });

  it("no connection reached the loopback CRL server or OCSP responder", () => {
    assert.equal(inside.connections(), 0);
    assert.equal(ocsp.connections, 0);
    assert.equal(ocsp.requests.length, 0);
  });
});
