/**
 * End to end: real TLS servers on loopback, a real DNS server, the real prober and SQLite store.
 * One case (at least) per TLS event of the catalogue, a healthy endpoint that raises nothing, bad
 * servers that must not hang the scan, and the alert lifecycle across scans.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Alert } from "../../src/domain/alert.js";
import type { Target } from "../../src/domain/endpoint.js";
import { createRootCa, issueIntermediate, issueLeaf, selfSignedLeaf, type Issued } from "../helpers/pki.js";
import {
  startGarbageServer,
  startHugeHeaderServer,
  startPlainHttpServer,
  startSilentServer,
  startTlsServer,
  startTlsServersOnSamePort,
  type RunningServer,
} from "../helpers/tls-servers.js";
import { FAST_PROBE, scanWorld, type ScanWorld } from "./scan-world.js";

const DAY = 86_400_000;
const now = () => new Date();
const days = (n: number) => new Date(Date.now() + n * DAY);
const STRONG_HSTS = "max-age=31536000; includeSubDomains";

describe("certwatch scan against real local servers", () => {
  let root: Issued;
  let int: Issued;
  let world: ScanWorld;
  const servers: RunningServer[] = [];
  const targets = new Map<string, Target>();
  let alerts: Alert[] = [];
  let scanMs = 0;

  /** Starts `server` for `host` and remembers the target (host resolves to its loopback address). */
  const serve = (host: string, s: RunningServer) => {
    servers.push(s);
    targets.set(host, { host, port: s.port });
  };
  const leafFor = (host: string, opts: Parameters<typeof issueLeaf>[1] = {}) =>
    issueLeaf(int, { dnsNames: [host], ...opts });
  const tls = async (host: string, leaf: Issued, extra: Partial<Parameters<typeof startTlsServer>[0]> = {}) =>
    serve(host, await startTlsServer({ chain: [leaf, int], key: leaf, hsts: STRONG_HSTS, ...extra }));
  const eventsOf = (host: string) =>
    alerts
      .filter((a) => a.endpoint?.host === host)
      .map((a) => a.name)
      .sort();

  before(async () => {
    root = await createRootCa({ subject: "CN=certwatch Test Root", freshKey: true });
    int = await issueIntermediate(root, { subject: "CN=certwatch Test Intermediate", freshKey: true });
    const other = await createRootCa({ subject: "CN=Untrusted Root", freshKey: true });

    await tls("healthy.test", await leafFor("healthy.test"));
    await tls("expired.test", await leafFor("expired.test", { notBefore: days(-100), notAfter: days(-1) }));
    await tls("future.test", await leafFor("future.test", { notBefore: days(2), notAfter: days(92) }));
    await tls("wrong-host.test", await leafFor("something-else.test"));
    const wild = await issueLeaf(int, { dnsNames: ["*.wild.test"] });
    await tls("www.wild.test", wild);
    const selfSigned = await selfSignedLeaf({ dnsNames: ["self.test"] });
    serve("self.test", await startTlsServer({ chain: [selfSigned], key: selfSigned, hsts: STRONG_HSTS }));
    await tls("sha1.test", await leafFor("sha1.test", { hash: "SHA-1" }));
    await tls("rsa1024.test", await leafFor("rsa1024.test", { keyType: "rsa-1024" }));
    const stranger = await issueLeaf(other, { dnsNames: ["untrusted.test"] });
    serve(
      "untrusted.test",
      await startTlsServer({ chain: [stranger, other], key: stranger, hsts: STRONG_HSTS }),
    );
    const lonely = await leafFor("nointermediate.test");
    serve("nointermediate.test", await startTlsServer({ chain: [lonely], key: lonely, hsts: STRONG_HSTS }));
    serve("plainhttp.test", await startPlainHttpServer());
    await tls("nohsts.test", await leafFor("nohsts.test"), { hsts: null });
    await tls("weakhsts.test", await leafFor("weakhsts.test"), { hsts: "max-age=3600" });
    await tls("tls10.test", await leafFor("tls10.test"), { minVersion: "TLSv1", maxVersion: "TLSv1" });
    await tls("expiring.test", await leafFor("expiring.test", { notBefore: days(-80), notAfter: days(10) }));
    // Same host behind two addresses on one port: the old certificate on .1, its renewal on .2.
    const oldCert = await leafFor("renewed.test", { notBefore: days(-80), notAfter: days(10) });
    const newCert = await leafFor("renewed.test", { notBefore: days(-1), notAfter: days(89) });
    const pair = await startTlsServersOnSamePort([
      { chain: [oldCert, int], key: oldCert, hsts: STRONG_HSTS, host: "127.0.0.1" },
      { chain: [newCert, int], key: newCert, hsts: STRONG_HSTS, host: "127.0.0.2" },
    ]);
    servers.push(...pair);
    targets.set("renewed.test", { host: "renewed.test", port: pair[0]!.port });
    // A newer wildcard served by another host of the zone covers expiring.zoo.test without renewing it.
    const zooOld = await leafFor("expiring.zoo.test", { notBefore: days(-80), notAfter: days(10) });
    await tls("expiring.zoo.test", zooOld);
    await tls("www.zoo.test", await issueLeaf(int, { dnsNames: ["*.zoo.test"], notBefore: days(-1) }));
    // Bad servers.
    serve("garbage.test", await startGarbageServer());
    serve("silent.test", await startSilentServer());
    const big = await leafFor("bigheader.test");
    serve(
      "bigheader.test",
      await startHugeHeaderServer({ chain: [big, int], key: big, headerBytes: 1_000_000 }),
    );
    targets.set("unresolvable.test", { host: "unresolvable.test", port: 443 });
    targets.set("pinned.test", {
      host: "pinned.test",
      port: targets.get("healthy.test")!.port,
      addresses: ["127.0.0.1"],
      serverName: "healthy.test",
    });

    const zone: Record<string, { A: string[] }> = {};
    for (const host of targets.keys()) if (host !== "unresolvable.test") zone[host] = { A: ["127.0.0.1"] };
    zone["renewed.test"] = { A: ["127.0.0.1", "127.0.0.2"] };
    world = await scanWorld([root], zone);

    const t0 = performance.now();
    await world.run([...targets.values()], now());
    scanMs = performance.now() - t0;
    alerts = await world.store.listAlerts({ status: "open" });
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await world?.close();
  });

  it("a healthy endpoint raises nothing", () => {
    assert.deepEqual(eventsOf("healthy.test"), []);
  });
  it("an expired leaf raises 40 (expired)", () => {
    assert.deepEqual(eventsOf("expired.test"), ["invalid-certificate"]);
    assert.equal(alerts.find((a) => a.subject === "expired.test")?.details.reason, "expired");
  });
  it("a leaf not yet valid raises 40 (not-yet-valid)", () => {
    assert.deepEqual(eventsOf("future.test"), ["invalid-certificate"]);
    assert.equal(alerts.find((a) => a.subject === "future.test")?.details.reason, "not-yet-valid");
  });
  it("a certificate for another name raises 26", () => {
    assert.deepEqual(eventsOf("wrong-host.test"), ["name-mismatch"]);
  });
  it("a wildcard certificate raises 28 and still matches the host", () => {
    assert.deepEqual(eventsOf("www.wild.test"), ["wildcard-certificate"]);
  });
  it("a self-signed leaf raises 31 and 41 (unknown root)", () => {
    assert.deepEqual(eventsOf("self.test"), ["invalid-chain", "self-signed"]);
  });
  it("a SHA-1 signed leaf raises 33", () => {
    assert.deepEqual(eventsOf("sha1.test"), ["sha1-signature"]);
  });
  it("an RSA-1024 key raises 34", () => {
    assert.deepEqual(eventsOf("rsa1024.test"), ["weak-key"]);
    assert.equal(alerts.find((a) => a.subject === "rsa1024.test")?.details.bits, 1024);
  });
  it("a chain to an untrusted root raises 41 (unknown-root)", () => {
    assert.deepEqual(eventsOf("untrusted.test"), ["invalid-chain"]);
    assert.equal(alerts.find((a) => a.subject === "untrusted.test")?.details.reason, "unknown-root");
  });
  it("a missing intermediate raises 41 (missing-intermediate)", () => {
    assert.deepEqual(eventsOf("nointermediate.test"), ["invalid-chain"]);
    assert.equal(
      alerts.find((a) => a.subject === "nointermediate.test")?.details.reason,
      "missing-intermediate",
    );
  });
  it("plain HTTP on the port raises 27", () => {
    assert.deepEqual(eventsOf("plainhttp.test"), ["no-certificate"]);
    assert.equal(alerts.find((a) => a.subject === "plainhttp.test")?.details.reason, "plain-http");
  });
  it("no HSTS raises 42, a short max-age 103", () => {
    assert.deepEqual(eventsOf("nohsts.test"), ["hsts-missing"]);
    assert.deepEqual(eventsOf("weakhsts.test"), ["hsts-weak"]);
  });
  it("TLS 1.0 accepted raises 101", () => {
    assert.deepEqual(eventsOf("tls10.test"), ["legacy-tls-protocol"]);
  });
  it("an expiring certificate with no renewal known raises 68 and 99", () => {
    assert.deepEqual(eventsOf("expiring.test"), [
      "certificate-expiring-not-renewed",
      "installed-certificate-expiring",
    ]);
  });
  it("an expiring certificate renewed on the host's other address raises 68 and 19 there only", () => {
    const renewed = alerts.filter((a) => a.endpoint?.host === "renewed.test");
    assert.deepEqual(renewed.map((a) => `${a.endpoint?.address} ${a.name}`).sort(), [
      "127.0.0.1 installed-certificate-expiring",
      "127.0.0.1 renewal-not-installed",
    ]);
  });
  it("a newer wildcard served by another host is no renewal: 68 and 99 (not 19), the wildcard named as a hint", () => {
    assert.deepEqual(eventsOf("expiring.zoo.test"), [
      "certificate-expiring-not-renewed",
      "installed-certificate-expiring",
    ]);
    const wildcard = alerts.find((a) => a.subject === "www.zoo.test" && a.name === "wildcard-certificate");
    const notRenewed = alerts.find(
      (a) => a.subject === "expiring.zoo.test" && a.name === "certificate-expiring-not-renewed",
    );
    const others = notRenewed?.details.otherCoveringCertificates as { sha256: string; names: string[] }[];
    assert.deepEqual(
      others.map((o) => [o.sha256, o.names]),
      [[wildcard?.certificate?.sha256, ["*.zoo.test"]]],
    );
    assert.match(String(notRenewed?.details.hint), /not counted as a renewal/);
  });
  it("a server that sends garbage raises 27 (not-tls)", () => {
    assert.deepEqual(eventsOf("garbage.test"), ["no-certificate"]);
    assert.equal(alerts.find((a) => a.subject === "garbage.test")?.details.reason, "not-tls");
  });
  it("a server that never answers raises 100 (timeout) and the scan does not hang", () => {
    assert.deepEqual(eventsOf("silent.test"), ["endpoint-unreachable"]);
    assert.equal(alerts.find((a) => a.subject === "silent.test")?.details.reason, "timeout");
    // Everything ran in parallel: the slowest probe bounds the scan.
    const bound =
      FAST_PROBE.connectTimeoutMs + FAST_PROBE.handshakeTimeoutMs + FAST_PROBE.httpTimeoutMs + 5000;
    assert.ok(scanMs < bound, `scan took ${Math.round(scanMs)} ms`);
  });
  it("a 1 MB response header is cut at the cap and recorded, and the certificate is still checked", async () => {
    assert.deepEqual(eventsOf("bigheader.test"), []);
    const [obs] = await world.store.latestObservations(
      "bigheader.test",
      targets.get("bigheader.test")!.port,
      1,
    );
    assert.equal(obs?.outcome, "served");
    assert.match(JSON.stringify(obs?.details), /65536/);
  });
  it("an unresolvable name raises 100 (dns)", () => {
    const a = alerts.find((x) => x.subject === "unresolvable.test");
    assert.equal(a?.name, "endpoint-unreachable");
    assert.equal(a?.details.reason, "dns");
    assert.equal(a?.endpoint?.address, null);
  });
  it("pinned addresses skip DNS and the configured serverName is sent", () => {
    assert.deepEqual(
      eventsOf("pinned.test"),
      ["name-mismatch"],
      "the healthy.test certificate does not name pinned.test",
    );
    assert.ok(!world.dns.queries.some((q) => q.name === "pinned.test"));
  });
  it("re-running the scan never duplicates an alert", async () => {
    const before = await world.store.listAlerts({ status: "all" });
    const report = await world.run([...targets.values()], now());
    const afterRun = await world.store.listAlerts({ status: "all" });
    assert.equal(afterRun.length, before.length);
    assert.deepEqual(new Set(afterRun.map((a) => a.id)), new Set(before.map((a) => a.id)));
    assert.ok(
      report.changes.every((c) => c.kind === "touched"),
      JSON.stringify(report.changes.map((c) => c.kind)),
    );
  });
});

