/**
 * @module sources/dns/caa
 * RFC 8659 relevant CAA record set: climb from the name towards (not including) the root until one is found.
 */
import type { DnsClient } from "./resolver.js";
import type { CaaRecord, DnsFailure } from "./result.js";

export type CaaPolicyResult =
  | {
      readonly kind: "ok";
      /** The name whose CAA record set applies; null when no name up the tree has one (every CA authorised). */
      readonly owner: string | null;
      readonly records: readonly CaaRecord[];
    }
  | DnsFailure;

/** More labels than any valid DNS name can hold (253 octets). */
const MAX_LABELS = 127;

/**
 * For a wildcard name (`*.example.com`) the search starts at the base domain; the caller applies `issuewild`.
 * NXDOMAIN and NODATA move up a level; any other failure stops the search, since a CA could not decide either.
 */
export async function findCaaPolicy(client: DnsClient, name: string): Promise<CaaPolicyResult> {
  let current = name.toLowerCase().replace(/\.$/, "");
  if (current.startsWith("*.")) current = current.slice(2);
  for (let i = 0; current !== "" && i < MAX_LABELS; i++) {
    const result = await client.resolveCaa(current);
    if (result.kind === "ok") return { kind: "ok", owner: current, records: result.records };
    if (result.kind !== "nxdomain" && result.kind !== "nodata") return result;
    const dot = current.indexOf(".");
    current = dot === -1 ? "" : current.slice(dot + 1);
  }
  return { kind: "ok", owner: null, records: [] };
}
