/**
 * @module api/events
 * `GET /events`: the event catalogue (src/events.ts) — ids, names, sources, default severities, what raises each
 * and how to fix it — so that a client can label and filter alerts without a copy of its own.
 */
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { EVENTS, SEVERITIES } from "../events.js";
import type { ApiEnv } from "./auth/principal.js";
import type { ApiDeps } from "./deps.js";
import { apiRoute } from "./route.js";

const Event = z
  .object({
    id: z.number().int().openapi({ example: 42 }),
    name: z.string().openapi({ example: "hsts-missing" }),
    source: z.enum(["ct", "tls", "dns"]),
    severity: z.enum(SEVERITIES).openapi({ description: "The default (the configuration may override it)." }),
    summary: z.string(),
    key: z
      .string()
      .openapi({ description: "What identifies the same problem (the alert id derives from it)." }),
    raisedWhen: z.string(),
    remediation: z.string(),
  })
  .openapi("Event");

export function eventRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  const items = EVENTS.map((e) => ({
    id: e.id,
    name: e.name,
    source: e.source,
    severity: e.severity,
    summary: e.summary,
    key: e.key,
    raisedWhen: e.raisedWhen,
    remediation: e.remediation,
  }));
  app.openapi(
    apiRoute(
      {
        method: "get",
        path: "/events",
        tags: ["alerts"],
        summary: "The event catalogue",
        access: "alerts.read",
        responses: {
          200: {
            description: "Every event, by id",
            content: { "application/json": { schema: z.object({ items: z.array(Event) }) } },
          },
        },
      },
      deps.secure,
    ),
    (c) => c.json({ items }, 200),
  );
}
