/**
 * @module store/text-parameters
 * What both drivers do to every bound parameter: a NUL character in text becomes U+FFFD. PostgreSQL text cannot
 * hold one, and SQLite's string functions (lower, LIKE, json_extract) stop at it.
 */

/**
 * `value` with each U+0000 of a string (or of a list's strings) replaced by U+FFFD; anything else unchanged.
 * A certificate or a CT entry may carry a NUL in a name: the run is stored, with the character visibly replaced,
 * instead of failing (which would stall a CT log on that entry). JSON columns are unaffected: JSON escapes it.
 */
export function withoutNul(value: unknown): unknown {
  if (typeof value === "string") return value.includes("\0") ? value.replaceAll("\0", "\uFFFD") : value;
  if (Array.isArray(value)) return value.map(withoutNul);
  return value;
}

/** Every parameter of one statement through withoutNul. */
export function storableParameters(parameters: readonly unknown[]): unknown[] {
  return parameters.map(withoutNul);
}
