/**
 * `certwatch ct --once` as a user runs it, against a local CT log: JSON Lines out, a summary per log on
 * stderr, and a process killed in the middle of a run that, run again, loses no alert and doubles none.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { startCtLog, type CtLog } from "../helpers/ct-log.js";
import { startDnsServer, type DnsServer } from "../helpers/dns-server.js";
import { certwatch, jsonLines, startCli } from "./run-cli.js";
import { createRootCa, issueIntermediate, issueLeaf, type Issued } from "../helpers/pki.js";

function config(dir: string, log: CtLog, dns: DnsServer, extra = ""): void {
  writeFileSync(
    join(dir, "certwatch.yaml"),
    `domains: [contoso.com]
trust: { extraRoots: [root.pem], systemRoots: false }
dns: { servers: ["${dns.server}"], timeoutMs: 1000, tries: 1 }
ct:
  logList: none
  logs: [{ url: "${log.url}", key: "${log.publicKeyDer.toString("base64")}", name: Local test log }]
  startAt: end
  timeoutMs: 5000
${extra}`,
  );
}

void describe("certwatch ct", () => {
  let dir: string;
  let dns: DnsServer;
  let root: Issued;
  let issuer: Issued;
  const logs: CtLog[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "certwatch-ct-cli-"));
    root = await createRootCa({ subject: "CN=CT CLI Root", freshKey: true });
    issuer = await issueIntermediate(root, { freshKey: true });
    writeFileSync(join(dir, "root.pem"), root.certPem);
    dns = await startDnsServer({});
  });
  after(async () => {
    for (const l of logs) await l.close();
    await dns.close();
    rmSync(dir, { recursive: true, force: true });
  });

  void it("--once --json prints the alerts raised as JSON Lines and a summary per log on stderr", async () => {
    const log = await startCtLog();
    logs.push(log);
    const work = mkdtempSync(join(dir, "once-"));
    writeFileSync(join(work, "root.pem"), root.certPem);
    config(work, log, dns);
    const first = await certwatch(["ct", "--once", "--json"], work);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, "");
    assert.match(
      first.stderr,
      /ct: Local test log: 0 entries read, 0 naming watched domains, 0 malformed; at 0 of 0, caught up/,
    );

    const l = await issueLeaf(issuer, { dnsNames: ["new.contoso.com"] });
    log.addX509(l.certDer, [issuer.certDer, root.certDer]);
    const second = await certwatch(["ct", "--once", "--json"], work);
    assert.equal(second.code, 0, second.stderr);
    const alerts = jsonLines(second.stdout);
    assert.deepEqual(
      alerts.map((a) => [a["eventId"], a["name"], a["subject"], a["source"], a["status"]]),
      [[25, "new-subdomain", "new.contoso.com", "ct", "open"]],
    );
    assert.match(
      second.stderr,
      /1 entries read, 1 naming watched domains, 0 malformed; at 1 of 1, caught up/,
    );
    const failing = await certwatch(["ct", "--once", "--fail-on", "low"], work);
    assert.equal(failing.code, 0, "nothing new raised: nothing listed, exit 0");
  });

  void it("killed mid-run and run again: every alert exactly once, no entry skipped", async () => {
    const log = await startCtLog({ autoPublish: false, maxBatch: 256 });
    logs.push(log);
    const work = mkdtempSync(join(dir, "crash-"));
    writeFileSync(join(work, "root.pem"), root.certPem);
    // 25 requests per second of 256 entries: about 6 s for the whole log, so the kill lands mid-run.
    config(work, log, dns, "  requestsPerSecond: 25\n  concurrency: 1\n  batchSize: 256\n");
    log.publish();
    const boot = await certwatch(["ct", "--once"], work);
    assert.equal(boot.code, 0, boot.stderr);

    const filler = await Promise.all(
      [0, 1, 2].map((i) => issueLeaf(issuer, { dnsNames: [`filler${i}.example`] })),
    );
    const expected: string[] = [];
    const total = 40_000;
    for (let i = 0; i < total; i++) {
      if (i % 200 === 100) {
        const name = `host${i}.contoso.com`;
        expected.push(name);
        log.addX509((await issueLeaf(issuer, { dnsNames: [name] })).certDer, [issuer.certDer]);
      } else {
        log.addX509((filler[i % 3] as Issued).certDer, [issuer.certDer]);
      }
    }
    log.publish();

    const db = join(work, "certwatch.db");
    const position = (): number => {
      const conn = new Database(db, { readonly: true, fileMustExist: true });
      try {
        const row = conn.prepare("select position from ct_logs").get() as { position: number } | undefined;
        return row?.position ?? 0;
      } finally {
        conn.close();
      }
    };
    const run = startCli(["ct", "--once", "--json"], work);
    let killedAt = 0;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      const p = position();
      if (p > 0 && p < total) {
        run.child.kill("SIGKILL");
        killedAt = p;
        break;
      }
    }
    const killed = await run.done;
    assert.equal(killed.signal, "SIGKILL", "the first run was killed before it finished");
    assert.ok(killedAt > 0 && killedAt < total, `killed at ${killedAt}`);

    const committed = (() => {
      const conn = new Database(db, { readonly: true });
      try {
        return (conn.prepare("select subject from alerts").all() as { subject: string }[]).map(
          (r) => r.subject,
        );
      } finally {
        conn.close();
      }
    })();
    assert.ok(
      committed.length > 0 && committed.length < expected.length,
      `${committed.length} alerts before the kill`,
    );

    const again = await certwatch(["ct", "--once", "--json"], work);
    assert.equal(again.code, 0, again.stderr);
    const printed = jsonLines(again.stdout).map((a) => a["subject"] as string);
    assert.deepEqual(
      printed.filter((s) => committed.includes(s)),
      [],
      "the second run raises nothing the first had committed",
    );
    assert.deepEqual([...committed, ...printed].sort(), [...expected].sort());
    const conn = new Database(db, { readonly: true });
    try {
      const state = conn.prepare("select position, verified_size from ct_logs").get() as Record<
        string,
        number
      >;
      assert.deepEqual(state, { position: total, verified_size: total });
      const alerts = conn.prepare("select count(*) as n from alerts where status = 'open'").get() as {
        n: number;
      };
      assert.equal(alerts.n, expected.length);
    } finally {
      conn.close();
    }
  });
});
