/**
 * @module api/domains
 * `GET /domains`: the watched domains (config `domains`), the ones CT names, lookalikes and takeover checks are
 * about. The dashboard groups its takeover and lookalike findings under them, and lists a watched domain with no
 * finding too (so that "nothing found" is an answer, not a gap).
 */
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import type { ApiEnv } from "./auth/principal.js";
import type { ApiDeps } from "./deps.js";
import { ApiError } from "./errors.js";
import { apiRoute } from "./route.js";

const WatchedDomain = z
  .object({
    domain: z.string().openapi({ example: "contoso.com", description: "Lower case, as configured." }),
  })
  .openapi("WatchedDomain");

export function domainRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  app.openapi(
    apiRoute(
      {
        method: "get",
        path: "/domains",
        tags: ["domains"],
        summary: "The watched domains",
        description:
          "The domains in the configuration's `domains` list, in its order. Their findings are the alerts of " +
          "events 18 (domain-takeover: a name at or under the domain) and 12 (similar-domain: " +
          "`details.watchedDomain`).",
        access: "alerts.read",
        errors: ["NOT_IMPLEMENTED"],
        responses: {
          200: {
            description: "Every watched domain",
            content: { "application/json": { schema: z.object({ items: z.array(WatchedDomain) }) } },
          },
        },
      },
      deps.secure,
    ),
    (c) => {
      if (deps.watchedDomains === undefined) {
        throw new ApiError("NOT_IMPLEMENTED", "the watched domains are not known to this server");
      }
      return c.json({ items: deps.watchedDomains().map((domain) => ({ domain })) }, 200);
    },
  );
}