describe("alert lifecycle against a server that is fixed and broken again", () => {
  it("resolves when the server is fixed and reopens when it breaks again", async () => {
    const root = await createRootCa({ freshKey: true });
    const int = await issueIntermediate(root, { freshKey: true });
    const good = await issueLeaf(int, { dnsNames: ["flappy.test"] });
    const world = await scanWorld([root], { "flappy.test": { A: ["127.0.0.1"] } });
    let server = await startTlsServer({ chain: [good, int], key: good, hsts: null });
    const target = { host: "flappy.test", port: server.port };
    try {
      await world.run([target]);
      const [missing] = await world.store.listAlerts({ status: "open" });
      assert.equal(missing?.name, "hsts-missing");

      await server.close();
      server = await startTlsServer({ chain: [good, int], key: good, hsts: STRONG_HSTS, port: target.port });
      const fixed = await world.run([target]);
      assert.deepEqual(
        fixed.changes.map((c) => c.kind),
        ["resolved"],
      );
      const resolved = await world.store.getAlert(missing.id);
      assert.equal(resolved?.status, "resolved");
      assert.ok(resolved?.resolvedAt);
      assert.deepEqual(await world.store.listAlerts({ status: "open" }), []);

      await server.close();
      server = await startTlsServer({ chain: [good, int], key: good, hsts: null, port: target.port });
      const broken = await world.run([target]);
      assert.deepEqual(
        broken.changes.map((c) => c.kind),
        ["reopened"],
      );
      const reopened = await world.store.getAlert(missing.id);
      assert.equal(reopened?.status, "open");
      assert.equal(reopened?.resolvedAt, null);
      assert.equal(reopened?.firstSeen, missing?.firstSeen);
    } finally {
      await server.close();
      await world.close();
    }
  });
});
