/**
 * @module sources/dns/cname-chain
 * Follows a name's CNAME chain hop by hop and says whether its end exists: the input of takeover checks.
 */
import type { DnsClient } from "./resolver.js";
import type { DnsFailure } from "./result.js";

export type CnameChainResult =
  | {
      readonly kind: "ok";
      /** The aliases in order, from the first target to the last; empty when the name is no alias. */
      readonly chain: readonly string[];
      /** Whether the last name of the chain (or the name itself) exists: "nxdomain" is a dangling alias. */
      readonly end: "exists" | "nxdomain";
    }
  | (DnsFailure & { readonly chain: readonly string[] });

export const MAX_CNAME_HOPS = 16;

export async function followCnameChain(
  client: DnsClient,
  name: string,
  maxHops = MAX_CNAME_HOPS,
): Promise<CnameChainResult> {
  const chain: string[] = [];
  const seen = new Set([name.toLowerCase().replace(/\.$/, "")]);
  let current = name;
  for (let hop = 0; hop <= maxHops; hop++) {
    const result = await client.resolveCname(current);
    if (result.kind === "nodata") return { kind: "ok", chain, end: "exists" };
    if (result.kind === "nxdomain") return { kind: "ok", chain, end: "nxdomain" };
    if (result.kind !== "ok") return { ...result, chain };
    const key = result.target.toLowerCase();
    chain.push(result.target);
    if (seen.has(key)) return { kind: "error", error: `${name}: CNAME loop at ${result.target}`, chain };
    seen.add(key);
    current = result.target;
  }
  return { kind: "error", error: `${name}: CNAME chain longer than ${maxHops} hops`, chain };
}
