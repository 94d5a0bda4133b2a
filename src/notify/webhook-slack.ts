/**
 * @module notify/webhook-slack
 * The Slack incoming-webhook message of a notification: a fallback `text` and Block Kit blocks, every piece of
 * alert text escaped for mrkdwn so that nothing in an alert can format, link or mention (`<!channel>`).
 */
import type { Notification } from "./notification.js";
import type { AlertFacts } from "./webhook-facts.js";
import { alertFacts } from "./webhook-facts.js";

/** Block Kit limits: a section's text and a header's plain text. */
const MAX_SECTION_TEXT = 3000;
const MAX_HEADER_TEXT = 150;

/**
 * Slack's three control characters as entities (https://api.slack.com/reference/surfaces/formatting#escaping).
 * With `<` escaped no `<!channel>`, `<@U…>` or `<url|text>` can be formed; only these three are decoded by Slack,
 * so nothing else is entity-encoded.
 */
export function escapeSlack(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** An escaped mrkdwn text cut to `max` without breaking an entity. */
function fit(escaped: string, max: number): string {
  if (escaped.length <= max) return escaped;
  let cut = escaped.slice(0, max - 1);
  const amp = cut.lastIndexOf("&");
  if (amp >= 0 && !cut.slice(amp).includes(";")) cut = cut.slice(0, amp);
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/**
 * mrkdwn text object. `verbatim: true` turns off Slack's automatic parsing of bare URLs, channel names and
 * mentions, so `@here` written in an alert stays text.
 */
function mrkdwn(text: string, max = MAX_SECTION_TEXT): Record<string, unknown> {
  return { type: "mrkdwn", text: fit(text, max), verbatim: true };
}

const SEVERITY_MARK: Readonly<Record<string, string>> = {
  CRITICAL: ":red_circle:",
  HIGH: ":large_orange_circle:",
  MEDIUM: ":large_yellow_circle:",
  LOW: ":large_blue_circle:",
  INFO: ":white_circle:",
};

/** The JSON body POSTed to the incoming-webhook URL. */
export function slackPayload(n: Notification, publicUrl: string | undefined): Record<string, unknown> {
  const f = alertFacts(n, publicUrl);
  const e = escapeSlack;
  const mark = n.kind === "resolved" ? ":white_check_mark:" : (SEVERITY_MARK[f.severity] ?? "");
  const blocks: Record<string, unknown>[] = [
    {
      type: "header",
      // Our own words only (change label, catalogue name): plain text, no alert input.
      text: { type: "plain_text", text: fit(`${f.change}: ${n.alert.name}`, MAX_HEADER_TEXT), emoji: true },
    },
    {
      type: "section",
      text: mrkdwn(`${mark} *${e(f.summary)}*\n*Subject:* ${e(f.subject)}`),
      fields: facts(f).map(([k, v]) => mrkdwn(`*${k}*\n${e(v)}`, 2000)),
    },
  ];
  if (f.details.length > 0) {
    const lines = f.details.map(([k, v]) => `• ${e(k)}: ${e(v)}`);
    if (f.moreDetails > 0) lines.push(`…and ${f.moreDetails} more`);
    blocks.push({ type: "section", text: mrkdwn(`*Details*\n${lines.join("\n")}`) });
  }
  if (n.kind !== "resolved") {
    blocks.push({ type: "section", text: mrkdwn(`*Remediation*\n${e(f.remediation)}`) });
  }
  const context = [`certwatch · notification ${f.notificationId}`];
  if (f.link !== null) context.unshift(`<${e(f.link).replace(/\|/g, "%7C")}|Open in certwatch>`);
  blocks.push({ type: "context", elements: context.map((c) => mrkdwn(c)) });
  return {
    // What notifications and clients without blocks show.
    text: fit(e(`${f.change} [${f.severity}] ${f.event} on ${f.subject}: ${f.summary}`), MAX_SECTION_TEXT),
    blocks,
    unfurl_links: false,
    unfurl_media: false,
  };
}

/** The fields grid of the first section (at most 10 fields by Block Kit rules). */
function facts(f: AlertFacts): (readonly [string, string])[] {
  const out: (readonly [string, string])[] = [
    ["Severity", f.severity],
    ["Event", f.event],
    ["Status", f.status],
    ["First seen", f.firstSeen],
  ];
  if (f.endpoint !== null) out.push(["Endpoint", f.endpoint]);
  return out;
}
