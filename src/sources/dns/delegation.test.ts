/**
 * @module sources/dns/delegation.test
 * Gathering NS delegation evidence against the local test DNS server: SOA asked of each name server address,
 * bad answers asked again, timeouts, truncation, given name servers, and the bounds.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startDnsServer, type DnsServer, type ZoneSpec } from "../../../test/helpers/dns-server.js";
import { gatherDelegation, querySoa, serverAddress } from "./delegation.js";
import { createDnsClient, type DnsClient } from "./resolver.js";

const SOA = { mname: "ns1.good.test", rname: "hostmaster.good.test", serial: 42 };

const ZONE: ZoneSpec = {
  "good.test": { NS: ["ns1.good.test.", "NS1.good.test", "ns2.good.test"], SOA },
  "ns1.good.test": { A: ["127.0.0.1"] },
  "ns2.good.test": { A: ["127.0.0.1"], AAAA: ["::1"] },
  "lame.test": { NS: ["ns1.good.test"], refused: true, behaviourTypes: ["SOA"] },
  "orphan.test": { NS: ["ns1.gone.test"] },
  "slow.test": { NS: ["ns1.good.test"], SOA, timeout: true, behaviourTypes: ["SOA"] },
  "tc.test": { NS: ["ns1.good.test"], SOA, truncate: true, behaviourTypes: ["SOA"] },
  "junk.test": { NS: ["ns1.good.test"], SOA, malformed: true, behaviourTypes: ["SOA"] },
  "leaf.good.test": { A: ["192.0.2.1"] },
  "alias.test": { CNAME: "good.test" },
  "sf-ns.test": { NS: ["ns1.good.test"], servfail: true, behaviourTypes: ["NS"] },
};

void describe("gatherDelegation", () => {
  let server: DnsServer;
  let client: DnsClient;

  before(async () => {
    server = await startDnsServer(ZONE);
    client = createDnsClient({ servers: [server.server], timeoutMs: 400, tries: 1 });
  });
  after(async () => {
    await server.close();
  });

  const options = (): { port: number; timeoutMs: number } => ({ port: server.port, timeoutMs: 400 });

  void it("asks every address of every name server for the SOA, once when it answers", async () => {
    const r = await gatherDelegation(client, "Good.Test.", options());
    assert.equal(r.kind, "ok");
    if (r.kind !== "ok") return;
    assert.equal(r.evidence.zone, "good.test");
    assert.deepEqual(
      r.evidence.nameservers.map((ns) => ns.host),
      ["ns1.good.test", "ns2.good.test"],
    );
    const ns1 = r.evidence.nameservers[0];
    assert.deepEqual(ns1?.resolution, [{ kind: "ok", addresses: ["127.0.0.1"] }]);
    assert.deepEqual(ns1?.probes, [
      {
        address: "127.0.0.1",
        tries: [
          { kind: "ok", soa: { nsname: "ns1.good.test", hostmaster: "hostmaster.good.test", serial: 42 } },
        ],
      },
    ]);
    // ::1 is an address too, where nothing listens.
    const ns2 = r.evidence.nameservers[1];
    assert.deepEqual(
      ns2?.probes.map((p) => p.address),
      ["127.0.0.1", "::1"],
    );
    assert.equal(ns2?.probes[0]?.tries[0]?.kind, "ok");
    // Nothing listening is not the DNS answer REFUSED: it is asked once and leaves the verdict open.
    const v6 = ns2?.probes[1]?.tries ?? [];
    assert.equal(v6.length, 1);
    assert.ok(v6[0]?.kind === "error" || v6[0]?.kind === "timeout", JSON.stringify(v6));
  });

  void it("asks a REFUSED again, up to `tries` answers", async () => {
    const before = server.queries.filter((q) => q.name === "lame.test" && q.type === "SOA").length;
    const r = await gatherDelegation(client, "lame.test", { ...options(), tries: 3 });
    assert.ok(r.kind === "ok");
    const kinds = r.evidence.nameservers[0]?.probes[0]?.tries.map((t) => t.kind);
    assert.deepEqual(kinds, ["refused", "refused", "refused"]);
    const asked = server.queries.filter((q) => q.name === "lame.test" && q.type === "SOA").length - before;
    assert.equal(asked, 3);
  });

  void it("records an NXDOMAIN name server host on every try, with no probes", async () => {
    const r = await gatherDelegation(client, "orphan.test", options());
    assert.ok(r.kind === "ok");
    const ns = r.evidence.nameservers[0];
    assert.equal(ns?.host, "ns1.gone.test");
    assert.deepEqual(
      ns?.resolution.map((x) => x.kind),
      ["nxdomain", "nxdomain"],
    );
    assert.deepEqual(ns?.probes, []);
  });

  void it("gives a timeout once (not repeated), and survives malformed answers", async () => {
    const started = Date.now();
    const slow = await gatherDelegation(client, "slow.test", options());
    assert.ok(slow.kind === "ok");
    assert.deepEqual(
      slow.evidence.nameservers[0]?.probes[0]?.tries.map((t) => t.kind),
      ["timeout"],
    );
    assert.ok(Date.now() - started < 2000, "one deadline, not several");
    const junk = await gatherDelegation(client, "junk.test", options());
    assert.ok(junk.kind === "ok");
    const kind = junk.evidence.nameservers[0]?.probes[0]?.tries[0]?.kind;
    assert.ok(kind === "error" || kind === "timeout", String(kind));
  });

  void it("gets a truncated SOA answer over TCP", async () => {
    const r = await gatherDelegation(client, "tc.test", options());
    assert.ok(r.kind === "ok");
    assert.equal(r.evidence.nameservers[0]?.probes[0]?.tries[0]?.kind, "ok");
    const transports = server.queries
      .filter((q) => q.name === "tc.test" && q.type === "SOA")
      .map((q) => q.transport);
    assert.deepEqual(transports, ["udp", "tcp"]);
  });

  void it("returns the failure when the NS set cannot be learnt; no delegation is nodata", async () => {
    const sf = await gatherDelegation(client, "sf-ns.test", options());
    assert.equal(sf.kind, "servfail");
    const leaf = await gatherDelegation(client, "leaf.good.test", options());
    assert.equal(leaf.kind, "nodata");
    const none = await gatherDelegation(client, "missing.test", options());
    assert.equal(none.kind, "nxdomain");
    // An alias would be answered with its target's NS set, whose servers refuse the alias's SOA.
    const alias = await gatherDelegation(client, "alias.test", options());
    assert.deepEqual(alias, {
      kind: "nodata",
      error: "alias.test is an alias (CNAME good.test), not a delegation",
    });
  });

  void it("uses given name servers without asking for NS, within the bounds", async () => {
    const before = server.queries.length;
    const r = await gatherDelegation(client, "sf-ns.test", {
      ...options(),
      nameservers: ["ns1.good.test", "ns2.good.test", "ns3.good.test"],
      maxNameservers: 2,
      maxAddressesPerHost: 1,
      concurrency: 1,
    });
    assert.ok(r.kind === "ok");
    assert.deepEqual(
      r.evidence.nameservers.map((ns) => [ns.host, ns.probes.length]),
      [
        ["ns1.good.test", 1],
        ["ns2.good.test", 1],
      ],
    );
    assert.ok(!server.queries.slice(before).some((q) => q.type === "NS"));
  });
});

void describe("querySoa", () => {
  void it("never rejects, even for a bad server address", async () => {
    const r = await querySoa("not an address", "example.test", 200);
    assert.equal(r.kind, "error");
  });

  void it("formats IPv6 servers in brackets", () => {
    assert.equal(serverAddress("2001:db8::1", 53), "[2001:db8::1]:53");
    assert.equal(serverAddress("192.0.2.1", 5353), "192.0.2.1:5353");
  });
});
