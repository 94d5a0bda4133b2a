/**
 * @module auth/user-name
 * Local user names: 1–64 characters of `a-z 0-9 . _ @ -`, compared lower-cased (so an e-mail address fits).
 */

export const MAX_USER_NAME_LENGTH = 64;

// ASCII only, checked before lower-casing: `"\u212A".toLowerCase()` (KELVIN SIGN) is "k", and a name
// that only looks like another must never become it.
const ALLOWED = /^[A-Za-z0-9._@-]+$/;

export type UserNameResult =
  { readonly ok: true; readonly name: string } | { readonly ok: false; readonly error: string };

/** The canonical (lower-cased) form of a user name, or why it is not one. The input is never echoed back. */
export function parseUserName(input: string): UserNameResult {
  if (input.length === 0) return { ok: false, error: "a user name must not be empty" };
  if (input.length > MAX_USER_NAME_LENGTH) {
    return { ok: false, error: `a user name has at most ${MAX_USER_NAME_LENGTH} characters` };
  }
  if (!ALLOWED.test(input)) {
    return { ok: false, error: "a user name may only contain letters a-z, digits and . _ @ -" };
  }
  return { ok: true, name: input.toLowerCase() };
}

/** True when `name` is already canonical (what the store accepts). */
export function isUserName(name: string): boolean {
  const r = parseUserName(name);
  return r.ok && r.name === name;
}
