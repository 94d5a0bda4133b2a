/**
 * @module notify/email.test
 * The e-mail notifier against a real SMTP server on loopback: TLS and AUTH as a mail server enforces them, SMTP
 * replies mapped to outcomes, digests, and alert text that tries to inject HTML or headers.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
// mailparser's own HTML dependency: a real parser, so the test sees the HTML as a mail client would.
import { DomUtils, parseDocument } from "htmlparser2";
import type { EmailTargetConfig, SecretRef } from "../config/notify-schema.js";
import { notifySchema } from "../config/notify-schema.js";
import { alertId } from "../domain/alert.js";
import type { Alert } from "../domain/alert.js";
import { eventByName } from "../events.js";
import type { EventName } from "../events.js";
import { createRootCa, issueLeaf } from "../../test/helpers/pki.js";
import { startSmtpReceiver } from "../../test/helpers/smtp-receiver.js";
import type { SmtpReceiver, SmtpReceiverOptions } from "../../test/helpers/smtp-receiver.js";
import { createEmailNotifier } from "./email.js";
import type { Notification, NotificationKind } from "./notification.js";
import { notificationId } from "./notification.js";
import type { Notifier, NotifierContext } from "./notifier.js";

const PASSWORD = "s3cr3t-Pa55word!";
const USER = "certwatch";
const NOW = new Date("2025-03-01T10:00:00Z");

function notification(
  name: EventName,
  subject: string,
  over: Partial<Alert> = {},
  kind: NotificationKind = "opened",
): Notification {
  const ev = eventByName(name);
  const key = `${subject}:443`;
  const alert: Alert = {
    id: alertId(ev.id, key),
    eventId: ev.id,
    name: ev.name,
    severity: ev.severity,
    source: ev.source,
    summary: ev.summary,
    remediation: ev.remediation,
    subject,
    key,
    endpoint: { host: subject, port: 443, address: "192.0.2.7" },
    certificate: {
      sha256: "ab".repeat(32),
      serialNumber: "01",
      subject: `CN=${subject}`,
      issuer: "CN=Test Issuing CA, O=Test",
      dnsNames: [subject],
      ipAddresses: [],
      notBefore: "2025-01-01T00:00:00Z",
      notAfter: "2025-04-01T00:00:00Z",
    },
    details: { daysLeft: 31, reason: "expires soon" },
    status: kind === "resolved" ? "resolved" : "open",
    firstSeen: "2025-02-28T08:00:00Z",
    lastSeen: "2025-03-01T09:59:00Z",
    resolvedAt: kind === "resolved" ? "2025-03-01T10:00:00Z" : null,
    ...over,
  };
  const at = "2025-03-01T10:00:00Z";
  return { id: notificationId(alert.id, kind, at), kind, alert, createdAt: at };
}

function config(r: { port: number }, over: Record<string, unknown> = {}): EmailTargetConfig {
  const parsed = notifySchema.parse({
    mail: {
      type: "email",
      host: "127.0.0.1",
      port: r.port,
      from: "certwatch <certwatch@contoso.test>",
      to: ["soc@contoso.test"],
      timeoutMs: 3000,
      ...over,
    },
  });
  const cfg = parsed.mail;
  assert.ok(cfg?.type === "email");
  return cfg;
}

const withAuth = { username: USER, password: { env: "SMTP_PASSWORD" } };

interface Logged {
  message: string;
  fields?: Readonly<Record<string, unknown>>;
}

function context(
  ca: string,
  extra: { publicUrl?: string; password?: string; logs?: Logged[] } = {},
): NotifierContext {
  const env: Record<string, string> = { SMTP_PASSWORD: extra.password ?? PASSWORD };
  return {
    ca: [ca],
    secret: (ref: SecretRef, field: string) => {
      const v = "env" in ref ? env[ref.env] : undefined;
      if (v === undefined) throw new Error(`${field}: not set`);
      return v;
    },
    ...(extra.publicUrl !== undefined ? { publicUrl: extra.publicUrl } : {}),
    log: { warn: (message, fields) => extra.logs?.push({ message, ...(fields ? { fields } : {}) }) },
    now: () => NOW,
  };
}

/** A receiver and notifiers closed after the test, whatever happens. */
async function withReceiver<T>(
  opts: SmtpReceiverOptions,
  fn: (r: SmtpReceiver, track: (n: Notifier) => Notifier) => Promise<T>,
): Promise<T> {
  const r = await startSmtpReceiver(opts);
  const made: Notifier[] = [];
  try {
    return await fn(r, (n) => (made.push(n), n));
  } finally {
    for (const n of made) await n.close();
    await r.close();
  }
}

