/**
 * @module notify/webhook-teams
 * The Microsoft Teams Workflows message of a notification: one Adaptive Card (1.4) in a `message` attachment, as
 * the "Post to a channel when a webhook request is received" flow expects. Alert text is never markdown.
 */
import type { Notification } from "./notification.js";
import { alertFacts } from "./webhook-facts.js";

export const ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive";
export const ADAPTIVE_CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json";
/** 1.4: what Teams renders for cards posted by Workflows (RichTextBlock needs 1.2). */
export const ADAPTIVE_CARD_VERSION = "1.4";

type Element = Record<string, unknown>;

/**
 * Alert text goes into TextRuns of a RichTextBlock, which the Adaptive Card schema defines as never markdown
 * (a TextBlock would turn `[x](https://evil)` or `**` in a subject into a link or bold text).
 */
function plain(text: string, label?: string, opts: Element = {}): Element {
  const inlines: Element[] = [];
  if (label !== undefined) inlines.push({ type: "TextRun", text: `${label}: `, weight: "Bolder" });
  inlines.push({ type: "TextRun", text, ...opts });
  return { type: "RichTextBlock", inlines };
}

/** Our own fixed words (no alert input), where markdown cannot come from outside. */
function heading(text: string, opts: Element = {}): Element {
  return { type: "TextBlock", text, wrap: true, weight: "Bolder", ...opts };
}

const SEVERITY_COLOR: Readonly<Record<string, string>> = {
  CRITICAL: "Attention",
  HIGH: "Attention",
  MEDIUM: "Warning",
  LOW: "Accent",
  INFO: "Default",
};

/** The JSON body POSTed to the workflow's webhook URL. */
export function teamsPayload(n: Notification, publicUrl: string | undefined): Record<string, unknown> {
  const f = alertFacts(n, publicUrl);
  const color = n.kind === "resolved" ? "Good" : (SEVERITY_COLOR[f.severity] ?? "Default");
  const body: Element[] = [
    plain(`${f.change} [${f.severity}] ${f.event}`, undefined, { weight: "Bolder", size: "Medium", color }),
    plain(f.summary, undefined, { weight: "Bolder" }),
    plain(f.subject, "Subject"),
    plain(f.severity, "Severity"),
    plain(f.event, "Event"),
    plain(f.status, "Status"),
    plain(f.firstSeen, "First seen"),
  ];
  if (f.endpoint !== null) body.push(plain(f.endpoint, "Endpoint"));
  if (f.details.length > 0) {
    body.push(heading("Details", { spacing: "Medium" }));
    for (const [k, v] of f.details) body.push(plain(v, k));
    if (f.moreDetails > 0) body.push(plain(`…and ${f.moreDetails} more`, undefined, { isSubtle: true }));
  }
  if (n.kind !== "resolved") {
    body.push(heading("Remediation", { spacing: "Medium" }), plain(f.remediation));
  }
  body.push(
    plain(`certwatch · notification ${f.notificationId}`, undefined, { isSubtle: true, size: "Small" }),
  );
  const card: Element = {
    $schema: ADAPTIVE_CARD_SCHEMA,
    type: "AdaptiveCard",
    version: ADAPTIVE_CARD_VERSION,
    msteams: { width: "Full" },
    body,
  };
  if (f.link !== null) card.actions = [{ type: "Action.OpenUrl", title: "Open in certwatch", url: f.link }];
  return {
    type: "message",
    attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, contentUrl: null, content: card }],
  };
}
