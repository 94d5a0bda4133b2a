/**
 * @module api/errors
 * The REST API's error answers: one JSON body `{ error: { code, message } }` for every failure, with the stable
 * codes and HTTP statuses of the error catalogue (src/errors.ts, docs/errors.md). The mapping from what the layers
 * below throw (CertwatchErrors, HTTP exceptions, validation) to an answer lives here.
 */
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { redactSecrets } from "../auth/tokens.js";
import { CertwatchError, ERROR_CODES, type ErrorCode } from "../errors.js";

/** The catalogue's codes that the API answers with (an HTTP status), and that status. */
type HttpCodes = { [K in ErrorCode]: (typeof ERROR_CODES)[K]["http"] extends null ? never : K }[ErrorCode];

export const API_ERRORS = Object.fromEntries(
  Object.entries(ERROR_CODES)
    .filter(([, info]) => info.http !== null)
    .map(([code, info]) => [code, info.http]),
) as Record<HttpCodes, ContentfulStatusCode>;

export type ApiErrorCode = HttpCodes;
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

/**
 * What an error thrown under a route means to the client. Unknown errors are 500 with a generic message: their
 * text (a driver's, a stack) is for the log only, and the log gets it with token-looking strings redacted.
 */
export function toApiError(e: unknown, log: (message: string) => void): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof CertwatchError && e.info.http !== null) {
    const code = e.code as ApiErrorCode;
    if (code === "BUSY") return new ApiError(code, e.message, { "Retry-After": "1" });
    // A client error says what was wrong; a server error's text (a file path, a driver's words) is for the log.
    if (e.info.http < 500) return new ApiError(code, e.message);
    log(redactSecrets(e.stack ?? e.message));
    return new ApiError(code, e.info.summary);
  }
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

/**
 * A 400 for one field whose value a config parser refused: its words without the ` (got "…")` the CLI shows
 * (an answer never repeats what was sent: it may be a password, or bytes meant for someone's terminal).
 */
export function invalidField(field: string, parserError: string): ApiError {
  return new ApiError("VALIDATION_FAILED", `${field}: ${parserError.replace(/ \(got [\s\S]*\)$/, "")}`);
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
