/**
 * @module app/domains/takeover
 * The takeover check of `certwatch domains`: for every name, its CNAME chain followed several times (NXDOMAIN
 * must be consistent), the follow-up evidence the rules ask for (an HTTP fingerprint, the NS of an unclaimed
 * domain), and its NS delegation asked directly; the pure rules in checks/takeover.ts decide.
 */
import {
  checkCnameTakeover,
  checkDelegationTakeover,
  takeoverFollowUp,
  type HttpEvidence,
  type TakeoverNote,
} from "../../checks/takeover.js";
import type { Finding } from "../../domain/finding.js";
import { followCnameChain, type CnameChainResult } from "../../sources/dns/cname-chain.js";
import type { DelegationResult } from "../../sources/dns/delegation.js";
import type { DnsClient } from "../../sources/dns/resolver.js";
import type { NsResult } from "../../sources/dns/result.js";
import { mapLimit } from "../../util/concurrency.js";

export interface TakeoverCheckDeps {
  readonly dns: DnsClient;
  /** GET `http://<name>/` at one of its addresses (Host: the name), bounded; absent: no HTTP evidence. */
  readonly http?: (name: string, address: string) => Promise<HttpEvidence>;
  /** NS evidence of a name: its delegation asked directly (src/sources/dns/delegation.ts). */
  readonly delegation: (zone: string, nameservers?: readonly string[]) => Promise<DelegationResult>;
}

export interface TakeoverCheckOptions {
  readonly names: readonly string[];
  /** NS sets known from zone files: zone → name servers. */
  readonly delegations: ReadonlyMap<string, readonly string[]>;
  readonly tries: number;
  readonly concurrency: number;
}

export interface TakeoverCheckReport {
  readonly findings: Finding[];
  readonly inconclusive: TakeoverNote[];
  readonly dismissed: TakeoverNote[];
  readonly checked: number;
}

async function chainTries(dns: DnsClient, name: string, tries: number): Promise<CnameChainResult[]> {
  const out: CnameChainResult[] = [];
  for (let i = 0; i < tries; i++) {
    const r = await followCnameChain(dns, name);
    out.push(r);
    // A name that is no alias, or does not answer, will not become a proven dangling alias by asking again.
    if (r.kind !== "ok" || r.chain.length === 0) break;
  }
  return out;
}

async function httpEvidence(
  deps: TakeoverCheckDeps,
  name: string,
  url: string,
): Promise<HttpEvidence | null> {
  if (deps.http === undefined) return null;
  const a = await deps.dns.resolveAddresses(name);
  if (a.kind !== "ok" || a.addresses.length === 0) {
    return {
      kind: "error",
      url,
      error: `${name} has no address to fetch (${a.kind === "ok" ? "none" : a.error})`,
    };
  }
  return deps.http(name, a.addresses[0] as string);
}

async function checkName(deps: TakeoverCheckDeps, o: TakeoverCheckOptions, name: string) {
  const tries = await chainTries(deps.dns, name, o.tries);
  const followUp = takeoverFollowUp(name, tries, { minTries: o.tries });
  let http: HttpEvidence | null = null;
  let registrable: { domain: string; tries: NsResult[] } | null = null;
  if (followUp.kind === "http") http = await httpEvidence(deps, name, followUp.url);
  if (followUp.kind === "registrable-domain") {
    const ns: NsResult[] = [];
    for (let i = 0; i < o.tries; i++) ns.push(await deps.dns.resolveNs(followUp.domain));
    registrable = { domain: followUp.domain, tries: ns };
  }
  const cname = checkCnameTakeover({ name, tries, http, registrable }, { minTries: o.tries });
  const d = await deps.delegation(name, o.delegations.get(name));
  const delegation = d.kind === "ok" ? checkDelegationTakeover(d.evidence, { minTries: o.tries }) : null;
  return {
    findings: [...cname.findings, ...(delegation?.findings ?? [])],
    inconclusive: [...cname.inconclusive, ...(delegation?.inconclusive ?? [])],
    dismissed: [...cname.dismissed, ...(delegation?.dismissed ?? [])],
  };
}

export async function checkTakeovers(
  deps: TakeoverCheckDeps,
  o: TakeoverCheckOptions,
): Promise<TakeoverCheckReport> {
  const names = [
    ...new Set([...o.names, ...o.delegations.keys()].map((n) => n.toLowerCase().replace(/\.$/, ""))),
  ]
    .filter((n) => n !== "" && !n.startsWith("*."))
    .sort();
  const results = await mapLimit(names, o.concurrency, (n) => checkName(deps, o, n));
  return {
    findings: results.flatMap((r) => r.findings),
    inconclusive: results.flatMap((r) => r.inconclusive),
    dismissed: results.flatMap((r) => r.dismissed),
    checked: names.length,
  };
}
