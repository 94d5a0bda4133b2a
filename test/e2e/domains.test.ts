/**
 * End to end: `certwatch domains` as a use case against a real local DNS server — subdomain takeover (18)
 * from names in config, zone files and the inventory, and registered lookalike domains (12) — plus
 * lookalikes raised from a CT log.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { domainToASCII } from "node:url";
import { after, before, describe, it } from "node:test";
import { draftFromFinding } from "../../src/alerts/reconcile.js";
import { runDomains, type DomainsReport } from "../../src/app/domains/run.js";
import { zoneFileNames } from "../../src/cli/domains-command.js";
import { generateCandidates } from "../../src/lookalike/generate.js";
import { LookalikeMatcher } from "../../src/lookalike/matcher.js";
import { gatherDelegation } from "../../src/sources/dns/delegation.js";
import { createDnsClient } from "../../src/sources/dns/resolver.js";
import { ZoneFileError } from "../../src/sources/dns/zone-file.js";
import { openStore } from "../../src/store/open.js";
import type { Store } from "../../src/store/store.js";
import { startCtLog } from "../helpers/ct-log.js";
import { startDnsServer, type DnsServer, type ZoneSpec } from "../helpers/dns-server.js";
import { issueLeaf } from "../helpers/pki.js";
import { byEvent, ctWorld, testCa } from "./ct-world.js";
import { certwatch, jsonLines } from "./run-cli.js";

const CYRILLIC = domainToASCII("cоntoso.com"); // U+043E
const GREEK = domainToASCII("cοntοsο.com"); // every o a Greek omicron (U+03BF)

const ZONE: ZoneSpec = {
  // Takeover
  "old.contoso.com": { CNAME: "contoso-old.azurewebsites.net" },
  "live.contoso.com": { CNAME: "contoso-live.azurewebsites.net" },
  "contoso-live.azurewebsites.net": { A: ["203.0.113.10"] },
  "hop.contoso.com": { CNAME: "hop2.contoso.com" },
  "hop2.contoso.com": { CNAME: "gone.trafficmanager.net" },
  "flaky.contoso.com": { CNAME: "flaky.azurewebsites.net" },
  "flaky.azurewebsites.net": { servfail: true },
  "zonefile.contoso.com": { CNAME: "zf-gone.cloudapp.net" },
  // Lookalikes: registered (NS), registered with mail, a wildcard zone, an IDN homoglyph
  "cntoso.com": { NS: ["ns1.parking.test"], A: ["198.51.100.7"] },
  "contoso-login.com": {
    NS: ["ns1.evil.test"],
    A: ["198.51.100.8"],
    MX: [{ preference: 10, exchange: "mx.evil.test" }],
  },
  [CYRILLIC]: { NS: ["ns1.evil.test"], A: ["198.51.100.9"] },
  [GREEK]: { NS: ["ns1.evil.test"] },
  "*.co": { A: ["192.0.2.1"] },
  "contoso.com": { NS: ["ns1.contoso.com"] },
};

void describe("certwatch domains", () => {
  let dns: DnsServer;
  let store: Store;
  let dir: string;

  before(async () => {
    dns = await startDnsServer(ZONE);
    store = await openStore("sqlite::memory:");
    dir = mkdtempSync(join(tmpdir(), "certwatch-domains-"));
  });
  after(async () => {
    await store.close();
    await dns.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (names: string[], delegations = new Map<string, string[]>()): Promise<DomainsReport> => {
    const client = createDnsClient({ servers: [dns.server], timeoutMs: 500, tries: 1 });
    const matcher = new LookalikeMatcher(["contoso.com"]);
    return runDomains(
      {
        store,
        takeover: {
          dns: client,
          delegation: (zone, ns) =>
            gatherDelegation(client, zone, { ...(ns ? { nameservers: ns } : {}), tries: 2, timeoutMs: 500 }),
        },
        lookalikes: {
          dns: client,
          candidates: (w) => generateCandidates(w),
          verdict: (d) => matcher.match(d),
          logLine: () => undefined,
        },
        now: () => new Date(),
        draft: (f) => draftFromFinding(f),
        logLine: () => undefined,
      },
      {
        watched: ["contoso.com"],
        names,
        delegations,
        exclude: new Set(["contoso.com"]),
        tries: 3,
        takeoverConcurrency: 8,
        lookalikeConcurrency: 64,
      },
    );
  };

  void it("raises 18 for dangling aliases (also at the end of a chain), 12 for registered lookalikes only", async () => {
    const zoneFile = join(dir, "contoso.com.zone");
    writeFileSync(
      zoneFile,
      "$ORIGIN contoso.com.\n$TTL 300\n@ IN SOA ns1 hostmaster ( 1 7200 3600 1209600 300 )\n  IN NS ns1\nzonefile IN CNAME zf-gone.cloudapp.net.\n*.wild IN A 192.0.2.9\n",
    );
    const zones = await zoneFileNames([zoneFile]);
    assert.ok(zones.names.includes("zonefile.contoso.com"));
    assert.ok(!zones.names.some((n) => n.startsWith("*.")), "wildcard owners are not checked");

    const report = await run([
      "old.contoso.com",
      "live.contoso.com",
      "hop.contoso.com",
      "flaky.contoso.com",
      ...zones.names,
    ]);
    const alerts = await store.listAlerts({ status: "open" });
    assert.deepEqual(byEvent(alerts), {
      "domain-takeover": ["hop.contoso.com", "old.contoso.com", "zonefile.contoso.com"],
      "similar-domain": ["contoso-login.com", "cntoso.com", CYRILLIC, GREEK].sort(),
    });
    const hop = alerts.find((a) => a.subject === "hop.contoso.com");
    assert.deepEqual(hop?.details["chain"], [
      "hop.contoso.com",
      "hop2.contoso.com",
      "gone.trafficmanager.net",
    ]);
    assert.ok(
      report.takeover.inconclusive.some((n) => n.subject === "flaky.contoso.com"),
      "SERVFAIL is inconclusive",
    );

    const login = alerts.find((a) => a.subject === "contoso-login.com");
    assert.equal(login?.details["mailRisk"], true);
    assert.deepEqual(login?.details["mx"], ["mx.evil.test"]);
    assert.ok((login?.details["families"] as string[]).includes("dictionary"));
    const cyr = alerts.find((a) => a.subject === CYRILLIC);
    assert.equal(cyr?.details["unicode"], "cоntoso.com");
    // contoso.co resolves through a wildcard A record but is not delegated: not registered.
    assert.ok(!alerts.some((a) => a.subject === "contoso.co"));
  });

  void it("a fixed record resolves its alert; an inconclusive answer keeps an open one", async () => {
    dns.setZone({
      ...ZONE,
      "old.contoso.com": { A: ["203.0.113.20"] },
      "hop2.contoso.com": { servfail: true },
    });
    try {
      const r = await run(["old.contoso.com", "hop.contoso.com"]);
      const resolved = r.changes.filter((c) => c.kind === "resolved").map((c) => c.alert.subject);
      assert.ok(resolved.includes("old.contoso.com"));
      assert.ok(!resolved.includes("hop.contoso.com"), "SERVFAIL this time: the alert stays as it was");
      const open = (await store.listAlerts({ status: "open" })).filter((a) => a.name === "domain-takeover");
      assert.ok(open.some((a) => a.subject === "hop.contoso.com"));
    } finally {
      dns.setZone(ZONE);
    }
  });

  void it("a zone file with a syntax error is a clear error with file and line", async () => {
    const bad = join(dir, "bad.contoso.com.zone");
    writeFileSync(bad, "$ORIGIN contoso.com.\n@ IN SOA ns1 hostmaster ( 1 2 3 4 5\nwww IN A 192.0.2.1\n");
    await assert.rejects(
      zoneFileNames([bad]),
      (e: unknown) => e instanceof ZoneFileError && /bad\.contoso\.com\.zone:\d+/.test(e.message),
    );
  });
});

void describe("lookalikes from CT", () => {
  void it("a logged certificate for a lookalike raises 12 once per lookalike domain; the organisation's names never do", async () => {
    const ca = await testCa("Lookalike CA");
    const log = await startCtLog();
    const w = await ctWorld({
      roots: [ca.root],
      lookalikes: new LookalikeMatcher(["contoso.com"], { ignore: ["contoso-partner.com"] }),
    });
    try {
      await w.run([log]);
      const leaf = async (names: string[]) => (await issueLeaf(ca.issuer, { dnsNames: names })).certDer;
      log.addX509(await leaf(["contoso-login.com", "www.contoso-login.com"]), [ca.issuer.certDer]);
      log.addX509(await leaf(["secure.contoso-login.com"]), [ca.issuer.certDer]);
      log.addX509(await leaf([CYRILLIC]), [ca.issuer.certDer]);
      log.addX509(await leaf(["contoso.com.evil.net"]), [ca.issuer.certDer]);
      log.addX509(await leaf(["contoso-partner.com", "shop.contoso.com", "unrelated.example"]), [
        ca.issuer.certDer,
      ]);
      await w.run([log]);
      const alerts = await w.openAlerts();
      assert.deepEqual(byEvent(alerts)["similar-domain"], ["contoso-login.com", "evil.net", CYRILLIC].sort());
      const cyr = alerts.find((a) => a.subject === CYRILLIC);
      assert.ok((cyr?.details["reasons"] as string[]).includes("confusable"));
      assert.ok(alerts.some((a) => a.name === "new-subdomain" && a.subject === "shop.contoso.com"));
    } finally {
      await w.close();
      await log.close();
    }
  });
});

void describe("certwatch domains (the command)", () => {
  void it("prints the takeover and lookalike alerts as JSON Lines; --fail-on high exits 1; a bad zone file exits 2", async () => {
    const dns = await startDnsServer({
      "old.contoso.com": { CNAME: "contoso-old.azurewebsites.net" },
      "cntoso.com": { NS: ["ns1.parking.test"] },
    });
    const dir = mkdtempSync(join(tmpdir(), "certwatch-domains-cli-"));
    try {
      writeFileSync(
        join(dir, "certwatch.yaml"),
        `domains: [contoso.com]\nnames: [old.contoso.com]\ndns: { servers: ["${dns.server}"], timeoutMs: 500, tries: 1 }\ntakeover: { http: false }\n`,
      );
      const r = await certwatch(["domains", "--json", "--fail-on", "high"], dir);
      assert.equal(r.code, 1, r.stderr);
      const alerts = jsonLines(r.stdout);
      assert.deepEqual(
        alerts.map((a) => [a["eventId"], a["subject"], a["source"]]).sort(),
        [
          [12, "cntoso.com", "ct"],
          [18, "old.contoso.com", "dns"],
        ].sort(),
      );
      assert.match(r.stderr, /domains: \d+ names checked for takeover \(1 dangling/);

      writeFileSync(join(dir, "contoso.com.zone"), "www IN CNAME (\n");
      writeFileSync(
        join(dir, "certwatch.yaml"),
        `domains: [contoso.com]\nzoneFiles: [contoso.com.zone]\ndns: { servers: ["${dns.server}"] }\n`,
      );
      const bad = await certwatch(["domains"], dir);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /contoso\.com\.zone:\d+/);
    } finally {
      await dns.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