function header(m: { parsed: { headers: Map<string, unknown> } }, name: string): string {
  const v = m.parsed.headers.get(name);
  return typeof v === "string" ? v : JSON.stringify(v);
}

const takeover = notification("domain-takeover", "shop.contoso.com");

describe("e-mail notifier: TLS and authentication", () => {
  it("delivers over STARTTLS with the configured credentials, one multipart message per alert", async () => {
    await withReceiver({ auth: { username: USER, password: PASSWORD } }, async (r, track) => {
      const n = track(createEmailNotifier("mail", config(r, withAuth), context(r.caPem)));
      assert.equal(n.maxBatch, 1);
      assert.equal(n.type, "email");
      assert.equal(n.target, "mail");
      assert.deepEqual(await n.send([takeover]), { kind: "delivered" });
      const [m] = await r.waitFor(1);
      assert.ok(m);
      assert.equal(m.secure, true);
      assert.match(m.tlsProtocol ?? "", /^TLSv1\.[23]$/);
      assert.deepEqual(m.auth, { method: m.auth?.method, username: USER, password: PASSWORD });
      assert.ok(["PLAIN", "LOGIN"].includes(m.auth.method));
      assert.deepEqual(m.envelope, { mailFrom: "certwatch@contoso.test", rcptTo: ["soc@contoso.test"] });
      assert.equal(m.parsed.subject, "[certwatch] CRITICAL domain-takeover: shop.contoso.com");
      assert.equal(m.parsed.messageId, `<${takeover.id}@certwatch>`);
      assert.equal(header(m, "x-certwatch-notification-id"), takeover.id);
      assert.equal(header(m, "x-certwatch-event-id"), String(takeover.alert.eventId));
      assert.equal(header(m, "auto-submitted"), "auto-generated");
      assert.match(header(m, "content-type"), /multipart\/alternative/);
      assert.equal(m.parsed.date?.toISOString(), NOW.toISOString());
      const text = m.parsed.text ?? "";
      const a = takeover.alert;
      for (const s of [
        a.summary,
        a.remediation,
        `${a.eventId} domain-takeover`,
        "shop.contoso.com:443@192.0.2.7",
        "CN=Test Issuing CA, O=Test",
        "2025-04-01T00:00:00Z",
        "ab".repeat(32),
        "daysLeft:",
        "expires soon",
        "2025-02-28T08:00:00Z",
        a.id,
      ]) {
        assert.ok(text.includes(s), `text part lacks ${s}`);
      }
      assert.ok(typeof m.parsed.html === "string" && m.parsed.html.includes("CN=Test Issuing CA, O=Test"));
      assert.ok(!text.includes("/alerts/"), "no dashboard link without publicUrl");
    });
  });

  it("refuses to send when the server offers no STARTTLS: nothing, not even the password, goes in clear", async () => {
    await withReceiver(
      { security: "none", auth: { username: USER, password: PASSWORD }, allowInsecureAuth: true },
      async (r, track) => {
        const n = track(createEmailNotifier("mail", config(r, withAuth), context(r.caPem)));
        const out = await n.send([takeover]);
        assert.equal(out.kind, "failed");
        assert.match(out.kind === "failed" ? out.error : "", /STARTTLS|TLS/i);
        assert.equal(r.transactions, 0);
        assert.equal(r.authAttempts.length, 0);
        assert.equal(r.messages.length, 0);
      },
    );
  });

  it("delivers over implicit TLS (security: tls)", async () => {
    await withReceiver(
      { security: "tls", auth: { username: USER, password: PASSWORD } },
      async (r, track) => {
        const n = track(
          createEmailNotifier("mail", config(r, { ...withAuth, security: "tls" }), context(r.caPem)),
        );
        assert.deepEqual(await n.send([takeover]), { kind: "delivered" });
        const [m] = await r.waitFor(1);
        assert.equal(m?.secure, true);
        assert.equal(m.auth?.username, USER);
      },
    );
  });

  it("verifies the server certificate: an untrusted CA or another host name fails before MAIL FROM", async () => {
    const otherCa = await createRootCa({ subject: "CN=Someone else" });
    await withReceiver({ security: "tls" }, async (r, track) => {
      const n = track(createEmailNotifier("mail", config(r, { security: "tls" }), context(otherCa.certPem)));
      const out = await n.send([takeover]);
      assert.equal(out.kind, "failed");
      assert.equal(r.transactions, 0);
    });
    const ca = await createRootCa({ subject: "CN=Right CA" });
    const leaf = await issueLeaf(ca, { dnsNames: ["mail.elsewhere.test"] });
    await withReceiver({ identity: { certPem: leaf.certPem, keyPem: leaf.keyPem } }, async (r, track) => {
      const n = track(createEmailNotifier("mail", config(r), context(ca.certPem)));
      const out = await n.send([takeover]);
      assert.equal(out.kind, "failed");
      assert.match(out.kind === "failed" ? out.error : "", /altname|match|IP/i);
      assert.equal(r.transactions, 0);
    });
  });

  it("reports a wrong password as permanent, without the password even when the server echoes it", async () => {
    await withReceiver(
      { auth: { username: USER, password: PASSWORD }, authFailureText: (u, p) => `bad login ${u}/${p}` },
      async (r, track) => {
        const n = track(
          createEmailNotifier("mail", config(r, withAuth), context(r.caPem, { password: "wrong-Passw0rd" })),
        );
        const out = await n.send([takeover]);
        assert.equal(out.kind, "failed");
        assert.ok(out.kind === "failed");
        assert.equal(out.permanent, true);
        assert.match(out.error, /535/);
        assert.equal(r.authAttempts[0]?.password, "wrong-Passw0rd", "the server did see the password");
        assert.equal(r.authAttempts[0]?.secure, true, "and only over TLS");
        assert.ok(!out.error.includes("wrong-Passw0rd"), out.error);
        assert.ok(!out.error.includes(Buffer.from("wrong-Passw0rd").toString("base64")), out.error);
        assert.equal(r.messages.length, 0);
      },
    );
  });

  it("sends in clear only with security: none, even when the server offers STARTTLS", async () => {
    await withReceiver({}, async (r, track) => {
      const n = track(createEmailNotifier("mail", config(r, { security: "none" }), context(r.caPem)));
      assert.deepEqual(await n.send([takeover]), { kind: "delivered" });
      assert.equal((await r.waitFor(1))[0]?.secure, false);
    });
  });
});

