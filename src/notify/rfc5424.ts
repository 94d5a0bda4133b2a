/**
 * @module notify/rfc5424
 * RFC 5424 syslog messages (header, structured data, UTF-8 MSG) and RFC 6587 octet-counting frames. Pure: the
 * host name, process id and size limit are passed in.
 */
import type { Severity } from "../events.js";
import { jsonAsciiControls, replaceUnsafe, visibleEscape } from "../util/terminal-safe.js";
import { cefRecord } from "./cef.js";
import type { Notification } from "./notification.js";
import { notificationJson } from "./notification.js";

/**
 * Syslog severity (RFC 5424 §6.2.1) of an alert severity: critical → 2 Critical, high → 3 Error, medium →
 * 4 Warning, low → 5 Notice, info → 6 Informational. 0 Emergency and 1 Alert are left to the system itself.
 */
export const SYSLOG_SEVERITY: Readonly<Record<Severity, number>> = {
  critical: 2,
  high: 3,
  medium: 4,
  low: 5,
  info: 6,
};

/**
 * Our SD-ID. 32473 is the private enterprise number IANA reserves for documentation (RFC 5612): certwatch has
 * no PEN of its own, and an SD-ID with an "@" must name one. Receivers match on the whole name.
 */
export const SD_ID = "certwatch@32473";

export const NILVALUE = "-";
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
/** Appended to a MSG cut to fit the size limit (never split over two messages). */
export const TRUNCATION_MARKER = "...[truncated]";

export interface SyslogHeader {
  /** 0-23. */
  readonly facility: number;
  /** 0-7. */
  readonly severity: number;
  /** RFC 3339; anything else becomes the NILVALUE. */
  readonly timestamp: string;
  readonly hostname: string;
  readonly appName: string;
  readonly procId: string;
  readonly msgId: string;
}

