/**
 * `certwatch serve` following a local CT log: a certificate for a new host under a watched domain raises 25 as it
 * is logged, and with schedule.scanDiscoveredHosts the host becomes a managed scan target that gets scanned.
 * SIGTERM leaves the log position committed; after a restart only what was logged since is read.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openStore } from "../../src/store/open.js";
import type { Store } from "../../src/store/store.js";
import { startCtLog, type CtLog } from "../helpers/ct-log.js";
import { startDnsServer, type DnsServer } from "../helpers/dns-server.js";
import { createRootCa, issueIntermediate, issueLeaf, type Issued } from "../helpers/pki.js";
import { scanned, startDaemon, waitReady, type Daemon } from "./serve-kit.js";

describe("certwatch serve follows CT", () => {
  let dir: string;
  let dns: DnsServer;
  let log: CtLog;
  let root: Issued;
  let issuer: Issued;
  let store: Store;
  let daemon: Daemon | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "certwatch-serve-ct-"));
    root = await createRootCa({ subject: "CN=Serve CT Root", freshKey: true });
    issuer = await issueIntermediate(root, { freshKey: true });
    writeFileSync(join(dir, "root.pem"), root.certPem);
    dns = await startDnsServer({});
    log = await startCtLog();
    writeFileSync(
      join(dir, "certwatch.yaml"),
      [
        "domains: [contoso.com]",
        "trust: { extraRoots: [root.pem], systemRoots: false }",
        `dns: { servers: ["${dns.server}"], timeoutMs: 1000, tries: 1 }`,
        "ct:",
        `  logs: [{ url: "${log.url}", key: "${log.publicKeyDer.toString("base64")}", name: Local test log }]`,
        "  logList: none",
        "  startAt: end",
        "  pollSeconds: 1",
        "  timeoutMs: 5000",
        "lookalikes: { maxCandidates: 5 }",
        "takeover: { http: false, tries: 1 }",
        "scan: { connectTimeoutMs: 1000, handshakeTimeoutMs: 1000, httpTimeoutMs: 1000, legacyProtocols: false }",
        "revocation: { crl: false, ocsp: false }",
        "server: { port: 0 }",
        "schedule: { startSpreadSeconds: 0, scanDiscoveredHosts: true }",
        "",
      ].join("\n"),
    );
    store = await openStore(`sqlite:${join(dir, "certwatch.db")}`);
  });

  after(async () => {
    if (daemon && daemon.child.exitCode === null) daemon.child.kill("SIGKILL");
    await store?.close();
    await log?.close();
    await dns?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const logPosition = async () => (await store.listCtLogStates())[0]?.position;

  it("raises 25 for a host logged under a watched domain and scans it as a discovered target", async () => {
    daemon = startDaemon(dir);
    await waitReady(await daemon.url());
    await daemon.line((l) => l.msg === "scans scheduled");
    // The log is empty at the start (startAt: end): the certificate comes while the daemon follows it.
    log.addX509((await issueLeaf(issuer, { dnsNames: ["new.contoso.com"] })).certDer, [issuer.certDer]);
    const read = await daemon.line((l) => l.msg === "logs read" && l.raised === 1);
    assert.equal(read.entriesRead, 1);
    await daemon.line(
      (l) => l.msg === "discovered host added to the scan targets" && l.host === "new.contoso.com",
    );
    await daemon.line(scanned("new.contoso.com:443"));
    const managed = await store.schedule.listManagedEndpoints();
    assert.deepEqual(
      managed.map((m) => [m.host, m.port, m.origin, m.createdBy]),
      [["new.contoso.com", 443, "ct", null]],
    );
    const open = await store.listAlerts({ status: "open" });
    assert.deepEqual(open.map((a) => [a.name, a.subject]).sort(), [
      ["endpoint-unreachable", "new.contoso.com"],
      ["new-subdomain", "new.contoso.com"],
    ]);
  });

  it("SIGTERM leaves the log position committed; a restart reads only what was logged since", async () => {
    assert.ok(daemon);
    daemon.signal("SIGTERM");
    const run = await daemon.done;
    assert.equal(run.code, 0, run.stderr);
    assert.equal(await logPosition(), 1);

    log.addX509((await issueLeaf(issuer, { dnsNames: ["other.contoso.com"] })).certDer, [issuer.certDer]);
    daemon = startDaemon(dir);
    await waitReady(await daemon.url());
    const schedule = await daemon.line((l) => l.msg === "scans scheduled");
    assert.equal(schedule.resumed, 1, "the discovered target resumes from its last scan");
    const read = await daemon.line((l) => l.msg === "logs read");
    assert.deepEqual([read.entriesRead, read.raised], [1, 1]);
    await daemon.line(scanned("other.contoso.com:443"));
    assert.equal(daemon.lines.filter(scanned("new.contoso.com:443")).length, 0);
    daemon.signal("SIGTERM");
    assert.equal((await daemon.done).code, 0);
    assert.equal(await logPosition(), 2);
  });
});
