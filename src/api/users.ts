/**
 * @module api/users
 * User management for admins: list, create, change (role, disabled, password), delete. Answers never hold a
 * password or its hash; the store refuses to leave no enabled admin (409 LAST_ADMIN) and audits every change.
 */
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { hashPassword, PASSWORD_PARAMS } from "../auth/password.js";
import { ROLES } from "../auth/roles.js";
import { parseUserName } from "../auth/user-name.js";
import type { UserChange, UserInfo } from "../store/auth-records.js";
import type { ApiDeps } from "./deps.js";
import { ApiError } from "./errors.js";
import { auditContextOf, type ApiEnv } from "./auth/principal.js";
import { apiRoute } from "./route.js";

const User = z
  .object({
    name: z.string().openapi({ example: "alice" }),
    role: z.enum(ROLES),
    hasPassword: z.boolean(),
    oidc: z.object({ issuer: z.string(), subject: z.string() }).nullable(),
    createdAt: z.string(),
    disabled: z.boolean(),
  })
  .openapi("User");

const password = z
  .string()
  .min(1)
  .max(4096)
  .openapi({ description: "1 to 1,024 bytes of UTF-8 (NFKC-normalized); never returned, never logged." });

const CreateUser = z
  .object({
    name: z.string().min(1).max(64).openapi({ example: "alice" }),
    role: z.enum(ROLES),
    password,
  })
  .openapi("CreateUser");

const ChangeUser = z
  .object({ role: z.enum(ROLES).optional(), disabled: z.boolean().optional(), password: password.optional() })
  .refine((b) => b.role !== undefined || b.disabled !== undefined || b.password !== undefined, {
    message: "change at least one of role, disabled, password",
  })
  .openapi("ChangeUser");

const UserName = z.object({ name: z.string().min(1).max(64) });

function userOf(u: UserInfo): z.infer<typeof User> {
  return {
    name: u.name,
    role: u.role,
    hasPassword: u.hasPassword,
    oidc: u.oidc === null ? null : { issuer: u.oidc.issuer, subject: u.oidc.subject },
    createdAt: u.createdAt,
    disabled: u.disabled,
  };
}

function canonical(name: string): string {
  const r = parseUserName(name);
  if (!r.ok) throw new ApiError("NO_SUCH_USER", "no such user");
  return r.name;
}

export function userRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  const { store, secure } = deps;
  const params = deps.passwordParams ?? PASSWORD_PARAMS;

  async function current(name: string): Promise<z.infer<typeof User>> {
    const u = await store.auth.getUser(name);
    if (u === undefined) throw new ApiError("NO_SUCH_USER", "no such user");
    return userOf(u);
  }

  app.openapi(
    apiRoute(
      {
        method: "get",
        path: "/users",
        tags: ["users"],
        summary: "List users",
        access: "users.manage",
        responses: {
          200: {
            description: "Users by name",
            content: { "application/json": { schema: z.object({ items: z.array(User) }) } },
          },
        },
      },
      secure,
    ),
    async (c) => c.json({ items: (await store.auth.listUsers()).map(userOf) }, 200),
  );

  app.openapi(
    apiRoute(
      {
        method: "post",
        path: "/users",
        tags: ["users"],
        summary: "Create a local user",
        access: "users.manage",
        errors: ["USER_EXISTS", "PASSWORD_POLICY", "UNSUPPORTED_MEDIA_TYPE"],
        request: { body: { required: true, content: { "application/json": { schema: CreateUser } } } },
        responses: { 201: { description: "Created", content: { "application/json": { schema: User } } } },
      },
      secure,
    ),
    async (c) => {
      const body = c.req.valid("json");
      const parsed = parseUserName(body.name);
      if (!parsed.ok) throw new ApiError("VALIDATION_FAILED", `name: ${parsed.error}`);
      const passwordHash = await hashPassword(body.password, params);
      await store.auth.createUser(
        { name: parsed.name, role: body.role, passwordHash },
        auditContextOf(c, deps.now()),
      );
      return c.json(await current(parsed.name), 201);
    },
  );

  app.openapi(
    apiRoute(
      {
        method: "patch",
        path: "/users/{name}",
        tags: ["users"],
        summary: "Change a user's role, password or disabled flag",
        description:
          "A new password or disabling ends the user's sessions. Refused (409 LAST_ADMIN) when no enabled admin " +
          "would remain.",
        access: "users.manage",
        errors: ["NO_SUCH_USER", "LAST_ADMIN", "PASSWORD_POLICY", "UNSUPPORTED_MEDIA_TYPE"],
        request: {
          params: UserName,
          body: { required: true, content: { "application/json": { schema: ChangeUser } } },
        },
        responses: { 200: { description: "Changed", content: { "application/json": { schema: User } } } },
      },
      secure,
    ),
    async (c) => {
      const name = canonical(c.req.valid("param").name);
      const body = c.req.valid("json");
      const change: { -readonly [K in keyof UserChange]: UserChange[K] } = {};
      if (body.role !== undefined) change.role = body.role;
      if (body.disabled !== undefined) change.disabled = body.disabled;
      if (body.password !== undefined) change.passwordHash = await hashPassword(body.password, params);
      const found = await store.auth.updateUser(name, change, auditContextOf(c, deps.now()));
      if (!found) throw new ApiError("NO_SUCH_USER", "no such user");
      return c.json(await current(name), 200);
    },
  );

  app.openapi(
    apiRoute(
      {
        method: "delete",
        path: "/users/{name}",
        tags: ["users"],
        summary: "Delete a user, with their API tokens and sessions",
        description: "The audit log keeps their name. Refused (409 LAST_ADMIN) for the last enabled admin.",
        access: "users.manage",
        errors: ["NO_SUCH_USER", "LAST_ADMIN"],
        request: { params: UserName },
        responses: { 204: { description: "Deleted" } },
      },
      secure,
    ),
    async (c) => {
      const name = canonical(c.req.valid("param").name);
      if (!(await store.auth.deleteUser(name, auditContextOf(c, deps.now())))) {
        throw new ApiError("NO_SUCH_USER", "no such user");
      }
      return c.body(null, 204);
    },
  );
}
