/**
 * @module sources/dns/cname-chain.test
 * CNAME chain walking (the input of takeover checks) against the local test DNS server.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startDnsServer } from "../../../test/helpers/dns-server.js";
import type { DnsServer } from "../../../test/helpers/dns-server.js";
import { followCnameChain } from "./cname-chain.js";
import { createDnsClient } from "./resolver.js";
import type { DnsClient } from "./resolver.js";

void describe("followCnameChain", () => {
  let server: DnsServer;
  let client: DnsClient;

  before(async () => {
    server = await startDnsServer({
      "www.example.test": { CNAME: "edge.example.test" },
      "edge.example.test": { CNAME: "app.example.test." },
      "app.example.test": { A: ["192.0.2.1"] },
      "old.example.test": { CNAME: "contoso-old.azurewebsites.net" },
      "plain.example.test": { A: ["192.0.2.2"] },
      "loop-a.example.test": { CNAME: "loop-b.example.test" },
      "loop-b.example.test": { CNAME: "loop-a.example.test" },
      "flaky.example.test": { CNAME: "sf.example.test" },
      "sf.example.test": { servfail: true },
    });
    client = createDnsClient({ servers: [server.server], timeoutMs: 500, tries: 1 });
  });
  after(async () => {
    await server.close();
  });

  void it("follows every hop to a name that exists", async () => {
    assert.deepEqual(await followCnameChain(client, "www.example.test"), {
      kind: "ok",
      chain: ["edge.example.test", "app.example.test"],
      end: "exists",
    });
  });

  void it("reports a chain that ends in NXDOMAIN (a dangling alias)", async () => {
    assert.deepEqual(await followCnameChain(client, "old.example.test"), {
      kind: "ok",
      chain: ["contoso-old.azurewebsites.net"],
      end: "nxdomain",
    });
  });

  void it("returns an empty chain for a name that is no alias, or does not exist", async () => {
    assert.deepEqual(await followCnameChain(client, "plain.example.test"), {
      kind: "ok",
      chain: [],
      end: "exists",
    });
    assert.deepEqual(await followCnameChain(client, "none.example.test"), {
      kind: "ok",
      chain: [],
      end: "nxdomain",
    });
  });

  void it("stops on a loop and on an overlong chain", async () => {
    const loop = await followCnameChain(client, "loop-a.example.test");
    assert.ok(loop.kind === "error" && /CNAME loop/.test(loop.error), JSON.stringify(loop));
    const long = await followCnameChain(client, "www.example.test", 1);
    assert.equal(long.kind, "error");
    assert.deepEqual(long.chain, ["edge.example.test", "app.example.test"]);
  });

  void it("passes on a failure with the chain so far", async () => {
    const r = await followCnameChain(client, "flaky.example.test");
    assert.equal(r.kind, "servfail");
    assert.deepEqual(r.chain, ["sf.example.test"]);
  });
});
