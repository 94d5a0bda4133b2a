/**
 * @module sources/dns/resolver.test
 * The DNS client against the real local test DNS server (and the system resolver for localhost).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startDnsServer } from "../../../test/helpers/dns-server.js";
import type { DnsServer } from "../../../test/helpers/dns-server.js";
import { createDnsClient } from "./resolver.js";
import type { DnsClient } from "./resolver.js";
import type { DnsResult } from "./result.js";

function errorOf(r: DnsResult<object>): string {
  return r.kind === "ok" ? "" : r.error;
}

/** Scheduling slack allowed on top of timeoutMs × tries. */
const SLACK_MS = 150;

void describe("DNS client", () => {
  let server: DnsServer;
  let client: DnsClient;

  before(async () => {
    server = await startDnsServer({
      "example.test": {
        CAA: [
          { tag: "issue", value: "letsencrypt.org" },
          { tag: "issuewild", value: ";" },
          { flags: 128, tag: "IODEF", value: "mailto:security@example.test" },
        ],
        NS: ["ns2.example.test.", "ns1.example.test"],
        MX: [
          { preference: 20, exchange: "mx2.example.test" },
          { preference: 10, exchange: "mx1.example.test" },
        ],
      },
      "www.example.test": { A: ["192.0.2.1", "192.0.2.2", "192.0.2.1"], AAAA: ["2001:db8::1"] },
      "v4only.example.test": { A: ["192.0.2.3"] },
      "alias.example.test": { CNAME: "www.example.test" },
      "mail.example.test": { MX: [{ preference: 0, exchange: "." }] },
      "sf.example.test": { servfail: true },
      "refused.example.test": { refused: true },
      "silent.example.test": { timeout: true },
      "slow.example.test": { delay: 3000, A: ["192.0.2.4"] },
      "tc.example.test": { truncate: true, A: ["192.0.2.9"], AAAA: ["2001:db8::9"] },
      "bad.example.test": { malformed: true },
      "v6fail.example.test": { A: ["192.0.2.5"], servfail: true, behaviourTypes: ["AAAA"] },
      "split.example.test": { nxdomain: true, behaviourTypes: ["A"] },
      "split-timeout.example.test": { nxdomain: true, timeout: true, behaviourTypes: ["A"] },
    });
    client = createDnsClient({ servers: [server.server], timeoutMs: 500, tries: 2 });
  });
  after(async () => {
    await server.close();
  });

  void describe("resolveAddresses", () => {
    void it("returns A then AAAA, without duplicates", async () => {
      assert.deepEqual(await client.resolveAddresses("www.example.test"), {
        kind: "ok",
        addresses: ["192.0.2.1", "192.0.2.2", "2001:db8::1"],
      });
    });

    void it("is ok with one family only", async () => {
      assert.deepEqual(await client.resolveAddresses("v4only.example.test."), {
        kind: "ok",
        addresses: ["192.0.2.3"],
      });
    });

    void it("follows a CNAME to its addresses", async () => {
      const r = await client.resolveAddresses("alias.example.test");
      assert.equal(r.kind, "ok");
      assert.deepEqual(r.kind === "ok" ? r.addresses : [], ["192.0.2.1", "192.0.2.2", "2001:db8::1"]);
    });

    void it("reports NXDOMAIN", async () => {
      const r = await client.resolveAddresses("missing.example.test");
      assert.equal(r.kind, "nxdomain");
      assert.match(errorOf(r), /missing\.example\.test A: no such domain/);
    });

    void it("reports NODATA for a name without addresses", async () => {
      assert.equal((await client.resolveAddresses("mail.example.test")).kind, "nodata");
    });

    void it("reports SERVFAIL and REFUSED", async () => {
      assert.equal((await client.resolveAddresses("sf.example.test")).kind, "servfail");
      assert.equal((await client.resolveAddresses("refused.example.test")).kind, "refused");
    });

    void it("is ok when one family fails but the other has records", async () => {
      assert.deepEqual(await client.resolveAddresses("v6fail.example.test"), {
        kind: "ok",
        addresses: ["192.0.2.5"],
      });
    });

    void it("reports nxdomain only when both families agree", async () => {
      // A says NXDOMAIN, AAAA says the name exists without records.
      assert.equal((await client.resolveAddresses("split.example.test")).kind, "nodata");
      // A says NXDOMAIN, AAAA never answers: we cannot tell.
      const quick = createDnsClient({ servers: [server.server], timeoutMs: 100, tries: 1 });
      assert.equal((await quick.resolveAddresses("split-timeout.example.test")).kind, "timeout");
    });

    void it("times out within timeoutMs × tries", async () => {
      const quick = createDnsClient({ servers: [server.server], timeoutMs: 150, tries: 2 });
      for (const host of ["silent.example.test", "slow.example.test"]) {
        const before = server.queries.length;
        const started = Date.now();
        const r = await quick.resolveAddresses(host);
        const elapsed = Date.now() - started;
        assert.equal(r.kind, "timeout", host);
        assert.match(errorOf(r), /timed out/);
        assert.ok(elapsed < 300 + SLACK_MS, `${host} took ${elapsed} ms`);
        assert.ok(server.queries.slice(before).some((q) => q.name === host));
      }
    });

    void it("asks again up to `tries` times, rotating through the servers", async () => {
      const before = server.queries.length;
      const quick = createDnsClient({ servers: [server.server], timeoutMs: 80, tries: 3 });
      assert.equal((await quick.resolveCname("silent.example.test")).kind, "timeout");
      assert.equal(server.queries.slice(before).filter((q) => q.name === "silent.example.test").length, 3);

      const mute = await startDnsServer({ "*": { timeout: true } });
      try {
        const failover = createDnsClient({ servers: [mute.server, server.server], timeoutMs: 150, tries: 2 });
        assert.deepEqual(await failover.resolveAddresses("v4only.example.test"), {
          kind: "ok",
          addresses: ["192.0.2.3"],
        });
        assert.equal(mute.queries.length, 2);
      } finally {
        await mute.close();
      }
    });

    void it("retries a truncated UDP answer over TCP", async () => {
      const before = server.queries.length;
      assert.deepEqual(await client.resolveAddresses("tc.example.test"), {
        kind: "ok",
        addresses: ["192.0.2.9", "2001:db8::9"],
      });
      const transports = server.queries.slice(before).map((q) => `${q.type}/${q.transport}`);
      assert.deepEqual(transports.sort(), ["A/tcp", "A/udp", "AAAA/tcp", "AAAA/udp"]);
    });

    void it("reports a malformed answer as an error", async () => {
      const r = await client.resolveAddresses("bad.example.test");
      assert.equal(r.kind, "error");
      assert.match(errorOf(r), /bad\.example\.test A: malformed DNS response/);
    });

    void it("returns IP literals without a query", async () => {
      const before = server.queries.length;
      assert.deepEqual(await client.resolveAddresses("192.0.2.200"), {
        kind: "ok",
        addresses: ["192.0.2.200"],
      });
      assert.deepEqual(await client.resolveAddresses("2001:db8::5"), {
        kind: "ok",
        addresses: ["2001:db8::5"],
      });
      assert.deepEqual(await client.resolveAddresses("[::1]"), { kind: "ok", addresses: ["::1"] });
      assert.equal(server.queries.length, before);
    });

    void it("reports a DNS server that is not listening as refused", async () => {
      const gone = await startDnsServer({});
      await gone.close();
      const r = await createDnsClient({ servers: [gone.server], timeoutMs: 200, tries: 1 }).resolveAddresses(
        "www.example.test",
      );
      assert.equal(r.kind, "refused");
    });

    void it("uses the system resolver (hosts file) when no servers are configured", async () => {
      const system = createDnsClient({ timeoutMs: 1000, tries: 2 });
      const r = await system.resolveAddresses("localhost");
      assert.equal(r.kind, "ok");
      assert.ok(r.kind === "ok" && r.addresses.some((a) => a === "127.0.0.1" || a === "::1"));
    });
  });

  void describe("other record types", () => {
    void it("parses CAA records", async () => {
      assert.deepEqual(await client.resolveCaa("example.test"), {
        kind: "ok",
        records: [
          { flags: 0, critical: false, tag: "issue", value: "letsencrypt.org" },
          { flags: 0, critical: false, tag: "issuewild", value: ";" },
          { flags: 128, critical: true, tag: "iodef", value: "mailto:security@example.test" },
        ],
      });
      assert.equal((await client.resolveCaa("www.example.test")).kind, "nodata");
      assert.equal((await client.resolveCaa("missing.example.test")).kind, "nxdomain");
    });

    void it("follows CNAMEs for CAA", async () => {
      // alias → www, which has no CAA: NODATA, as a recursive resolver would say.
      assert.equal((await client.resolveCaa("alias.example.test")).kind, "nodata");
    });

    void it("resolves one CNAME hop", async () => {
      assert.deepEqual(await client.resolveCname("alias.example.test"), {
        kind: "ok",
        target: "www.example.test",
      });
      assert.equal((await client.resolveCname("www.example.test")).kind, "nodata");
      assert.equal((await client.resolveCname("missing.example.test")).kind, "nxdomain");
      assert.equal((await client.resolveCname("sf.example.test")).kind, "servfail");
    });

    void it("resolves NS and MX (lowest preference first, null MX as empty exchange)", async () => {
      assert.deepEqual(await client.resolveNs("example.test"), {
        kind: "ok",
        hosts: ["ns2.example.test", "ns1.example.test"],
      });
      assert.deepEqual(await client.resolveMx("example.test"), {
        kind: "ok",
        exchanges: [
          { priority: 10, exchange: "mx1.example.test" },
          { priority: 20, exchange: "mx2.example.test" },
        ],
      });
      assert.deepEqual(await client.resolveMx("mail.example.test"), {
        kind: "ok",
        exchanges: [{ priority: 0, exchange: "" }],
      });
      assert.equal((await client.resolveNs("www.example.test")).kind, "nodata");
    });

    void it("times out within the bound for every query type", async () => {
      const quick = createDnsClient({ servers: [server.server], timeoutMs: 100, tries: 3 });
      const started = Date.now();
      const results = await Promise.all([
        quick.resolveCname("silent.example.test"),
        quick.resolveCaa("silent.example.test"),
        quick.resolveNs("silent.example.test"),
        quick.resolveMx("silent.example.test"),
      ]);
      assert.deepEqual(
        results.map((r) => r.kind),
        ["timeout", "timeout", "timeout", "timeout"],
      );
      assert.ok(Date.now() - started < 300 + SLACK_MS);
    });

    void it("reports an empty name as an error without a query", async () => {
      assert.equal((await client.resolveCaa("")).kind, "error");
      assert.equal((await client.resolveAddresses("")).kind, "error");
    });
  });

  void describe("createDnsClient", () => {
    void it("rejects bad options at construction", () => {
      assert.throws(() => createDnsClient({ timeoutMs: 0, tries: 1 }), RangeError);
      assert.throws(() => createDnsClient({ timeoutMs: 100, tries: 0 }), RangeError);
      assert.throws(
        () => createDnsClient({ servers: ["not an address"], timeoutMs: 100, tries: 1 }),
        /dns servers \["not an address"\]/,
      );
    });
  });
});
