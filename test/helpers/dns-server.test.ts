/**
 * @module test/helpers/dns-server.test
 * The test DNS server, checked with node:dns (c-ares) and with raw UDP/TCP packets.
 */
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { promises as dns } from "node:dns";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import * as dnsPacket from "dns-packet";
import type { Answer, DecodedPacket, RecordType } from "dns-packet";
import { startDnsServer } from "./dns-server.js";
import type { DnsServer, ZoneSpec } from "./dns-server.js";

const ZONE: ZoneSpec = {
  "example.test": {
    SOA: { mname: "ns1.example.test", rname: "hostmaster.example.test", serial: 7, minimum: 60 },
    NS: ["ns1.example.test", "ns2.example.test"],
    MX: [{ preference: 10, exchange: "mx1.example.test" }],
    CAA: [
      { tag: "issue", value: "letsencrypt.org" },
      { flags: 128, tag: "iodef", value: "mailto:security@example.test" },
    ],
    TXT: ["v=spf1 -all", "x".repeat(300)],
  },
  "WWW.Example.Test.": { A: ["192.0.2.1", "192.0.2.2"], AAAA: ["2001:db8::1"] },
  "alias.example.test": { CNAME: "hop.example.test" },
  "hop.example.test": { CNAME: "www.example.test" },
  "dangling.example.test": { CNAME: "gone.azurewebsites.net" },
  "loop-a.example.test": { CNAME: "loop-b.example.test" },
  "loop-b.example.test": { CNAME: "loop-a.example.test" },
  "deep.sub.example.test": { A: ["192.0.2.3"] },
  "*.wild.example.test": { A: ["192.0.2.77"] },
  "real.wild.example.test": { A: ["192.0.2.78"] },
  "nx.example.test": { nxdomain: true },
  "sf.example.test": { servfail: true },
  "refused.example.test": { refused: true },
  "silent.example.test": { timeout: true },
  "tc.example.test": { truncate: true, A: ["192.0.2.9"] },
  "bad.example.test": { malformed: true, A: ["192.0.2.9"] },
  "slow.example.test": { delay: 300, A: ["192.0.2.10"] },
  "v6fail.example.test": { servfail: true, behaviourTypes: ["AAAA"], A: ["192.0.2.11"] },
  "big.example.test": { A: Array.from({ length: 80 }, (_, i) => `10.0.${i >> 8}.${i & 255}`) },
};

function resolverFor(server: DnsServer, timeout = 300, tries = 1): dns.Resolver {
  const r = new dns.Resolver({ timeout, tries });
  r.setServers([server.server]);
  return r;
}

function errorCode(e: unknown): unknown {
  return typeof e === "object" && e !== null && "code" in e ? e.code : e;
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.equal(errorCode(e), code);
    return true;
  });
}

function query(name: string, type: RecordType, id = 4242): Buffer {
  return dnsPacket.encode({
    type: "query",
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name, class: "IN" }],
  });
}

async function rawUdp(server: DnsServer, msg: Buffer, waitMs = 1000): Promise<Buffer | null> {
  const socket = dgram.createSocket("udp4");
  try {
    return await new Promise<Buffer | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), waitMs);
      socket.on("message", (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      socket.send(msg, server.port, server.address);
    });
  } finally {
    socket.close();
  }
}

async function rawTcp(server: DnsServer, msg: Buffer): Promise<DecodedPacket> {
  const socket = net.connect(server.port, server.address);
  try {
    return await new Promise<DecodedPacket>((resolve, reject) => {
      let buf = Buffer.alloc(0);
      socket.on("error", reject);
      socket.on("data", (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0))
          resolve(dnsPacket.decode(buf.subarray(2)));
      });
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(msg.length);
      socket.write(Buffer.concat([prefix, msg]));
    });
  } finally {
    socket.destroy();
  }
}

async function udpPacket(server: DnsServer, name: string, type: RecordType): Promise<DecodedPacket> {
  const reply = await rawUdp(server, query(name, type));
  assert.ok(reply !== null, "no reply");
  return dnsPacket.decode(reply);
}

const dataOf = (a: Answer): unknown => ("data" in a ? a.data : undefined);
const rcodeOf = (p: DecodedPacket): unknown => (p as unknown as { rcode: unknown }).rcode;

