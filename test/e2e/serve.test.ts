/**
 * `certwatch serve` as an operator runs it: a child process on a config with local TLS endpoints and a webhook,
 * waited on through /readyz, scanning on its schedule (seen in /metrics), delivering as it goes, reloading its configuration on
 * SIGHUP (a broken file changes nothing; a new endpoint gets scanned), stopping on SIGTERM with exit 0 and
 * nothing lost, and resuming its schedule after a restart.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Alert } from "../../src/domain/alert.js";
import { openStore } from "../../src/store/open.js";
import type { Store } from "../../src/store/store.js";
import { createRootCa, issueIntermediate, issueLeaf } from "../helpers/pki.js";
import { startTlsServer, type RunningServer } from "../helpers/tls-servers.js";
import { startWebhookReceiver, type WebhookReceiver } from "../helpers/webhook-receiver.js";
import {
  endpointsConfig,
  operatorToken,
  scanned,
  startDaemon,
  until,
  waitReady,
  type Daemon,
} from "./serve-kit.js";

const SECRET = "whsec_c2VydmUtdGVzdC1zZWNyZXQtMzItYnl0ZXMtbG9uZyE=";

describe("certwatch serve", () => {
  let dir: string;
  let store: Store;
  let hook: WebhookReceiver;
  const servers: RunningServer[] = [];
  let a: string;
  let b: string;
  let daemon: Daemon | undefined;

  const config = (endpoints: string[]) =>
    endpointsConfig(endpoints, [
      "notify:",
      `  hook: { type: webhook, url: "${hook.url}", secret: { env: CW_TEST_SERVE_SECRET }, timeoutMs: 2000, concurrency: 1 }`,
      "delivery: { retryDelaySeconds: 0.2 }",
    ]);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "certwatch-serve-"));
    const root = await createRootCa({ subject: "CN=Serve Test Root", freshKey: true });
    const int = await issueIntermediate(root, { freshKey: true });
    for (const name of ["a.test", "b.test"]) {
      const leaf = await issueLeaf(int, { dnsNames: [name] });
      servers.push(await startTlsServer({ chain: [leaf, int], key: leaf, hsts: null }));
    }
    a = `a.test:${servers[0]?.port}`;
    b = `b.test:${servers[1]?.port}`;
    hook = await startWebhookReceiver({ secret: SECRET });
    process.env.CW_TEST_SERVE_SECRET = SECRET;
    writeFileSync(join(dir, "root.pem"), root.certPem);
    writeFileSync(join(dir, "certwatch.yaml"), config([a]));
    store = await openStore(`sqlite:${join(dir, "certwatch.db")}`);
  });

  after(async () => {
    if (daemon && daemon.child.exitCode === null) daemon.child.kill("SIGKILL");
    await store?.close();
    await Promise.all(servers.map((s) => s.close()));
    await hook?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const openAlerts = async (): Promise<Alert[]> => store.listAlerts({ status: "open" });

  it("becomes ready, scans its endpoint on schedule and delivers the alert as it is raised", async () => {
    daemon = startDaemon(dir);
    const url = await daemon.url();
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    const ready = await waitReady(url);
    assert.deepEqual(ready, {
      status: "ready",
      checks: [
        { name: "store", ok: true },
        { name: "migrations", ok: true },
        { name: "scheduler", ok: true },
      ],
    });
    await daemon.line(scanned(a));
    const alerts = await openAlerts();
    assert.deepEqual(
      alerts.map((x) => [x.name, x.subject]),
      [["hsts-missing", "a.test"]],
    );
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /^certwatch_scan_duration_seconds_count 1$/m, "the scan's duration is observed");
    assert.match(metrics, /^probe_ssl_earliest_cert_expiry\{[^}]*instance="a\.test:\d+"/m);
    const [got] = await hook.waitFor(1, 30_000);
    assert.ok(got?.verified);
    assert.equal((got?.parsed as { data: { alert: { subject: string } } }).data.alert.subject, "a.test");
    for (const l of daemon.lines) assert.notEqual(l.level, "not-json", `every stderr line is JSON: ${l.msg}`);
  });

  it("SIGHUP with a broken configuration changes nothing; with a new endpoint, scans it (and not the others again)", async () => {
    assert.ok(daemon);
    const url = await daemon.url();
    writeFileSync(join(dir, "certwatch.yaml"), "endpoints: [ftp://nope\n");
    let from = daemon.lines.length;
    daemon.signal("SIGHUP");
    const refused = await daemon.line((l) => l.msg.startsWith("configuration not reloaded"), from);
    assert.equal(refused.level, "error");
    assert.match(String(refused.error), /certwatch\.yaml/);
    await waitReady(url);

    // b.test's alert is refused by the receiver for a long while: it must stay in the outbox.
    hook.fail(1, { status: 503, headers: { "retry-after": "3600" } });
    writeFileSync(join(dir, "certwatch.yaml"), config([a, b]));
    from = daemon.lines.length;
    daemon.signal("SIGHUP");
    await daemon.line((l) => l.msg === "configuration reloaded", from);
    const schedule = await daemon.line((l) => l.msg === "scans scheduled", from);
    assert.equal(schedule.targets, 2);
    assert.equal(schedule.resumed, 1, "a.test resumes from its last run");
    await daemon.line(scanned(b), from);
    assert.equal(
      daemon.lines.filter(scanned(a)).length,
      1,
      "a.test is not scanned again before its interval",
    );
    assert.deepEqual((await openAlerts()).map((x) => x.subject).sort(), ["a.test", "b.test"]);
    await waitReady(url);
  });

  it("the REST API lists the scheduled endpoints and scans one on request", async () => {
    assert.ok(daemon);
    const url = await daemon.url();
    // An operator's API token, made as `certwatch token create` would.
    const token = await operatorToken(store);
    const auth = { authorization: `Bearer ${token}` };
    const list = await fetch(`${url}/api/v1/endpoints`, { headers: auth });
    assert.equal(list.status, 200);
    const { items } = (await list.json()) as {
      items: { host: string; origin: string; intervalMinutes: number; lastRunAt: string | null }[];
    };
    assert.deepEqual(items.map((i) => [i.host, i.origin, i.intervalMinutes, i.lastRunAt !== null]).sort(), [
      ["a.test", "config", 60, true],
      ["b.test", "config", 60, true],
    ]);
    const from = daemon.lines.length;
    const now = await fetch(`${url}/api/v1/endpoints/${encodeURIComponent(a)}/scan`, {
      method: "POST",
      headers: auth,
    });
    assert.equal(now.status, 202, await now.text());
    await daemon.line(scanned(a), from);
    const unknown = await fetch(`${url}/api/v1/endpoints/c.test:443/scan`, { method: "POST", headers: auth });
    assert.equal(unknown.status, 404);
  });

  it("SIGTERM stops it with exit 0 within the bound, leaving undelivered notifications in the outbox", async () => {
    assert.ok(daemon);
    await until(() => hook.requests.length >= 2, "the receiver refused b.test's alert");
    const from = daemon.lines.length;
    daemon.signal("SIGTERM");
    const run = await daemon.done;
    assert.equal(run.code, 0, run.stderr);
    const stopped = await daemon.line((l) => l.msg === "stopped", from);
    assert.equal(stopped.clean, true);
    const [status] = await store.outboxStatus();
    assert.equal(status?.target, "hook");
    assert.equal(status?.pending, 1, "b.test's alert waits for the next start");
    assert.equal(status?.delivered, 1);
  });

  it("a restart resumes the schedule instead of scanning everything again", async () => {
    daemon = startDaemon(dir);
    const url = await daemon.url();
    await waitReady(url);
    const schedule = await daemon.line((l) => l.msg === "scans scheduled");
    assert.equal(schedule.targets, 2);
    assert.equal(schedule.resumed, 2);
    const next = Date.parse(String(schedule.nextRunAt));
    assert.ok(
      next - Date.now() > 30 * 60_000,
      `next scan in about an hour, not now (${String(schedule.nextRunAt)})`,
    );
    daemon.signal("SIGINT");
    const run = await daemon.done;
    assert.equal(run.code, 0, run.stderr);
    assert.equal(daemon.lines.filter((l) => l.msg === "scanned").length, 0);
  });
});
