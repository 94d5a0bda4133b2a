/**
 * @module api/audit
 * `GET /audit`: the audit log for admins, newest first, paged by entry id (`before` = the previous page's
 * `nextCursor`), filtered by action or by user (their own actions and their tokens').
 */
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { parseUserName } from "../auth/user-name.js";
import { rfc3339 } from "../domain/alert.js";
import type { AuditEntry } from "../store/auth-records.js";
import type { ApiDeps } from "./deps.js";
import type { ApiEnv } from "./auth/principal.js";
import { apiRoute } from "./route.js";

const AuditEntrySchema = z
  .object({
    id: z.number().int(),
    at: z.string(),
    actor: z
      .string()
      .openapi({ description: "A user name, `<user>/<token id>` for an API token, or `system`." }),
    actorKind: z.enum(["user", "token", "system"]),
    ip: z.string().nullable(),
    action: z.string().openapi({ example: "user.create" }),
    target: z.string().nullable(),
    details: z.record(
      z.string(),
      z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())]),
    ),
  })
  .openapi("AuditEntry");

const Query = z.object({
  before: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .openapi({ description: "The previous page's nextCursor." }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  actor: z.string().min(1).max(64).optional(),
  action: z.string().min(1).max(64).optional().openapi({ example: "session.login-failed" }),
});

function entryOf(e: AuditEntry): z.infer<typeof AuditEntrySchema> {
  const actor =
    e.actor.kind === "user"
      ? e.actor.name
      : e.actor.kind === "token"
        ? `${e.actor.name}/${e.actor.tokenId}`
        : "system";
  return {
    id: e.id,
    at: rfc3339(e.at),
    actor,
    actorKind: e.actor.kind,
    ip: e.ip,
    action: e.action,
    target: e.target,
    details: Object.fromEntries(
      Object.entries(e.details).map(([k, v]) => [k, Array.isArray(v) ? [...(v as readonly string[])] : v]),
    ) as Record<string, string | number | boolean | null | string[]>,
  };
}

export function auditRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  app.openapi(
    apiRoute(
      {
        method: "get",
        path: "/audit",
        tags: ["audit"],
        summary: "The audit log",
        access: "audit.read",
        request: { query: Query },
        responses: {
          200: {
            description: "Entries, newest first",
            content: {
              "application/json": {
                schema: z.object({
                  items: z.array(AuditEntrySchema),
                  nextCursor: z.number().int().nullable(),
                }),
              },
            },
          },
        },
      },
      deps.secure,
    ),
    async (c) => {
      const q = c.req.valid("query");
      const actor = q.actor === undefined ? undefined : parseUserName(q.actor);
      if (actor !== undefined && !actor.ok) return c.json({ items: [], nextCursor: null }, 200);
      const entries = await deps.store.auth.listAudit({
        limit: q.limit,
        ...(q.before !== undefined && { before: q.before }),
        ...(actor !== undefined && { actor: actor.name }),
        ...(q.action !== undefined && { action: q.action }),
      });
      const last = entries.at(-1);
      return c.json(
        {
          items: entries.map(entryOf),
          nextCursor: entries.length === q.limit && last !== undefined ? last.id : null,
        },
        200,
      );
    },
  );
}
