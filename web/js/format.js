// @ts-check
/**
 * @module web/format
 * Times and numbers as the dashboard shows them: local time as `YYYY-MM-DD HH:MM`, relative phrases ("in 3 days"),
 * counts with thousands separators. Pure functions of their input (and `now` when given).
 */

/** @param {number} n */
const two = (n) => String(n).padStart(2, "0");

/**
 * `2026-11-25 10:00` in the browser's time zone; the input as is when it is not a time.
 * @param {string} iso
 */
export function formatTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

/**
 * `2026-11-25` in the browser's time zone.
 * @param {Date} d
 */
export function formatDay(d) {
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
}

const UNITS = /** @type {const} */ ([
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
]);

/**
 * "in 3 days", "2 hours ago", "now".
 * @param {string} iso
 * @param {Date} [now]
 */
export function relativeTime(iso, now = new Date()) {
  const ms = new Date(iso).getTime() - now.getTime();
  if (Number.isNaN(ms)) return "";
  for (const [unit, size] of UNITS) {
    if (Math.abs(ms) >= size) {
      const n = Math.round(Math.abs(ms) / size);
      const phrase = `${n} ${unit}${n === 1 ? "" : "s"}`;
      return ms > 0 ? `in ${phrase}` : `${phrase} ago`;
    }
  }
  return "now";
}

/** @param {number} n */
export function formatCount(n) {
  return n.toLocaleString("en-US");
}
