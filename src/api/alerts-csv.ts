/**
 * @module api/alerts-csv
 * `GET /alerts.csv`: the filtered alerts as a spreadsheet, streamed page by page (memory stays one page whatever
 * the count). Cells are attacker-influenced (CT names, server errors), so none may start a formula: a cell that
 * begins with = + - @ TAB or CR gets a leading apostrophe (OWASP "CSV Injection"), and every cell is quoted.
 */
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { endpointLabel } from "../domain/endpoint.js";
import type { TriagedAlert } from "../store/triage-records.js";
import { AlertFilters } from "./alert-schemas.js";
import { alertQuery } from "./alerts.js";
import type { ApiEnv } from "./auth/principal.js";
import type { ApiDeps } from "./deps.js";
import { apiRoute } from "./route.js";

/** Rows per store query while streaming. */
const PAGE = 500;
/** The most rows one export holds; past it, a last row says the export was cut (narrow the filters). */
export const MAX_CSV_ROWS = 1_000_000;

const COLUMNS = [
  "id",
  "eventId",
  "name",
  "severity",
  "source",
  "status",
  "subject",
  "endpoint",
  "certificateSha256",
  "certificateNotAfter",
  "firstSeen",
  "lastSeen",
  "resolvedAt",
  "acknowledgedBy",
  "acknowledgedAt",
  "snoozedUntil",
  "resolvedBy",
  "note",
  "summary",
  "details",
] as const;

/** One CSV cell: formula-safe, quoted, quotes doubled. */
export function csvCell(value: string | number | null): string {
  let s = value === null ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return `"${s.replace(/"/g, '""')}"`;
}

function row(cells: readonly (string | number | null)[]): string {
  return `${cells.map(csvCell).join(",")}\r\n`;
}

function alertRow(t: TriagedAlert): string {
  const a = t.alert;
  return row([
    a.id,
    a.eventId,
    a.name,
    a.severity,
    a.source,
    a.status,
    a.subject,
    a.endpoint === null ? null : endpointLabel(a.endpoint),
    a.certificate?.sha256 ?? null,
    a.certificate?.notAfter ?? null,
    a.firstSeen,
    a.lastSeen,
    a.resolvedAt,
    t.triage.acknowledgedBy,
    t.triage.acknowledgedAt,
    t.triage.snoozedUntil,
    t.triage.resolvedBy,
    t.triage.note,
    a.summary,
    JSON.stringify(a.details),
  ]);
}

export function alertsCsvRoute(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  app.openapi(
    apiRoute(
      {
        method: "get",
        path: "/alerts.csv",
        tags: ["alerts"],
        summary: "Export alerts as CSV",
        description:
          "The same filters as GET /alerts, every matching alert (newest first), UTF-8 with a byte order mark, " +
          `CRLF line ends. Cells never start a formula. At most ${MAX_CSV_ROWS} rows: past that, a last row starting ` +
          "with `# truncated` says so.",
        access: "alerts.read",
        request: { query: AlertFilters },
        responses: {
          200: { description: "The alerts", content: { "text/csv": { schema: z.string() } } },
        },
      },
      deps.secure,
    ),
    (c) => {
      const filters = c.req.valid("query");
      const base = alertQuery(filters, deps.now(), PAGE);
      const encoder = new TextEncoder();
      let after: { firstSeen: string; id: string } | undefined;
      let sent = 0;
      let finished = false;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(encoder.encode(`\uFEFF${row(COLUMNS)}`));
        },
        // One page per pull: the stream asks for more only as the client reads.
        async pull(controller) {
          if (finished) return;
          try {
            const list = deps.store.triage;
            const page = await list.listAlertPage({ ...base, ...(after !== undefined && { after }) });
            const take = page.slice(0, Math.max(0, MAX_CSV_ROWS - sent));
            if (take.length > 0) controller.enqueue(encoder.encode(take.map(alertRow).join("")));
            sent += take.length;
            const last = take.at(-1);
            if (last !== undefined) after = { firstSeen: last.alert.firstSeen, id: last.alert.id };
            if (sent >= MAX_CSV_ROWS) {
              const more =
                take.length < page.length ||
                (await list.listAlertPage({ ...base, limit: 1, ...(after !== undefined && { after }) }))
                  .length > 0;
              if (more)
                controller.enqueue(
                  encoder.encode(row([`# truncated at ${MAX_CSV_ROWS} rows: narrow the filters`])),
                );
              finished = true;
            } else if (page.length < PAGE) {
              finished = true;
            }
            if (finished) controller.close();
          } catch (e) {
            deps.log.error("CSV export failed", { error: e instanceof Error ? e.message : String(e) });
            controller.error(e);
          }
        },
      });
      c.header("Content-Type", "text/csv; charset=utf-8");
      c.header("Content-Disposition", 'attachment; filename="certwatch-alerts.csv"');
      return c.body(body, 200);
    },
  );
}
