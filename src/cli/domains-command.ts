/**
 * @module cli/domains-command
 * Adapters for `certwatch domains` picked from the configuration: zone files read, the HTTP fetch used as
 * takeover evidence, and the lookalike generator and index. main.ts composes them with the use case.
 */
import { getDomain } from "tldts";
import type { HttpEvidence } from "../checks/takeover.js";
import type { ResolvedConfig } from "../config/schema.js";
import { generateCandidates } from "../lookalike/generate.js";
import { LookalikeMatcher } from "../lookalike/matcher.js";
import { loadZoneFile } from "../sources/dns/zone-file.js";
import type { HttpClient } from "../util/http-get.js";

/** Names and NS delegations from every zone file (wildcard owners are not names one can take over). */
export async function zoneFileNames(
  files: readonly string[],
): Promise<{ names: string[]; delegations: Map<string, string[]>; warnings: string[] }> {
  const names = new Set<string>();
  const delegations = new Map<string, string[]>();
  const warnings: string[] = [];
  for (const file of files) {
    const z = await loadZoneFile(file);
    for (const n of z.names) if (!n.startsWith("*.") && n !== ".") names.add(n);
    for (const d of z.delegations) delegations.set(d.zone, [...d.hosts]);
    warnings.push(...z.warnings);
  }
  return { names: [...names], delegations, warnings };
}

/** GET http://<address>/ with the name as Host: the page a provider shows for an unclaimed resource. */
export function httpFingerprint(http: HttpClient, timeoutMs: number, port = 80) {
  return async (name: string, address: string): Promise<HttpEvidence> => {
    const host = address.includes(":") ? `[${address}]` : address;
    const url = `http://${host}:${port}/`;
    const r = await http.get(url, { timeoutMs, maxBytes: 256 * 1024, headers: { host: name } });
    const shown = `http://${name}/`;
    if (r.kind === "error") return { kind: "error", url: shown, error: r.error };
    return { kind: "ok", url: shown, status: r.status, body: r.body.toString("utf8") };
  };
}

/** The organisation's registrable domains and the ignored ones: never lookalikes. */
export function lookalikeExclusions(config: ResolvedConfig): Set<string> {
  const out = new Set<string>();
  for (const d of [...config.domains, ...config.lookalikes.own, ...config.lookalikes.ignore]) {
    out.add(d);
    const r = getDomain(d, { allowPrivateDomains: true });
    if (r !== null) out.add(r);
  }
  return out;
}

export function lookalikeMatcher(config: ResolvedConfig): LookalikeMatcher {
  return new LookalikeMatcher(config.domains, {
    own: config.lookalikes.own,
    ignore: config.lookalikes.ignore,
  });
}

export function candidatesFor(config: ResolvedConfig) {
  const l = config.lookalikes;
  return (watched: string) =>
    generateCandidates(watched, {
      maxCandidates: l.maxCandidates,
      ...(l.dictionary === undefined ? {} : { dictionary: l.dictionary }),
      ...(l.tlds === undefined ? {} : { tlds: l.tlds }),
    });
}
