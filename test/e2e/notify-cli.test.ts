/**
 * @module test/e2e/notify-cli.test
 * Delivery from the command line, as a team runs it: a scan's new alert reaches a signed webhook and only the
 * targets whose routing takes it, before the command exits; a rerun sends nothing new; a target that refuses is
 * caught up by `notify send`; `notify test` and `notify status`; a missing secret stops the command with exit 2.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createRootCa, issueIntermediate, issueLeaf } from "../helpers/pki.js";
import type { SyslogReceiver } from "../helpers/syslog-receiver.js";
import { startTlsServer, type RunningServer } from "../helpers/tls-servers.js";
import type { WebhookReceiver } from "../helpers/webhook-receiver.js";
import { oneEndpointScan, startNotifyTargets } from "./notify-targets-kit.js";
import { certwatch, jsonLines } from "./run-cli.js";

const SECRET = `whsec_${Buffer.from("notify cli test secret, 32 bytes").toString("base64")}`;

interface Delivered {
  type: string;
  data: { notification: string; alert: { name: string; subject: string; details: Record<string, unknown> } };
}

describe("certwatch delivery from the command line", () => {
  let dir: string;
  let server: RunningServer;
  let hook: WebhookReceiver;
  let syslog: SyslogReceiver;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "certwatch-notify-"));
    const root = await createRootCa({ subject: "CN=Notify Test Root", freshKey: true });
    const int = await issueIntermediate(root, { freshKey: true });
    const leaf = await issueLeaf(int, { dnsNames: ["nohsts.test"] });
    server = await startTlsServer({ chain: [leaf, int], key: leaf, hsts: null });
    ({ hook, syslog } = await startNotifyTargets(SECRET, "CW_TEST_HOOK_SECRET"));
    writeFileSync(join(dir, "root.pem"), root.certPem);
    writeFileSync(
      join(dir, "certwatch.yaml"),
      [
        ...oneEndpointScan(`nohsts.test:${server.port}`, ["trust: { extraRoots: [./root.pem] }"]),
        "notify:",
        // One request at a time: the refusal below then holds back the other notification too.
        `  hook: { type: webhook, url: "${hook.url}", secret: { env: CW_TEST_HOOK_SECRET }, timeoutMs: 2000, concurrency: 1 }`,
        `  siem: { type: syslog, host: 127.0.0.1, port: ${syslog.port}, minSeverity: critical, timeoutMs: 2000 }`,
        "delivery: { drainTimeoutSeconds: 1, retryDelaySeconds: 0.2 }",
        "",
      ].join("\n"),
    );
  });

  after(async () => {
    await server?.close();
    await hook?.close();
    await syslog?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("scan delivers its new alert before exiting, signed, to the targets that take it; stdout stays JSON", async () => {
    const r = await certwatch(["scan", "--json"], dir);
    assert.equal(r.code, 0, r.stderr);
    const printed = jsonLines(r.stdout);
    assert.deepEqual(
      printed.map((a) => a.name),
      ["hsts-missing"],
    );
    assert.equal(hook.received.length, 1);
    const [got] = hook.received;
    assert.ok(got?.verified, "Standard Webhooks signature verified by the receiver");
    const body = got?.parsed as Delivered;
    assert.equal(body.type, "alert.opened");
    assert.equal(body.data.alert.name, "hsts-missing");
    assert.equal(body.data.alert.subject, "nohsts.test");
    assert.equal(syslog.messages.length, 0, "minSeverity critical: a medium alert is not sent");
    assert.match(r.stderr, /notify hook: 1 delivered/);
  });

  it("a second scan finds the same problem and sends nothing new", async () => {
    const r = await certwatch(["scan"], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(hook.requests.length, 1);
  });

  it("notify status shows what was delivered and what is pending", async () => {
    const r = await certwatch(["notify", "status", "--json"], dir);
    assert.equal(r.code, 0, r.stderr);
    const rows = jsonLines(r.stdout);
    assert.deepEqual(
      rows.map((s) => [s.target, s.pending, s.delivered]),
      [["hook", 0, 1]],
    );
  });

  it("a target that refuses keeps the notification; notify send delivers it later", async () => {
    hook.fail(1, { status: 503, headers: { "retry-after": "2" } });
    server.close().catch(() => undefined);
    // The endpoint is gone: hsts-missing resolves and unreachable opens; the refusal leaves both pending.
    const r = await certwatch(["scan"], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /notify hook: 0 delivered, 2 pending .*HTTP 503/);
    await new Promise((res) => setTimeout(res, 2100));
    const sent = await certwatch(["notify", "send"], dir);
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(sent.stderr, /notify hook: 2 delivered/);
    const kinds = hook.received
      .slice(1)
      .map((w) => `${(w.parsed as Delivered).type} ${(w.parsed as Delivered).data.alert.name}`);
    assert.deepEqual(kinds.sort(), ["alert.opened endpoint-unreachable", "alert.resolved hsts-missing"]);
    assert.equal(hook.duplicates, 0);
  });

  it("notify test sends a sample to one target and prints the result; an unknown target is a usage error", async () => {
    const ok = await certwatch(["notify", "test", "--target", "hook"], dir);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^hook \(webhook\): delivered in \d+ ms$/m);
    const sample = hook.received.at(-1)?.parsed as Delivered;
    assert.equal(sample.data.alert.details.test, true);
    const unknown = await certwatch(["notify", "test", "--target", "nope"], dir);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no target named "nope".*targets: hook, siem/);
  });

  it("notify test exits 1 and says why when a target fails", async () => {
    await syslog.down();
    try {
      const r = await certwatch(["notify", "test"], dir);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /^hook \(webhook\): delivered/m);
      assert.match(r.stdout, /^siem \(syslog\): FAILED after \d+ ms: .+/m);
    } finally {
      await syslog.up();
    }
  });

  it("a secret that is not set stops the command before any work, naming the field and not the value", async () => {
    writeFileSync(
      join(dir, "missing-secret.yaml"),
      `notify:\n  hook: { type: webhook, url: "${hook.url}", secret: { env: CW_TEST_UNSET_SECRET } }\n`,
    );
    const r = await certwatch(["scan", "--config", "missing-secret.yaml"], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /notify\.hook\.secret: environment variable CW_TEST_UNSET_SECRET is not set/);
  });
});
