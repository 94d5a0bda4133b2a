/**
 * @module checks/takeover
 * Event 18 domain-takeover, pure: a name's CNAME chain (several tries) ending at a service resource that is gone,
 * or an NS delegation that no name server serves. Findings, plus what could not be decided and why.
 */
import { getDomain } from "tldts";
import type { Finding } from "../domain/finding.js";
import type { CnameChainResult } from "../sources/dns/cname-chain.js";
import type { DelegationEvidence, NameserverEvidence } from "../sources/dns/delegation.js";
import type { NsResult } from "../sources/dns/result.js";
import {
  dnsHostingProviderFor,
  matchesFingerprint,
  providerFor,
  type DnsHostingProvider,
  type TakeoverProvider,
  type TakeoverStatus,
} from "./takeover-providers.js";

/*
 * Rules (CNAME):
 * - Every try must be an answer: any SERVFAIL, timeout, refusal, CNAME loop or over-long chain makes the name
 *   inconclusive (listed in `inconclusive`, never an alert). At least `minTries` tries (default 2) are needed.
 * - All tries must agree (same end, same last name): NXDOMAIN on one try and an address on another is not an
 *   alert.
 * - A chain ending in NXDOMAIN at a host of a listed service whose signal is NXDOMAIN (Azure, Elastic
 *   Beanstalk, …) raises 18. A chain ending at a host that exists, through a service whose signal is an HTTP
 *   fingerprint (S3, GitHub Pages, …), raises 18 when the caller's HTTP evidence matches the fingerprint.
 * - Services marked not vulnerable never alert (they are named in `dismissed`); "edge-case" services alert
 *   unless `alertOnEdgeCases` is false, with `details.status: "edge-case"`.
 * - A chain ending in NXDOMAIN at a host no service claims is the "expired domain" takeover only when the
 *   host's registrable domain (Public Suffix List, ICANN section) is itself NXDOMAIN on every try: anyone could
 *   register it. Then 18 is raised with provider "unregistered domain"; a registered domain is dismissed (only
 *   its owner can add the missing name). `takeoverFollowUp` tells the caller which extra question to ask.
 *
 * Rules (NS): each name server is serving (an address answered the zone's SOA), lame (every address answered
 * REFUSED, SERVFAIL, NXDOMAIN or NODATA on every try), unresolvable (its host name is NXDOMAIN on every try) or
 * unknown. No serving and no unknown name server → 18 (unless every one is lame at a DNS host marked not
 * vulnerable, e.g. Route 53: dismissed); any serving one → no alert; otherwise inconclusive.
 */

/** One HTTP GET of `http://<name>/` (Host: the name), as the caller made it. */
export type HttpEvidence =
  | { readonly kind: "ok"; readonly url: string; readonly status: number; readonly body: string }
  | { readonly kind: "error"; readonly url: string; readonly error: string };

export interface CnameTakeoverInput {
  /** The name checked (from config, a zone file, CT or a scan). */
  readonly name: string;
  /** `followCnameChain` results of independent tries, in order. */
  readonly tries: readonly CnameChainResult[];
  /** Needed when `takeoverFollowUp` says "http". */
  readonly http?: HttpEvidence | null;
  /** Needed when `takeoverFollowUp` says "registrable-domain": NS lookups of that domain, one per try. */
  readonly registrable?: { readonly domain: string; readonly tries: readonly NsResult[] } | null;
}

export interface TakeoverOptions {
  /** Fewest tries that may prove a dangling record (default 2). */
  readonly minTries?: number;
  /** Raise 18 for services the lists call an edge case (default true). */
  readonly alertOnEdgeCases?: boolean;
}

/** Something not alerted, with the reason, for the log. */
export interface TakeoverNote {
  readonly subject: string;
  readonly reason: string;
  /** The name and the aliases seen (the longest chain of any try). */
  readonly chain: readonly string[];
}

export interface TakeoverOutcome {
  readonly findings: readonly Finding[];
  /** Could not tell (DNS failures, inconsistent tries, missing evidence): try again later. */
  readonly inconclusive: readonly TakeoverNote[];
  /** Dangling or broken, but not a takeover by the rules above (e.g. a service that is not vulnerable). */
  readonly dismissed: readonly TakeoverNote[];
}

