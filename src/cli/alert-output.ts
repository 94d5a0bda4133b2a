/**
 * @module cli/alert-output
 * Alerts for people (a table) and for scripts (JSON Lines, one alert object per line, SPEC §2). Both print
 * outside text (certificate names, CT names, server errors): the table writes every control and bidi character
 * as a visible escape, and the JSON writes the ones JSON.stringify leaves raw (DEL, C1, bidi, U+2028/9) as
 * `\uXXXX` — the same value for a parser, nothing a terminal acts on when a person reads it.
 */
import type { Alert } from "../domain/alert.js";
import { endpointLabel } from "../domain/endpoint.js";
import { terminalSafe, terminalSafeJson } from "../util/terminal-safe.js";

/** The alert object of SPEC §2, fields in the documented order. */
export function alertJson(a: Alert): Record<string, unknown> {
  return {
    id: a.id,
    eventId: a.eventId,
    name: a.name,
    severity: a.severity,
    source: a.source,
    summary: a.summary,
    remediation: a.remediation,
    subject: a.subject,
    key: a.key,
    endpoint: a.endpoint,
    certificate: a.certificate,
    details: a.details,
    status: a.status,
    firstSeen: a.firstSeen,
    lastSeen: a.lastSeen,
    resolvedAt: a.resolvedAt,
  };
}

export function jsonLines(alerts: readonly Alert[]): string {
  return alerts.map((a) => `${terminalSafeJson(alertJson(a))}\n`).join("");
}

/** One-line explanation drawn from the details a check recorded. */
export function shortDetail(a: Alert): string {
  const d = a.details;
  const pick = (k: string): string | undefined =>
    typeof d[k] === "string" || typeof d[k] === "number" ? String(d[k]) : undefined;
  const parts: string[] = [];
  const reason = pick("reason");
  if (reason) parts.push(reason);
  if (d.daysLeft !== undefined) parts.push(`${pick("daysLeft")} days left`);
  if (Array.isArray(d.protocols)) parts.push((d.protocols as string[]).join(", "));
  if (Array.isArray(d.wildcardNames)) parts.push((d.wildcardNames as string[]).join(", "));
  const error = pick("error");
  if (error) parts.push(error);
  return parts.join(": ");
}

export function alertTable(alerts: readonly Alert[], width = 120): string {
  if (alerts.length === 0) return "No alerts.\n";
  const rows = alerts.map((a) =>
    [
      a.severity.toUpperCase(),
      `${a.eventId} ${a.name}`,
      a.endpoint ? endpointLabel(a.endpoint) : a.subject,
      a.status,
      shortDetail(a).replace(/[ \t\r\n]+/g, " "),
    ].map((cell) => terminalSafe(cell)),
  );
  const header = ["SEVERITY", "EVENT", "WHERE", "STATUS", "DETAIL"];
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  const fixed = widths.slice(0, -1).reduce((s, w) => s + w + 2, 0);
  widths[widths.length - 1] = Math.max(20, Math.min(widths.at(-1) ?? 20, width - fixed));
  const line = (r: string[]) =>
    r
      .map((c, i) => {
        const w = widths[i] ?? 0;
        const cell = c.length > w ? `${c.slice(0, Math.max(0, w - 1))}…` : c;
        return i === r.length - 1 ? cell : cell.padEnd(w);
      })
      .join("  ")
      .trimEnd();
  return `${all.map(line).join("\n")}\n`;
}
