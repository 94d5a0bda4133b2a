/**
 * @module api/deps
 * What the REST API needs from the process that serves it (the daemon, or a test): the store, a clock, a logger,
 * how it is served, and the actions only a running daemon can perform. The API itself opens nothing.
 */
import type { OidcSignIn } from "../auth/oidc/setup.js";
import type { ScryptParams } from "../auth/password.js";
import type { SessionPolicy } from "../auth/session.js";
import type { Store } from "../store/store.js";

/** Log lines of the API (the daemon writes them as JSON). Fields are data, never secrets. */
export interface ApiLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** What a "scan now" request started (the daemon runs it in the background). */
export interface ScanNowResult {
  /** False when the target is not one the daemon scans (answered 404). */
  readonly accepted: boolean;
  readonly message: string;
}

/** The outcome of one test notification to one delivery target. */
export interface DeliveryTestResult {
  /** False when no target has that name (answered 404). */
  readonly found: boolean;
  readonly delivered: boolean;
  /** The receiver's error when not delivered (already free of secrets). */
  readonly error: string | null;
}

/** A scheduled scan target (the daemon's scheduler's view). */
export interface ScanTargetInfo {
  readonly host: string;
  readonly port: number;
  /** `config` (certwatch.yaml, read-only through the API) or `managed` (the store). */
  readonly origin: "config" | "managed";
  readonly intervalMinutes: number;
  /** RFC 3339; null when never scanned by the daemon. */
  readonly lastRunAt: string | null;
  readonly nextRunAt: string | null;
  readonly running: boolean;
}

export interface ApiDeps {
  readonly store: Store;
  /** The clock: session expiry, token expiry, snoozes, audit times. Tests move it. */
  readonly now: () => Date;
  readonly log: ApiLogger;
  /**
   * Served over TLS (directly, or behind a TLS-terminating proxy that the operator configured as publicUrl
   * https://…): cookies are then `Secure` and take the `__Host-` prefix.
   */
  readonly secure: boolean;
  /** The address people use to reach the dashboard (config `publicUrl`), for the OpenAPI document's servers. */
  readonly publicUrl?: string;
  /** Session lifetimes (config `auth:`); the auth core's defaults otherwise. */
  readonly session?: SessionPolicy;
  /** Start a scan of one configured target (`host:port`); absent: the API answers 501. */
  readonly scanNow?: (target: string) => Promise<ScanNowResult>;
  /** The scheduled scan targets, for `GET /endpoints`; absent: the API answers 501. */
  readonly scanTargets?: () => readonly ScanTargetInfo[];
  /**
   * Read the managed endpoints again and schedule what changed, after the API changed them. Absent (no scan
   * schedule), creating, changing and deleting managed endpoints answers 501, as the schedule itself does.
   */
  readonly refreshTargets?: () => Promise<void>;
  /** How many managed endpoints there may be when the API adds one (config `schedule.maxManagedEndpoints`). */
  readonly maxManagedEndpoints?: () => number;
  /** The watched domains (config `domains`), for `GET /domains`; absent: the API answers 501. */
  readonly watchedDomains?: () => readonly string[];
  /** Send the sample notification to one delivery target; absent: the API answers 501. */
  readonly testDelivery?: (target: string) => Promise<DeliveryTestResult>;
  /** Single sign-on (config `auth.oidc`); absent: its routes answer 501 and GET /session/methods says `oidc: null`. */
  readonly oidc?: OidcSignIn;
  /**
   * For tests only (cheap scrypt keeps them fast): the parameters of new hashes and of the dummy verification.
   * The daemon never passes it: production hashes always use the auth core's PASSWORD_PARAMS.
   */
  readonly passwordParams?: ScryptParams;
}
