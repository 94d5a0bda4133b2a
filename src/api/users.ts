/**
 * @module api/users
 * User management for admins: list, create, change (role, disabled, password), delete. Answers never hold a
 * password or its hash; the store refuses to leave no enabled admin (409 LAST_ADMIN) and audits every change.
 * With single sign-on configured, a user may be created without a password, or have its password removed: it then
 * awaits its first single sign-on (`ssoPending`), where the provider account of its name is linked to it.
 */
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { hashPassword, PASSWORD_PARAMS } from "../auth/password.js";
import { ROLES } from "../auth/roles.js";
import { parseUserName } from "../auth/user-name.js";
import { isInvited, type UserChange, type UserInfo } from "../store/auth-records.js";
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
    ssoPending: z.boolean().openapi({
      description:
        "True for an invited user: no password and no linked identity yet. The first single sign-on of a " +
        "provider account of this name links to it (its role then comes from the provider's claims).",
    }),
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
    password: password.optional().openapi({
      description:
        "Required unless single sign-on is configured: without one the user is invited (ssoPending) and signs in " +
        "only through the identity provider, as the account whose name claim is this name.",
    }),
  })
  .openapi("CreateUser");

const ChangeUser = z
  .object({
    role: z.enum(ROLES).optional(),
    disabled: z.boolean().optional(),
    password: password
      .nullable()
      .optional()
      .openapi({
        description:
          "A new password, or null to remove it (only with single sign-on configured): the user then signs in " +
          "through its linked identity, or is invited (ssoPending) when it has none.",
      }),
  })
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
    ssoPending: isInvited(u),
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
  const sso = deps.oidc !== undefined;

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
        summary: "Create a user: with a password, or invited to sign in by single sign-on",
        description:
          "Without a password (only when single sign-on is configured) the user awaits its first single sign-on: " +
          "the provider account whose name claim is this name is linked to it, even with autoProvision off.",
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
      if (body.password === undefined && !sso) {
        // Nobody could ever sign in as it: no password, and no single sign-on to link an identity.
        throw new ApiError(
          "VALIDATION_FAILED",
          "password: required (a user without one signs in by single sign-on, which is not configured)",
        );
      }
      const passwordHash = body.password === undefined ? null : await hashPassword(body.password, params);
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
          "A new or removed password or disabling ends the user's sessions. Refused (409 LAST_ADMIN) when no " +
          "enabled admin would remain, or when removing a password would leave no enabled admin with a password " +
          "or a linked identity.",
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
      if (body.password === null && !sso) {
        throw new ApiError(
          "VALIDATION_FAILED",
          "password: can only be removed when single sign-on is configured (the user could not sign in any more)",
        );
      }
      if (body.password === null) change.passwordHash = null;
      else if (body.password !== undefined) change.passwordHash = await hashPassword(body.password, params);
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
