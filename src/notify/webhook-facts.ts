/**
 * @module notify/webhook-facts
 * What the chat presets (Slack, Teams) show of a notification, as plain text before each format escapes it:
 * title, subject, summary, a few key details, remediation and the dashboard link. Bounded, so a card stays small.
 */
import { endpointLabel } from "../domain/endpoint.js";
import type { Notification } from "./notification.js";
import { kindLabel } from "./notification.js";

/** At most this many details are shown (the standard preset sends them all). */
export const MAX_DETAILS = 10;
/** Cut lengths, in characters of the raw text, so each chat block stays far under its format's limit. */
const MAX_SUBJECT = 300;
const MAX_SUMMARY = 500;
const MAX_REMEDIATION = 1000;
const MAX_DETAIL_KEY = 60;
const MAX_DETAIL_VALUE = 200;

export interface AlertFacts {
  /** "New", "Reopened", "Resolved", "Still open". */
  readonly change: string;
  /** "HIGH". */
  readonly severity: string;
  /** "42 hsts-missing". */
  readonly event: string;
  readonly subject: string;
  readonly summary: string;
  readonly remediation: string;
  /** host:port@address, when the alert is about an endpoint. */
  readonly endpoint: string | null;
  readonly status: string;
  readonly firstSeen: string;
  readonly details: readonly (readonly [key: string, value: string])[];
  /** How many details were left out. */
  readonly moreDetails: number;
  /** `<publicUrl>/alerts/<id>` when a public URL is configured. */
  readonly link: string | null;
  readonly notificationId: string;
}

export function alertFacts(n: Notification, publicUrl: string | undefined): AlertFacts {
  const a = n.alert;
  const entries = Object.entries(a.details);
  const shown = entries
    .slice(0, MAX_DETAILS)
    .map(
      ([k, v]) =>
        [clip(chatText(k), MAX_DETAIL_KEY), clip(chatText(detailText(v)), MAX_DETAIL_VALUE)] as const,
    );
  return {
    change: kindLabel(n.kind),
    severity: a.severity.toUpperCase(),
    event: `${a.eventId} ${a.name}`,
    subject: clip(chatText(a.subject), MAX_SUBJECT),
    summary: clip(chatText(a.summary), MAX_SUMMARY),
    remediation: clip(chatText(a.remediation), MAX_REMEDIATION),
    endpoint: a.endpoint ? chatText(endpointLabel(a.endpoint)) : null,
    status: a.status,
    firstSeen: a.firstSeen,
    details: shown,
    moreDetails: entries.length - shown.length,
    link: alertLink(publicUrl, a.id),
    notificationId: n.id,
  };
}

/** `<publicUrl>/alerts/<id>`, or null without a public URL. */
export function alertLink(publicUrl: string | undefined, alertId: string): string | null {
  if (publicUrl === undefined || publicUrl.trim() === "") return null;
  return `${publicUrl.replace(/\/+$/, "")}/alerts/${encodeURIComponent(alertId)}`;
}

function detailText(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean" || v === null) return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === "string" || typeof x === "number")) return v.join(", ");
  // JSON.stringify gives undefined for undefined, functions and symbols, which a detail never is (it came from JSON).
  return JSON.stringify(v) ?? "";
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text safe to show in a chat message: line breaks become `\n`; other control characters and the bidi
 * overrides (which can make a lookalike domain read like the real one) become a visible `\uXXXX`.
 */
export function chatText(s: string): string {
  return s
    .replace(/\r\n?/g, "\n")
    .replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`);
}

/** At most `max` characters, ending with … when cut; never splits a surrogate pair. */
export function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  let cut = s.slice(0, Math.max(0, max - 1));
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}
