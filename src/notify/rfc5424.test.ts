/**
 * @module notify/rfc5424.test
 * RFC 5424 messages and octet-counting frames: exact bytes, escaping, limits and truncation, each read back by
 * the test receiver's independent parser.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { OctetCountingDecoder, parseCef, parseRfc5424 } from "../../test/helpers/syslog-receiver.js";
import { notificationJson } from "./notification.js";
import type { Notification } from "./notification.js";
import {
  SYSLOG_SEVERITY,
  TRUNCATION_MARKER,
  formatSyslogMessage,
  notificationSyslogMessage,
  octetCountedFrame,
  printableField,
  printableOrNil,
  sdParamEscape,
} from "./rfc5424.js";
import type { SyslogMessage } from "./rfc5424.js";
import { sampleNotification } from "./sample.js";
import { terminalSafe } from "../util/terminal-safe.js";

const NOW = new Date("2025-03-01T10:00:00Z");
const NASTY = 'a\\b|c=d"e]f\r\ng<script>x</script> é 😀';
const OPTS = {
  facility: 10,
  hostname: "scanner-1",
  appName: "certwatch",
  procId: "4242",
  format: "cef" as const,
  version: "1.2.3",
};

function message(msg: string): SyslogMessage {
  return {
    header: {
      facility: 10,
      severity: 3,
      timestamp: "2025-03-01T10:00:00Z",
      hostname: "h",
      appName: "certwatch",
      procId: "1",
      msgId: "m",
    },
    params: { k: "v" },
    msg,
  };
}

test("alert severity maps to syslog severity: critical 2, high 3, medium 4, low 5, info 6", () => {
  assert.deepEqual(SYSLOG_SEVERITY, { critical: 2, high: 3, medium: 4, low: 5, info: 6 });
});

test('PARAM-VALUE escapes ", \\ and ], and writes control and bidi characters as visible text', () => {
  const table: [string, string][] = [
    ["plain", "plain"],
    ['say "hi"', 'say \\"hi\\"'],
    ["a\\b", "a\\\\b"],
    ["[x]", "[x\\]"],
    ["a=b|c", "a=b|c"],
    ["é 😀", "é 😀"],
    ["é\n😀", "é\\\\n😀"],
    ["\x1b]0;pwned\x07", "\\\\x1b\\]0;pwned\\\\x07"],
    ["csi\x9b2J nul\x00 del\x7f", "csi\\\\x9b2J nul\\\\x00 del\\\\x7f"],
    ["\u202egpj.exe\u2066", "\\\\u202egpj.exe\\\\u2066"],
  ];
  for (const [input, want] of table) assert.equal(sdParamEscape(input), want, JSON.stringify(input));
});

test("header fields are printable US-ASCII within their limits, else the NILVALUE", () => {
  assert.equal(printableOrNil("scanner-1.example.com", 255), "scanner-1.example.com");
  assert.equal(printableOrNil("my host", 255), "-");
  assert.equal(printableOrNil("hôte", 255), "-");
  assert.equal(printableOrNil("", 255), "-");
  assert.equal(printableOrNil("h".repeat(256), 255), "-");
  assert.equal(printableField("domain takeover é", 32), "domaintakeover");
  assert.equal(printableField("x".repeat(40), 32), "x".repeat(32));
  assert.equal(printableField("  ", 32), "-");
});

test("a message is exactly PRI VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD SP BOM MSG", () => {
  const bytes = formatSyslogMessage(message("hello"));
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);
  const want = Buffer.concat([
    Buffer.from('<83>1 2025-03-01T10:00:00Z h certwatch 1 m [certwatch@32473 k="v"] '),
    bom,
    Buffer.from("hello"),
  ]);
  assert.deepEqual(bytes, want);
  const parsed = parseRfc5424(bytes);
  assert.equal(parsed.facility, 10);
  assert.equal(parsed.severity, 3);
  assert.equal(parsed.bom, true);
  assert.equal(parsed.msg, "hello");
  assert.deepEqual(parsed.structuredData, { "certwatch@32473": { k: "v" } });
});

test("an invalid timestamp becomes the NILVALUE; a bad facility or SD name is refused", () => {
  const m = message("x");
  assert.equal(
    parseRfc5424(formatSyslogMessage({ ...m, header: { ...m.header, timestamp: "yesterday" } })).timestamp,
    "-",
  );
  assert.throws(() => formatSyslogMessage({ ...m, header: { ...m.header, facility: 24 } }), RangeError);
  assert.throws(() => formatSyslogMessage({ ...m, params: { "a b": "x" } }), RangeError);
});

test("octet counting counts bytes, not characters", () => {
  const frame = octetCountedFrame(Buffer.from("é😀", "utf8"));
  assert.equal(frame.toString("utf8"), "6 é😀");
  const decoder = new OctetCountingDecoder(1024);
  assert.deepEqual(decoder.push(Buffer.concat([frame, frame.subarray(0, 3)])), [Buffer.from("é😀")]);
  assert.deepEqual(decoder.push(frame.subarray(3)), [Buffer.from("é😀")]);
  decoder.end();
});

test("the test receiver rejects bad framing", () => {
  assert.throws(() => new OctetCountingDecoder(1024).push(Buffer.from("abc hello")), /MSG-LEN/);
  assert.throws(() => new OctetCountingDecoder(1024).push(Buffer.from("05 hello")), /MSG-LEN/);
  assert.throws(() => new OctetCountingDecoder(1024).push(Buffer.from("2000 x")), /over the limit/);
  const d = new OctetCountingDecoder(1024);
  d.push(Buffer.from("10 short"));
  assert.throws(() => d.end(), /inside a frame/);
});

test("a notification's structured data carries its ids, every metacharacter escaped and read back", () => {
  const base = sampleNotification(NOW);
  const n: Notification = {
    ...base,
    alert: { ...base.alert, name: "domain-takeover", severity: "high" },
    id: NASTY,
  };
  const bytes = formatSyslogMessage(notificationSyslogMessage(n, OPTS));
  const p = parseRfc5424(bytes);
  // CR and LF have no PARAM-VALUE escape: they arrive as the visible text \r \n (CEF has its own escapes).
  const shown = NASTY.replace("\r", "\\r").replace("\n", "\\n");
  assert.equal(p.pri, 10 * 8 + 3);
  assert.equal(p.version, 1);
  assert.equal(p.timestamp, n.createdAt);
  assert.equal(p.hostname, "scanner-1");
  assert.equal(p.appName, "certwatch");
  assert.equal(p.procId, "4242");
  assert.equal(p.msgId, "domain-takeover");
  assert.deepEqual(p.structuredData, {
    "certwatch@32473": {
      notificationId: shown,
      notification: "opened",
      alertId: n.alert.id,
      eventId: "42",
      severity: "high",
      status: "open",
    },
  });
  assert.equal(parseCef(p.msg).extension.externalId, NASTY);
});

test("format json: the MSG is the notification JSON on one line", () => {
  const base = sampleNotification(NOW);
  const n: Notification = { ...base, alert: { ...base.alert, details: { text: NASTY } } };
  const p = parseRfc5424(formatSyslogMessage(notificationSyslogMessage(n, { ...OPTS, format: "json" })));
  assert.ok(!p.msg.includes("\n"));
  assert.deepEqual(JSON.parse(p.msg), JSON.parse(JSON.stringify(notificationJson(n))));
});

test("over the limit the MSG is cut at a UTF-8 boundary, outside an escape, and marked", () => {
  for (let max = 120; max < 180; max++) {
    const bytes = formatSyslogMessage(message(`CEF:0|v|p|1|2|n|3|msg=${"é\\\\😀\\=".repeat(40)}`), max);
    assert.ok(bytes.length <= max, `${bytes.length} <= ${max}`);
    const p = parseRfc5424(bytes); // the receiver decodes the MSG as strict UTF-8
    assert.ok(p.msg.endsWith(TRUNCATION_MARKER));
    assert.ok(parseCef(p.msg).extension.msg?.endsWith(TRUNCATION_MARKER), "still a valid CEF record");
  }
  const short = formatSyslogMessage(message("fits"), 1000);
  assert.ok(!short.toString().includes(TRUNCATION_MARKER));
});

/** Every character that must never go on the wire raw: C0, DEL, C1 (0x9b is CSI), bidi and format characters. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/u;
const HOSTILE = "\x1b]0;pwned\x07 \x1b[31mred \x9b2J nul\x00 del\x7f \u202egpj.exe \u2066iso\u2069";

/** The message bytes after the header's BOM (which is U+FEFF by design) as text. */
function withoutBom(bytes: Buffer): string {
  const bom = bytes.indexOf(Buffer.from([0xef, 0xbb, 0xbf]));
  return bytes.subarray(0, bom).toString("utf8") + bytes.subarray(bom + 3).toString("utf8");
}