export type TakeoverFollowUp =
  | { readonly kind: "none" }
  /** Fetch `url` (with a timeout and a byte cap) and pass it as `http`. */
  | { readonly kind: "http"; readonly url: string; readonly provider: string }
  /** Ask NS of `domain` as many times as the chain was followed and pass them as `registrable`. */
  | { readonly kind: "registrable-domain"; readonly domain: string };

export const DEFAULT_MIN_TRIES = 2;

function norm(name: string): string {
  return name.toLowerCase().replace(/\.$/, "");
}

const NOTHING: TakeoverOutcome = { findings: [], inconclusive: [], dismissed: [] };

function only(kind: "inconclusive" | "dismissed", note: TakeoverNote): TakeoverOutcome {
  return kind === "inconclusive"
    ? { findings: [], inconclusive: [note], dismissed: [] }
    : { findings: [], inconclusive: [], dismissed: [note] };
}

function alerts(status: TakeoverStatus, options: TakeoverOptions): boolean {
  return status === "yes" || (status === "edge-case" && options.alertOnEdgeCases !== false);
}

/** The registrable domain (ICANN section of the Public Suffix List) of a host; null for a bare suffix. */
export function registrableDomainOf(host: string): string | null {
  return getDomain(norm(host), { allowPrivateDomains: false });
}

/** The service of the last chain member a listed service claims, looking from the end. */
function providerOfChain(chain: readonly string[]): { provider: TakeoverProvider; host: string } | null {
  for (let i = chain.length - 1; i >= 0; i--) {
    const host = chain[i] as string;
    const provider = providerFor(host);
    if (provider !== null) return { provider, host };
  }
  return null;
}

type Agreed =
  | { readonly kind: "agreed"; readonly chain: readonly string[]; readonly end: "exists" | "nxdomain" }
  | { readonly kind: "inconclusive"; readonly reason: string; readonly chain: readonly string[] };

const KIND_TEXT: Readonly<Record<string, string>> = {
  servfail: "SERVFAIL",
  timeout: "timeout",
  refused: "REFUSED",
  error: "error",
  nodata: "NODATA",
  nxdomain: "NXDOMAIN",
};

/** Whether every try is an answer and all tell the same story. */
function agree(name: string, tries: readonly CnameChainResult[], minTries: number): Agreed {
  const longest = tries.reduce<readonly string[]>((a, t) => (t.chain.length > a.length ? t.chain : a), []);
  const chain = [name, ...longest];
  if (tries.length === 0) return { kind: "inconclusive", reason: "no DNS answers", chain };
  const failures = tries.flatMap((t, i) => (t.kind === "ok" ? [] : [{ t, i }]));
  if (failures.length > 0) {
    const what = failures.map(({ t, i }) => `try ${i + 1}: ${t.error}`).join("; ");
    const kinds = [...new Set(failures.map(({ t }) => KIND_TEXT[t.kind] ?? t.kind))].join("/");
    return {
      kind: "inconclusive",
      reason: `${kinds} on ${failures.length} of ${tries.length} tries, so nothing is known about the target (${what})`,
      chain,
    };
  }
  const ok = tries.flatMap((t) => (t.kind === "ok" ? [t] : []));
  const first = ok[0];
  if (first === undefined) return { kind: "inconclusive", reason: "no DNS answers", chain };
  const lastOf = (c: readonly string[]): string => norm(c[c.length - 1] ?? name);
  const nx = ok.filter((t) => t.end === "nxdomain").length;
  if (nx !== 0 && nx !== ok.length) {
    return {
      kind: "inconclusive",
      reason: `NXDOMAIN on ${nx} of ${ok.length} tries and an answer on the others: not consistent, not alerted`,
      chain,
    };
  }
  if (first.end === "nxdomain" && ok.some((t) => lastOf(t.chain) !== lastOf(first.chain))) {
    return {
      kind: "inconclusive",
      reason: `the chain ends at different names across tries (${[...new Set(ok.map((t) => lastOf(t.chain)))].join(", ")})`,
      chain,
    };
  }
  if (ok.length < minTries && first.end === "nxdomain") {
    return {
      kind: "inconclusive",
      reason: `NXDOMAIN seen on ${ok.length} ${ok.length === 1 ? "try" : "tries"}; at least ${minTries} are needed to call it consistent`,
      chain: [name, ...first.chain],
    };
  }
  return { kind: "agreed", chain: first.chain, end: first.end };
}

