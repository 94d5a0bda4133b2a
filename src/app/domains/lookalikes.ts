/**
 * @module app/domains/lookalikes
 * The active lookalike check of `certwatch domains`: generate every watched domain's candidates, ask DNS
 * which of their registrable domains are delegated (NS), gather what they serve (A/AAAA, MX), and raise
 * one similar-domain (12) per registered lookalike domain, however many candidates lead to it.
 */
import { randomBytes } from "node:crypto";
import { domainToUnicode } from "node:url";
import { getDomain } from "tldts";
import { registeredLookalikeFinding, type LookalikeVerdict } from "../../checks/lookalike.js";
import type { Finding } from "../../domain/finding.js";
import type { DnsClient } from "../../sources/dns/resolver.js";
import { mapLimit } from "../../util/concurrency.js";

/** One generated candidate (src/lookalike/generate.ts). */
export interface LookalikeCandidate {
  readonly domain: string;
  readonly families: readonly string[];
}

export interface LookalikeCheckDeps {
  readonly dns: DnsClient;
  /** Candidates for one watched domain. */
  readonly candidates: (watched: string) => readonly LookalikeCandidate[];
  /** The lookalike index's verdict on a registrable domain (for its score and reasons), if any. */
  readonly verdict?: (domain: string) => LookalikeVerdict | null;
  readonly logLine: (message: string) => void;
}

export interface LookalikeCheckOptions {
  readonly watched: readonly string[];
  /** Registrable domains that are never lookalikes: watched, own, ignored. */
  readonly exclude: ReadonlySet<string>;
  readonly concurrency: number;
}

export interface LookalikeCheckReport {
  readonly findings: Finding[];
  readonly candidates: number;
  readonly registrableDomains: number;
  readonly registered: number;
  /** Questions DNS could not answer (SERVFAIL, timeout): no alert either way. */
  readonly inconclusive: number;
  /** The registrable domains concerned: an alert already open for one of them stays open. */
  readonly inconclusiveDomains: string[];
}

const suffixOf = (registrable: string): string => registrable.slice(registrable.indexOf(".") + 1);
const registrableOf = (name: string): string | null => getDomain(name, { allowPrivateDomains: true });

export async function checkLookalikes(
  deps: LookalikeCheckDeps,
  o: LookalikeCheckOptions,
): Promise<LookalikeCheckReport> {
  // Registrable domain → the watched domain it imitates and the candidates that lead to it.
  const groups = new Map<
    string,
    { watched: string; candidates: { name: string; families: readonly string[] }[] }
  >();
  let candidateCount = 0;
  for (const watched of o.watched) {
    for (const c of deps.candidates(watched)) {
      candidateCount++;
      const registrable = registrableOf(c.domain);
      if (registrable === null || o.exclude.has(registrable)) continue;
      const g = groups.get(registrable) ?? { watched, candidates: [] };
      if (g.candidates.length < 20) g.candidates.push({ name: c.domain, families: c.families });
      groups.set(registrable, g);
    }
  }

  const inconclusiveDomains: string[] = [];
  const registered = await mapLimit([...groups.entries()], o.concurrency, async ([domain, g]) => {
    // Registered = delegated: NS records exist. A wildcard A record in a TLD or zone cannot fake that.
    const ns = await deps.dns.resolveNs(domain);
    if (ns.kind === "nxdomain" || ns.kind === "nodata") return null;
    if (ns.kind !== "ok") {
      inconclusiveDomains.push(domain);
      return null;
    }
    const [addresses, mx, wildcard] = await Promise.all([
      deps.dns.resolveAddresses(domain),
      deps.dns.resolveMx(domain),
      deps.dns.resolveAddresses(`cw-${randomBytes(6).toString("hex")}.${domain}`),
    ]);
    return registeredLookalikeFinding({
      lookalike: domain,
      unicode: domainToUnicode(domain) || domain,
      watched: g.watched,
      candidates: g.candidates,
      nameservers: [...ns.hosts].sort(),
      addresses: addresses.kind === "ok" ? [...addresses.addresses] : [],
      mx: mx.kind === "ok" ? mx.exchanges.filter((e) => e.exchange !== "").map((e) => e.exchange) : [],
      wildcard: wildcard.kind === "ok",
      verdict: deps.verdict?.(domain) ?? null,
    });
  });
  // A suffix that delegates every name (wildcard NS) would make every candidate under it "registered".
  const suffixes = [...new Set(registered.flatMap((f) => (f === null ? [] : [suffixOf(f.key)])))];
  const wildcardSuffixes = new Set<string>();
  await mapLimit(suffixes, o.concurrency, async (suffix) => {
    const probe = await deps.dns.resolveNs(`cw-${randomBytes(6).toString("hex")}.${suffix}`);
    if (probe.kind === "ok") wildcardSuffixes.add(suffix);
  });
  for (const suffix of wildcardSuffixes) {
    deps.logLine(
      `domains: every name under .${suffix} is delegated (wildcard); its lookalike candidates are skipped`,
    );
  }
  const findings = registered.filter(
    (f): f is Finding => f !== null && !wildcardSuffixes.has(suffixOf(f.key)),
  );
  const inconclusive = inconclusiveDomains.length;
  if (inconclusive > 0) {
    deps.logLine(
      `domains: ${inconclusive} lookalike domains could not be checked (SERVFAIL or timeout); no alert for them`,
    );
  }
  return {
    findings,
    candidates: candidateCount,
    registrableDomains: groups.size,
    registered: findings.length,
    inconclusive,
    inconclusiveDomains: inconclusiveDomains.sort(),
  };
}
