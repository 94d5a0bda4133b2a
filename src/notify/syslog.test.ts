/**
 * @module notify/syslog.test
 * The syslog notifier against a real local receiver over TCP, TLS and UDP: fields arrive intact, failures are
 * failures (down, reset, slow, untrusted), and every send is bounded by the timeout.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { hostname } from "node:os";
import type { SyslogTargetConfig } from "../config/notify-schema.js";
import type { Alert } from "../domain/alert.js";
import { createRootCa, issueLeaf } from "../../test/helpers/pki.js";
import { startSyslogReceiver } from "../../test/helpers/syslog-receiver.js";
import type { SyslogReceiver, SyslogTransport } from "../../test/helpers/syslog-receiver.js";
import type { Notification } from "./notification.js";
import { notificationId, notificationJson } from "./notification.js";
import type { NotifierContext } from "./notifier.js";
import { sampleNotification } from "./sample.js";
import { STREAM_MAX_MESSAGE_BYTES, UDP_MAX_MESSAGE_BYTES, createSyslogNotifier } from "./syslog.js";

const NOW = new Date("2025-03-01T10:00:00Z");
const NASTY = 'a\\b|c=d"e]f\r\ng<script>alert(1)</script> é 😀 \\= \\n';

function notification(i: number, alert: Partial<Alert> = {}): Notification {
  const n = sampleNotification(NOW);
  return { ...n, id: notificationId(n.alert.id, "opened", `t${i}`), alert: { ...n.alert, ...alert } };
}

const NASTY_ALERT: Partial<Alert> = {
  subject: `sub ${NASTY}`,
  summary: `sum ${NASTY}`,
  details: { reason: NASTY, "k=|": ["\\", "]"] },
};

function config(r: SyslogReceiver, over: Partial<SyslogTargetConfig> = {}): SyslogTargetConfig {
  return {
    type: "syslog",
    minSeverity: "info",
    resolved: true,
    timeoutMs: 2000,
    host: "127.0.0.1",
    port: r.port,
    transport: r.transport,
    format: "cef",
    facility: 10,
    appName: "certwatch",
    ...over,
  };
}

function context(ca: readonly string[] = []): NotifierContext {
  return {
    ca,
    secret: () => {
      throw new Error("syslog has no secrets");
    },
    log: { warn: () => undefined },
    now: () => NOW,
  };
}

async function withReceiver(
  transport: SyslogTransport,
  fn: (r: SyslogReceiver) => Promise<void>,
): Promise<void> {
  const r = await startSyslogReceiver({ transport });
  try {
    await fn(r);
  } finally {
    await r.close();
  }
}

for (const transport of ["tcp", "tls", "udp"] as const) {
  test(`${transport}: a batch arrives as RFC 5424 + CEF, every field intact`, () =>
    withReceiver(transport, async (r) => {
      const notifier = createSyslogNotifier("siem", config(r), context(r.caPem ? [r.caPem] : []));
      const batch = [
        notification(1),
        notification(2, NASTY_ALERT),
        notification(3, { severity: "critical" }),
      ];
      assert.deepEqual(await notifier.send(batch), { kind: "delivered" });
      const got = await r.waitFor(3);
      assert.deepEqual(r.errors, []);
      assert.equal(got.length, 3);
      if (transport !== "udp") assert.equal(new Set(got.map((m) => m.connection)).size, 1, "one connection");
      const byId = new Map(got.map((m) => [m.cef?.extension.externalId, m]));
      for (const n of batch) {
        const m = byId.get(n.id);
        assert.ok(m, `notification ${n.id} arrived`);
        assert.equal(m.facility, 10);
        assert.equal(m.severity, n.alert.severity === "critical" ? 2 : 4);
        assert.equal(m.timestamp, n.createdAt);
        assert.equal(m.hostname, /^[!-~]{1,255}$/.test(hostname()) ? hostname() : "-");
        assert.equal(m.appName, "certwatch");
        assert.equal(m.procId, String(process.pid));
        assert.equal(m.msgId, "hsts-missing");
        assert.equal(m.bom, true);
        assert.deepEqual(m.structuredData["certwatch@32473"], {
          notificationId: n.id,
          notification: "opened",
          alertId: n.alert.id,
          eventId: "42",
          severity: n.alert.severity,
          status: "open",
        });
        const cef = m.cef;
        assert.ok(cef);
        assert.equal(cef.vendor, "certwatch");
        assert.equal(cef.signatureId, "42");
        assert.equal(cef.severity, n.alert.severity === "critical" ? "10" : "5");
        assert.equal(cef.extension.msg, n.alert.summary);
        assert.equal(cef.extension.cs2, n.alert.subject);
        assert.equal(cef.extension.cs1, n.alert.id);
        assert.equal(cef.extension.dst, "192.0.2.10");
        assert.deepEqual(JSON.parse(cef.extension.cs6 ?? ""), JSON.parse(JSON.stringify(n.alert.details)));
      }
      await notifier.close();
    }));
}

test("tcp, format json: the MSG is the notification JSON", () =>
  withReceiver("tcp", async (r) => {
    const notifier = createSyslogNotifier("siem", config(r, { format: "json" }), context());
    const n = notification(1, NASTY_ALERT);
    assert.equal((await notifier.send([n])).kind, "delivered");
    const [m] = await r.waitFor(1);
    assert.deepEqual(m?.json, JSON.parse(JSON.stringify(notificationJson(n))));
  }));

test("tcp: a receiver that is down fails (retryable), then the same batch succeeds when it is back", () =>
  withReceiver("tcp", async (r) => {
    const notifier = createSyslogNotifier("siem", config(r), context());
    await r.down();
    const down = await notifier.send([notification(1)]);
    assert.equal(down.kind, "failed");
    assert.ok(
      down.kind === "failed" && /ECONNREFUSED/.test(down.error) && !down.permanent,
      JSON.stringify(down),
    );
    await r.up();
    assert.equal((await notifier.send([notification(1)])).kind, "delivered");
    assert.equal((await r.waitFor(1)).length, 1);
  }));

for (const transport of ["tcp", "tls"] as const) {
  test(`${transport}: a connection reset before reading is a retryable failure; the next try is delivered`, () =>
    withReceiver(transport, async (r) => {
      const notifier = createSyslogNotifier("siem", config(r), context(r.caPem ? [r.caPem] : []));
      r.failNext(1, { kind: "reset" });
      const reset = await notifier.send([notification(1)]);
      assert.ok(reset.kind === "failed" && !reset.permanent, JSON.stringify(reset));
      assert.equal(r.messages.length, 0);
      assert.equal((await notifier.send([notification(1)])).kind, "delivered");
      await r.waitFor(1);
    }));
}

test("tcp: a receiver that does not read fails within the timeout", () =>
  withReceiver("tcp", async (r) => {
    const notifier = createSyslogNotifier("siem", config(r, { timeoutMs: 300 }), context());
    r.failNext(1, { kind: "delay", ms: 5000 });
    const started = Date.now();
    const slow = await notifier.send([notification(1)]);
    const took = Date.now() - started;
    assert.ok(slow.kind === "failed" && /within 300 ms/.test(slow.error), JSON.stringify(slow));
    assert.ok(took >= 250 && took < 1500, `took ${took} ms`);
  }));

test("tls: a receiver that does not read fails within the timeout", () =>
  withReceiver("tls", async (r) => {
    const notifier = createSyslogNotifier("siem", config(r, { timeoutMs: 300 }), context([r.caPem ?? ""]));
    r.failNext(1, { kind: "delay", ms: 5000 });
    const started = Date.now();
    const slow = await notifier.send([notification(1)]);
    assert.equal(slow.kind, "failed");
    assert.ok(Date.now() - started < 1500);
  }));

test("tls: a certificate from an unknown CA is refused, permanently, and nothing is read", () =>
  withReceiver("tls", async (r) => {
    const other = await createRootCa({ subject: "CN=some other CA" });
    const notifier = createSyslogNotifier("siem", config(r), context([other.certPem]));
    const out = await notifier.send([notification(1)]);
    assert.ok(out.kind === "failed" && out.permanent === true, JSON.stringify(out));
    assert.match(out.error, /certificate/);
    await new Promise((res) => setTimeout(res, 50));
    assert.equal(r.messages.length, 0);
  }));

test("tls: a trusted certificate for another name is refused", async () => {
  const ca = await createRootCa({ subject: "CN=syslog name test CA" });
  const leaf = await issueLeaf(ca, { dnsNames: ["syslog.example.com"], ipAddresses: ["127.0.0.2"] });
  const r = await startSyslogReceiver({
    transport: "tls",
    tls: { certPem: leaf.certPem, keyPem: leaf.keyPem, caPem: ca.certPem },
  });
  try {
    const out = await createSyslogNotifier("siem", config(r), context([ca.certPem])).send([notification(1)]);
    assert.ok(out.kind === "failed" && /ERR_TLS_CERT_ALTNAME_INVALID/.test(out.error), JSON.stringify(out));
    assert.equal(r.messages.length, 0);
  } finally {
    await r.close();
  }
});

test("udp: one datagram per message; a long one is truncated under the limit, still valid CEF", () =>
  withReceiver("udp", async (r) => {
    const notifier = createSyslogNotifier("siem", config(r), context());
    const long = notification(1, { details: { text: `${NASTY} ${"é😀\\=".repeat(2000)}` } });
    assert.equal((await notifier.send([long, notification(2)])).kind, "delivered");
    const got = await r.waitFor(2);
    assert.deepEqual(r.errors, []);
    assert.equal(r.connections(), 2, "two datagrams");
    const cut = got.find((m) => m.cef?.extension.externalId === long.id);
    assert.ok(cut);
    assert.ok(cut.raw.length <= UDP_MAX_MESSAGE_BYTES, `${cut.raw.length} bytes`);
    assert.ok(cut.cef?.extension.cs6?.endsWith("...[truncated]"));
    assert.equal(cut.cef?.extension.msg, long.alert.summary, "the fields before details are whole");
  }));

test("udp: nobody listening is a failure (ICMP port unreachable), then delivered when back", () =>
  withReceiver("udp", async (r) => {
    const notifier = createSyslogNotifier("siem", config(r), context());
    await r.down();
    const down = await notifier.send([notification(1)]);
    assert.ok(down.kind === "failed" && /ECONNREFUSED/.test(down.error), JSON.stringify(down));
    await r.up();
    assert.equal((await notifier.send([notification(1)])).kind, "delivered");
    await r.waitFor(1);
  }));

test("tcp: a message longer than the stream limit is truncated, not split", () =>
  withReceiver("tcp", async (r) => {
    const notifier = createSyslogNotifier("siem", config(r), context());
    const huge = notification(1, { details: { text: "x".repeat(STREAM_MAX_MESSAGE_BYTES * 2) } });
    assert.equal((await notifier.send([huge])).kind, "delivered");
    const [m] = await r.waitFor(1);
    assert.ok(m && m.raw.length <= STREAM_MAX_MESSAGE_BYTES);
    assert.ok(m.msg.endsWith("...[truncated]"));
    assert.equal(r.messages.length, 1);
  }));

test("maxBatch is batchSize or 200; an empty batch is delivered without a connection; close() ends sends", () =>
  withReceiver("tcp", async (r) => {
    assert.equal(createSyslogNotifier("a", config(r), context()).maxBatch, 200);
    const notifier = createSyslogNotifier("b", config(r, { batchSize: 7 }), context());
    assert.equal(notifier.maxBatch, 7);
    assert.equal(notifier.type, "syslog");
    assert.equal(notifier.target, "b");
    assert.deepEqual(await notifier.send([]), { kind: "delivered" });
    assert.equal(r.connections(), 0);
    await notifier.close();
    assert.equal((await notifier.send([notification(1)])).kind, "failed");
  }));

test("the default ports are 514 (tcp, udp) and 6514 (tls)", async () => {
  const target = (transport: SyslogTransport) => {
    const { port: _port, ...cfg } = config({ port: 1, transport } as SyslogReceiver, { timeoutMs: 200 });
    return createSyslogNotifier("t", cfg, context());
  };
  const out = await target("tls").send([notification(1)]);
  assert.ok(out.kind === "failed" && out.error.includes("127.0.0.1:6514"), JSON.stringify(out));
  const tcp = await target("tcp").send([notification(1)]);
  assert.ok(tcp.kind === "failed" && tcp.error.includes("127.0.0.1:514"), JSON.stringify(tcp));
});
