/**
 * @module api/certificates
 * `GET /certificates`: the certificate inventory — every certificate served by a scanned endpoint or logged in CT
 * for a watched name, one per CT identity — searched, filtered by domain and expiry window, by expiry (soonest
 * first) with cursor paging. Read-only.
 */
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { parseHostname } from "../config/schema.js";
import type { CertificateQuery } from "../store/inventory-store.js";
import { CertificateSummary } from "./alert-schemas.js";
import type { ApiEnv } from "./auth/principal.js";
import { decodeCertificateCursor, encodeCertificateCursor } from "./cursor.js";
import type { ApiDeps } from "./deps.js";
import { invalidField } from "./errors.js";
import { apiRoute } from "./route.js";

const Certificate = z
  .object({
    ...CertificateSummary.shape,
    firstSeen: z.string().openapi({ description: "When certwatch first stored it." }),
    precertificate: z
      .boolean()
      .openapi({ description: "A CT precertificate whose certificate is not stored." }),
    logged: z.boolean().openapi({ description: "Seen in a CT log (itself or its precertificate)." }),
  })
  .openapi("InventoryCertificate");

const datetime = z.iso.datetime({ offset: true });

const Query = z.object({
  search: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .openapi({ description: "A substring of the subject, issuer or a DNS name, or a SHA-256 prefix." }),
  domain: z.string().min(1).max(253).optional().openapi({
    description: "A DNS name of the certificate is this name or under it.",
    example: "contoso.com",
  }),
  expiringBefore: datetime
    .optional()
    .openapi({ description: "notAfter before this time.", example: "2027-01-01T00:00:00Z" }),
  expiringAfter: datetime
    .optional()
    .openapi({ description: "notAfter at or after this time (now: leave out the expired)." }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(300).optional().openapi({ description: "The previous page's nextCursor (opaque)." }),
});

/** An RFC 3339 time as the store compares it (UTC, seconds: how certificate times are stored). */
const utc = (s: string): string => new Date(s).toISOString().replace(/\.\d{3}Z$/, "Z");

export function certificateRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  app.openapi(
    apiRoute(
      {
        method: "get",
        path: "/certificates",
        tags: ["inventory"],
        summary: "The certificate inventory",
        description: "Soonest expiry first; pass the answer's nextCursor back as `cursor` for the next page.",
        access: "alerts.read",
        errors: ["INVALID_CURSOR"],
        request: { query: Query },
        responses: {
          200: {
            description: "A page of certificates",
            content: {
              "application/json": {
                schema: z
                  .object({ items: z.array(Certificate), nextCursor: z.string().nullable() })
                  .openapi("CertificatePage"),
              },
            },
          },
        },
      },
      deps.secure,
    ),
    async (c) => {
      const q = c.req.valid("query");
      let domain: string | undefined;
      if (q.domain !== undefined) {
        const parsed = parseHostname(q.domain);
        if ("error" in parsed) throw invalidField("domain", parsed.error);
        domain = parsed.value;
      }
      const after = q.cursor === undefined ? undefined : decodeCertificateCursor(q.cursor);
      const query: CertificateQuery = {
        limit: q.limit + 1,
        ...(q.search !== undefined && { search: q.search }),
        ...(domain !== undefined && { domain }),
        ...(q.expiringBefore !== undefined && { expiringBefore: utc(q.expiringBefore) }),
        ...(q.expiringAfter !== undefined && { expiringAfter: utc(q.expiringAfter) }),
        ...(after !== undefined && { after }),
      };
      const rows = await deps.store.inventory.listCertificatePage(query);
      const items = rows.slice(0, q.limit);
      const last = items.at(-1)?.certificate;
      const nextCursor =
        rows.length > q.limit && last !== undefined
          ? encodeCertificateCursor({ notAfter: last.notAfter, sha256: last.sha256 })
          : null;
      return c.json(
        {
          items: items.map((e) => ({
            ...e.certificate,
            dnsNames: [...e.certificate.dnsNames],
            ipAddresses: [...e.certificate.ipAddresses],
            firstSeen: e.firstSeen,
            precertificate: e.precertificate,
            logged: e.logged,
          })),
          nextCursor,
        },
        200,
      );
    },
  );
}
