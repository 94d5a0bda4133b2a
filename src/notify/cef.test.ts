/**
 * @module notify/cef.test
 * The CEF record: exact header and extension, escaping tables, and every metacharacter read back intact by the
 * test receiver's independent parser.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Alert } from "../domain/alert.js";
import { parseCef } from "../../test/helpers/syslog-receiver.js";
import { CEF_SEVERITY, cefHeaderEscape, cefRecord, cefValueEscape } from "./cef.js";
import type { Notification } from "./notification.js";
import { sampleNotification } from "./sample.js";

const NOW = new Date("2025-03-01T10:00:00Z");
const NASTY = 'a\\b|c=d"e]f\r\ng\rh\n<script>alert(1)</script> é 😀 \\= \\n end';

function notification(alert: Partial<Alert>): Notification {
  const n = sampleNotification(NOW);
  return { ...n, alert: { ...n.alert, ...alert } };
}

test("severity maps to the ArcSight buckets: info 1, low 3, medium 5, high 8, critical 10", () => {
  assert.deepEqual(CEF_SEVERITY, { info: 1, low: 3, medium: 5, high: 8, critical: 10 });
});

test("header fields escape \\ and |, and line breaks become spaces", () => {
  const table: [string, string][] = [
    ["plain", "plain"],
    ["a|b", "a\\|b"],
    ["a\\b", "a\\\\b"],
    ["\\|", "\\\\\\|"],
    ["a=b", "a=b"],
    ["line\r\nbreak", "line break"],
    ["cr\rlf\n", "cr lf "],
    ["é 😀", "é 😀"],
  ];
  for (const [input, want] of table) assert.equal(cefHeaderEscape(input), want, JSON.stringify(input));
});

test("extension values escape \\ and =, and write CR/LF as \\r and \\n", () => {
  const table: [string, string][] = [
    ["plain text", "plain text"],
    ["a=b", "a\\=b"],
    ["a\\b", "a\\\\b"],
    ["\\=", "\\\\\\="],
    ["l1\nl2", "l1\\nl2"],
    ["l1\r\nl2", "l1\\r\\nl2"],
    ["a|b", "a|b"],
    ['"q"]', '"q"]'],
    ["é 😀", "é 😀"],
  ];
  for (const [input, want] of table) assert.equal(cefValueEscape(input), want, JSON.stringify(input));
});

test("the sample notification gives exactly this record", () => {
  const record = cefRecord(sampleNotification(NOW), {
    version: "1.2.3",
    publicUrl: "https://cw.example.com/",
  });
  assert.equal(
    record,
    "CEF:0|certwatch|certwatch|1.2.3|42|hsts-missing|5|rt=1740823200000 externalId=0aa8c100f1d84c5aede9857e1500cf28 " +
      "act=opened cat=tls outcome=open msg=HTTPS is not enforced cs1Label=alertId cs1=8539fa78131abc1d0e0d9076f92c3e9b " +
      "cs2Label=subject cs2=www.example.com start=1740823200000 end=1740823200000 dhost=www.example.com dpt=443 " +
      "dst=192.0.2.10 request=https://cw.example.com/alerts/8539fa78131abc1d0e0d9076f92c3e9b " +
      "flexString2Label=remediation flexString2=Add the header `Strict-Transport-Security: max-age\\=31536000; " +
      "includeSubDomains` to every HTTPS response to prevent downgrade and man-in-the-middle attacks. " +
      'cs6Label=details cs6={"test":true,"note":"certwatch notify test: a sample alert, nothing to fix","status":200}',
  );
  assert.ok(!/[\r\n]/.test(record));
});

test("every metacharacter in every field survives: the receiver's parser reads back what was sent", () => {
  const n = notification({
    name: `name ${NASTY}`,
    summary: `summary ${NASTY}`,
    subject: `subject ${NASTY}`,
    remediation: `fix ${NASTY}`,
    endpoint: { host: "h|o=s\\t", port: 8443, address: "2001:db8::1" },
    certificate: {
      sha256: "ab".repeat(32),
      serialNumber: "0123",
      subject: `CN=${NASTY}`,
      issuer: "CN=Issuer, O=A=B|C",
      dnsNames: [],
      ipAddresses: [],
      notBefore: "2025-01-01T00:00:00Z",
      notAfter: "2025-04-01T00:00:00Z",
    },
    details: { reason: NASTY, nested: { list: ["|", "=", "\\"] } },
    status: "resolved",
    resolvedAt: "2025-03-01T09:00:00Z",
  });
  const record = cefRecord(n, { version: "1|0\\beta\n" });
  assert.ok(!/[\r\n]/.test(record), "one line");
  const cef = parseCef(record);
  assert.equal(cef.version, "0");
  assert.equal(cef.vendor, "certwatch");
  assert.equal(cef.deviceVersion, "1|0\\beta ");
  assert.equal(cef.signatureId, "42");
  assert.equal(cef.name, `name ${NASTY.replace(/\r\n|[\r\n]/g, " ")}`);
  assert.equal(cef.severity, "5");
  const x = cef.extension;
  assert.equal(x.msg, `summary ${NASTY}`);
  assert.equal(x.cs2Label, "subject");
  assert.equal(x.cs2, `subject ${NASTY}`);
  assert.equal(x.flexString2, `fix ${NASTY}`);
  assert.equal(x.dhost, "h|o=s\\t");
  assert.equal(x.dpt, "8443");
  assert.equal(x.dst, undefined, "an IPv6 address is not put in the IPv4 field dst");
  assert.equal(x.c6a3, "2001:db8::1");
  assert.equal(x.c6a3Label, "Destination IPv6 Address");
  assert.equal(x.cs3, "ab".repeat(32));
  assert.equal(x.cs3Label, "certSha256");
  assert.equal(x.cs4, `CN=${NASTY}`);
  assert.equal(x.cs5, "CN=Issuer, O=A=B|C");
  assert.equal(x.flexString1, "0123");
  assert.equal(x.flexDate1, String(Date.parse("2025-04-01T00:00:00Z")));
  assert.equal(x.flexDate1Label, "certNotAfter");
  assert.equal(x.outcome, "resolved");
  assert.equal(x.end, String(Date.parse("2025-03-01T09:00:00Z")), "end is the resolution");
  assert.deepEqual(JSON.parse(x.cs6 ?? ""), { reason: NASTY, nested: { list: ["|", "=", "\\"] } });
});

test("without endpoint or certificate the destination and certificate fields are absent, not empty", () => {
  const x = parseCef(
    cefRecord(notification({ endpoint: null, certificate: null }), { version: "1" }),
  ).extension;
  for (const k of ["dhost", "dst", "dpt", "c6a3", "cs3", "cs4", "cs5", "flexDate1", "request"]) {
    assert.equal(x[k], undefined, k);
  }
  assert.equal(x.cs1Label, "alertId");
  assert.equal(x.act, "opened");
  assert.equal(x.cat, "tls");
});

/** Every character that must never go on the wire raw: C0, DEL, C1 (0x9b is CSI), bidi and format characters. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/u;
const HOSTILE =
  "\x1b]0;pwned\x07 \x1b[31mred\x1b[0m \x9b2J nul\x00 del\x7f \u202egpj.exe \u2066iso\u2069 tab\t";
/** HOSTILE as a reader sees it once the CEF escaping is undone: every control a visible escape. */
const HOSTILE_SHOWN =
  "\\x1b]0;pwned\\x07 \\x1b[31mred\\x1b[0m \\x9b2J nul\\x00 del\\x7f \\u202egpj.exe \\u2066iso\\u2069 tab\\t";

