/**
 * @module api/openapi
 * `GET /openapi.json`: the OpenAPI 3.1 document, generated from the same zod schemas that validate the requests,
 * with the security schemes (session cookie + CSRF header, or a bearer API token). Public: it holds no secret.
 */
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { cookieName, SESSION_COOKIE } from "../auth/cookies.js";
import type { ApiEnv } from "./auth/principal.js";
import { CSRF_HEADER } from "./auth/guard.js";
import type { ApiDeps } from "./deps.js";
import { apiRoute, SECURITY } from "./route.js";

/** The version of the API's contract (not of certwatch): bumped on an incompatible change, with /api/v2. */
export const API_VERSION = "1.0.0";

/** Where the API lives under the server's root (the daemon mounts apiApp here). */
export const API_BASE_PATH = "/api/v1";

export function registerSecuritySchemes(app: OpenAPIHono<ApiEnv>, secure: boolean): void {
  app.openAPIRegistry.registerComponent("securitySchemes", SECURITY.session, {
    type: "apiKey",
    in: "cookie",
    name: cookieName(SESSION_COOKIE, secure),
    description: "The session cookie set by POST /session (HttpOnly, SameSite=Strict).",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", SECURITY.csrf, {
    type: "apiKey",
    in: "header",
    name: CSRF_HEADER,
    description:
      "With the session cookie, every request that changes state echoes the session's CSRF token here.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", SECURITY.token, {
    type: "http",
    scheme: "bearer",
    description: "An API token (`cw_<id>_<secret>`), created with POST /tokens or `certwatch token create`.",
  });
}

/** The document, for the route below and for tests. */
export function openApiDocument(
  app: OpenAPIHono<ApiEnv>,
  deps: ApiDeps,
): ReturnType<OpenAPIHono["getOpenAPI31Document"]> {
  const base =
    deps.publicUrl === undefined ? API_BASE_PATH : `${deps.publicUrl.replace(/\/+$/, "")}${API_BASE_PATH}`;
  return app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "certwatch REST API",
      version: API_VERSION,
      description:
        "Alerts, triage, inventory and administration of a certwatch daemon. Errors are " +
        '`{ "error": { "code", "message" } }` with stable codes; see docs/api.md.',
    },
    servers: [{ url: base }],
  });
}

export function openApiRoute(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  // Built once, on first request: every route is registered by then, and the document never changes.
  let doc: ReturnType<typeof openApiDocument> | undefined;
  app.openapi(
    apiRoute(
      {
        method: "get",
        path: "/openapi.json",
        tags: ["meta"],
        summary: "This document",
        access: "public",
        responses: {
          200: {
            description: "The OpenAPI 3.1 document",
            content: { "application/json": { schema: z.record(z.string(), z.unknown()) } },
          },
        },
      },
      deps.secure,
    ),
    (c) => c.json((doc ??= openApiDocument(app, deps)) as unknown as Record<string, unknown>, 200),
  );
}