function finding(
  name: string,
  chain: readonly string[],
  details: {
    provider: string;
    signal: "nxdomain" | "http" | "ns";
    status: TakeoverStatus | "unknown";
    evidence: string;
    remediation: string;
    reference?: string;
  } & Record<string, unknown>,
): Finding {
  const key = norm(name);
  return {
    event: "domain-takeover",
    key,
    subject: key,
    endpoint: null,
    certificate: null,
    details: { chain: [key, ...chain.map(norm)], ...details },
  };
}

const UNREGISTERED_REMEDIATION =
  "Delete the DNS record that points into the unregistered domain, or register that domain yourself before " +
  "anyone else does: whoever registers it controls what your name serves.";

/**
 * What the caller must still find out before `checkCnameTakeover` can decide: an HTTP fetch (a service whose
 * signal is a fingerprint) or the registrable domain of an unclaimed NXDOMAIN target.
 */
export function takeoverFollowUp(
  name: string,
  tries: readonly CnameChainResult[],
  options: TakeoverOptions = {},
): TakeoverFollowUp {
  const agreed = agree(name, tries, options.minTries ?? DEFAULT_MIN_TRIES);
  if (agreed.kind !== "agreed" || agreed.chain.length === 0) return { kind: "none" };
  if (agreed.end === "nxdomain") {
    const last = agreed.chain[agreed.chain.length - 1] as string;
    if (providerFor(last) !== null) return { kind: "none" };
    const domain = registrableDomainOf(last);
    return domain === null ? { kind: "none" } : { kind: "registrable-domain", domain };
  }
  const hit = providerOfChain(agreed.chain);
  if (hit === null || hit.provider.signal !== "http" || !alerts(hit.provider.vulnerable, options)) {
    return { kind: "none" };
  }
  return { kind: "http", url: `http://${norm(name)}/`, provider: hit.provider.name };
}

/** Event 18 for one name from its CNAME chain tries (and the follow-up evidence). */
export function checkCnameTakeover(
  input: CnameTakeoverInput,
  options: TakeoverOptions = {},
): TakeoverOutcome {
  const name = norm(input.name);
  const minTries = options.minTries ?? DEFAULT_MIN_TRIES;
  const agreed = agree(name, input.tries, minTries);
  if (agreed.kind === "inconclusive") {
    return only("inconclusive", { subject: name, reason: agreed.reason, chain: agreed.chain });
  }
  const { chain, end } = agreed;
  if (chain.length === 0) return NOTHING; // not an alias: nothing can dangle
  const full = [name, ...chain.map(norm)];
  const n = input.tries.length;
  const note = (reason: string): TakeoverNote => ({ subject: name, reason, chain: full });

  if (end === "nxdomain") {
    const last = norm(chain[chain.length - 1] as string);
    const provider = providerFor(last);
    if (provider !== null) {
      if (provider.signal !== "nxdomain") {
        return only(
          "dismissed",
          note(
            `${last} does not exist, but ${provider.name} shows takeovers by an HTTP fingerprint, not NXDOMAIN`,
          ),
        );
      }
      if (!alerts(provider.vulnerable, options)) {
        return only(
          "dismissed",
          note(
            `${last} does not exist, but ${provider.name} names cannot be claimed by others (${provider.reference})`,
          ),
        );
      }
      return {
        findings: [
          finding(name, chain, {
            target: last,
            provider: provider.name,
            signal: "nxdomain",
            status: provider.vulnerable,
            evidence: `NXDOMAIN for ${last} on ${n} of ${n} tries`,
            remediation: provider.remediation,
            reference: provider.reference,
          }),
        ],
        inconclusive: [],
        dismissed: [],
      };
    }
    return unregisteredDomain(name, chain, last, input, minTries, note);
  }

  const hit = providerOfChain(chain);
  if (hit === null || hit.provider.signal !== "http" || !alerts(hit.provider.vulnerable, options)) {
    return NOTHING;
  }
  const { provider } = hit;
  const http = input.http;
  if (http === undefined || http === null) {
    return only(
      "inconclusive",
      note(`the chain reaches ${provider.name}: an HTTP check is needed and none was given`),
    );
  }
  if (http.kind === "error") {
    return only(
      "inconclusive",
      note(`the chain reaches ${provider.name} but ${http.url} failed: ${http.error}`),
    );
  }
  if (!matchesFingerprint(provider, http.status, http.body)) return NOTHING;
  const f = provider.fingerprint;
  const matched = [
    f?.status === undefined ? null : `status ${f.status}`,
    f?.body === undefined ? null : `body matching ${String(f.body)}`,
  ].filter((s) => s !== null);
  return {
    findings: [
      finding(name, chain, {
        target: hit.host,
        provider: provider.name,
        signal: "http",
        status: provider.vulnerable,
        evidence: `${http.url} answered ${http.status} with ${provider.name}'s page for a missing resource (${matched.join(", ")})`,
        remediation: provider.remediation,
        reference: provider.reference,
      }),
    ],
    inconclusive: [],
    dismissed: [],
  };
}

