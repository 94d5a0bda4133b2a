/**
 * @module sources/dns/caa.test
 * RFC 8659 tree climbing against the local test DNS server.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startDnsServer } from "../../../test/helpers/dns-server.js";
import type { DnsServer } from "../../../test/helpers/dns-server.js";
import { findCaaPolicy } from "./caa.js";
import { createDnsClient } from "./resolver.js";
import type { DnsClient } from "./resolver.js";

void describe("findCaaPolicy", () => {
  let server: DnsServer;
  let client: DnsClient;

  before(async () => {
    server = await startDnsServer({
      "example.test": { CAA: [{ tag: "issue", value: "ca.example" }] },
      "www.example.test": { A: ["192.0.2.1"] },
      "own.example.test": { CAA: [{ tag: "issuewild", value: "other.example" }] },
      "alias.example.test": { CNAME: "own.example.test" },
      "broken.example.test": { servfail: true, behaviourTypes: ["CAA"] },
      "nocaa.test": { A: ["192.0.2.2"] },
    });
    client = createDnsClient({ servers: [server.server], timeoutMs: 500, tries: 1 });
  });
  after(async () => {
    await server.close();
  });

  void it("climbs from the name to the closest CAA record set", async () => {
    assert.deepEqual(await findCaaPolicy(client, "deep.www.example.test."), {
      kind: "ok",
      owner: "example.test",
      records: [{ flags: 0, critical: false, tag: "issue", value: "ca.example" }],
    });
    assert.deepEqual(
      server.queries.filter((q) => q.type === "CAA").map((q) => q.name),
      ["deep.www.example.test", "www.example.test", "example.test"],
    );
  });

  void it("stops at the name's own record set, and follows a CNAME at the name", async () => {
    const own = await findCaaPolicy(client, "own.example.test");
    assert.equal(own.kind === "ok" ? own.owner : null, "own.example.test");
    const alias = await findCaaPolicy(client, "alias.example.test");
    assert.equal(alias.kind === "ok" ? alias.records[0]?.tag : null, "issuewild");
  });

  void it("starts a wildcard name at its base domain", async () => {
    const r = await findCaaPolicy(client, "*.own.example.test");
    assert.equal(r.kind === "ok" ? r.owner : null, "own.example.test");
  });

  void it("finds no policy when no name up to the TLD has one", async () => {
    server.queries.length = 0;
    assert.deepEqual(await findCaaPolicy(client, "www.nocaa.test"), { kind: "ok", owner: null, records: [] });
    assert.deepEqual(
      server.queries.map((q) => q.name),
      ["www.nocaa.test", "nocaa.test", "test"],
    );
  });

  void it("stops with the failure when a lookup on the way fails", async () => {
    const r = await findCaaPolicy(client, "a.broken.example.test");
    assert.equal(r.kind, "servfail");
  });
});
