/**
 * @module notify/webhook-standard
 * The Standard Webhooks wire format (standardwebhooks.com, spec 1.0.0): the `{type, timestamp, data}` payload and
 * the webhook-id / webhook-timestamp / webhook-signature headers, signed with HMAC-SHA256 over `id.timestamp.body`.
 */
import { createHmac } from "node:crypto";
import type { Notification, NotificationKind } from "./notification.js";
import { notificationJson } from "./notification.js";
import { SecretError } from "./secrets.js";
import { terminalSafeJson } from "../util/terminal-safe.js";

/**
 * The event type of each notification kind (`type` of the payload): receivers route on it.
 * alert.opened: a new alert; alert.reopened: a resolved alert came back; alert.resolved: the problem is gone;
 * alert.reminder: the alert is still open after `renotifyAfterDays`.
 */
export const STANDARD_EVENT_TYPES: Readonly<Record<NotificationKind, string>> = {
  opened: "alert.opened",
  reopened: "alert.reopened",
  resolved: "alert.resolved",
  reminder: "alert.reminder",
};

/** The spec's minimum for a symmetric signing secret (192 bits). */
export const MIN_SECRET_BYTES = 24;

/**
 * The body sent: `{ type, timestamp, data }` with `timestamp` the time of the alert change (not of the attempt, which
 * is the webhook-timestamp header) and `data` the notification JSON shared with the SIEM targets.
 */
export function standardPayload(n: Notification): string {
  return terminalSafeJson({
    type: STANDARD_EVENT_TYPES[n.kind],
    timestamp: n.createdAt,
    data: notificationJson(n),
  });
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

/**
 * The HMAC key of a `whsec_<base64>` secret (the prefix is optional). Throws SecretError naming `field`, never
 * the value, when it is not base64 or shorter than the spec's 24 bytes.
 */
export function signingKey(secret: string, field: string): Buffer {
  const b64 = secret.trim().replace(/^whsec_/, "");
  if (b64 === "" || !BASE64.test(b64)) {
    throw new SecretError(field, "is not a Standard Webhooks secret (whsec_ followed by base64)");
  }
  const key = Buffer.from(b64, "base64");
  if (key.length < MIN_SECRET_BYTES) {
    throw new SecretError(
      field,
      `is too short: a Standard Webhooks secret holds at least ${MIN_SECRET_BYTES} random bytes (got ${key.length})`,
    );
  }
  return key;
}

/** `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`. */
export function standardSignature(key: Uint8Array, id: string, timestamp: number, body: Uint8Array): string {
  const mac = createHmac("sha256", key).update(`${id}.${timestamp}.`, "utf8").update(body).digest("base64");
  return `v1,${mac}`;
}

/**
 * The three Standard Webhooks headers of one attempt. `id` is the notification id (the same on every retry, the
 * receiver's idempotency key); `timestamp` is the attempt's time in Unix seconds (a retry is signed anew).
 */
export function standardHeaders(
  key: Uint8Array,
  id: string,
  timestamp: number,
  body: Uint8Array,
): Record<string, string> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": standardSignature(key, id, timestamp, body),
  };
}
