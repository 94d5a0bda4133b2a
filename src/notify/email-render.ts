/**
 * @module notify/email-render
 * The e-mail a person reads: subject, plain text and HTML of one alert change or of a digest of several. Every
 * alert string is escaped in the HTML and flattened to one line in the subject and headers.
 */
import { createHash } from "node:crypto";
import type { Alert } from "../domain/alert.js";
import { endpointLabel } from "../domain/endpoint.js";
import { SEVERITIES, severityRank } from "../events.js";
import type { Notification } from "./notification.js";
import { replaceUnsafe, visibleEscape } from "../util/terminal-safe.js";
import { kindLabel } from "./notification.js";

export interface RenderOptions {
  /** Put before every subject, e.g. `[certwatch]`; may be empty. */
  readonly subjectPrefix: string;
  /** The dashboard: each alert links to `<publicUrl>/alerts/<id>` when set. */
  readonly publicUrl?: string;
}

export interface RenderedMail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** `<…@certwatch>`, stable for the same notification(s) so a mailbox can drop a duplicate delivery. */
  readonly messageId: string;
  /** Extra headers (already one line each). */
  readonly headers: Readonly<Record<string, string>>;
}

/** A subject is cut here: mail clients show far less, and a longer one only hides the rest of the line. */
const MAX_SUBJECT_CHARS = 300;
/** One detail value is cut here: a digest of 100 alerts must stay a readable (and acceptable) size. */
const MAX_DETAIL_CHARS = 10_000;

