/**
 * @module notify/cef
 * One notification as one ArcSight Common Event Format (CEF:0) record: the syslog notifier's default payload.
 * Pure: the product version and the dashboard link are passed in.
 */
import type { Severity } from "../events.js";
import { replaceUnsafe, terminalSafeJson, visibleEscape } from "../util/terminal-safe.js";
import type { Notification } from "./notification.js";

/**
 * CEF severity (0-10) of an alert severity. ArcSight buckets 0-3 Low, 4-6 Medium, 7-8 High, 9-10 Very-High;
 * each of ours lands in its bucket, high and critical apart so that rules can tell them apart.
 */
export const CEF_SEVERITY: Readonly<Record<Severity, number>> = {
  info: 1,
  low: 3,
  medium: 5,
  high: 8,
  critical: 10,
};

export interface CefOptions {
  /** Device Version of the header (certwatch's version). */
  readonly version: string;
  /** `publicUrl` of the configuration: `request` then links to the alert in the dashboard. */
  readonly publicUrl?: string;
}

/*
 * Characters never written raw: controls (C0, DEL, C1 — ESC and the one-byte CSI 0x9b drive the terminal of
 * whoever reads the SIEM's raw events), format characters (bidi overrides and isolates reorder a console's
 * line), U+2028/U+2029 and lone surrogates (util/terminal-safe). CEF has no escape for them, so each is written
 * as the visible text `\x1b` / `\u202e`, its backslash escaped like any other: the reader sees it was there.
 */

/**
 * A header field: `\` and `|` escaped; a header has no line breaks, so CR/LF become spaces; any other control
 * or format character becomes the text `\xNN` / `\uNNNN`.
 */
export function cefHeaderEscape(value: string): string {
  return replaceUnsafe(value.replace(/\r\n|[\r\n]/g, " "), visibleEscape).replace(/[\\|]/g, (c) => `\\${c}`);
}

/**
 * An extension value: `\` and `=` escaped, CR and LF written as `\r` and `\n` (the record stays one line), any
 * other control or format character as the text `\xNN` / `\uNNNN` (on the wire `\\x1b`).
 */
export function cefValueEscape(value: string): string {
  const escaped = value.replace(/[\\=\r\n]/g, (c) => (c === "\r" ? "\\r" : c === "\n" ? "\\n" : `\\${c}`));
  return replaceUnsafe(escaped, (c) => `\\${visibleEscape(c)}`);
}

/** Milliseconds since the epoch of an RFC 3339 time (CEF's `rt`, `start`, `end` and date fields), or undefined. */
function epochMs(rfc3339: string | null | undefined): string | undefined {
  if (rfc3339 === null || rfc3339 === undefined) return undefined;
  const t = Date.parse(rfc3339);
  return Number.isNaN(t) ? undefined : String(t);
}

function isIpv4(address: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(address);
}

/**
 * The extension pairs in order, keys from the CEF dictionary (custom fields with their labels). The largest
 * values (remediation, details) come last so that a record cut to fit a UDP datagram loses them first.
 */
export function cefExtension(n: Notification, opts: Pick<CefOptions, "publicUrl">): [string, string][] {
  const a = n.alert;
  const pairs: [string, string | undefined][] = [
    ["rt", epochMs(n.createdAt)],
    ["externalId", n.id],
    ["act", n.kind],
    ["cat", a.source],
    ["outcome", a.status],
    ["msg", a.summary],
    ["cs1Label", "alertId"],
    ["cs1", a.id],
    ["cs2Label", "subject"],
    ["cs2", a.subject],
    ["start", epochMs(a.firstSeen)],
    ["end", epochMs(a.resolvedAt ?? a.lastSeen)],
  ];
  const e = a.endpoint;
  if (e) {
    pairs.push(["dhost", e.host], ["dpt", String(e.port)]);
    if (e.address !== null && isIpv4(e.address)) pairs.push(["dst", e.address]);
    else if (e.address !== null) pairs.push(["c6a3Label", "Destination IPv6 Address"], ["c6a3", e.address]);
  }
  const c = a.certificate;
  if (c) {
    pairs.push(
      ["cs3Label", "certSha256"],
      ["cs3", c.sha256],
      ["cs4Label", "certSubject"],
      ["cs4", c.subject],
      ["cs5Label", "certIssuer"],
      ["cs5", c.issuer],
      ["flexString1Label", "certSerial"],
      ["flexString1", c.serialNumber],
      ["flexDate1Label", "certNotAfter"],
      ["flexDate1", epochMs(c.notAfter)],
    );
  }
  if (opts.publicUrl !== undefined) {
    pairs.push(["request", `${opts.publicUrl.replace(/\/+$/, "")}/alerts/${encodeURIComponent(a.id)}`]);
  }
  pairs.push(
    ["flexString2Label", "remediation"],
    ["flexString2", a.remediation],
    ["cs6Label", "details"],
    // JSON with DEL, C1 and bidi characters as \uXXXX: still the same JSON once the CEF value is unescaped.
    ["cs6", terminalSafeJson(a.details)],
  );
  return pairs.filter((p): p is [string, string] => p[1] !== undefined && p[1] !== "");
}

/** `CEF:0|certwatch|certwatch|<version>|<eventId>|<name>|<severity>|<extension>` on one line. */
export function cefRecord(n: Notification, opts: CefOptions): string {
  const a = n.alert;
  const header = [
    "certwatch",
    "certwatch",
    opts.version,
    String(a.eventId),
    a.name,
    String(CEF_SEVERITY[a.severity]),
  ]
    .map(cefHeaderEscape)
    .join("|");
  const extension = cefExtension(n, opts)
    .map(([k, v]) => `${k}=${cefValueEscape(v)}`)
    .join(" ");
  return `CEF:0|${header}|${extension}`;
}
