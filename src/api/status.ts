/**
 * @module api/status
 * Read-only views of the running daemon, and the action it performs on request: CT logs (`GET /ct/logs`:
 * position, head, lag, last error), delivery (`GET /delivery`: the outbox per target; `POST
 * /delivery/{target}/test`, 501 when the daemon did not supply it). The scan targets are api/endpoints.ts's.
 */
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { auditContextOf, type ApiEnv } from "./auth/principal.js";
import type { ApiDeps } from "./deps.js";
import { ApiError } from "./errors.js";
import { apiRoute } from "./route.js";

const CtLog = z
  .object({
    logId: z.string().openapi({ description: "Base64 SHA-256 of the log's key (RFC 6962 LogID)." }),
    url: z.string(),
    protocol: z.enum(["rfc6962", "static-ct"]),
    position: z.number().int().openapi({ description: "Entries below it are processed." }),
    headSize: z.number().int().openapi({ description: "The newest tree head seen." }),
    lag: z.number().int().openapi({ description: "headSize - position: entries not yet read." }),
    verifiedSize: z.number().int(),
    headTime: z.string().nullable(),
    lastEntryTime: z.string().nullable(),
    lastError: z.string().nullable(),
    updatedAt: z.string(),
  })
  .openapi("CtLogStatus");

const DeliveryTarget = z
  .object({
    target: z.string(),
    pending: z.number().int(),
    delivered: z.number().int().openapi({ description: "Delivered notifications still kept (a week)." }),
    oldestPending: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
    maxAttempts: z.number().int(),
    lastError: z.string().nullable(),
  })
  .openapi("DeliveryTargetStatus");

const DeliveryParam = z.object({
  target: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: "target", in: "path" }, example: "splunk" }),
});

const time = (ms: number | null): string | null =>
  ms === null || !Number.isFinite(ms) ? null : new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

export function statusRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  const { store, secure } = deps;

  app.openapi(
    apiRoute(
      {
        method: "get",
        path: "/ct/logs",
        tags: ["status"],
        summary: "CT logs followed, and how far behind",
        access: "alerts.read",
        responses: {
          200: {
            description: "Every log ever followed, by URL",
            content: { "application/json": { schema: z.object({ items: z.array(CtLog) }) } },
          },
        },
      },
      secure,
    ),
    async (c) => {
      const logs = await store.listCtLogStates();
      const items = logs
        .map((l) => ({
          logId: l.logId,
          url: l.url,
          protocol: l.protocol,
          position: l.position,
          headSize: l.headSize,
          lag: Math.max(0, l.headSize - l.position),
          verifiedSize: l.verified.size,
          headTime: time(l.headTimestamp),
          lastEntryTime: time(l.lastEntryTimestamp),
          lastError: l.lastError,
          updatedAt: l.updatedAt,
        }))
        .sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
      return c.json({ items }, 200);
    },
  );

  app.openapi(
    apiRoute(
      {
        method: "get",
        path: "/delivery",
        tags: ["status"],
        summary: "The delivery outbox per target",
        access: "alerts.read",
        responses: {
          200: {
            description: "Targets that have notifications (pending or recently delivered)",
            content: { "application/json": { schema: z.object({ items: z.array(DeliveryTarget) }) } },
          },
        },
      },
      secure,
    ),
    async (c) => {
      const items = (await store.outboxStatus()).map((t) => ({
        target: t.target,
        pending: t.pending,
        delivered: t.delivered,
        oldestPending: t.oldestPending,
        nextAttemptAt: t.nextAttemptAt,
        maxAttempts: t.maxAttempts,
        lastError: t.lastError,
      }));
      return c.json({ items }, 200);
    },
  );

  app.openapi(
    apiRoute(
      {
        method: "post",
        path: "/delivery/{target}/test",
        tags: ["status"],
        summary: "Send the sample notification to one delivery target",
        description: "As `certwatch notify test --target NAME`. Audited as `delivery.test`.",
        access: "delivery.test",
        errors: ["NOT_FOUND", "NOT_IMPLEMENTED"],
        request: { params: DeliveryParam },
        responses: {
          200: {
            description: "What the target answered",
            content: {
              "application/json": {
                schema: z.object({
                  target: z.string(),
                  delivered: z.boolean(),
                  error: z.string().nullable(),
                }),
              },
            },
          },
        },
      },
      secure,
    ),
    async (c) => {
      const { target } = c.req.valid("param");
      if (deps.testDelivery === undefined)
        throw new ApiError("NOT_IMPLEMENTED", "this server cannot send test notifications");
      const result = await deps.testDelivery(target);
      if (!result.found) throw new ApiError("NOT_FOUND", "no delivery target of that name");
      // The receiver's words stay out of the audit log (they are outside text); whether it worked is enough.
      await store.auth.appendAudit(auditContextOf(c, deps.now()), {
        action: "delivery.test",
        target,
        details: { delivered: result.delivered },
      });
      return c.json({ target, delivered: result.delivered, error: result.error }, 200);
    },
  );
}