test("a hostile alert (ESC/BEL/OSC, CSI 0x9b, NUL, bidi) puts no raw control on the wire, CEF or JSON", () => {
  const base = sampleNotification(NOW);
  const n: Notification = {
    ...base,
    id: `id${HOSTILE}`,
    alert: {
      ...base.alert,
      name: `hsts-missing${HOSTILE}`,
      subject: `www.example.com${HOSTILE}`,
      certificate: {
        sha256: "ab".repeat(32),
        serialNumber: "01",
        subject: `CN=${HOSTILE}, O=\u202eEvil`,
        issuer: `CN=${HOSTILE}`,
        dnsNames: [],
        ipAddresses: [],
        notBefore: "2025-01-01T00:00:00Z",
        notAfter: "2025-04-01T00:00:00Z",
      },
      details: { error: HOSTILE },
    },
  };
  for (const format of ["cef", "json"] as const) {
    const bytes = formatSyslogMessage(
      notificationSyslogMessage(n, { ...OPTS, hostname: `h\x1b${HOSTILE}`, appName: `a\x07`, format }),
    );
    const text = withoutBom(bytes);
    assert.ok(!RAW_CONTROL.test(text), `${format}: ${JSON.stringify(text)}`);
    const p = parseRfc5424(bytes);
    assert.equal(p.hostname, "-");
    assert.equal(p.appName, "-");
    assert.equal(p.msgId, "hsts-missing]0;pwned[31mred2Jnul");
    assert.equal(p.structuredData["certwatch@32473"]?.notificationId, `id${terminalSafe(HOSTILE)}`);
    if (format === "json")
      assert.deepEqual(JSON.parse(p.msg), JSON.parse(JSON.stringify(notificationJson(n))));
    else assert.equal(parseCef(p.msg).extension.cs4, `CN=${terminalSafe(HOSTILE)}, O=\\u202eEvil`);
  }
});
