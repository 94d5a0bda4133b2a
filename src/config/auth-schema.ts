/**
 * @module config/auth-schema
 * The `auth:` block of certwatch.yaml: how long a browser session of the dashboard and REST API lasts. Users and
 * API tokens live in the store (`certwatch user add`), never in the configuration.
 */
import type { z } from "zod";
import type { SessionPolicy } from "../auth/session.js";
import { SESSION_POLICY } from "../auth/session.js";
import { int, strict } from "./schema-kit.js";

export const authSchema = strict({
  /** Signed out after this long without a request (OWASP: minutes, not hours). */
  sessionIdleMinutes: int(1, 1440, SESSION_POLICY.idleMs / 60_000),
  /** And this long after signing in, however active. */
  sessionMaxHours: int(1, 720, SESSION_POLICY.absoluteMs / 3_600_000),
}).prefault({});

/** The session policy the API enforces for this configuration. */
export function sessionPolicyOf(auth: z.output<typeof authSchema>): SessionPolicy {
  return {
    ...SESSION_POLICY,
    idleMs: auth.sessionIdleMinutes * 60_000,
    absoluteMs: auth.sessionMaxHours * 3_600_000,
  };
}