describe("e-mail notifier: SMTP replies and failures", () => {
  let r: SmtpReceiver;
  let n: Notifier;
  before(async () => {
    r = await startSmtpReceiver({ auth: { username: USER, password: PASSWORD } });
    n = createEmailNotifier("mail", config(r, { ...withAuth, timeoutMs: 400 }), context(r.caPem));
  });
  after(async () => {
    await n.close();
    await r.close();
  });

  it("retries a 451 at RCPT TO (no permanent flag), and the next try goes through", async () => {
    r.fault({ at: "rcpt", code: 451, message: "4.3.0 Try again later" });
    const out = await n.send([takeover]);
    assert.ok(out.kind === "failed");
    assert.equal(out.permanent, undefined);
    assert.match(out.error, /RCPT TO with 451/);
    const before = r.messages.length;
    assert.deepEqual(await n.send([takeover]), { kind: "delivered" });
    assert.equal(r.messages.length, before + 1);
  });

  it("marks a 550 at RCPT TO and a 552 at DATA as permanent", async () => {
    r.fault({ at: "rcpt", code: 550, message: "5.1.1 Mailbox unavailable" });
    const out = await n.send([takeover]);
    assert.ok(out.kind === "failed");
    assert.equal(out.permanent, true);
    assert.match(out.error, /550 5\.1\.1 Mailbox unavailable/);
    r.fault({ at: "data", code: 552, message: "5.3.4 Too big" });
    const big = await n.send([takeover]);
    assert.ok(big.kind === "failed");
    assert.equal(big.permanent, true);
  });

  it("retries a 421 greeting and a connection dropped at DATA", async () => {
    r.fault({ at: "connect", code: 421, message: "4.3.2 Service not available" });
    const a = await n.send([takeover]);
    assert.ok(a.kind === "failed");
    assert.equal(a.permanent, undefined);
    r.fault({ at: "data", drop: true });
    const b = await n.send([takeover]);
    assert.ok(b.kind === "failed");
    assert.equal(b.permanent, undefined);
  });

  it("gives up on a server that stalls (greeting or after DATA) within the timeout", async () => {
    for (const at of ["connect", "data"] as const) {
      const count = r.messages.length;
      r.fault({ at, delayMs: 5000 });
      const t0 = performance.now();
      const out = await n.send([takeover]);
      const took = performance.now() - t0;
      assert.ok(out.kind === "failed", at);
      assert.equal(out.permanent, undefined);
      assert.ok(took >= 350 && took < 1500, `${at}: took ${took} ms`);
      assert.equal(r.messages.length, count);
    }
  });

  it("counts a message taken for some recipients as delivered, and warns about the refused ones", async () => {
    const logs: Logged[] = [];
    const m = createEmailNotifier(
      "mail",
      config(r, { ...withAuth, to: ["soc@contoso.test", "gone@contoso.test"] }),
      context(r.caPem, { logs }),
    );
    r.fault({ at: "rcpt", code: 550, message: "5.1.1 No such user", recipient: "gone@contoso.test" });
    const count = r.messages.length;
    assert.deepEqual(await m.send([takeover]), { kind: "delivered" });
    await m.close();
    assert.deepEqual(r.messages[count]?.envelope.rcptTo, ["soc@contoso.test"]);
    assert.equal(logs.length, 1);
    assert.deepEqual(logs[0]?.fields?.rejected, ["gone@contoso.test"]);
  });

  it("reports a message over the server's size limit as permanent", async () => {
    await withReceiver({ maxMessageBytes: 16_384 }, async (small, track) => {
      const m = track(createEmailNotifier("mail", config(small), context(small.caPem)));
      const big = notification("domain-takeover", "shop.contoso.com", {
        details: { names: "n".repeat(40_000) },
      });
      const out = await m.send([big]);
      assert.ok(out.kind === "failed");
      assert.equal(out.permanent, true);
      assert.match(out.error, /552/);
      assert.equal(small.messages.length, 0);
      assert.deepEqual(await m.send([takeover]), { kind: "delivered" });
    });
  });

  it("fails (retryable) on a port where nothing listens", async () => {
    const s = createServer();
    const port = await new Promise<number>((resolve) =>
      s.listen(0, "127.0.0.1", () => resolve((s.address() as AddressInfo).port)),
    );
    await new Promise<void>((resolve) => s.close(() => resolve()));
    const m = createEmailNotifier("mail", config({ port }), context(r.caPem));
    const out = await m.send([takeover]);
    await m.close();
    assert.ok(out.kind === "failed");
    assert.equal(out.permanent, undefined);
    assert.match(out.error, new RegExp(`127\\.0\\.0\\.1:${port}`));
  });

  it("fails after close() without connecting", async () => {
    const m = createEmailNotifier("mail", config(r, withAuth), context(r.caPem));
    await m.close();
    const connections = r.connections;
    assert.equal((await m.send([takeover])).kind, "failed");
    assert.equal(r.connections, connections);
  });
});

