/**
 * @module auth/session
 * Browser sessions: a random id (the cookie) stored only as its SHA-256, idle and absolute expiry from an
 * injected `now`, and a CSRF token bound to the session (random, stored hashed beside it).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

const ID_BYTES = 32;
/** 32 bytes in base64url without padding. */
const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** OWASP Session Management: an idle timeout of minutes, an absolute one of hours. */
export interface SessionPolicy {
  /** The session ends this long after its last request. */
  readonly idleMs: number;
  /** And this long after login, however active. */
  readonly absoluteMs: number;
  /** last_seen_at is written at most this often (a write per request would be wasted work). */
  readonly touchEveryMs: number;
}

export const SESSION_POLICY: SessionPolicy = {
  idleMs: 30 * 60_000,
  absoluteMs: 12 * 60 * 60_000,
  touchEveryMs: 60_000,
};

export interface NewSession {
  /** The cookie value: given to the browser, never stored. */
  readonly id: string;
  /** What the store keeps and looks up. */
  readonly idHash: string;
  /** Sent with every state-changing request (header), never stored. */
  readonly csrfToken: string;
  readonly csrfHash: string;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  /** The absolute end. */
  readonly expiresAt: Date;
}

export interface SessionTimes {
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  readonly expiresAt: Date;
}

export type SessionState = "active" | "idle-expired" | "expired";

/** SHA-256 hex of a random value: fast is right for 256 random bits (see auth/tokens.ts). */
function sha256(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex");
}

/** A new session at login (always a new id: a session id from before login is never promoted). */
export function newSession(
  now: Date,
  policy: SessionPolicy = SESSION_POLICY,
  random: (size: number) => Buffer = randomBytes,
): NewSession {
  const id = random(ID_BYTES).toString("base64url");
  const csrfToken = random(ID_BYTES).toString("base64url");
  return {
    id,
    idHash: sha256(id),
    csrfToken,
    csrfHash: sha256(csrfToken),
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + policy.absoluteMs),
  };
}

/**
 * The store key of a presented cookie value, or undefined when it cannot be a session id. Looking up the hash
 * (not the id) means neither a leaked database nor the lookup's timing gives away a usable id.
 */
export function hashSessionId(presented: string): string | undefined {
  return ID_PATTERN.test(presented) ? sha256(presented) : undefined;
}

/** When the session stops being valid: the earlier of its idle and absolute ends. */
export function sessionDeadline(s: SessionTimes, policy: SessionPolicy = SESSION_POLICY): Date {
  return new Date(Math.min(s.lastSeenAt.getTime() + policy.idleMs, s.expiresAt.getTime()));
}

/**
 * Valid strictly before its deadline: expired at the exact instant. Written as "not before" so that an
 * unreadable time (an invalid Date, NaN) fails closed.
 */
export function sessionState(
  s: SessionTimes,
  now: Date,
  policy: SessionPolicy = SESSION_POLICY,
): SessionState {
  const t = now.getTime();
  if (!(t < s.expiresAt.getTime())) return "expired";
  if (!(t < s.lastSeenAt.getTime() + policy.idleMs)) return "idle-expired";
  return "active";
}

/** Whether this request should write last_seen_at. */
export function shouldTouch(lastSeenAt: Date, now: Date, policy: SessionPolicy = SESSION_POLICY): boolean {
  return now.getTime() - lastSeenAt.getTime() >= policy.touchEveryMs;
}

/** Methods that change state need the CSRF token; safe ones (RFC 9110 §9.2.1) do not. */
export function csrfRequired(method: string): boolean {
  return !["GET", "HEAD", "OPTIONS"].includes(method.toUpperCase());
}

/**
 * Does the presented CSRF token (from the request header) belong to this session? Constant time over the
 * hashes; a missing or malformed token fails. Requests authenticated by an API token carry no cookie and
 * need no CSRF token.
 */
export function verifyCsrf(presented: string | undefined, storedHash: string): boolean {
  if (presented === undefined || !ID_PATTERN.test(presented) || !/^[0-9a-f]{64}$/.test(storedHash))
    return false;
  return timingSafeEqual(Buffer.from(sha256(presented), "hex"), Buffer.from(storedHash, "hex"));
}
