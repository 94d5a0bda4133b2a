/**
 * @module api/errors
 * The REST API's error answers: one JSON body `{ error: { code, message } }` for every failure, with stable codes
 * (scripts and the dashboard branch on `code`, never on `message`). The mapping from what the layers below throw
 * (auth store refusals, password errors, HTTP exceptions, validation) to a status and a code lives here.
 */
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { PasswordBusyError, PasswordPolicyError } from "../auth/password.js";
import { redactSecrets } from "../auth/tokens.js";
import { AuthStoreError } from "../store/auth-records.js";

/** Every code the API answers with, and its HTTP status. Codes are a contract: add, never rename. */
export const API_ERRORS = {
  /** The request is malformed: a field is missing, out of range or of the wrong type. */
  VALIDATION_FAILED: 400,
  /** The body is not valid JSON. */
  MALFORMED_JSON: 400,
  /** A password that cannot be used (empty, or longer than 1,024 bytes). */
  PASSWORD_POLICY: 400,
  /** The cursor of a paged list is not one the API handed out. */
  INVALID_CURSOR: 400,
  /** No credentials, or credentials that are not valid (unknown, revoked or expired token, no session). */
  UNAUTHENTICATED: 401,
  /** The session cookie named a session that ended (idle or absolute limit, logout, password change). */
  SESSION_EXPIRED: 401,
  /** Login: the user name or the password is wrong (or the account cannot sign in); never says which. */
  INVALID_CREDENTIALS: 401,
  /** Authenticated, but the role does not allow the action. */
  FORBIDDEN: 403,
  /** A state-changing request made with the session cookie lacks the X-CSRF-Token header, or it is wrong. */
  CSRF_FAILED: 403,
  /** The action needs a browser session (signing in), not an API token: a token cannot mint tokens. */
  SESSION_REQUIRED: 403,
  /** No such resource, or no such endpoint (or method) in the API. */
  NOT_FOUND: 404,
  /** A user of that name (or OIDC identity) exists. */
  USER_EXISTS: 409,
  /** The change would leave no enabled admin. */
  LAST_ADMIN: 409,
  /** The alert is not in a state the triage action applies to (resolving a resolved alert …). */
  ALERT_STATE: 409,
  /** The body is larger than the API accepts. */
  PAYLOAD_TOO_LARGE: 413,
  /** The body is not application/json. */
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** Too many failed logins for this user name or from this address: retry after the Retry-After header. */
  RATE_LIMITED: 429,
  INTERNAL: 500,
  /** This server does not offer the action (the daemon did not supply it). */
  NOT_IMPLEMENTED: 501,
  /** Too many password verifications at once: retry shortly. */
  BUSY: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ApiErrorCode = keyof typeof API_ERRORS;
export const API_ERROR_CODES = Object.keys(API_ERRORS) as ApiErrorCode[];

/** A failure the handler chose: thrown anywhere under a route, answered by the app's error handler. */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    /** Extra response headers (Retry-After, Set-Cookie clearing a dead session). */
    readonly headers: Readonly<Record<string, string | readonly string[]>> = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.status = API_ERRORS[code];
  }
}

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.enum(API_ERROR_CODES as [ApiErrorCode, ...ApiErrorCode[]]).openapi({ example: "FORBIDDEN" }),
      message: z.string().openapi({ example: "this needs the operator role (you are a viewer)" }),
    }),
  })
  .openapi("Error");

export function errorBody(code: ApiErrorCode, message: string): z.infer<typeof ErrorBody> {
  return { error: { code, message } };
}

/** The answer to an ApiError (or anything mapped to one). */
export function errorResponse(c: Context, e: ApiError): Response {
  for (const [name, value] of Object.entries(e.headers)) {
    if (typeof value === "string") c.header(name, value);
    else for (const v of value) c.header(name, v, { append: true });
  }
  return c.json(errorBody(e.code, e.message), e.status);
}

const STORE_CODES: Readonly<Record<AuthStoreError["code"], ApiErrorCode>> = {
  USER_EXISTS: "USER_EXISTS",
  NO_SUCH_USER: "NOT_FOUND",
  LAST_ADMIN: "LAST_ADMIN",
  TOKEN_EXISTS: "INTERNAL",
  AUDIT_DETAILS_REFUSED: "INTERNAL",
};

/**
 * What an error thrown under a route means to the client. Unknown errors are 500 with a generic message: their
 * text (a driver's, a stack) is for the log only, and the log gets it with token-looking strings redacted.
 */
export function toApiError(e: unknown, log: (message: string) => void): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof AuthStoreError) {
    const code = STORE_CODES[e.code];
    if (code !== "INTERNAL") return new ApiError(code, e.message);
  }
  if (e instanceof PasswordBusyError) return new ApiError("BUSY", e.message, { "Retry-After": "1" });
  if (e instanceof PasswordPolicyError) return new ApiError("PASSWORD_POLICY", e.message);
  if (e instanceof HTTPException) {
    if (e.status === 415) return new ApiError("UNSUPPORTED_MEDIA_TYPE", "the body must be application/json");
    if (e.status === 413) return new ApiError("PAYLOAD_TOO_LARGE", "the body is too large");
    if (e.status === 400 && /json/i.test(e.message))
      return new ApiError("MALFORMED_JSON", "the body is not valid JSON");
    if (e.status === 400) return new ApiError("VALIDATION_FAILED", "the request is malformed");
  }
  log(redactSecrets(e instanceof Error ? (e.stack ?? e.message) : String(e)));
  return new ApiError("INTERNAL", "internal error (the server log has the details)");
}

/** The message of a failed validation: field paths and zod's words, never the values sent (a password may be one). */
export function validationMessage(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
): string {
  const parts = issues.slice(0, 5).map((i) => {
    const path = i.path.map(String).join(".");
    return path === "" ? i.message : `${path}: ${i.message}`;
  });
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : "";
  return `${parts.join("; ")}${more}`.slice(0, 1000);
}