void describe("test DNS server", () => {
  let server: DnsServer;
  let resolver: dns.Resolver;

  before(async () => {
    server = await startDnsServer(ZONE);
    resolver = resolverFor(server);
  });
  after(async () => {
    await server.close();
  });

  void it("listens on one loopback port for UDP and TCP", async () => {
    assert.equal(server.address, "127.0.0.1");
    assert.ok(server.port > 0);
    assert.equal(server.server, `127.0.0.1:${server.port}`);
    const viaTcp = await rawTcp(server, query("www.example.test", "A", 77));
    assert.equal(viaTcp.id, 77);
    assert.deepEqual(viaTcp.answers?.map(dataOf), ["192.0.2.1", "192.0.2.2"]);
    assert.deepEqual(server.queries.at(-1), { name: "www.example.test", type: "A", transport: "tcp" });
  });

  void it("answers A and AAAA; owner names are case-insensitive", async () => {
    assert.deepEqual(await resolver.resolve4("www.example.test"), ["192.0.2.1", "192.0.2.2"]);
    assert.deepEqual(await resolver.resolve6("Www.EXAMPLE.test"), ["2001:db8::1"]);
  });

  void it("answers NXDOMAIN with the zone's SOA for names it does not know", async () => {
    await rejectsWith(resolver.resolve4("unknown.example.test"), "ENOTFOUND");
    const p = await udpPacket(server, "unknown.example.test", "A");
    assert.equal(rcodeOf(p), "NXDOMAIN");
    assert.equal(p.authorities?.[0]?.type, "SOA");
    assert.equal(p.authorities?.[0]?.name, "example.test");
    const outside = await udpPacket(server, "nowhere.invalid", "A");
    assert.equal(rcodeOf(outside), "NXDOMAIN");
    assert.equal(outside.authorities?.[0]?.type, "SOA");
  });

  void it("answers NODATA for a name without records of the type, and for empty non-terminals", async () => {
    await rejectsWith(resolver.resolveMx("www.example.test"), "ENODATA");
    await rejectsWith(resolver.resolve4("sub.example.test"), "ENODATA");
    const p = await udpPacket(server, "sub.example.test", "A");
    assert.equal(rcodeOf(p), "NOERROR");
    assert.equal(p.answers?.length, 0);
    assert.equal(p.authorities?.[0]?.type, "SOA");
  });

  void it("follows CNAME chains inside the zone and answers the alias itself for CNAME queries", async () => {
    assert.deepEqual(await resolver.resolve4("alias.example.test"), ["192.0.2.1", "192.0.2.2"]);
    const p = await udpPacket(server, "alias.example.test", "A");
    assert.deepEqual(
      p.answers?.map((a) => [a.type, a.name, dataOf(a)]),
      [
        ["CNAME", "alias.example.test", "hop.example.test"],
        ["CNAME", "hop.example.test", "www.example.test"],
        ["A", "www.example.test", "192.0.2.1"],
        ["A", "www.example.test", "192.0.2.2"],
      ],
    );
    assert.deepEqual(await resolver.resolveCname("alias.example.test"), ["hop.example.test"]);
    await rejectsWith(resolver.resolveCname("www.example.test"), "ENODATA");
  });

  void it("answers NXDOMAIN (with the CNAME) when a chain ends outside the zone", async () => {
    await rejectsWith(resolver.resolve4("dangling.example.test"), "ENOTFOUND");
    assert.deepEqual(await resolver.resolveCname("dangling.example.test"), ["gone.azurewebsites.net"]);
    const p = await udpPacket(server, "dangling.example.test", "A");
    assert.equal(rcodeOf(p), "NXDOMAIN");
    assert.equal(p.answers?.[0]?.type, "CNAME");
  });

  void it("answers SERVFAIL at once for a CNAME loop", async () => {
    const started = Date.now();
    await rejectsWith(resolver.resolve4("loop-a.example.test"), "ESERVFAIL");
    assert.ok(Date.now() - started < 250);
  });

  void it("synthesises wildcard answers only below the closest encloser (RFC 4592)", async () => {
    assert.deepEqual(await resolver.resolve4("anything.wild.example.test"), ["192.0.2.77"]);
    assert.deepEqual(await resolver.resolve4("a.b.wild.example.test"), ["192.0.2.77"]);
    assert.deepEqual(await resolver.resolve4("real.wild.example.test"), ["192.0.2.78"]);
    await rejectsWith(resolver.resolve4("under.real.wild.example.test"), "ENOTFOUND");
    await rejectsWith(resolver.resolve4("wild.example.test"), "ENODATA");
  });

  void it("serves CAA, NS, MX, TXT and SOA records", async () => {
    assert.deepEqual(await resolver.resolveCaa("example.test"), [
      { critical: 0, issue: "letsencrypt.org" },
      { critical: 128, iodef: "mailto:security@example.test" },
    ]);
    assert.deepEqual(await resolver.resolveNs("example.test"), ["ns1.example.test", "ns2.example.test"]);
    assert.deepEqual(await resolver.resolveMx("example.test"), [
      { exchange: "mx1.example.test", priority: 10 },
    ]);
    assert.deepEqual(await resolver.resolveTxt("example.test"), [
      ["v=spf1 -all"],
      ["x".repeat(255), "x".repeat(45)],
    ]);
    const soa = await resolver.resolveSoa("example.test");
    assert.equal(soa.nsname, "ns1.example.test");
    assert.equal(soa.hostmaster, "hostmaster.example.test");
    assert.equal(soa.serial, 7);
  });

  void it("answers NXDOMAIN, SERVFAIL and REFUSED where the zone says so", async () => {
    await rejectsWith(resolver.resolve4("nx.example.test"), "ENOTFOUND");
    await rejectsWith(resolver.resolve4("sf.example.test"), "ESERVFAIL");
    await rejectsWith(resolver.resolve4("refused.example.test"), "EREFUSED");
  });

  void it("applies behaviours only to the listed query types", async () => {
    assert.deepEqual(await resolver.resolve4("v6fail.example.test"), ["192.0.2.11"]);
    await rejectsWith(resolver.resolve6("v6fail.example.test"), "ESERVFAIL");
  });

  void it("never answers a timeout name, but logs the query", async () => {
    const before = server.queries.length;
    await rejectsWith(resolverFor(server, 100, 1).resolve4("silent.example.test"), "ETIMEOUT");
    assert.deepEqual(server.queries.slice(before)[0], {
      name: "silent.example.test",
      type: "A",
      transport: "udp",
    });
  });

  void it("truncates over UDP so that the client retries over TCP", async () => {
    const p = await udpPacket(server, "tc.example.test", "A");
    assert.equal(p.flag_tc, true);
    assert.equal(p.answers?.length, 0);
    const before = server.queries.length;
    assert.deepEqual(await resolver.resolve4("tc.example.test"), ["192.0.2.9"]);
    assert.deepEqual(
      server.queries.slice(before).map((q) => q.transport),
      ["udp", "tcp"],
    );
  });

  void it("truncates answers too large for UDP", async () => {
    const p = await udpPacket(server, "big.example.test", "A");
    assert.equal(p.flag_tc, true);
    assert.equal((await resolver.resolve4("big.example.test")).length, 80);
  });

  void it("sends a malformed reply that the client rejects as a bad response", async () => {
    await rejectsWith(resolver.resolve4("bad.example.test"), "EBADRESP");
  });

  void it("delays answers", async () => {
    const started = Date.now();
    assert.deepEqual(await resolverFor(server, 2000).resolve4("slow.example.test"), ["192.0.2.10"]);
    assert.ok(Date.now() - started >= 280);
  });

  void it("answers FORMERR to an undecodable query", async () => {
    const garbage = Buffer.concat([query("x.test", "A").subarray(0, 12), Buffer.from([0x3f, 1, 2])]);
    const reply = await rawUdp(server, garbage);
    assert.ok(reply !== null);
    assert.equal(reply.readUInt16BE(0), 4242);
    assert.equal(reply.readUInt16BE(2) & 0x800f, 0x8001);
  });

  void it("replaces its zone", async () => {
    const other = await startDnsServer({ "a.test": { A: ["192.0.2.50"] } });
    try {
      const r = resolverFor(other);
      assert.deepEqual(await r.resolve4("a.test"), ["192.0.2.50"]);
      other.setZone({ "a.test": { A: ["192.0.2.51"] } });
      assert.deepEqual(await resolverFor(other).resolve4("a.test"), ["192.0.2.51"]);
    } finally {
      await other.close();
    }
  });

  void it("rejects a zone with a CNAME beside other records", async () => {
    await assert.rejects(
      startDnsServer({ "x.test": { CNAME: "y.test", A: ["192.0.2.1"] } }),
      /CNAME and other/,
    );
  });

  void it("closes promptly with queries still pending, and then refuses", async () => {
    const other = await startDnsServer({ "slow.test": { delay: 10_000, A: ["192.0.2.1"] } });
    const r = resolverFor(other, 5000);
    const pending = r.resolve4("slow.test").catch((e: unknown) => errorCode(e));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await other.close();
    assert.ok(Date.now() - started < 500);
    r.cancel();
    assert.equal(await pending, "ECANCELLED");
    await rejectsWith(resolverFor(other).resolve4("slow.test"), "ECONNREFUSED");
  });
});
