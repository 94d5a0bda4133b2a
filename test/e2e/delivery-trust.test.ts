/**
 * @module test/e2e/delivery-trust.test
 * Which CA delivery trusts, through `certwatch notify test` against real TLS receivers of every kind (webhook,
 * Splunk HEC, Sentinel, syslog over TLS, SMTP with STARTTLS), each serving a certificate from its own test CA: a
 * target whose CA is in its `tls.caFile` delivers; the same CA in scanning's `trust.extraRoots` is not trusted for
 * delivery (the error says the certificate could not be verified).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startSentinelReceiver, type SentinelReceiver } from "../helpers/sentinel-receiver.js";
import { startSmtpReceiver, type SmtpReceiver } from "../helpers/smtp-receiver.js";
import { startSplunkHecReceiver, type HecReceiver } from "../helpers/splunk-hec-receiver.js";
import { startSyslogReceiver, type SyslogReceiver } from "../helpers/syslog-receiver.js";
import { startWebhookReceiver, type WebhookReceiver } from "../helpers/webhook-receiver.js";
import { certwatch } from "./run-cli.js";

const HOOK_SECRET = `whsec_${Buffer.from("delivery trust test secret, 32 b").toString("base64")}`;
const HEC_TOKEN = "12345678-1234-4234-8234-123456789abc";
const WORKSPACE = "b3b2c1d0-aaaa-4bbb-8ccc-123456789abc";
const SHARED_KEY = randomBytes(64).toString("base64");
const TYPES = ["webhook", "splunk", "sentinel", "syslog", "email"] as const;

void describe("delivery trusts a target's tls.caFile, never scanning's trust.extraRoots", () => {
  let dir: string;
  let hook: WebhookReceiver;
  let hec: HecReceiver;
  let sentinel: SentinelReceiver;
  let syslog: SyslogReceiver;
  let smtp: SmtpReceiver;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "certwatch-trust-"));
    hook = await startWebhookReceiver({ secret: HOOK_SECRET, tls: true });
    hec = await startSplunkHecReceiver({ token: HEC_TOKEN, tls: true });
    sentinel = await startSentinelReceiver({ tls: true, workspaceId: WORKSPACE, sharedKey: SHARED_KEY });
    syslog = await startSyslogReceiver({ transport: "tls" });
    smtp = await startSmtpReceiver({ security: "starttls" });
    const cas: Record<(typeof TYPES)[number], string | null | undefined> = {
      webhook: hook.ca,
      splunk: hec.ca,
      sentinel: sentinel.ca,
      syslog: syslog.caPem,
      email: smtp.caPem,
    };
    for (const t of TYPES) {
      const pem = cas[t];
      assert.ok(pem, `${t} receiver has a CA`);
      writeFileSync(join(dir, `${t}-ca.pem`), pem);
    }
    process.env.CW_TRUST_HOOK = HOOK_SECRET;
    process.env.CW_TRUST_HEC = HEC_TOKEN;
    process.env.CW_TRUST_KEY = SHARED_KEY;
    // Each kind twice: `<type>-pinned` with tls.caFile; `<type>-extra` relying on trust.extraRoots.
    const target = (t: (typeof TYPES)[number]): string => {
      switch (t) {
        case "webhook":
          return `type: webhook, url: "${hook.url}", secret: { env: CW_TRUST_HOOK }`;
        case "splunk":
          return `type: splunk, url: "${hec.url}", token: { env: CW_TRUST_HEC }`;
        case "sentinel":
          return `type: sentinel, api: data-collector, workspaceId: ${WORKSPACE}, sharedKey: { env: CW_TRUST_KEY }, dataCollectorUrl: "${sentinel.url}"`;
        case "syslog":
          return `type: syslog, host: 127.0.0.1, port: ${syslog.port}, transport: tls`;
        case "email":
          return `type: email, host: 127.0.0.1, port: ${smtp.port}, security: starttls, from: certwatch@example.com, to: [soc@example.com]`;
      }
    };
    writeFileSync(
      join(dir, "certwatch.yaml"),
      [
        `trust: { extraRoots: [${TYPES.map((t) => `./${t}-ca.pem`).join(", ")}] }`,
        "notify:",
        ...TYPES.flatMap((t) => [
          `  ${t}-pinned: { ${target(t)}, timeoutMs: 5000, tls: { caFile: ./${t}-ca.pem } }`,
          `  ${t}-extra: { ${target(t)}, timeoutMs: 5000 }`,
        ]),
        "",
      ].join("\n"),
    );
  });

  after(async () => {
    await hook?.close();
    await hec?.close();
    await sentinel?.close();
    await syslog?.close();
    await smtp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  void it("each kind of target: delivered with its caFile, refused (certificate not verified) with extraRoots only", async () => {
    const r = await certwatch(["notify", "test"], dir);
    assert.equal(r.code, 1, r.stderr);
    const lines = new Map(
      r.stdout
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => [l.split(" ")[0] ?? "", l]),
    );
    for (const t of TYPES) {
      assert.match(lines.get(`${t}-pinned`) ?? "", /: delivered in \d+ ms$/, `${t} with tls.caFile`);
      assert.match(
        lines.get(`${t}-extra`) ?? "",
        /FAILED .*unable to verify the first certificate/,
        `${t} with trust.extraRoots only`,
      );
    }
    assert.equal(hook.received.length, 1);
    assert.equal(smtp.messages.length, 1);
  });
});
