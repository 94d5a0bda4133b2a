/**
 * The certwatch command as a user runs it: a config file, real local servers, stdout/stderr and
 * exit codes exactly as SPEC §2 says.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startDnsServer, type DnsServer } from "../helpers/dns-server.js";
import { createRootCa, issueIntermediate, issueLeaf } from "../helpers/pki.js";
import { startTlsServer, type RunningServer } from "../helpers/tls-servers.js";
import { certwatch } from "./run-cli.js";

describe("certwatch CLI", () => {
  let dir: string;
  let dns: DnsServer;
  const servers: RunningServer[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "certwatch-cli-"));
    const root = await createRootCa({ subject: "CN=CLI Test Root", freshKey: true });
    const int = await issueIntermediate(root, { freshKey: true });
    const good = await issueLeaf(int, { dnsNames: ["good.test"] });
    const noHsts = await issueLeaf(int, { dnsNames: ["nohsts.test"] });
    servers.push(await startTlsServer({ chain: [good, int], key: good, hsts: "max-age=31536000" }));
    servers.push(await startTlsServer({ chain: [noHsts, int], key: noHsts, hsts: null }));
    dns = await startDnsServer({ "good.test": { A: ["127.0.0.1"] }, "nohsts.test": { A: ["127.0.0.1"] } });
    writeFileSync(join(dir, "root.pem"), root.certPem);
    writeFileSync(
      join(dir, "certwatch.yaml"),
      [
        "endpoints:",
        `  - https://good.test:${servers[0]!.port}`,
        `  - https://nohsts.test:${servers[1]!.port}`,
        "trust:",
        "  extraRoots: [./root.pem]",
        "dns:",
        `  servers: ["${dns.server}"]`,
        "scan:",
        "  connectTimeoutMs: 1000",
        "  handshakeTimeoutMs: 1500",
        "  httpTimeoutMs: 1500",
        "",
      ].join("\n"),
    );
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await dns?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("scan --json prints one alert object per line and nothing else", async () => {
    const r = await certwatch(["scan", "--json"], dir);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 1, r.stdout);
    const alert = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(alert.eventId, 42);
    assert.equal(alert.name, "hsts-missing");
    assert.equal(alert.severity, "medium");
    assert.equal(alert.source, "tls");
    assert.equal(alert.status, "open");
    assert.equal(alert.resolvedAt, null);
    assert.deepEqual(alert.endpoint, { host: "nohsts.test", port: servers[1]!.port, address: "127.0.0.1" });
    assert.equal(alert.certificate, null);
    for (const k of ["id", "summary", "remediation", "subject", "details", "firstSeen", "lastSeen"])
      assert.ok(k in alert, k);
    assert.match(alert.firstSeen as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(r.stderr, /scanned 2 endpoints of 2 targets/);
  });

  it("scan prints a readable table when stdout is not a terminal, and --fail-on sets the exit code", async () => {
    const r = await certwatch(["scan", "--fail-on", "medium"], dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^SEVERITY\s+EVENT\s+WHERE\s+STATUS\s+DETAIL/);
    assert.match(r.stdout, /MEDIUM\s+42 hsts-missing\s+nohsts\.test:\d+@127\.0\.0\.1\s+open/);
    const high = await certwatch(["scan", "--fail-on", "high"], dir);
    assert.equal(high.code, 0, high.stderr);
  });

  it("alerts lists stored alerts by status", async () => {
    const open = await certwatch(["alerts", "--json"], dir);
    assert.equal(open.code, 0);
    assert.equal(open.stdout.trimEnd().split("\n").length, 1);
    const resolved = await certwatch(["alerts", "--status", "resolved"], dir);
    assert.equal(resolved.stdout, "No alerts.\n");
  });

  it("a malformed config exits 2 naming the file, the field and what is wrong", async () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "endpoints:\n  - ftp://x.test\nthresholds:\n  expiringSoonDays: soon\n");
    const r = await certwatch(["scan", "--config", bad], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.yaml:2:\d+: endpoints\[0\]/);
    assert.match(r.stderr, /thresholds\.expiringSoonDays/);
    assert.equal(r.stdout, "");
  });

  it("a missing config exits 2 and points at certwatch init", async () => {
    const r = await certwatch(["scan", "--config", join(dir, "nope.yaml")], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /nope\.yaml/);
    assert.match(r.stderr, /certwatch init/);
  });

  it("a bad command line exits 2 with usage", async () => {
    const r = await certwatch(["scan", "--fail-on", "urgent"], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--fail-on must be one of info, low, medium, high, critical/);
    const unknown = await certwatch(["frobnicate"], dir);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
  });

  it("init writes a sample config that validates, and keeps an existing one (exit 0, so set-up can rerun)", async () => {
    const sub = mkdtempSync(join(dir, "init-"));
    const r = await certwatch(["init"], sub);
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(join(sub, "certwatch.yaml"), "utf8"), /endpoints:/);
    writeFileSync(join(sub, "certwatch.yaml"), "endpoints: []\n");
    const again = await certwatch(["init"], sub);
    assert.equal(again.code, 0);
    assert.match(again.stderr, /already exists/);
    assert.equal(readFileSync(join(sub, "certwatch.yaml"), "utf8"), "endpoints: []\n", "left as it was");
    const list = await certwatch(["alerts"], sub);
    assert.equal(list.code, 0, list.stderr);
  });
});