function unregisteredDomain(
  name: string,
  chain: readonly string[],
  last: string,
  input: CnameTakeoverInput,
  minTries: number,
  note: (reason: string) => TakeoverNote,
): TakeoverOutcome {
  const domain = registrableDomainOf(last);
  if (domain === null) {
    return only("dismissed", note(`${last} does not exist and has no registrable domain (a public suffix?)`));
  }
  const evidence = input.registrable;
  if (evidence === undefined || evidence === null || norm(evidence.domain) !== domain) {
    return only(
      "inconclusive",
      note(`${last} does not exist; whether its domain ${domain} is registered was not checked`),
    );
  }
  const tries = evidence.tries;
  const nx = tries.filter((t) => t.kind === "nxdomain").length;
  const answered = tries.filter((t) => t.kind === "ok" || t.kind === "nodata").length;
  if (answered > 0) {
    return only(
      "dismissed",
      note(`${last} does not exist, but its domain ${domain} is registered: only its owner can add the name`),
    );
  }
  if (nx === 0 || nx !== tries.length || tries.length < minTries) {
    const kinds = [...new Set(tries.map((t) => KIND_TEXT[t.kind] ?? t.kind))].join("/") || "no answers";
    return only(
      "inconclusive",
      note(
        `${last} does not exist; the lookups of its domain ${domain} were not consistent (${kinds} on ${tries.length} tries)`,
      ),
    );
  }
  const n = input.tries.length;
  return {
    findings: [
      finding(name, chain, {
        target: last,
        registrableDomain: domain,
        provider: "unregistered domain",
        signal: "nxdomain",
        status: "unknown",
        evidence:
          `NXDOMAIN for ${last} on ${n} of ${n} tries, and for its registrable domain ${domain} on ` +
          `${nx} of ${nx} tries: ${domain} is not registered (or not delegated)`,
        remediation: UNREGISTERED_REMEDIATION,
      }),
    ],
    inconclusive: [],
    dismissed: [],
  };
}

// ───────────────────────────── NS delegations ─────────────────────────────

type NameserverState = "serving" | "lame" | "unresolvable" | "unknown";

interface NameserverVerdict {
  readonly host: string;
  readonly state: NameserverState;
  readonly evidence: string;
}

const LAME_KINDS = new Set(["refused", "servfail", "nxdomain", "nodata"]);

function judgeNameserver(ns: NameserverEvidence, minTries: number): NameserverVerdict {
  const { host, resolution, probes } = ns;
  const resolved = resolution.find((r) => r.kind === "ok");
  if (resolved === undefined) {
    const nx = resolution.filter((r) => r.kind === "nxdomain").length;
    if (nx > 0 && nx === resolution.length && nx >= minTries) {
      return { host, state: "unresolvable", evidence: `${host} is NXDOMAIN on ${nx} of ${nx} tries` };
    }
    const errors = resolution.map((r) => (r.kind === "ok" ? "" : r.error)).join("; ");
    return { host, state: "unknown", evidence: `${host} did not resolve: ${errors || "not asked"}` };
  }
  if (probes.length === 0) return { host, state: "unknown", evidence: `${host}: no address was asked` };
  const parts: string[] = [];
  let lame = 0;
  for (const probe of probes) {
    const ok = probe.tries.find((t) => t.kind === "ok");
    if (ok?.kind === "ok") {
      return {
        host,
        state: "serving",
        evidence: `${probe.address} answered the SOA (serial ${ok.soa.serial})`,
      };
    }
    const kinds = probe.tries.map((t) => t.kind);
    const allLame = kinds.length >= minTries && kinds.every((k) => LAME_KINDS.has(k));
    if (allLame) lame++;
    const text = [...new Set(kinds.map((k) => KIND_TEXT[k] ?? k))].join("/");
    parts.push(
      `${probe.address}: ${text || "not asked"} on ${kinds.length} ${kinds.length === 1 ? "try" : "tries"}`,
    );
  }
  return { host, state: lame === probes.length ? "lame" : "unknown", evidence: parts.join(", ") };
}

