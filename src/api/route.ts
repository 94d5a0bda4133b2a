/**
 * @module api/route
 * How every API route is declared: its zod schemas (which validate the request and write the OpenAPI document),
 * who may call it (the action its role must allow, stated in the document as `x-certwatch-action` with the
 * security requirement), and the error answers it can give. One place, so that no route forgets its guard.
 */
import { createRoute, type RouteConfig } from "@hono/zod-openapi";
import { minimumRole, type Action } from "../auth/roles.js";
import { guard } from "./auth/guard.js";
import { ErrorBody, type ApiErrorCode, API_ERRORS } from "./errors.js";

/** OpenAPI security scheme names (components.securitySchemes). */
export const SECURITY = {
  session: "sessionCookie",
  csrf: "csrfHeader",
  token: "bearerToken",
} as const;

export interface ApiRouteConfig extends Omit<RouteConfig, "security" | "middleware"> {
  /** Who may call it: an action of auth/roles.ts, "signed-in" (any caller), or "public" (nobody signed in). */
  readonly access: Action | "signed-in" | "public";
  readonly sessionOnly?: boolean;
  /** Error codes this route may answer besides the guard's (401, 403) and the validation's (400). */
  readonly errors?: readonly ApiErrorCode[];
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: "The request is malformed (VALIDATION_FAILED, MALFORMED_JSON …)",
  401: "No valid credentials (UNAUTHENTICATED, SESSION_EXPIRED …)",
  403: "Not allowed (FORBIDDEN, CSRF_FAILED …)",
  404: "Not found",
  409: "Conflicts with the current state",
  413: "The body is too large",
  415: "The body is not application/json",
  429: "Too many attempts; see Retry-After",
  501: "Not offered by this server",
  503: "Busy; see Retry-After",
};

const errorContent = { "application/json": { schema: ErrorBody } };

/** A route with its guard, security requirement and error responses; register it with app.openapi(). */
export function apiRoute<R extends ApiRouteConfig>(
  config: R,
  secure: boolean,
): Omit<R, "access" | "sessionOnly" | "errors"> & Pick<RouteConfig, "security" | "middleware"> {
  const { access, sessionOnly, errors = [], responses, ...rest } = config;
  const statuses = new Set<number>([400, 500, ...errors.map((c) => API_ERRORS[c])]);
  if (access !== "public") {
    statuses.add(401);
    statuses.add(403);
  }
  const errorResponses = Object.fromEntries(
    [...statuses].map((s) => [s, { description: STATUS_TEXT[s] ?? "Internal error", content: errorContent }]),
  );
  const changes = config.method !== "get";
  // Cookie requests that change state also need the CSRF header; a token needs nothing else.
  const cookie = changes ? { [SECURITY.session]: [], [SECURITY.csrf]: [] } : { [SECURITY.session]: [] };
  const security =
    access === "public" ? [] : sessionOnly === true ? [cookie] : [cookie, { [SECURITY.token]: [] }];
  const action = access === "public" || access === "signed-in" ? null : access;
  const who =
    access === "public"
      ? "No authentication."
      : action === null
        ? "Any signed-in caller."
        : `Needs the ${minimumRole(action)} role (action \`${action}\`).`;
  const route: RouteConfig = {
    ...(rest as Omit<RouteConfig, "responses">),
    method: config.method,
    path: config.path,
    security,
    description: [config.description, who].filter((s) => s !== undefined).join("\n\n"),
    "x-certwatch-action": access,
    responses: { ...errorResponses, ...responses },
    ...(access === "public"
      ? {}
      : { middleware: [guard({ action, sessionOnly: sessionOnly === true }, secure)] }),
  };
  // The error responses are documentation: handlers answer errors by throwing ApiError, so the typed responses
  // (what a handler may return) stay the route's own.
  return createRoute(route) as unknown as Omit<R, "access" | "sessionOnly" | "errors"> &
    Pick<RouteConfig, "security" | "middleware">;
}
