/**
 * @module api/cursor
 * The opaque cursor of the alert list: the last alert of a page as its (firstSeen, id) keyset position, in
 * base64url JSON. Clients pass it back unchanged; anything else is 400 INVALID_CURSOR, never a query on garbage.
 */
import { ApiError } from "./errors.js";

export interface AlertCursor {
  readonly firstSeen: string;
  readonly id: string;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
const ALERT_ID = /^[0-9a-f]{32}$/;

export function encodeCursor(c: AlertCursor): string {
  return Buffer.from(JSON.stringify([c.firstSeen, c.id]), "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): AlertCursor {
  const invalid = new ApiError("INVALID_CURSOR", "the cursor is not one this API handed out");
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw invalid;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid;
  }
  if (!Array.isArray(value) || value.length !== 2) throw invalid;
  const [firstSeen, id] = value as unknown[];
  if (
    typeof firstSeen !== "string" ||
    typeof id !== "string" ||
    !RFC3339.test(firstSeen) ||
    !ALERT_ID.test(id)
  ) {
    throw invalid;
  }
  return { firstSeen, id };
}

/** The certificate list's cursor: the last certificate of a page as its (notAfter, sha256) position. */
export interface CertificateCursor {
  readonly notAfter: string;
  readonly sha256: string;
}

export function encodeCertificateCursor(c: CertificateCursor): string {
  return Buffer.from(JSON.stringify(["c", c.notAfter, c.sha256]), "utf8").toString("base64url");
}

export function decodeCertificateCursor(cursor: string): CertificateCursor {
  const invalid = new ApiError("INVALID_CURSOR", "the cursor is not one this API handed out");
  if (!/^[A-Za-z0-9_-]{1,300}$/.test(cursor)) throw invalid;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid;
  }
  if (!Array.isArray(value) || value.length !== 3 || value[0] !== "c") throw invalid;
  const [, notAfter, sha256] = value as unknown[];
  // notAfter is as the certificate said it (RFC 3339 from the parser); only its shape is checked.
  if (typeof notAfter !== "string" || !/^[0-9T:.Z+-]{1,40}$/.test(notAfter)) throw invalid;
  if (typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256)) throw invalid;
  return { notAfter, sha256 };
}
