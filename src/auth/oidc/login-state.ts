/**
 * @module auth/oidc/login-state
 * The state of a sign-in in progress (OAuth `state`, OpenID `nonce`, PKCE code verifier, deadline), kept by the
 * browser in a short-lived cookie sealed with AES-256-GCM: the browser can neither read nor change it, and any
 * certwatch process configured with the same client secret can open it (no server-side table, no sticky proxy).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

export interface LoginState {
  /** Sent as `state`, must come back unchanged (binds the answer to this browser: login CSRF). */
  readonly state: string;
  /** Sent as `nonce`, must be in the ID token (binds the token to this sign-in: replay). */
  readonly nonce: string;
  /** PKCE: its S256 hash went with the request, the verifier goes with the code exchange. */
  readonly codeVerifier: string;
  /** Milliseconds since the epoch after which the sign-in must start over. */
  readonly expiresAt: number;
}

/** How long a sign-in may take at the provider (also the cookie's Max-Age). */
export const LOGIN_STATE_TTL_MS = 10 * 60_000;

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Bound to this use: a value sealed for anything else (or another version of this format) does not open. */
const AAD = Buffer.from("certwatch oidc login state v1");
/** The longest sealed value accepted (a real one is about 250 characters). */
const MAX_SEALED = 1024;
const FIELD = /^[A-Za-z0-9._~-]{16,256}$/;

/**
 * The sealing key: HKDF-SHA256 of the client secret, for this purpose only. The secret is the one value every
 * certwatch process of an installation shares and nobody else knows; the key reveals nothing of it.
 */
export function loginStateKey(clientSecret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", clientSecret, "certwatch", "oidc login state cookie", 32));
}

/** The cookie value: base64url of IV, ciphertext and tag. */
export function sealLoginState(
  s: LoginState,
  key: Buffer,
  random: (size: number) => Buffer = randomBytes,
): string {
  const iv = random(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(AAD);
  const plain = JSON.stringify({ s: s.state, n: s.nonce, v: s.codeVerifier, e: s.expiresAt });
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url");
}

export type OpenedLoginState =
  | { readonly ok: true; readonly value: LoginState }
  /** Not sealed by us (forged, altered, another key), or malformed. */
  | { readonly ok: false; readonly reason: "invalid" | "expired" };

/** The state sealed in a cookie value, if it is ours, intact and not past its deadline. */
export function openLoginState(sealed: string, key: Buffer, now: number): OpenedLoginState {
  const invalid = { ok: false, reason: "invalid" } as const;
  if (sealed.length > MAX_SEALED || !/^[A-Za-z0-9_-]+$/.test(sealed)) return invalid;
  const raw = Buffer.from(sealed, "base64url");
  if (raw.length < IV_BYTES + TAG_BYTES + 2) return invalid;
  let plain: string;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, IV_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(AAD);
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    plain = Buffer.concat([
      decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)),
      decipher.final(),
    ]).toString("utf8");
  } catch {
    return invalid; // the tag does not verify: not ours, or changed
  }
  let v: unknown;
  try {
    v = JSON.parse(plain);
  } catch {
    return invalid;
  }
  const o = v as { s?: unknown; n?: unknown; v?: unknown; e?: unknown };
  if (
    typeof o.s !== "string" ||
    typeof o.n !== "string" ||
    typeof o.v !== "string" ||
    typeof o.e !== "number" ||
    ![o.s, o.n, o.v].every((f) => FIELD.test(f))
  ) {
    return invalid;
  }
  // Written as "not before" so that an unreadable time fails closed.
  if (!(now < o.e)) return { ok: false, reason: "expired" };
  return { ok: true, value: { state: o.s, nonce: o.n, codeVerifier: o.v, expiresAt: o.e } };
}