describe("e-mail notifier: content", () => {
  it("sends a digest of a batch as one message, highest severity first", async () => {
    await withReceiver({}, async (r, track) => {
      const n = track(
        createEmailNotifier("mail", config(r, { mode: "digest", batchSize: 20 }), context(r.caPem)),
      );
      assert.equal(n.maxBatch, 20);
      const batch = [
        notification("hsts-missing", "www.contoso.com"),
        notification("domain-takeover", "shop.contoso.com"),
        notification("domain-takeover", "old.contoso.com", {}, "resolved"),
        notification("installed-certificate-expiring", "api.contoso.com"),
      ];
      assert.deepEqual(await n.send(batch), { kind: "delivered" });
      const msgs = await r.waitFor(1);
      assert.equal(msgs.length, 1);
      const m = msgs[0];
      assert.ok(m);
      assert.equal(m.parsed.subject, "[certwatch] 4 alerts (2 critical, 1 high, 1 medium)");
      const text = m.parsed.text ?? "";
      const at = (b: Notification): number => {
        const a = b.alert;
        const p = text.indexOf(`${a.severity.toUpperCase()} ${a.name} (event ${a.eventId}): ${a.subject}\n`);
        assert.ok(p >= 0, `section of ${a.subject}`);
        return p;
      };
      const [www, shop, old, api] = batch.map(at) as [number, number, number, number];
      assert.ok(Math.max(shop, old) < api && api < www, "critical, then high, then medium");
      assert.ok(text.includes("Resolved"));
      const ids = header(m, "x-certwatch-notification-id");
      for (const b of batch) assert.ok(ids.includes(b.id), "every notification id in the header");
      assert.match(m.parsed.messageId ?? "", /^<digest-[0-9a-f]{32}@certwatch>$/);
      for (const b of batch) assert.ok((m.parsed.html || "").includes(b.alert.subject));
    });
  });

  it("names the kind in the subject when the alert is not new", async () => {
    await withReceiver({}, async (r, track) => {
      const n = track(createEmailNotifier("mail", config(r, { subjectPrefix: "[cw]" }), context(r.caPem)));
      await n.send([notification("domain-takeover", "shop.contoso.com", {}, "resolved")]);
      await n.send([notification("domain-takeover", "shop.contoso.com", {}, "reminder")]);
      const [a, b] = await r.waitFor(2);
      assert.equal(a?.parsed.subject, "[cw] Resolved: CRITICAL domain-takeover: shop.contoso.com");
      assert.equal(b?.parsed.subject, "[cw] Still open: CRITICAL domain-takeover: shop.contoso.com");
    });
  });

  it("escapes hostile alert text: no script, no event handler, no javascript: link, no injected header", async () => {
    const hostile = "shop.contoso.com<script>alert(1)</script>\r\nBcc: evil@x";
    const evil = notification("domain-takeover", hostile, {
      summary: 'Takeover "onmouseover=alert(1) x="',
      details: {
        note: '<a href="javascript:alert(1)">click</a>',
        attr: '"onmouseover=alert(2)',
        link: "javascript:alert(3)",
        img: "<img src=x onerror=alert(4)>",
        unicode: "zoné 🔐 ünïcödé | = \\ ;",
        multi: "line one\r\nBcc: evil2@x\nline three",
        long: "x".repeat(5000),
      },
    });
    await withReceiver({}, async (r, track) => {
      const n = track(
        createEmailNotifier(
          "mail",
          config(r, { subjectPrefix: "[certwatch]\r\nBcc: evil3@x" }),
          context(r.caPem, { publicUrl: "https://certwatch.contoso.test/" }),
        ),
      );
      assert.deepEqual(await n.send([evil]), { kind: "delivered" });
      const [m] = await r.waitFor(1);
      assert.ok(m);
      assert.deepEqual(m.envelope.rcptTo, ["soc@contoso.test"], "no extra recipient");
      assert.equal(m.parsed.bcc, undefined);
      assert.equal(m.parsed.headers.has("bcc"), false);
      const rawHead = m.raw.toString("utf8").split(/\r\n\r\n/)[0] ?? "";
      assert.ok(!/^bcc:/im.test(rawHead), "no Bcc header line");
      assert.equal(
        m.parsed.subject,
        "[certwatch] Bcc: evil3@x CRITICAL domain-takeover: shop.contoso.com<script>alert(1)</script> Bcc: evil@x",
      );
      const html = m.parsed.html;
      assert.ok(typeof html === "string");
      const doc = parseDocument(html);
      const elements = DomUtils.findAll(() => true, doc.children);
      assert.equal(elements.filter((e) => e.name === "script" || e.name === "img").length, 0);
      for (const e of elements) {
        for (const k of Object.keys(e.attribs)) assert.ok(!/^on/i.test(k), `attribute ${k} on <${e.name}>`);
        assert.ok(!/^\s*javascript:/i.test(e.attribs.href ?? ""), `href ${e.attribs.href}`);
      }
      const links = elements.filter((e) => e.name === "a").map((e) => e.attribs.href);
      assert.deepEqual(links, [`https://certwatch.contoso.test/alerts/${evil.alert.id}`]);
      // The transport normalises line ends to CRLF and mailparser gives LF: compare the characters, not the EOLs.
      const shown = DomUtils.textContent(doc).replace(/\r\n/g, "\n");
      for (const s of [
        hostile.replace(/\r\n/g, "\n"),
        'Takeover "onmouseover=alert(1) x="',
        '<a href="javascript:alert(1)">click</a>',
      ]) {
        assert.ok(shown.includes(s), `HTML shows ${JSON.stringify(s)} as text`);
      }
      for (const s of ["zoné 🔐 ünïcödé | = \\ ;", "<img src=x onerror=alert(4)>", "x".repeat(5000)]) {
        assert.ok(shown.includes(s), "intact in HTML");
        assert.ok((m.parsed.text ?? "").includes(s), "intact in text");
      }
      assert.ok((m.parsed.text ?? "").includes(`https://certwatch.contoso.test/alerts/${evil.alert.id}`));
    });
  });

  it("shows bidi overrides and other format characters in the Subject as visible escapes", async () => {
    await withReceiver({}, async (r, track) => {
      const n = track(createEmailNotifier("mail", config(r, { subjectPrefix: "[cw]" }), context(r.caPem)));
      const spoof = "gpj.\u202eexe.contoso.com\u2066x\u200b";
      assert.deepEqual(await n.send([notification("domain-takeover", spoof)]), { kind: "delivered" });
      const [m] = await r.waitFor(1);
      assert.equal(
        m?.parsed.subject,
        "[cw] CRITICAL domain-takeover: gpj.\\u202eexe.contoso.com\\u2066x\\u200b",
      );
    });
  });

  it("links to the dashboard only when publicUrl is set", async () => {
    await withReceiver({}, async (r, track) => {
      const plain = track(createEmailNotifier("mail", config(r), context(r.caPem)));
      const linked = track(
        createEmailNotifier("mail", config(r), context(r.caPem, { publicUrl: "https://cw.contoso.test" })),
      );
      await plain.send([takeover]);
      await linked.send([takeover]);
      const [a, b] = await r.waitFor(2);
      const url = `https://cw.contoso.test/alerts/${takeover.alert.id}`;
      assert.ok(a && b);
      assert.ok(!(a.parsed.html || "").includes("/alerts/") && !(a.parsed.text ?? "").includes("/alerts/"));
      assert.ok((b.parsed.text ?? "").includes(url));
      const hrefs = DomUtils.findAll((e) => e.name === "a", parseDocument(b.parsed.html || "").children).map(
        (e) => e.attribs.href,
      );
      assert.deepEqual(hrefs, [url]);
    });
  });
});
