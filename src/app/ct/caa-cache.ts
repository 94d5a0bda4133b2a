/**
 * @module app/ct/caa-cache
 * CAA answers reused for a while (many certificates name the same hosts), with concurrent questions for
 * one name shared. Inconclusive answers (SERVFAIL, timeouts) are not kept: the next certificate asks again.
 */
import type { CaaPolicyResult } from "../../sources/dns/caa.js";

export function cachedCaaPolicy(
  lookup: (name: string) => Promise<CaaPolicyResult>,
  ttlMs: number,
  now: () => number = Date.now,
  maxEntries = 10_000,
): (name: string) => Promise<CaaPolicyResult> {
  const cache = new Map<string, { at: number; value: Promise<CaaPolicyResult> }>();
  return (rawName) => {
    const name = rawName.toLowerCase().replace(/\.$/, "");
    const hit = cache.get(name);
    if (hit !== undefined && now() - hit.at < ttlMs) return hit.value;
    const value = lookup(name).then((r) => {
      if (r.kind !== "ok") cache.delete(name);
      return r;
    });
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
    cache.set(name, { at: now(), value });
    return value;
  };
}
