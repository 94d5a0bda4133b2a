/**
 * End to end: a certificate with 10,000 names (a ~210 KB chain, accepted by browsers) is above the
 * Certificate message size OpenSSL's client accepts (100 KiB). The scan reports that limit (105), reads
 * the chain off the wire and checks it (TLS 1.2 in clear, TLS 1.3 decrypted), still sees legacy
 * protocols, and never calls it "no certificate" (27).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Alert } from "../../src/domain/alert.js";
import type { Target } from "../../src/domain/endpoint.js";
import { createRootCa, issueIntermediate, issueLeaf, type Issued } from "../helpers/pki.js";
import { startTlsServer, type RunningServer } from "../helpers/tls-servers.js";
import { scanWorld, type ScanWorld } from "./scan-world.js";

const HOSTS = ["big12.zoo.test", "big13.zoo.test", "big10.zoo.test"] as const;
const STRONG_HSTS = "max-age=31536000; includeSubDomains";

describe("a certificate chain larger than OpenSSL clients accept", () => {
  let world: ScanWorld;
  let leaf: Issued;
  const servers: RunningServer[] = [];
  const targets: Target[] = [];
  let alerts: Alert[] = [];
  const eventsOf = (host: string) =>
    alerts
      .filter((a) => a.endpoint?.host === host)
      .map((a) => a.name)
      .sort();
  const tooLarge = (host: string) =>
    alerts.find((a) => a.endpoint?.host === host && a.name === "certificate-chain-too-large");

  before(async () => {
    const root = await createRootCa({ freshKey: true });
    const int = await issueIntermediate(root, { freshKey: true });
    const many = Array.from({ length: 10_000 }, (_, i) => `host-${String(i).padStart(5, "0")}.zoo.test`);
    leaf = await issueLeaf(int, { dnsNames: [...HOSTS, ...many] });
    assert.ok(leaf.certDer.length > 200_000, `${leaf.certDer.length} bytes`);
    const versions = {
      "big12.zoo.test": { minVersion: "TLSv1.2", maxVersion: "TLSv1.2" },
      "big13.zoo.test": { minVersion: "TLSv1.3", maxVersion: "TLSv1.3" },
      "big10.zoo.test": { minVersion: "TLSv1", maxVersion: "TLSv1.2" },
    } as const;
    for (const host of HOSTS) {
      const s = await startTlsServer({ chain: [leaf, int], key: leaf, hsts: STRONG_HSTS, ...versions[host] });
      servers.push(s);
      targets.push({ host, port: s.port });
    }
    world = await scanWorld([root], Object.fromEntries(HOSTS.map((h) => [h, { A: ["127.0.0.1"] }])));
    await world.run(targets);
    alerts = await world.store.listAlerts({ status: "open" });
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await world?.close();
  });

  it("TLS 1.2: raises 105 (not 27); the chain read off the wire is valid, so nothing else", () => {
    assert.deepEqual(eventsOf("big12.zoo.test"), ["certificate-chain-too-large"]);
    const a = tooLarge("big12.zoo.test");
    assert.equal(a?.details.chainRead, true);
    assert.equal(a?.details.protocol, "TLSv1.2");
    assert.equal(a?.details.clientLimitBytes, 102_400);
    assert.ok((a?.details.certificateMessageBytes as number) > leaf.certDer.length);
    assert.equal(a?.details.hsts, "not-checked");
  });

  it("TLS 1.3 only: the encrypted chain is decrypted and checked the same way", () => {
    assert.deepEqual(eventsOf("big13.zoo.test"), ["certificate-chain-too-large"]);
    assert.equal(tooLarge("big13.zoo.test")?.details.chainRead, true);
    assert.equal(tooLarge("big13.zoo.test")?.details.protocol, "TLSv1.3");
  });

  it("protocols are still checked: a server that accepts TLS 1.0 raises 101 beside 105", () => {
    assert.deepEqual(eventsOf("big10.zoo.test"), ["certificate-chain-too-large", "legacy-tls-protocol"]);
  });

  it("the observation records the served chain with the size limit, never 'no certificate'", async () => {
    for (const t of targets) {
      const [obs] = await world.store.latestObservations(t.host, t.port, 1);
      assert.equal(obs?.outcome, "served", t.host);
      assert.equal(obs?.chain.length, 2, t.host);
      assert.equal(
        (obs?.details as { chainTooLarge?: { clientLimitBytes: number } }).chainTooLarge?.clientLimitBytes,
        102_400,
      );
    }
    assert.ok(!alerts.some((a) => a.name === "no-certificate"));
  });
});
