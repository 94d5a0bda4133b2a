/**
 * @module checks/takeover.test
 * Event 18 domain-takeover: the rules on hand-made chain results and delegation evidence, then the whole path
 * (followCnameChain tries and gatherDelegation) against the local test DNS server over UDP and TCP.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startDnsServer, type DnsServer, type ZoneSpec } from "../../test/helpers/dns-server.js";
import { followCnameChain, type CnameChainResult } from "../sources/dns/cname-chain.js";
import { gatherDelegation, type DelegationEvidence, type SoaResult } from "../sources/dns/delegation.js";
import { createDnsClient, type DnsClient } from "../sources/dns/resolver.js";
import type { AddressResult, NsResult } from "../sources/dns/result.js";
import {
  checkCnameTakeover,
  checkDelegationTakeover,
  registrableDomainOf,
  takeoverFollowUp,
  type CnameTakeoverInput,
  type TakeoverOutcome,
} from "./takeover.js";
import {
  DNS_HOSTING_PROVIDERS,
  TAKEOVER_PROVIDERS,
  matchesFingerprint,
  providerFor,
} from "./takeover-providers.js";

const ok = (chain: string[], end: "exists" | "nxdomain"): CnameChainResult => ({ kind: "ok", chain, end });
const fail = (kind: "servfail" | "timeout" | "error", chain: string[], error: string): CnameChainResult => ({
  kind,
  chain,
  error,
});
const times = <T>(n: number, value: T): T[] => Array.from({ length: n }, () => value);

function check(input: CnameTakeoverInput): TakeoverOutcome {
  return checkCnameTakeover(input);
}

void describe("takeover providers table", () => {
  void it("covers every Azure suffix of the specification, with NXDOMAIN as the signal", () => {
    for (const suffix of [
      "azurewebsites.net",
      "cloudapp.net",
      "cloudapp.azure.com",
      "blob.core.windows.net",
      "trafficmanager.net",
      "azureedge.net",
      "azurefd.net",
      "azure-api.net",
      "azurecontainer.io",
      "azurestaticapps.net",
      "servicebus.windows.net",
      "search.windows.net",
      "redis.cache.windows.net",
      "database.windows.net",
      "azurehdinsight.net",
      "azure-mobile.net",
    ]) {
      const p = providerFor(`contoso-thing.${suffix}`);
      assert.ok(p !== null, suffix);
      assert.match(p.name, /^Azure/, suffix);
      assert.equal(p.signal, "nxdomain", suffix);
      assert.equal(p.vulnerable, "yes", suffix);
      assert.equal(providerFor(suffix), null, `${suffix} itself is no resource`);
    }
    assert.equal(providerFor("myvm.westeurope.cloudapp.azure.com")?.name, "Azure public IP / VM DNS label");
  });

  void it("matches the longest suffix, region patterns and trailing dots", () => {
    assert.equal(providerFor("Contoso.S3-Website-US-East-1.amazonaws.com.")?.name, "AWS S3");
    assert.equal(providerFor("bucket.s3-website.eu-central-1.amazonaws.com")?.name, "AWS S3");
    assert.equal(providerFor("s3-website-us-east-1.amazonaws.com")?.name, "AWS S3");
    assert.equal(providerFor("bucket.s3.amazonaws.com")?.name, "AWS S3");
    assert.equal(providerFor("my-lb-123.us-east-1.elb.amazonaws.com")?.name, "AWS Elastic Load Balancing");
    assert.equal(providerFor("app.us-west-2.elasticbeanstalk.com")?.name, "AWS Elastic Beanstalk");
    assert.equal(providerFor("contoso.github.io")?.name, "GitHub Pages");
    assert.equal(providerFor("example.com"), null);
    assert.equal(providerFor("amazonaws.com.evil.example"), null);
  });

  void it("gives every service a remediation, a reference and, for HTTP, a fingerprint to match", () => {
    for (const p of TAKEOVER_PROVIDERS) {
      assert.ok(p.remediation.length > 20, p.name);
      assert.match(p.reference, /^https:\/\//, p.name);
      if (p.signal === "http" && p.vulnerable !== "no") {
        assert.ok(p.fingerprint?.body !== undefined || p.fingerprint?.status !== undefined, p.name);
      }
    }
    for (const p of DNS_HOSTING_PROVIDERS) assert.ok(p.remediation.length > 20, p.name);
  });

  void it("matches HTTP fingerprints by body and status", () => {
    const github = providerFor("contoso.github.io");
    assert.ok(github !== null);
    assert.equal(matchesFingerprint(github, 404, "<p>There isn't a GitHub Pages site here.</p>"), true);
    assert.equal(matchesFingerprint(github, 200, "<p>There isn't a GitHub Pages site here.</p>"), false);
    assert.equal(matchesFingerprint(github, 404, "Not Found"), false);
  });
});

void describe("checkCnameTakeover (pure)", () => {
  const AZ = "contoso-old.azurewebsites.net";

  void it("raises 18 for a dangling Azure CNAME: NXDOMAIN on 3 of 3 tries", () => {
    const out = check({ name: "Old.Contoso.com.", tries: times(3, ok([AZ], "nxdomain")) });
    assert.deepEqual(out.inconclusive, []);
    assert.equal(out.findings.length, 1);
    const f = out.findings[0];
    assert.ok(f !== undefined);
    assert.equal(f.event, "domain-takeover");
    assert.equal(f.key, "old.contoso.com");
    assert.equal(f.subject, "old.contoso.com");
    assert.equal(f.endpoint, null);
    assert.equal(f.certificate, null);
    assert.deepEqual(f.details.chain, ["old.contoso.com", AZ]);
    assert.equal(f.details.provider, "Azure App Service");
    assert.equal(f.details.signal, "nxdomain");
    assert.equal(f.details.status, "yes");
    assert.equal(f.details.evidence, `NXDOMAIN for ${AZ} on 3 of 3 tries`);
    assert.match(String(f.details.remediation), /App Service app/);
  });

  void it("keeps the whole chain when several CNAMEs lead to the dangling Azure name", () => {
    const chain = ["edge.contoso.com", "cdn.contoso.com", "gone.azurewebsites.net"];
    const out = check({ name: "www.contoso.com", tries: times(2, ok(chain, "nxdomain")) });
    assert.deepEqual(out.findings[0]?.details.chain, ["www.contoso.com", ...chain]);
    assert.equal(out.findings[0]?.details.target, "gone.azurewebsites.net");
  });

  void it("raises nothing for a live Azure CNAME or a name that is no alias", () => {
    assert.deepEqual(check({ name: "live.contoso.com", tries: times(3, ok([AZ], "exists")) }), {
      findings: [],
      inconclusive: [],
      dismissed: [],
    });
    assert.equal(check({ name: "a.contoso.com", tries: times(3, ok([], "exists")) }).findings.length, 0);
    assert.equal(check({ name: "gone.contoso.com", tries: times(3, ok([], "nxdomain")) }).findings.length, 0);
  });

  void it("is inconclusive when any try failed (SERVFAIL, timeout)", () => {
    for (const bad of [
      fail("servfail", [AZ], `${AZ} CNAME: the DNS server failed to answer (SERVFAIL)`),
      fail("timeout", [AZ], `${AZ} CNAME: no answer within 500 ms (timed out)`),
    ]) {
      const out = check({
        name: "old.contoso.com",
        tries: [ok([AZ], "nxdomain"), bad, ok([AZ], "nxdomain")],
      });
      assert.deepEqual(out.findings, []);
      assert.equal(out.inconclusive.length, 1);
      assert.match(out.inconclusive[0]?.reason ?? "", /^(SERVFAIL|timeout) on 1 of 3 tries/);
      assert.deepEqual(out.inconclusive[0]?.chain, ["old.contoso.com", AZ]);
    }
  });

  void it("is inconclusive when NXDOMAIN is not consistent (NXDOMAIN, then an answer)", () => {
    const out = check({ name: "old.contoso.com", tries: [ok([AZ], "nxdomain"), ok([AZ], "exists")] });
    assert.deepEqual(out.findings, []);
    assert.match(out.inconclusive[0]?.reason ?? "", /NXDOMAIN on 1 of 2 tries.*not consistent/);
  });

  void it("is inconclusive for a single try (NXDOMAIN must be seen twice by default)", () => {
    const out = check({ name: "old.contoso.com", tries: [ok([AZ], "nxdomain")] });
    assert.deepEqual(out.findings, []);
    assert.match(out.inconclusive[0]?.reason ?? "", /at least 2 are needed/);
    assert.equal(
      checkCnameTakeover({ name: "old.contoso.com", tries: [ok([AZ], "nxdomain")] }, { minTries: 1 }).findings
        .length,
      1,
    );
  });

  void it("is inconclusive for a CNAME loop or an over-long chain, with the error", () => {
    const loop = fail(
      "error",
      ["b.contoso.com", "a.contoso.com"],
      "a.contoso.com: CNAME loop at a.contoso.com",
    );
    const out = check({ name: "a.contoso.com", tries: times(3, loop) });
    assert.deepEqual(out.findings, []);
    assert.match(out.inconclusive[0]?.reason ?? "", /CNAME loop at a\.contoso\.com/);
  });

  void it("dismisses services that are not vulnerable, and NXDOMAIN at an HTTP-signal service", () => {
    const elb = check({
      name: "lb.contoso.com",
      tries: times(3, ok(["old-1.us-east-1.elb.amazonaws.com"], "nxdomain")),
    });
    assert.deepEqual(elb.findings, []);
    assert.match(elb.dismissed[0]?.reason ?? "", /AWS Elastic Load Balancing names cannot be claimed/);
    const heroku = check({ name: "app.contoso.com", tries: times(3, ok(["x.herokudns.com"], "nxdomain")) });
    assert.deepEqual(heroku.findings, []);
    assert.match(heroku.dismissed[0]?.reason ?? "", /HTTP fingerprint, not NXDOMAIN/);
    // A not-vulnerable HTTP service never asks for an HTTP check.
    assert.deepEqual(takeoverFollowUp("cdn.contoso.com", times(2, ok(["d1.cloudfront.net"], "exists"))), {
      kind: "none",
    });
  });

  void it("raises 18 for an HTTP-signal service when the fingerprint matches", () => {
    const tries = times(
      2,
      ok(
        ["contoso-assets.s3-website-us-east-1.amazonaws.com", "s3-website-us-east-1.amazonaws.com"],
        "exists",
      ),
    );
    assert.deepEqual(takeoverFollowUp("assets.contoso.com", tries), {
      kind: "http",
      url: "http://assets.contoso.com/",
      provider: "AWS S3",
    });
    const missing = check({ name: "assets.contoso.com", tries });
    assert.match(missing.inconclusive[0]?.reason ?? "", /an HTTP check is needed/);
    const body =
      "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>";
    const hit = check({
      name: "assets.contoso.com",
      tries,
      http: { kind: "ok", url: "http://assets.contoso.com/", status: 404, body },
    });
    assert.equal(hit.findings.length, 1);
    assert.equal(hit.findings[0]?.details.provider, "AWS S3");
    assert.equal(hit.findings[0]?.details.signal, "http");
    assert.match(String(hit.findings[0]?.details.evidence), /answered 404 .*NoSuchBucket/);
    const live = check({
      name: "assets.contoso.com",
      tries,
      http: { kind: "ok", url: "http://assets.contoso.com/", status: 200, body: "<html>welcome</html>" },
    });
    assert.deepEqual(live.findings, []);
    const down = check({
      name: "assets.contoso.com",
      tries,
      http: { kind: "error", url: "http://assets.contoso.com/", error: "timed out after 5000 ms" },
    });
    assert.match(down.inconclusive[0]?.reason ?? "", /failed: timed out/);
  });

  void it("raises edge-case services with their status, unless told not to", () => {
    const tries = times(2, ok(["contoso.github.io"], "exists"));
    const http = {
      kind: "ok" as const,
      url: "http://docs.contoso.com/",
      status: 404,
      body: "There isn't a GitHub Pages site here.",
    };
    const out = check({ name: "docs.contoso.com", tries, http });
    assert.equal(out.findings[0]?.details.status, "edge-case");
    assert.deepEqual(
      checkCnameTakeover({ name: "docs.contoso.com", tries, http }, { alertOnEdgeCases: false }).findings,
      [],
    );
  });

  void it("raises 'unregistered domain' only when the target's registrable domain is NXDOMAIN", () => {
    const tries = times(3, ok(["cdn.contoso-old-cdn.com"], "nxdomain"));
    assert.equal(registrableDomainOf("cdn.contoso-old-cdn.com"), "contoso-old-cdn.com");
    assert.deepEqual(takeoverFollowUp("static.contoso.com", tries), {
      kind: "registrable-domain",
      domain: "contoso-old-cdn.com",
    });
    assert.match(
      check({ name: "static.contoso.com", tries }).inconclusive[0]?.reason ?? "",
      /was not checked/,
    );

    const nx: NsResult = { kind: "nxdomain", error: "contoso-old-cdn.com NS: no such domain (NXDOMAIN)" };
    const out = check({
      name: "static.contoso.com",
      tries,
      registrable: { domain: "contoso-old-cdn.com", tries: [nx, nx] },
    });
    assert.equal(out.findings[0]?.details.provider, "unregistered domain");
    assert.equal(out.findings[0]?.details.registrableDomain, "contoso-old-cdn.com");
    assert.match(String(out.findings[0]?.details.evidence), /contoso-old-cdn\.com is not registered/);

    const registered: NsResult = { kind: "ok", hosts: ["ns1.contoso-old-cdn.com"] };
    const owned = check({
      name: "static.contoso.com",
      tries,
      registrable: { domain: "contoso-old-cdn.com", tries: [registered, registered] },
    });
    assert.deepEqual(owned.findings, []);
    assert.match(owned.dismissed[0]?.reason ?? "", /is registered/);

    const flaky: NsResult = { kind: "servfail", error: "SERVFAIL" };
    const unsure = check({
      name: "static.contoso.com",
      tries,
      registrable: { domain: "contoso-old-cdn.com", tries: [nx, flaky] },
    });
    assert.deepEqual(unsure.findings, []);
    assert.equal(unsure.inconclusive.length, 1);
  });
});

// ───────────────────────────── NS delegations (pure) ─────────────────────────────

const soaOk: SoaResult = { kind: "ok", soa: { nsname: "ns1.x", hostmaster: "h.x", serial: 7 } };
const refused: SoaResult = { kind: "refused", error: "REFUSED" };
const servfail: SoaResult = { kind: "servfail", error: "SERVFAIL" };
const timeout: SoaResult = { kind: "timeout", error: "timed out" };
const at = (addresses: string[]): AddressResult => ({ kind: "ok", addresses });
const nxHost: AddressResult = { kind: "nxdomain", error: "no such domain" };

function delegation(...nameservers: DelegationEvidence["nameservers"]): DelegationEvidence {
  return { zone: "Dev.Contoso.com.", nameservers };
}

void describe("checkDelegationTakeover (pure)", () => {
  void it("raises 18 when every name server is lame (REFUSED/SERVFAIL), naming the DNS host", () => {
    const out = checkDelegationTakeover(
      delegation(
        {
          host: "ns1-01.azure-dns.com",
          resolution: [at(["192.0.2.1"])],
          probes: [{ address: "192.0.2.1", tries: [refused, refused] }],
        },
        {
          host: "ns2-01.azure-dns.net",
          resolution: [at(["192.0.2.2"])],
          probes: [{ address: "192.0.2.2", tries: [servfail, refused] }],
        },
      ),
    );
    assert.equal(out.findings.length, 1);
    const f = out.findings[0];
    assert.equal(f?.key, "dev.contoso.com");
    assert.equal(f?.details.provider, "Azure DNS hosted zone deleted");
    assert.equal(f?.details.signal, "ns");
    assert.equal(f?.details.status, "yes");
    assert.deepEqual(
      (f?.details.nameservers as { state: string }[]).map((n) => n.state),
      ["lame", "lame"],
    );
    assert.match(String(f?.details.evidence), /192\.0\.2\.1: REFUSED on 2 tries/);
  });

  void it("raises 18 when the name servers' own names do not exist", () => {
    const out = checkDelegationTakeover(
      delegation({ host: "ns1.expired-dns.example", resolution: [nxHost, nxHost], probes: [] }),
    );
    assert.equal(
      out.findings[0]?.details.provider,
      "unresolvable name servers (their domain may be registrable)",
    );
  });

  void it("raises nothing when one name server serves the zone, but notes the lame ones", () => {
    const out = checkDelegationTakeover(
      delegation(
        {
          host: "ns1.contoso.com",
          resolution: [at(["192.0.2.1"])],
          probes: [{ address: "192.0.2.1", tries: [soaOk] }],
        },
        {
          host: "ns2.contoso.com",
          resolution: [at(["192.0.2.2"])],
          probes: [{ address: "192.0.2.2", tries: [refused, refused] }],
        },
      ),
    );
    assert.deepEqual(out.findings, []);
    assert.match(out.dismissed[0]?.reason ?? "", /^partly lame delegation/);
    const healthy = checkDelegationTakeover(
      delegation({
        host: "ns1.contoso.com",
        resolution: [at(["192.0.2.1"])],
        probes: [{ address: "192.0.2.1", tries: [soaOk] }],
      }),
    );
    assert.deepEqual(healthy, { findings: [], inconclusive: [], dismissed: [] });
  });

  void it("is inconclusive on timeouts, single tries and unresolved hosts", () => {
    for (const ns of [
      {
        host: "ns1.contoso.com",
        resolution: [at(["192.0.2.1"])],
        probes: [{ address: "192.0.2.1", tries: [timeout] }],
      },
      {
        host: "ns1.contoso.com",
        resolution: [at(["192.0.2.1"])],
        probes: [{ address: "192.0.2.1", tries: [refused] }],
      },
      { host: "ns1.contoso.com", resolution: [{ kind: "servfail", error: "SERVFAIL" } as const], probes: [] },
      { host: "ns1.contoso.com", resolution: [nxHost], probes: [] },
    ]) {
      const out = checkDelegationTakeover(delegation(ns));
      assert.deepEqual(out.findings, [], JSON.stringify(ns));
      assert.equal(out.inconclusive.length, 1, JSON.stringify(ns));
    }
  });

  void it("dismisses lame delegations to Route 53, whose zones cannot be claimed by others", () => {
    const out = checkDelegationTakeover(
      delegation({
        host: "ns-123.awsdns-45.com",
        resolution: [at(["192.0.2.1"])],
        probes: [{ address: "192.0.2.1", tries: [refused, refused] }],
      }),
    );
    assert.deepEqual(out.findings, []);
    assert.match(out.dismissed[0]?.reason ?? "", /AWS Route 53 zones cannot be claimed/);
  });
});

// ───────────────────────────── against the local DNS server ─────────────────────────────

const SOA = { mname: "ns1.good.test", rname: "hostmaster.good.test", serial: 2026112501 };

const ZONE: ZoneSpec = {
  // CNAME chains
  "old.contoso.test": { CNAME: "contoso-old.azurewebsites.net" },
  "live.contoso.test": { CNAME: "contoso-live.azurewebsites.net" },
  "contoso-live.azurewebsites.net": { A: ["192.0.2.10"] },
  "www.contoso.test": { CNAME: "edge.contoso.test" },
  "edge.contoso.test": { CNAME: "cdn.contoso.test" },
  "cdn.contoso.test": { CNAME: "contoso-gone.azurewebsites.net" },
  "flaky.contoso.test": { CNAME: "contoso-flaky.azurewebsites.net" },
  "contoso-flaky.azurewebsites.net": { servfail: true },
  "loop-a.contoso.test": { CNAME: "loop-b.contoso.test" },
  "loop-b.contoso.test": { CNAME: "loop-a.contoso.test" },
  "lb.contoso.test": { CNAME: "old-lb-1.us-east-1.elb.amazonaws.com" },
  "tc.contoso.test": { CNAME: "contoso-tc.cloudapp.net", truncate: true },
  // NS delegations
  "good.test": { NS: ["ns1.good.test"], SOA },
  "ns1.good.test": { A: ["127.0.0.1"] },
  "lame.test": {
    NS: ["ns1-07.azure-dns.com", "ns2-07.azure-dns.net"],
    refused: true,
    behaviourTypes: ["SOA"],
  },
  "ns1-07.azure-dns.com": { A: ["127.0.0.1"] },
  "ns2-07.azure-dns.net": { A: ["127.0.0.1"] },
  "sf.test": { NS: ["ns1.good.test"], servfail: true, behaviourTypes: ["SOA"] },
  "orphan.test": { NS: ["ns1.expired-dns.test", "ns2.expired-dns.test"] },
  "mixed.test": { NS: ["ns1.good.test", "ns.expired-dns.test"], SOA },
  "slow.test": { NS: ["ns1.good.test"], SOA, timeout: true, behaviourTypes: ["SOA"] },
  "big.test": { NS: ["ns1.good.test"], SOA, truncate: true, behaviourTypes: ["SOA"] },
};

void describe("takeover against the local DNS server", () => {
  let server: DnsServer;
  let client: DnsClient;

  before(async () => {
    server = await startDnsServer(ZONE);
    client = createDnsClient({ servers: [server.server], timeoutMs: 400, tries: 1 });
  });
  after(async () => {
    await server.close();
  });

  async function chainTries(name: string, n = 3): Promise<CnameChainResult[]> {
    const tries: CnameChainResult[] = [];
    for (let i = 0; i < n; i++) tries.push(await followCnameChain(client, name));
    return tries;
  }

  void it("raises 18 for a dangling Azure CNAME and nothing for a live one", async () => {
    const dangling = check({ name: "old.contoso.test", tries: await chainTries("old.contoso.test") });
    assert.equal(
      dangling.findings[0]?.details.evidence,
      "NXDOMAIN for contoso-old.azurewebsites.net on 3 of 3 tries",
    );
    const live = check({ name: "live.contoso.test", tries: await chainTries("live.contoso.test") });
    assert.deepEqual(live, { findings: [], inconclusive: [], dismissed: [] });
  });

  void it("reports the whole chain of CNAMEs ending at a deleted App Service", async () => {
    const out = check({ name: "www.contoso.test", tries: await chainTries("www.contoso.test") });
    assert.deepEqual(out.findings[0]?.details.chain, [
      "www.contoso.test",
      "edge.contoso.test",
      "cdn.contoso.test",
      "contoso-gone.azurewebsites.net",
    ]);
  });

  void it("raises nothing on SERVFAIL, on a loop, or for a service that is not vulnerable", async () => {
    const flaky = check({ name: "flaky.contoso.test", tries: await chainTries("flaky.contoso.test") });
    assert.deepEqual(flaky.findings, []);
    assert.match(flaky.inconclusive[0]?.reason ?? "", /^SERVFAIL on 3 of 3 tries/);
    const loop = check({ name: "loop-a.contoso.test", tries: await chainTries("loop-a.contoso.test") });
    assert.deepEqual(loop.findings, []);
    assert.match(loop.inconclusive[0]?.reason ?? "", /CNAME loop/);
    const elb = check({ name: "lb.contoso.test", tries: await chainTries("lb.contoso.test") });
    assert.deepEqual(elb.findings, []);
    assert.equal(elb.dismissed.length, 1);
  });

  void it("raises nothing when NXDOMAIN is followed by an answer", async () => {
    const first = await followCnameChain(client, "old.contoso.test");
    server.setZone({ ...ZONE, "contoso-old.azurewebsites.net": { A: ["192.0.2.11"] } });
    try {
      const second = await followCnameChain(client, "old.contoso.test");
      const out = check({ name: "old.contoso.test", tries: [first, second] });
      assert.deepEqual(out.findings, []);
      assert.match(out.inconclusive[0]?.reason ?? "", /not consistent/);
    } finally {
      server.setZone(ZONE);
    }
  });

  void it("follows a truncated UDP answer over TCP", async () => {
    const before = server.queries.length;
    const out = check({ name: "tc.contoso.test", tries: await chainTries("tc.contoso.test", 2) });
    assert.equal(out.findings[0]?.details.provider, "Azure Cloud Services (classic)");
    const seen = server.queries.slice(before).filter((q) => q.name === "tc.contoso.test");
    assert.ok(
      seen.some((q) => q.transport === "udp") && seen.some((q) => q.transport === "tcp"),
      JSON.stringify(seen),
    );
  });

  const gather = (zone: string): ReturnType<typeof gatherDelegation> =>
    gatherDelegation(client, zone, { port: server.port, timeoutMs: 400 });

  void it("raises 18 for a delegation every name server REFUSES (Azure DNS zone deleted)", async () => {
    const r = await gather("lame.test");
    assert.equal(r.kind, "ok");
    if (r.kind !== "ok") return;
    const out = checkDelegationTakeover(r.evidence);
    assert.equal(out.findings[0]?.details.provider, "Azure DNS hosted zone deleted");
    assert.equal(out.findings[0]?.subject, "lame.test");
  });

  void it("raises 18 for SERVFAIL-lame and unresolvable name servers", async () => {
    for (const zone of ["sf.test", "orphan.test"]) {
      const r = await gather(zone);
      assert.equal(r.kind, "ok", zone);
      if (r.kind === "ok") assert.equal(checkDelegationTakeover(r.evidence).findings.length, 1, zone);
    }
  });

  void it("raises nothing when a name server serves the zone (even over TCP after truncation)", async () => {
    for (const zone of ["good.test", "mixed.test", "big.test"]) {
      const r = await gather(zone);
      assert.equal(r.kind, "ok", zone);
      if (r.kind === "ok") assert.deepEqual(checkDelegationTakeover(r.evidence).findings, [], zone);
    }
  });

  void it("is inconclusive when a name server does not answer", async () => {
    const r = await gather("slow.test");
    assert.equal(r.kind, "ok");
    if (r.kind !== "ok") return;
    const out = checkDelegationTakeover(r.evidence);
    assert.deepEqual(out.findings, []);
    assert.match(out.inconclusive[0]?.reason ?? "", /timeout/);
  });
});
