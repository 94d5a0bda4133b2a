/**
 * @module api/summary
 * `GET /summary`: the open alerts counted by severity, by source and by event, in one grouped query (the counts
 * `/metrics` exports), so the dashboard's overview need not page through every alert to count them.
 */
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { eventById, isSeverity, SEVERITIES, type EventSource, type Severity } from "../events.js";
import type { ApiEnv } from "./auth/principal.js";
import type { ApiDeps } from "./deps.js";
import { apiRoute } from "./route.js";

const SOURCES = ["ct", "tls", "dns"] as const satisfies readonly EventSource[];

const counts = <K extends string>(keys: readonly K[]) =>
  z.object(Object.fromEntries(keys.map((k) => [k, z.number().int()])) as Record<K, z.ZodNumber>);

const Summary = z
  .object({
    openAlerts: z.object({
      total: z.number().int(),
      bySeverity: counts(SEVERITIES),
      bySource: counts(SOURCES),
      byEvent: z
        .array(
          z.object({
            eventId: z.number().int(),
            name: z.string(),
            source: z.enum(SOURCES),
            severity: z.enum(SEVERITIES),
            open: z.number().int(),
          }),
        )
        .openapi({
          description: "One entry per event and severity (a severity may be overridden), most first.",
        }),
    }),
  })
  .openapi("Summary");

type SummaryBody = z.infer<typeof Summary>;

export function summaryRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  app.openapi(
    apiRoute(
      {
        method: "get",
        path: "/summary",
        tags: ["alerts"],
        summary: "Open alerts counted by severity, source and event",
        description: "Snoozed and acknowledged alerts are open, and counted.",
        access: "alerts.read",
        responses: {
          200: { description: "The counts", content: { "application/json": { schema: Summary } } },
        },
      },
      deps.secure,
    ),
    async (c) => {
      const rows = await deps.store.metrics.openAlertCounts();
      const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
      const bySource = Object.fromEntries(SOURCES.map((s) => [s, 0])) as Record<EventSource, number>;
      const byEvent: SummaryBody["openAlerts"]["byEvent"] = [];
      let total = 0;
      for (const r of rows) {
        const event = eventById(r.eventId);
        // A row of an event this version no longer knows, or a severity edited by hand, is left out.
        if (event === undefined || !isSeverity(r.severity)) continue;
        total += r.open;
        bySeverity[r.severity] += r.open;
        bySource[event.source] += r.open;
        byEvent.push({
          eventId: r.eventId,
          name: event.name,
          source: event.source,
          severity: r.severity,
          open: r.open,
        });
      }
      byEvent.sort((a, b) => b.open - a.open || a.eventId - b.eventId);
      return c.json({ openAlerts: { total, bySeverity, bySource, byEvent } }, 200);
    },
  );
}