/** CR, LF and every other control or line-separator character become one space: no header can be injected. */
export function oneLine(s: string): string {
  // Line breaks and other controls become a space (no header injection); bidi overrides and other format
  // characters, which would let a certificate name reorder the Subject a reader sees, a visible escape.
  // eslint-disable-next-line no-control-regex
  return replaceUnsafe(s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " "), visibleEscape).trim();
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function cut(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** The dashboard link of an alert, or undefined when no publicUrl is configured (or it is not http(s)). */
export function alertLink(publicUrl: string | undefined, alertId: string): string | undefined {
  if (publicUrl === undefined || !/^https?:\/\//i.test(publicUrl)) return undefined;
  return `${publicUrl.replace(/\/+$/, "")}/alerts/${encodeURIComponent(alertId)}`;
}

/** Details as readable key/value pairs: scalars as they are, lists of scalars joined, the rest as JSON. */
export function detailPairs(details: Readonly<Record<string, unknown>>): [string, string][] {
  return Object.entries(details).map(([k, v]) => {
    let s: string;
    if (typeof v === "string") s = v;
    else if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") s = String(v);
    else if (v === null || v === undefined) s = "—";
    else if (Array.isArray(v) && v.every((x) => typeof x === "string" || typeof x === "number")) {
      s = v.join(", ");
    } else s = JSON.stringify(v) ?? typeof v;
    return [k, cut(s, MAX_DETAIL_CHARS)];
  });
}

/** `[certwatch] CRITICAL domain-takeover: shop.contoso.com`, with the kind first when it is not a new alert. */
export function alertSubject(n: Notification, prefix: string): string {
  const a = n.alert;
  const kind = n.kind === "opened" ? "" : `${kindLabel(n.kind)}: `;
  const s = `${oneLine(prefix)} ${kind}${a.severity.toUpperCase()} ${a.name}: ${a.subject}`;
  return cut(oneLine(s), MAX_SUBJECT_CHARS);
}

/** Highest severity first; within one severity the oldest change first. */
export function bySeverity(batch: readonly Notification[]): Notification[] {
  return [...batch].sort(
    (x, y) =>
      severityRank(y.alert.severity) - severityRank(x.alert.severity) ||
      x.createdAt.localeCompare(y.createdAt) ||
      x.id.localeCompare(y.id),
  );
}

/** `3 critical, 5 high, 4 low`: the counts per severity, highest first, only those present. */
export function severityCounts(batch: readonly Notification[]): string {
  return [...SEVERITIES]
    .reverse()
    .map((s) => [s, batch.filter((n) => n.alert.severity === s).length] as const)
    .filter(([, c]) => c > 0)
    .map(([s, c]) => `${c} ${s}`)
    .join(", ");
}

/** The facts of one alert, in reading order, as label → value (values are raw text, escaped where shown). */
function facts(n: Notification): [string, string][] {
  const a = n.alert;
  const rows: [string, string][] = [
    ["Notification", kindLabel(n.kind)],
    ["Severity", a.severity.toUpperCase()],
    ["Event", `${a.eventId} ${a.name}`],
    ["Status", a.status],
    ["Subject", a.subject],
  ];
  if (a.endpoint) rows.push(["Endpoint", endpointLabel(a.endpoint)]);
  rows.push(["First seen", a.firstSeen], ["Last seen", a.lastSeen]);
  if (a.resolvedAt !== null) rows.push(["Resolved at", a.resolvedAt]);
  rows.push(["Alert id", a.id]);
  return rows;
}

function certificateFacts(a: Alert): [string, string][] {
  const c = a.certificate;
  if (!c) return [];
  return [
    ["Subject", c.subject],
    ["Issuer", c.issuer],
    ["Not after", c.notAfter],
    ["SHA-256", c.sha256],
  ];
}

/** Label/value lines, multi-line values indented under their label. */
function textRows(rows: readonly [string, string][], indent = ""): string {
  const width = Math.max(0, ...rows.map(([k]) => k.length)) + 2;
  return rows
    .map(([k, v]) => {
      const lines = v.split(/\r\n|\r|\n/);
      const pad = " ".repeat(indent.length + width);
      return `${indent}${`${k}:`.padEnd(width)}${lines.join(`\n${pad}`)}`;
    })
    .join("\n");
}

function textSection(n: Notification, opts: RenderOptions): string {
  const a = n.alert;
  const parts = [`${a.severity.toUpperCase()} ${a.name} (event ${a.eventId}): ${a.subject}`, a.summary, ""];
  const link = alertLink(opts.publicUrl, a.id);
  parts.push(textRows([...facts(n), ...(link ? [["Dashboard", link] as [string, string]] : [])]));
  const cert = certificateFacts(a);
  if (cert.length > 0) parts.push("", "Certificate", textRows(cert, "  "));
  const details = detailPairs(a.details);
  if (details.length > 0) parts.push("", "Details", textRows(details, "  "));
  parts.push("", "What to do", `  ${a.remediation.split(/\r\n|\r|\n/).join("\n  ")}`);
  return parts.join("\n");
}

const SEVERITY_COLOURS: Readonly<Record<string, string>> = {
  critical: "#b00020",
  high: "#d9480f",
  medium: "#b08800",
  low: "#1c7ed6",
  info: "#5c5f66",
};

function htmlRows(rows: readonly [string, string][]): string {
  return rows
    .map(
      ([k, v]) =>
        `<tr><th style="text-align:left;vertical-align:top;padding:2px 12px 2px 0;white-space:nowrap">` +
        `${escapeHtml(k)}</th><td style="padding:2px 0;white-space:pre-wrap;word-break:break-word">` +
        `${escapeHtml(v)}</td></tr>`,
    )
    .join("\n");
}

function htmlSection(n: Notification, opts: RenderOptions): string {
  const a = n.alert;
  const colour = SEVERITY_COLOURS[a.severity] ?? "#5c5f66";
  const parts = [
    `<div style="margin:0 0 24px 0">`,
    `<h2 style="margin:0 0 4px 0;font-size:18px"><span style="color:${colour}">` +
      `${escapeHtml(a.severity.toUpperCase())}</span> ${escapeHtml(a.name)}: ${escapeHtml(a.subject)}</h2>`,
    `<p style="margin:0 0 8px 0">${escapeHtml(a.summary)}</p>`,
    `<table style="border-collapse:collapse;font-size:14px">`,
    htmlRows(facts(n)),
    `</table>`,
  ];
  const link = alertLink(opts.publicUrl, a.id);
  if (link) parts.push(`<p><a href="${escapeHtml(link)}">Open the alert in the dashboard</a></p>`);
  const cert = certificateFacts(a);
  if (cert.length > 0) {
    parts.push(`<h3 style="font-size:15px;margin:12px 0 4px 0">Certificate</h3>`);
    parts.push(`<table style="border-collapse:collapse;font-size:14px">`, htmlRows(cert), `</table>`);
  }
  const details = detailPairs(a.details);
  if (details.length > 0) {
    parts.push(`<h3 style="font-size:15px;margin:12px 0 4px 0">Details</h3>`);
    parts.push(`<table style="border-collapse:collapse;font-size:14px">`, htmlRows(details), `</table>`);
  }
  parts.push(`<h3 style="font-size:15px;margin:12px 0 4px 0">What to do</h3>`);
  parts.push(`<p style="margin:0;white-space:pre-wrap">${escapeHtml(a.remediation)}</p>`, `</div>`);
  return parts.join("\n");
}

function htmlDocument(title: string, body: string): string {
  return [
    "<!DOCTYPE html>",
    `<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>`,
    `<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1f2328">`,
    body,
    `<p style="color:#6e7781;font-size:12px">Sent by certwatch.</p>`,
    "</body></html>",
  ].join("\n");
}

/** The id is hex in practice; anything else is made dot-atom safe, deterministically (the id stays stable). */
function messageIdOf(localPart: string): string {
  return `<${localPart.replace(/[^A-Za-z0-9._-]/g, "-")}@certwatch>`;
}

/** One message for one notification. */
export function renderAlertMail(n: Notification, opts: RenderOptions): RenderedMail {
  const subject = alertSubject(n, opts.subjectPrefix);
  return {
    subject,
    text: `${textSection(n, opts)}\n\n-- \ncertwatch notification ${n.id}\n`,
    html: htmlDocument(subject, htmlSection(n, opts)),
    messageId: messageIdOf(n.id),
    headers: {
      "X-Certwatch-Notification-Id": oneLine(n.id),
      "X-Certwatch-Event-Id": String(n.alert.eventId),
      "X-Certwatch-Alert-Id": oneLine(n.alert.id),
      "X-Certwatch-Severity": n.alert.severity,
    },
  };
}

/** One message listing every notification of the batch, highest severity first. */
export function renderDigestMail(batch: readonly Notification[], opts: RenderOptions): RenderedMail {
  const sorted = bySeverity(batch);
  const title = `${batch.length} alerts (${severityCounts(batch)})`;
  const subject = cut(oneLine(`${oneLine(opts.subjectPrefix)} ${title}`), MAX_SUBJECT_CHARS);
  const index = sorted.map((n) => {
    const a = n.alert;
    return `- ${a.severity.toUpperCase()} ${a.name}: ${oneLine(a.subject)} (${kindLabel(n.kind)})`;
  });
  const rule = "-".repeat(72);
  const text = [
    `certwatch: ${title}`,
    "",
    ...index,
    "",
    ...sorted.flatMap((n) => [rule, textSection(n, opts), ""]),
    "-- ",
    `certwatch notifications ${sorted.map((n) => n.id).join(", ")}`,
    "",
  ].join("\n");
  const htmlIndex = [
    `<h1 style="font-size:20px">${escapeHtml(title)}</h1>`,
    `<table style="border-collapse:collapse;font-size:14px;margin:0 0 24px 0">`,
    ...sorted.map((n) => {
      const a = n.alert;
      const colour = SEVERITY_COLOURS[a.severity] ?? "#5c5f66";
      return (
        `<tr><td style="padding:2px 12px 2px 0;color:${colour};font-weight:bold">` +
        `${escapeHtml(a.severity.toUpperCase())}</td><td style="padding:2px 12px 2px 0">${escapeHtml(a.name)}</td>` +
        `<td style="padding:2px 12px 2px 0">${escapeHtml(a.subject)}</td>` +
        `<td style="padding:2px 0">${escapeHtml(kindLabel(n.kind))}</td></tr>`
      );
    }),
    `</table>`,
  ].join("\n");
  const html = htmlDocument(
    subject,
    `${htmlIndex}\n<hr>\n${sorted.map((n) => htmlSection(n, opts)).join("\n<hr>\n")}`,
  );
  const ids = sorted.map((n) => oneLine(n.id));
  const digestId = createHash("sha256")
    .update([...ids].sort().join("\n"))
    .digest("hex")
    .slice(0, 32);
  return {
    subject,
    text,
    html,
    messageId: messageIdOf(`digest-${digestId}`),
    headers: {
      "X-Certwatch-Notification-Id": ids.join(", "),
      "X-Certwatch-Event-Id": [...new Set(sorted.map((n) => n.alert.eventId))].join(", "),
      "X-Certwatch-Severity": sorted[0]?.alert.severity ?? "info",
    },
  };
}