export interface SyslogMessage {
  readonly header: SyslogHeader;
  /** One SD-ELEMENT with SD_ID: param name → value (names must be SD-NAMEs). */
  readonly params: Readonly<Record<string, string>>;
  /** The MSG, sent as UTF-8 after a BOM (MSG-UTF8). */
  readonly msg: string;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;
const SD_NAME = /^[!-~]{1,32}$/;

/** `value` when it is 1..max printable US-ASCII characters (RFC 5424 PRINTUSASCII), else the NILVALUE. */
export function printableOrNil(value: string, max: number): string {
  return value.length >= 1 && value.length <= max && /^[!-~]+$/.test(value) ? value : NILVALUE;
}

/** A header field built from text: non-printable characters dropped, cut to `max`; NILVALUE when empty. */
export function printableField(value: string, max: number): string {
  const kept = value.replace(/[^!-~]/g, "").slice(0, max);
  return kept === "" ? NILVALUE : kept;
}

/**
 * A PARAM-VALUE: `"`, `\` and `]` escaped with a backslash (RFC 5424 §6.3.3). Control and format characters
 * (C0, DEL, C1, bidi, U+2028/9) have no escape of their own: each is written as the text `\xNN` / `\uNNNN`,
 * its backslash escaped (`\\x1b` on the wire), so none reaches a receiver or its console raw.
 */
export function sdParamEscape(value: string): string {
  return replaceUnsafe(
    value.replace(/["\\\]]/g, (c) => `\\${c}`),
    (c) => `\\${visibleEscape(c)}`,
  );
}

function isSdName(name: string): boolean {
  return SD_NAME.test(name) && !/[= \]"]/.test(name);
}

/** PRI, VERSION, TIMESTAMP, HOSTNAME, APP-NAME, PROCID, MSGID and the STRUCTURED-DATA, with the SP after it. */
function head(m: SyslogMessage): string {
  const h = m.header;
  if (!Number.isInteger(h.facility) || h.facility < 0 || h.facility > 23)
    throw new RangeError("facility 0-23");
  if (!Number.isInteger(h.severity) || h.severity < 0 || h.severity > 7) throw new RangeError("severity 0-7");
  const pri = h.facility * 8 + h.severity;
  const ts = TIMESTAMP.test(h.timestamp) ? h.timestamp : NILVALUE;
  const params = Object.entries(m.params).map(([k, v]) => {
    if (!isSdName(k)) throw new RangeError(`not an SD-NAME: ${k}`);
    return ` ${k}="${sdParamEscape(v)}"`;
  });
  const sd = `[${SD_ID}${params.join("")}]`;
  const fields = [
    ts,
    printableOrNil(h.hostname, 255),
    printableOrNil(h.appName, 48),
    printableOrNil(h.procId, 128),
    printableOrNil(h.msgId, 32),
    sd,
  ];
  return `<${pri}>1 ${fields.join(" ")} `;
}

/** Where to cut `bytes` to at most `max` bytes without splitting a UTF-8 sequence. */
function utf8Cut(bytes: Buffer, max: number): number {
  let cut = Math.min(max, bytes.length);
  while (cut > 0 && cut < bytes.length && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut--;
  return cut;
}

/**
 * The SYSLOG-MSG bytes. When they exceed `maxBytes`, the MSG is cut (at a UTF-8 boundary, never inside a
 * backslash escape, so a CEF record stays parseable) and ends with TRUNCATION_MARKER: a syslog message is
 * never split, a receiver would see two broken events.
 */
export function formatSyslogMessage(m: SyslogMessage, maxBytes: number = Number.MAX_SAFE_INTEGER): Buffer {
  const start = Buffer.from(head(m), "utf8");
  const body = Buffer.from(m.msg, "utf8");
  if (start.length + BOM.length + body.length <= maxBytes) return Buffer.concat([start, BOM, body]);
  const marker = Buffer.from(TRUNCATION_MARKER, "ascii");
  const room = Math.max(0, maxBytes - start.length - BOM.length - marker.length);
  let cut = utf8Cut(body, room);
  let slashes = 0;
  while (slashes < cut && body[cut - 1 - slashes] === 0x5c) slashes++;
  if (slashes % 2 === 1) cut--;
  return Buffer.concat([start, BOM, body.subarray(0, cut), marker]);
}

/** RFC 6587 §3.4.1 (and RFC 5425 §4.3) octet counting: `MSG-LEN SP SYSLOG-MSG`. */
export function octetCountedFrame(message: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${message.length} `, "ascii"), message]);
}

export interface NotificationSyslogOptions {
  readonly facility: number;
  readonly hostname: string;
  readonly appName: string;
  readonly procId: string;
  /** The MSG: a CEF record or the notification JSON. */
  readonly format: "cef" | "json";
  /** certwatch's version (the CEF Device Version). */
  readonly version: string;
  readonly publicUrl?: string;
}

/**
 * One notification as one syslog message. TIMESTAMP is when the change happened (the same on every retry),
 * MSGID the event name, and the structured data repeats the ids a receiver filters or deduplicates on.
 */
export function notificationSyslogMessage(n: Notification, o: NotificationSyslogOptions): SyslogMessage {
  const a = n.alert;
  const msg =
    o.format === "cef"
      ? cefRecord(n, { version: o.version, ...(o.publicUrl !== undefined ? { publicUrl: o.publicUrl } : {}) })
      : // DEL, C1 and bidi characters as \uXXXX: the same JSON, nothing raw on the wire.
        jsonAsciiControls(JSON.stringify(notificationJson(n)));
  return {
    header: {
      facility: o.facility,
      severity: SYSLOG_SEVERITY[a.severity],
      timestamp: n.createdAt,
      hostname: printableOrNil(o.hostname, 255),
      appName: o.appName,
      procId: o.procId,
      msgId: printableField(a.name, 32),
    },
    params: {
      notificationId: n.id,
      notification: n.kind,
      alertId: a.id,
      eventId: String(a.eventId),
      severity: a.severity,
      status: a.status,
    },
    msg,
  };
}
