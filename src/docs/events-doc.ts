/**
 * @module docs/events-doc
 * Renders docs/events.md from the catalogue, so the documentation cannot drift from the code
 * (a test compares the file with this output; `npm run docs:events` rewrites it).
 */
import { EVENTS, type EventDefinition, type EventName } from "../events.js";
import { EVENT_DETAILS } from "./event-details.js";

const SOURCE_TITLE = {
  ct: "From Certificate Transparency logs",
  tls: "From scanning servers",
  dns: "From DNS",
} as const;

export function renderEventsDoc(): string {
  const out: string[] = [
    "# Event catalogue",
    "",
    "<!-- Generated from src/events.ts and src/docs/event-details.ts by `npm run docs:events`; a test fails when they drift. -->",
    "",
    "Every alert certwatch raises has an `eventId` and a stable `name`. IDs below 100 are those of the",
    "commercial catalogue whose users we serve: existing SIEM rules such as",
    "`EZMonitor_Alerts_CL | where VulnerabilityID_d == 18` keep working. Our own events start at 100.",
    "",
    "An alert is **open** while its condition holds, **resolved** (with `resolvedAt`) when a later check",
    "no longer finds it, and **reopened** when the condition returns. Its `id` is derived from",
    "`(eventId, key)`, so re-running a check never duplicates it. Severities can be overridden in the",
    "configuration (`severity:`).",
    "",
    "| id | name | source | default severity | summary |",
    "|---|---|---|---|---|",
    ...EVENTS.map(
      (e) => `| ${e.id} | [${e.name}](#${e.id}-${e.name}) | ${e.source} | ${e.severity} | ${e.summary} |`,
    ),
    "",
  ];
  for (const source of ["ct", "tls", "dns"] as const) {
    const events = EVENTS.filter((e) => e.source === source);
    if (events.length === 0) continue;
    out.push(`## ${SOURCE_TITLE[source]} (\`source: "${source}"\`)`, "");
    for (const e of events) out.push(...section(e));
  }
  return `${out.join("\n").trimEnd()}\n`;
}

function section(e: EventDefinition): string[] {
  const details: Record<string, string> = EVENT_DETAILS[e.name as EventName] ?? {};
  const lines = [
    `### ${e.id} ${e.name}`,
    "",
    `**${e.summary}.** Default severity: \`${e.severity}\`.`,
    "",
    `- **Raised when:** ${e.raisedWhen}`,
    `- **Key:** ${e.key}`,
    `- **Remediation:** ${e.remediation}`,
  ];
  const fields = Object.entries(details);
  if (fields.length > 0) {
    lines.push("- **`details`:**");
    for (const [field, text] of fields) lines.push(`  - \`${field}\`: ${text}`);
  }
  lines.push("");
  return lines;
}
