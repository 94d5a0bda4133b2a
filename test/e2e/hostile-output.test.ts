/**
 * @module test/e2e/hostile-output.test
 * A server whose certificate's subject carries terminal escapes — `ESC [31m` (colour), `ESC ] 0 ; title BEL`
 * (window title, an OSC), the one-byte CSI 0x9b, NUL and a right-to-left override — and a webhook receiver
 * whose error answer carries the same. `certwatch scan` prints none of them raw, on stdout or stderr: each
 * shows as its visible escape (`\x1b`, `\u202e`). `--json` keeps the exact value, with nothing raw a terminal
 * acts on. The CEF records that reach a real syslog receiver carry none raw either.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as x509 from "@peculiar/x509";
import { selfSignedLeaf } from "../helpers/pki.js";
import type { SyslogReceiver } from "../helpers/syslog-receiver.js";
import { startTlsServer, type RunningServer } from "../helpers/tls-servers.js";
import type { WebhookReceiver } from "../helpers/webhook-receiver.js";
import { oneEndpointScan, startNotifyTargets } from "./notify-targets-kit.js";
import { certwatch, jsonLines } from "./run-cli.js";

/** What must never reach a terminal or a SIEM raw: C0, DEL, C1 (0x9b is CSI), bidi and other format characters. */
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/u;

const CN = "\x1b[31mred\x1b]0;title\x07\u202eevil\x9b2J\x00.test";
const ORG = "Org\x1b]0;pwned\x07\u2066iso\u2069";
/** The CN as a reader must see it (the `;` is the DN string's own escape, RFC 4514). */
const CN_SHOWN = "\\x1b[31mred\\x1b]0\\;title\\x07\\u202eevil\\x9b2J\\x00.test";
const ERROR_BODY = "refused \x1b]0;pwned\x07 \x1b[2J\x9b31m \u202eobviously";

const SECRET = `whsec_${Buffer.from("hostile output test secret, 32 by").toString("base64")}`;

describe("outside text with terminal escapes in a certificate's subject and a receiver's answer", () => {
  let dir: string;
  let server: RunningServer;
  let hook: WebhookReceiver;
  let syslog: SyslogReceiver;
  let subject: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "certwatch-hostile-"));
    // UTF8String attributes carry any character, ESC and BEL included (the test PKI takes the DN as a string).
    const name = new x509.Name([
      { "2.5.4.3": [{ utf8String: CN }] },
      { "2.5.4.10": [{ utf8String: ORG }] },
    ]).toString();
    const leaf = await selfSignedLeaf({ subject: name, dnsNames: ["hostile.test"] });
    subject = leaf.cert.subject;
    assert.ok(
      subject.includes("\x1b]0\\;title\x07\u202e"),
      "the certificate really holds the raw characters",
    );
    server = await startTlsServer({ chain: [leaf], key: leaf, hsts: null });
    ({ hook, syslog } = await startNotifyTargets(SECRET, "CW_TEST_HOSTILE_SECRET"));
    writeFileSync(
      join(dir, "certwatch.yaml"),
      [
        ...oneEndpointScan(`hostile.test:${server.port}`),
        "notify:",
        `  hook: { type: webhook, url: "${hook.url}", secret: { env: CW_TEST_HOSTILE_SECRET }, timeoutMs: 2000 }`,
        `  siem: { type: syslog, host: 127.0.0.1, port: ${syslog.port}, timeoutMs: 2000 }`,
        "delivery: { drainTimeoutSeconds: 2, retryDelaySeconds: 60 }",
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

  void it("scan prints the table and its stderr lines with every escape visible, none raw", async () => {
    // The receiver refuses the first delivery with an answer full of escapes: stderr quotes it as the last error.
    hook.fail(1, { status: 400, body: ERROR_BODY });
    const r = await certwatch(["scan"], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!RAW.test(r.stdout), `raw control on stdout: ${JSON.stringify(r.stdout)}`);
    assert.ok(!RAW.test(r.stderr), `raw control on stderr: ${JSON.stringify(r.stderr)}`);
    // invalid-chain explains that the chain ends at this (untrusted, self-signed) subject.
    assert.match(r.stdout, /41 invalid-chain/);
    assert.ok(r.stdout.includes(`CN=${CN_SHOWN}`.slice(0, 40)), r.stdout);
    assert.ok(r.stdout.includes("\\u202eevil"), r.stdout);
    assert.match(r.stderr, /notify hook: \d+ delivered, \d+ pending/);
    assert.ok(
      r.stderr.includes("HTTP 400: refused \\x1b]0;pwned\\x07 \\x1b[2J\\x9b31m \\u202eobviously"),
      r.stderr,
    );
  });

  void it("the CEF records on the syslog wire carry the subject with visible escapes and nothing raw", () => {
    assert.ok(syslog.messages.length > 0, "alerts were sent to syslog");
    for (const m of syslog.messages) {
      const bom = m.raw.indexOf(Buffer.from([0xef, 0xbb, 0xbf])); // MSG-UTF8's BOM is U+FEFF by design
      const text = m.raw.subarray(0, bom).toString("utf8") + m.raw.subarray(bom + 3).toString("utf8");
      assert.ok(!RAW.test(text), `raw control on the wire: ${JSON.stringify(text)}`);
    }
    const withCert = syslog.messages.find((m) => m.cef?.extension.cs4 !== undefined);
    assert.ok(withCert?.cef, "a record about the certificate");
    assert.ok(withCert.cef.extension.cs4?.includes(`CN=${CN_SHOWN}`), withCert.cef.extension.cs4);
    assert.ok(withCert.cef.extension.cs4?.includes("\\u2066iso\\u2069"), withCert.cef.extension.cs4);
  });

  void it("alerts --json keeps the exact subject, with C1 and bidi characters as \\u escapes", async () => {
    const r = await certwatch(["alerts", "--json"], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!RAW.test(r.stdout), `raw control in the JSON: ${JSON.stringify(r.stdout)}`);
    assert.ok(r.stdout.includes("\\u009b") && r.stdout.includes("\\u202e"), r.stdout);
    const alerts = jsonLines(r.stdout) as { certificate: { subject: string } | null }[];
    const subjects = alerts.flatMap((a) => (a.certificate ? [a.certificate.subject] : []));
    assert.ok(subjects.length > 0);
    for (const s of subjects) assert.equal(s, subject, "the value itself is unchanged");
  });
});
