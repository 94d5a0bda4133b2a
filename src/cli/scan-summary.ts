/**
 * @module cli/scan-summary
 * The one line a scan prints on stderr when it finishes.
 */
import type { ScanReport } from "../app/scan.js";

export function summaryLine(r: ScanReport): string {
  const count = (kind: string) => r.changes.filter((c) => c.kind === kind).length;
  const o = r.outcomes;
  return (
    `scanned ${r.endpoints} endpoint${r.endpoints === 1 ? "" : "s"} of ${r.scopes.length} target${r.scopes.length === 1 ? "" : "s"} ` +
    `in ${(r.durationMs / 1000).toFixed(1)}s: ${o.served} served a certificate, ${o["no-certificate"]} no certificate, ` +
    `${o.unreachable} unreachable; alerts: ${count("opened")} new, ${count("reopened")} reopened, ${count("resolved")} resolved`
  );
}
