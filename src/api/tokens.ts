/**
 * @module api/tokens
 * API tokens over HTTP: `POST /tokens` (the token is in that answer and nowhere else, ever), `GET /tokens` (never
 * a secret nor its hash), `DELETE /tokens/{id}`. Everyone manages their own; an admin (users.manage) anyone's.
 * Creating one needs a browser session: a leaked token must not be able to mint successors that outlive it.
 */
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { can } from "../auth/roles.js";
import { generateApiToken } from "../auth/tokens.js";
import { parseUserName } from "../auth/user-name.js";
import { AuthStoreError, type ApiTokenInfo } from "../store/auth-records.js";
import type { ApiDeps } from "./deps.js";
import { ApiError } from "./errors.js";
import { auditContextOf, principalOf, type ApiEnv } from "./auth/principal.js";
import { apiRoute } from "./route.js";

const TokenInfo = z
  .object({
    id: z.string().openapi({ description: "The public part of the token (`cw_<id>_…`)." }),
    userName: z.string(),
    name: z.string(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .openapi("ApiToken");

const CreatedToken = TokenInfo.extend({
  token: z.string().openapi({
    description: "The token itself: shown in this answer only. certwatch keeps only a hash of its secret.",
  }),
}).openapi("CreatedApiToken");

/** What a token is called: printable, no control characters (it is shown in tables and the audit log). */
const tokenName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+$/u, "must be printable text")
  .openapi({ example: "grafana" });

const CreateToken = z
  .object({
    name: tokenName,
    expiresInDays: z.number().int().min(1).max(3650).optional().openapi({
      description: "Omitted: the token lives until revoked.",
    }),
    user: z.string().min(1).max(64).optional().openapi({
      description: "Create it for another user (admins only). Default: the caller.",
    }),
  })
  .openapi("CreateApiToken");

const ListQuery = z.object({
  user: z.string().min(1).max(64).optional().openapi({ description: "Another user's tokens (admins only)." }),
  all: z
    .enum(["true", "false"])
    .optional()
    .openapi({ description: "`true`: every user's tokens (admins only)." }),
});

const TokenId = z.object({ id: z.string().regex(/^[a-z2-7]{10}$/, "must be a token id") });

export function info(t: ApiTokenInfo): z.infer<typeof TokenInfo> {
  return {
    id: t.id,
    userName: t.userName,
    name: t.name,
    createdAt: t.createdAt,
    lastUsedAt: t.lastUsedAt,
    expiresAt: t.expiresAt,
    revokedAt: t.revokedAt,
  };
}

/** A user name from a request, canonical; 404 NO_SUCH_USER (not 400) when it cannot be one, as for a name that does not exist. */
function canonicalUser(input: string): string {
  const r = parseUserName(input);
  if (!r.ok) throw new ApiError("NO_SUCH_USER", "no such user");
  return r.name;
}

export function tokenRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  const { store, secure } = deps;

  app.openapi(
    apiRoute(
      {
        method: "get",
        path: "/tokens",
        tags: ["tokens"],
        summary: "List API tokens",
        description:
          "The caller's own tokens; with `user` or `all=true`, others' (admins only). Never a secret.",
        access: "tokens.own",
        request: { query: ListQuery },
        responses: {
          200: {
            description: "Tokens, newest first",
            content: { "application/json": { schema: z.object({ items: z.array(TokenInfo) }) } },
          },
        },
      },
      secure,
    ),
    async (c) => {
      const p = principalOf(c);
      const q = c.req.valid("query");
      const other = q.all === "true" || (q.user !== undefined && canonicalUser(q.user) !== p.user);
      if (other && !can(p.role, "users.manage")) {
        throw new ApiError("FORBIDDEN", "listing other users' tokens needs the admin role");
      }
      const who = q.all === "true" ? undefined : q.user !== undefined ? canonicalUser(q.user) : p.user;
      const tokens = await store.auth.listApiTokens(who);
      return c.json({ items: tokens.map(info) }, 200);
    },
  );

  app.openapi(
    apiRoute(
      {
        method: "post",
        path: "/tokens",
        tags: ["tokens"],
        summary: "Create an API token",
        description:
          "The answer holds the token (`cw_<id>_<secret>`), shown this once. Needs a signed-in session: an API " +
          "token cannot create tokens. A token acts with its user's current role.",
        access: "tokens.own",
        sessionOnly: true,
        errors: ["NO_SUCH_USER", "UNSUPPORTED_MEDIA_TYPE"],
        request: { body: { required: true, content: { "application/json": { schema: CreateToken } } } },
        responses: {
          201: { description: "Created", content: { "application/json": { schema: CreatedToken } } },
        },
      },
      secure,
    ),
    async (c) => {
      const p = principalOf(c);
      const body = c.req.valid("json");
      const owner = body.user === undefined ? p.user : canonicalUser(body.user);
      if (owner !== p.user && !can(p.role, "users.manage")) {
        throw new ApiError("FORBIDDEN", "creating a token for another user needs the admin role");
      }
      const now = deps.now();
      const expiresAt =
        body.expiresInDays === undefined ? null : new Date(now.getTime() + body.expiresInDays * 86_400_000);
      for (let attempt = 0; ; attempt++) {
        const t = generateApiToken();
        try {
          await store.auth.createApiToken(
            {
              id: t.id,
              userName: owner,
              name: body.name,
              secretHash: t.secretHash,
              createdAt: now,
              expiresAt,
            },
            auditContextOf(c, now),
          );
        } catch (e) {
          // 50 random bits of id: a collision is rare, and another draw settles it.
          if (e instanceof AuthStoreError && e.code === "TOKEN_EXISTS" && attempt < 3) continue;
          throw e;
        }
        const stored = await store.auth.getApiToken(t.id);
        if (stored === undefined) throw new Error("the token just created is not in the store");
        return c.json({ ...info(stored), token: t.token }, 201);
      }
    },
  );

  app.openapi(
    apiRoute(
      {
        method: "delete",
        path: "/tokens/{id}",
        tags: ["tokens"],
        summary: "Revoke an API token",
        description:
          "One's own token, or anyone's for an admin. Revocation is immediate and cannot be undone.",
        access: "tokens.own",
        errors: ["NOT_FOUND"],
        request: { params: TokenId },
        responses: { 204: { description: "Revoked" } },
      },
      secure,
    ),
    async (c) => {
      const p = principalOf(c);
      const { id } = c.req.valid("param");
      const token = await store.auth.getApiToken(id);
      // Someone else's token is "not found" to a non-admin: ids do not leak whose they are.
      if (token === undefined || (token.userName !== p.user && !can(p.role, "users.manage"))) {
        throw new ApiError("NOT_FOUND", "no such token");
      }
      if (token.revokedAt !== null) throw new ApiError("NOT_FOUND", "the token is already revoked");
      await store.auth.revokeApiToken(id, auditContextOf(c, deps.now()));
      return c.body(null, 204);
    },
  );
}
