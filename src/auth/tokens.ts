/**
 * @module auth/tokens
 * API tokens `cw_<id>_<secret>`: a public id (10 base32 characters) to find the row, and 32 random bytes of
 * secret (base64url) of which the store keeps only the SHA-256. The token is shown once, at creation.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

const ID_LENGTH = 10;
const SECRET_BYTES = 32;
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
/** The whole token; the secret is base64url, which may itself contain `_`, so the id has a fixed length. */
const TOKEN = /^cw_([a-z2-7]{10})_([A-Za-z0-9_-]{43})$/;
/** A token (or a prefix of one long enough to matter) anywhere in a text. */
const TOKEN_IN_TEXT = /cw_([a-z2-7]{10})_[A-Za-z0-9_-]{8,}/g;

export interface NewApiToken {
  /** Give this to the user once; it is not stored anywhere. */
  readonly token: string;
  readonly id: string;
  /** Hex SHA-256 of the secret: what the store keeps. */
  readonly secretHash: string;
}

export interface ParsedApiToken {
  readonly id: string;
  readonly secret: Buffer;
}

/** A fresh token. `random` is injectable for tests only. */
export function generateApiToken(random: (size: number) => Buffer = randomBytes): NewApiToken {
  // 256 is a multiple of 32, so `byte & 31` is uniform over the alphabet: 50 bits of id.
  const id = Array.from(random(ID_LENGTH), (b) => BASE32[b & 31]).join("");
  const secret = random(SECRET_BYTES);
  return { token: `cw_${id}_${secret.toString("base64url")}`, id, secretHash: hashTokenSecret(secret) };
}

/**
 * The id and secret of a presented token, or undefined when it is not one. Only the one canonical spelling of
 * the secret is accepted (base64url has two for the last character), so a changed character never matches.
 */
export function parseApiToken(presented: string): ParsedApiToken | undefined {
  if (presented.length > 64) return undefined;
  const m = TOKEN.exec(presented);
  if (m === null) return undefined;
  const encoded = m[2] ?? "";
  const secret = Buffer.from(encoded, "base64url");
  if (secret.length !== SECRET_BYTES || secret.toString("base64url") !== encoded) return undefined;
  return { id: m[1] ?? "", secret };
}

/**
 * SHA-256, unsalted and fast, is the right hash here (unlike passwords): the secret is 256 random bits, so
 * neither a dictionary nor brute force applies and there is nothing for a salt or a slow hash to protect.
 * A slow hash would instead cost every API request tens of milliseconds and hand attackers a CPU lever.
 */
export function hashTokenSecret(secret: Buffer): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** Does the presented secret match the stored hash? Constant time; a malformed stored hash never matches. */
export function tokenSecretMatches(token: ParsedApiToken, storedHash: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(storedHash)) return false;
  return timingSafeEqual(Buffer.from(hashTokenSecret(token.secret), "hex"), Buffer.from(storedHash, "hex"));
}

/** Parse and check in one step: the id when `presented` is the token whose secret hashes to `storedHash`. */
export function verifyApiToken(presented: string, storedHash: string): boolean {
  const parsed = parseApiToken(presented);
  return parsed !== undefined && tokenSecretMatches(parsed, storedHash);
}

/** What a log may say about a token: its id, never its secret. */
export function redactToken(presented: string): string {
  const parsed = parseApiToken(presented);
  return parsed === undefined ? "[redacted]" : `cw_${parsed.id}_[redacted]`;
}

/** Replace every token-looking string in a text (a log line, an error message) by its redacted form. */
export function redactSecrets(text: string): string {
  return text.replace(TOKEN_IN_TEXT, "cw_$1_[redacted]");
}

export type TokenState = "active" | "revoked" | "expired";

/** Whether a stored token may be used at `now` (RFC 3339 times as the store keeps them); expired at the instant. */
export function tokenState(
  token: { readonly expiresAt: string | null; readonly revokedAt: string | null },
  now: Date,
): TokenState {
  if (token.revokedAt !== null) return "revoked";
  // Written as "not before": an unreadable expiry (NaN) fails closed.
  if (token.expiresAt !== null && !(now.getTime() < Date.parse(token.expiresAt))) return "expired";
  return "active";
}
