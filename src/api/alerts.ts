/**
 * @module api/alerts
 * Alerts over HTTP: `GET /alerts` (filters, cursor paging newest first by firstSeen), `GET /alerts/{id}` (with its
 * history), and the triage actions `POST /alerts/{id}/acknowledge|snooze|resolve|reopen` (operators and admins;
 * each writes the alert's history and the audit log). How triage meets the checks is in store/triage-records.ts.
 */
import type { z } from "@hono/zod-openapi";
import { type OpenAPIHono } from "@hono/zod-openapi";
import { parseHostname } from "../config/schema.js";
import { AuthStoreError } from "../store/auth-records.js";
import type { AlertQuery, TriageAction } from "../store/triage-records.js";
import type { AlertFilters } from "./alert-schemas.js";
import {
  AlertDetail,
  AlertId,
  AlertListQuery,
  AlertPage,
  Alert,
  alertBody,
  historyBody,
  SnoozeRequest,
  TriageNote,
} from "./alert-schemas.js";
import { auditContextOf, type ApiContext, type ApiEnv } from "./auth/principal.js";
import { decodeCursor, encodeCursor } from "./cursor.js";
import type { ApiDeps } from "./deps.js";
import { ApiError, invalidField } from "./errors.js";
import { apiRoute } from "./route.js";

/** The store query of the list and export filters (the domain checked and put in its ASCII form). */
export function alertQuery(
  filters: z.infer<typeof AlertFilters>,
  now: Date,
  limit: number,
): Omit<AlertQuery, "after"> {
  let domain: string | undefined;
  if (filters.domain !== undefined) {
    const parsed = parseHostname(filters.domain);
    if ("error" in parsed) throw invalidField("domain", parsed.error);
    domain = parsed.value;
  }
  return {
    status: filters.status,
    limit,
    now,
    ...(filters.eventId !== undefined && { eventId: filters.eventId }),
    ...(filters.severity !== undefined && { severity: filters.severity }),
    ...(filters.source !== undefined && { source: filters.source }),
    ...(domain !== undefined && { domain }),
    ...(filters.text !== undefined && { text: filters.text }),
    ...(filters.triage !== undefined && { triage: filters.triage }),
  };
}

const TRIAGE_ACTIONS: readonly { action: TriageAction; summary: string; description: string }[] = [
  {
    action: "acknowledge",
    summary: "Acknowledge an open alert",
    description: "Someone is on it. Cleared when a check resolves or reopens the alert.",
  },
  {
    action: "resolve",
    summary: "Resolve an open alert by hand",
    description:
      "If the condition still holds, the next check of its scope reopens it (and delivery targets hear " +
      '"reopened"); if it is gone, it stays resolved.',
  },
  {
    action: "reopen",
    summary: "Reopen a resolved alert by hand",
    description:
      "It stays open until someone resolves it, or a check that finds it and then stops finding it does.",
  },
];

export function alertRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  const { store, secure } = deps;
  const triage = store.triage;

  app.openapi(
    apiRoute(
      {
        method: "get",
        path: "/alerts",
        tags: ["alerts"],
        summary: "List alerts",
        description:
          "Newest first by firstSeen (which never changes, so paging sees every alert exactly once while checks " +
          "run). Pass the answer's nextCursor back as `cursor` for the next page.",
        access: "alerts.read",
        errors: ["INVALID_CURSOR"],
        request: { query: AlertListQuery },
        responses: {
          200: { description: "A page of alerts", content: { "application/json": { schema: AlertPage } } },
        },
      },
      secure,
    ),
    async (c) => {
      const q = c.req.valid("query");
      const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      // One more than the page: whether there is a next page, without an empty last one.
      const rows = await triage.listAlertPage({
        ...alertQuery(q, deps.now(), q.limit + 1),
        ...(after !== undefined && { after }),
      });
      const items = rows.slice(0, q.limit);
      const last = items.at(-1);
      const nextCursor =
        rows.length > q.limit && last !== undefined
          ? encodeCursor({ firstSeen: last.alert.firstSeen, id: last.alert.id })
          : null;
      return c.json({ items: items.map(alertBody), nextCursor }, 200);
    },
  );

  app.openapi(
    apiRoute(
      {
        method: "get",
        path: "/alerts/{id}",
        tags: ["alerts"],
        summary: "One alert, with its history",
        access: "alerts.read",
        errors: ["NOT_FOUND"],
        request: { params: AlertId },
        responses: {
          200: { description: "The alert", content: { "application/json": { schema: AlertDetail } } },
        },
      },
      secure,
    ),
    async (c) => {
      const { id } = c.req.valid("param");
      const found = await triage.getTriagedAlert(id);
      if (found === undefined) throw new ApiError("NOT_FOUND", "no such alert");
      const history = await triage.alertHistory(id, 100);
      return c.json({ ...alertBody(found), history: history.map(historyBody) }, 200);
    },
  );

  /** Apply one action; a note that looks like a credential is refused (the audit log would have to keep it). */
  async function act(
    c: ApiContext,
    id: string,
    action: TriageAction,
    note: string | undefined,
    until?: Date,
  ) {
    try {
      const done = await triage.triageAlert(
        id,
        { action, note: note ?? null, ...(until !== undefined && { until }) },
        auditContextOf(c, deps.now()),
      );
      return alertBody(done);
    } catch (e) {
      if (e instanceof AuthStoreError && e.code === "AUDIT_DETAILS_REFUSED") {
        throw new ApiError(
          "VALIDATION_FAILED",
          "note: it looks like a credential (a token, a password hash, an Authorization header); nothing was changed",
        );
      }
      throw e;
    }
  }

  /** POST /alerts/{id}/<action>: the same errors, access and answer for every triage action; only the body differs. */
  const triageRoute = <B extends typeof TriageNote | typeof SnoozeRequest>(
    action: TriageAction,
    summary: string,
    description: string,
    body: B,
    required: boolean,
  ) =>
    apiRoute(
      {
        method: "post",
        path: `/alerts/{id}/${action}`,
        tags: ["alerts"],
        summary,
        description,
        access: "alerts.triage",
        errors: ["NOT_FOUND", "ALERT_STATE", "UNSUPPORTED_MEDIA_TYPE"],
        request: {
          params: AlertId,
          body: { required, content: { "application/json": { schema: body } } },
        },
        responses: {
          200: {
            description: "The alert after the action",
            content: { "application/json": { schema: Alert } },
          },
        },
      },
      secure,
    );

  for (const { action, summary, description } of TRIAGE_ACTIONS) {
    app.openapi(triageRoute(action, summary, description, TriageNote, false), async (c) => {
      const { id } = c.req.valid("param");
      const { note } = c.req.valid("json");
      return c.json(await act(c, id, action, note), 200);
    });
  }

  app.openapi(
    triageRoute(
      "snooze",
      "Snooze an open alert",
      "Hidden from `triage=untriaged` lists until then (at most a year). Cleared when a check resolves or " +
        "reopens the alert.",
      SnoozeRequest,
      true,
    ),
    async (c) => {
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      const now = deps.now();
      const until =
        body.minutes !== undefined
          ? new Date(now.getTime() + body.minutes * 60_000)
          : new Date(body.until ?? "");
      if (!(until.getTime() > now.getTime()))
        throw new ApiError("VALIDATION_FAILED", "until: must be in the future");
      if (until.getTime() - now.getTime() > 366 * 86_400_000) {
        throw new ApiError("VALIDATION_FAILED", "until: at most a year from now");
      }
      return c.json(await act(c, id, "snooze", body.note, until), 200);
    },
  );
}