test("header fields and extension values write every control, C1 and bidi character as visible text", () => {
  assert.equal(cefHeaderEscape(HOSTILE), HOSTILE_SHOWN.replace(/\\/g, "\\\\"));
  assert.equal(cefValueEscape(HOSTILE), HOSTILE_SHOWN.replace(/\\/g, "\\\\"));
  assert.equal(cefHeaderEscape("a\u2028b|"), "a\\\\u2028b\\|");
  assert.equal(cefValueEscape("l1\nl2=\x1b"), "l1\\nl2\\=\\\\x1b", "CR/LF keep CEF's own \\n");
});

test("a certificate DN with ESC/BEL/OSC, CSI 0x9b, NUL and bidi overrides never reaches the wire raw", () => {
  const dn = `CN=${HOSTILE}, O=Evil\u202eCorp`;
  const n = notification({
    name: `name ${HOSTILE}`,
    subject: `www.example.com${HOSTILE}`,
    summary: HOSTILE,
    certificate: {
      sha256: "ab".repeat(32),
      serialNumber: "0123",
      subject: dn,
      issuer: `CN=Issuer\u2067 ${HOSTILE}`,
      dnsNames: [],
      ipAddresses: [],
      notBefore: "2025-01-01T00:00:00Z",
      notAfter: "2025-04-01T00:00:00Z",
    },
    details: { error: `the chain ends at ${dn}`, list: ["\x9b", "\u202e"] },
  });
  const record = cefRecord(n, { version: `1\x1b[2J` });
  assert.ok(!RAW_CONTROL.test(record), JSON.stringify(record));
  const cef = parseCef(record);
  assert.equal(cef.name, `name ${HOSTILE_SHOWN}`);
  assert.equal(cef.deviceVersion, "1\\x1b[2J");
  const x = cef.extension;
  assert.equal(x.msg, HOSTILE_SHOWN);
  assert.equal(x.cs2, `www.example.com${HOSTILE_SHOWN}`);
  assert.equal(x.cs4, `CN=${HOSTILE_SHOWN}, O=Evil\\u202eCorp`);
  assert.equal(x.cs5, `CN=Issuer\\u2067 ${HOSTILE_SHOWN}`);
  // The details stay JSON that parses to exactly what the check recorded: the escapes are JSON's own \uXXXX.
  assert.deepEqual(JSON.parse(x.cs6 ?? ""), { error: `the chain ends at ${dn}`, list: ["\x9b", "\u202e"] });
});
