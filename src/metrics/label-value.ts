/**
 * @module metrics/label-value
 * Label values from outside text (certificate names, serial numbers, host names) made safe to export: bounded in
 * length, and with control, format and bidi characters written as visible escapes, as the CLI shows them.
 * Quoting is prom-client's job (it escapes `\`, `"` and newlines in the exposition format).
 */
import { replaceUnsafe, visibleEscape } from "../util/terminal-safe.js";

/** The longest label value exported, in UTF-16 code units; longer values end with "…". */
export const MAX_LABEL_CHARS = 256;

export function labelValue(text: string, max = MAX_LABEL_CHARS): string {
  // Bound the input before the regex: a certificate name may be megabytes long.
  const head = text.length > max * 2 ? text.slice(0, max * 2) : text;
  const safe = replaceUnsafe(head, visibleEscape);
  if (safe.length <= max) return safe;
  let cut = safe.slice(0, max - 1);
  // Never end on half a surrogate pair.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}