function hostingOf(hosts: readonly string[]): DnsHostingProvider[] {
  const seen = new Map<string, DnsHostingProvider>();
  for (const h of hosts) {
    const p = dnsHostingProviderFor(h);
    if (p !== null) seen.set(p.name, p);
  }
  return [...seen.values()];
}

/** Event 18 for one NS delegation from the gathered evidence. */
export function checkDelegationTakeover(
  evidence: DelegationEvidence,
  options: TakeoverOptions = {},
): TakeoverOutcome {
  const zone = norm(evidence.zone);
  const minTries = options.minTries ?? DEFAULT_MIN_TRIES;
  const verdicts = evidence.nameservers.map((ns) => judgeNameserver(ns, minTries));
  const hosts = verdicts.map((v) => v.host);
  const summary = verdicts.map((v) => `${v.host}: ${v.state} (${v.evidence})`).join("; ");
  const note = (reason: string): TakeoverNote => ({ subject: zone, reason, chain: [zone, ...hosts] });
  if (verdicts.length === 0) return only("inconclusive", note("no name servers to ask"));

  const serving = verdicts.filter((v) => v.state === "serving").length;
  if (serving > 0) {
    return serving === verdicts.length
      ? NOTHING
      : only("dismissed", note(`partly lame delegation: ${summary}`));
  }
  if (verdicts.some((v) => v.state === "unknown")) {
    return only(
      "inconclusive",
      note(`no name server is known to serve the zone, but not every one could be judged: ${summary}`),
    );
  }
  const hosting = hostingOf(hosts);
  const lameOnly = verdicts.every((v) => v.state === "lame");
  const unresolvable = verdicts.filter((v) => v.state === "unresolvable");
  if (lameOnly && hosting.length > 0 && hosting.every((p) => !alerts(p.vulnerable, options))) {
    return only(
      "dismissed",
      note(
        `every name server is lame, but ${hosting.map((p) => p.name).join(" / ")} zones cannot be claimed by others: ${summary}`,
      ),
    );
  }
  const claimable = hosting.filter((p) => alerts(p.vulnerable, options));
  const provider =
    unresolvable.length > 0 && claimable.length === 0
      ? "unresolvable name servers (their domain may be registrable)"
      : claimable.length > 0
        ? `${claimable.map((p) => p.name).join(" / ")} hosted zone deleted`
        : "name servers that do not serve the zone";
  const status: TakeoverStatus | "unknown" =
    claimable.length === 0 ? "unknown" : claimable.some((p) => p.vulnerable === "yes") ? "yes" : "edge-case";
  const remediation =
    claimable[0]?.remediation ??
    (unresolvable.length > 0
      ? "Remove the NS delegation from the parent zone, or fix it to name servers that exist and serve the zone; " +
        "if a name server's domain is unregistered, anyone who registers it answers for your zone."
      : "Remove the NS delegation from the parent zone, or set the zone up again on the name servers it names.");
  return {
    findings: [
      {
        event: "domain-takeover",
        key: zone,
        subject: zone,
        endpoint: null,
        certificate: null,
        details: {
          chain: [zone],
          zone,
          nameservers: verdicts.map((v) => ({ host: v.host, state: v.state, evidence: v.evidence })),
          provider,
          signal: "ns",
          status,
          evidence: `no name server serves ${zone}: ${summary}`,
          remediation,
        },
      },
    ],
    inconclusive: [],
    dismissed: [],
  };
}
