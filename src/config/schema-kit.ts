/**
 * @module config/schema-kit
 * The pieces every part of the configuration schema is built from: strict objects with did-you-mean errors,
 * strings parsed into values, bounded integers, paths and URLs.
 */
import { z } from "zod";
import type { EventName } from "../events.js";
import { EVENTS } from "../events.js";

/** A value parsed from text, or why it could not be. */
export type Parsed<T> = { value: T } | { error: string };

export function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** The known word closest to a typo, if it is close enough to be what was meant. */
export function closest(word: string, known: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const k of known) {
    const d = k.toLowerCase() === lower ? 0 : editDistance(lower, k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

export function didYouMean(word: string, known: readonly string[]): string {
  const guess = closest(word, known);
  return guess === undefined ? "" : ` (did you mean ${quote(guess)}?)`;
}

/** A strict object: unknown keys are errors, with a suggestion for the likely typo. */
export function strict<T extends z.ZodRawShape>(shape: T) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code !== "unrecognized_keys") return undefined;
      const what = iss.keys.map((k) => quote(k) + didYouMean(k, known)).join(", ");
      const hint = iss.keys.some((k) => closest(k, known) === undefined)
        ? `; known keys: ${known.join(", ")}`
        : "";
      return `unknown key${iss.keys.length > 1 ? "s" : ""} ${what}${hint}`;
    },
  });
}

/** A string schema whose value is parsed (and normalised) by `parse`. */
export function parsedString<T>(parse: (s: string) => Parsed<T>) {
  return z.string().transform((s, ctx): T => {
    const r = parse(s);
    if ("value" in r) return r.value;
    ctx.issues.push({ code: "custom", message: r.error, input: s });
    return z.NEVER;
  });
}

export const int = (min: number, max: number, fallback: number) =>
  z.int().min(min).max(max).default(fallback);
export const filePath = z.string().trim().min(1);

/** `scheme://…@`: a URL with a user name (and perhaps a password) before its host. */
export const URL_WITH_USERINFO = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i;

/** An http(s) URL; one with `user:pass@` is refused, and never quoted back (it holds the password). */
export function parseHttpUrl(input: string): Parsed<string> {
  if (URL_WITH_USERINFO.test(input.trim())) {
    return { error: "must not hold a user name or password (user:pass@); the URL is not shown here" };
  }
  try {
    const u = new URL(input.trim());
    if (u.protocol === "https:" || u.protocol === "http:") return { value: u.href };
  } catch {
    // fall through to the error below
  }
  return { error: `must be an http:// or https:// URL (got ${quote(input)})` };
}

/** An event by id ("18") or name ("domain-takeover"). */
export function eventName(key: string): Parsed<EventName> {
  const e = /^[0-9]+$/.test(key)
    ? EVENTS.find((x) => x.id === Number(key))
    : EVENTS.find((x) => x.name === key);
  if (e) return { value: e.name };
  const names = EVENTS.map((x) => x.name);
  return { error: `unknown event ${quote(key)}${didYouMean(key, names)}; see docs/events.md` };
}
