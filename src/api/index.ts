/**
 * @module api
 * The REST API (`/api/v1`): `apiApp(deps)` builds it as an OpenAPIHono app that the HTTP server mounts under
 * API_BASE_PATH. Every answer is JSON (errors `{ error: { code, message } }`), never cached, and every route
 * declares who may call it (route.ts); the OpenAPI document is generated from the same schemas.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { LoginThrottle } from "../auth/rate-limit.js";
import { alertRoutes } from "./alerts.js";
import { alertsCsvRoute } from "./alerts-csv.js";
import { auditRoutes } from "./audit.js";
import { certificateRoutes } from "./certificates.js";
import { endpointRoutes } from "./endpoints.js";
import { domainRoutes } from "./domains.js";
import { eventRoutes } from "./events.js";
import { statusRoutes } from "./status.js";
import { summaryRoutes } from "./summary.js";
import { authenticate } from "./auth/authenticate.js";
import type { ApiEnv } from "./auth/principal.js";
import { oidcRoutes } from "./auth/oidc-routes.js";
import { sessionRoutes } from "./auth/session-routes.js";
import type { ApiDeps } from "./deps.js";
import { ApiError, errorResponse, toApiError, validationMessage } from "./errors.js";
import { openApiRoute, registerSecuritySchemes } from "./openapi.js";
import { tokenRoutes } from "./tokens.js";
import { userRoutes } from "./users.js";

export type { ApiDeps, ApiLogger, DeliveryTestResult, ScanNowResult, ScanTargetInfo } from "./deps.js";
export { API_BASE_PATH } from "./openapi.js";

/** The largest request body accepted: every body of this API is a small JSON object. */
export const MAX_BODY_BYTES = 64 * 1024;

export function apiApp(deps: ApiDeps): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>({
    defaultHook: (result) => {
      if (!result.success) throw new ApiError("VALIDATION_FAILED", validationMessage(result.error.issues));
    },
  });
  app.onError((e, c) => {
    const error = toApiError(e, (m) => deps.log.error("API request failed", { error: m, path: c.req.path }));
    return errorResponse(c, error);
  });

  app.use("*", async (c, next) => {
    await next();
    // Answers may hold a just-created token or a CSRF token, and always hold private data: never cached.
    c.header("Cache-Control", "no-store");
    c.header("X-Content-Type-Options", "nosniff");
  });
  app.use(
    "*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError("PAYLOAD_TOO_LARGE", `the body is larger than ${MAX_BODY_BYTES} bytes`);
      },
    }),
  );
  app.use("*", authenticate(deps));
  registerSecuritySchemes(app, deps.secure);

  // One budget of failed sign-ins per client address, password and single sign-on alike.
  const throttle = new LoginThrottle({ now: () => deps.now().getTime() });
  sessionRoutes(app, deps, throttle);
  oidcRoutes(app, deps, throttle);
  tokenRoutes(app, deps);
  userRoutes(app, deps);
  auditRoutes(app, deps);
  // The CSV export before /alerts/{id}: a fixed path is matched first.
  alertsCsvRoute(app, deps);
  alertRoutes(app, deps);
  eventRoutes(app, deps);
  statusRoutes(app, deps);
  endpointRoutes(app, deps);
  certificateRoutes(app, deps);
  summaryRoutes(app, deps);
  domainRoutes(app, deps);
  openApiRoute(app, deps);

  // Last: anything no route answered (an unknown path, or a method the path does not take).
  app.all("*", () => {
    throw new ApiError("NOT_FOUND", "no such API endpoint");
  });
  return app;
}

/** The name issue 12's layout gives the mount point: the same app. */
export const apiRoutes = apiApp;
