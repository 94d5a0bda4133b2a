/**
 * @module checks/lookalike
 * Event 12 similar-domain, as a Finding: from a logged certificate naming a lookalike (CT), or from a
 * lookalike registrable domain found registered in DNS (`certwatch domains`). One key per lookalike domain.
 */
import type { CertificateSummary } from "../domain/certificate.js";
import type { Finding } from "../domain/finding.js";

/** What the lookalike index said of one name (src/lookalike/matcher.ts). */
export interface LookalikeVerdict {
  /** The imitating registrable domain, ASCII (punycode), lower case: the alert key. */
  readonly lookalike: string;
  /** Its display form (Unicode). */
  readonly unicode: string;
  /** Which watched domain it imitates. */
  readonly watched: string;
  /** The name that matched (lower case, no trailing dot; a wildcard keeps its `*.`). */
  readonly name: string;
  readonly reasons: readonly string[];
  /** Damerau-Levenshtein distance between the folded labels, when relevant. */
  readonly distance: number | null;
  /** 0..100, how convincing. */
  readonly score: number;
  readonly details: Readonly<Record<string, unknown>>;
}

/** A certificate logged for a lookalike of a watched domain. */
export function loggedLookalikeFinding(
  v: LookalikeVerdict,
  certificate: CertificateSummary,
  logged: Readonly<Record<string, unknown>>,
): Finding {
  return {
    event: "similar-domain",
    key: v.lookalike,
    subject: v.lookalike,
    endpoint: null,
    certificate,
    details: {
      seenIn: "ct",
      lookalike: v.lookalike,
      unicode: v.unicode,
      watchedDomain: v.watched,
      name: v.name,
      reasons: v.reasons,
      distance: v.distance,
      score: v.score,
      ...v.details,
      ...logged,
    },
  };
}

/** What DNS says of a registered lookalike domain. */
export interface RegisteredLookalike {
  readonly lookalike: string;
  readonly unicode: string;
  readonly watched: string;
  /** The generated candidates under this registrable domain that led to it, with their families. */
  readonly candidates: readonly { readonly name: string; readonly families: readonly string[] }[];
  readonly nameservers: readonly string[];
  readonly addresses: readonly string[];
  readonly mx: readonly string[];
  /** A random name under it resolves too: the zone answers everything (a wildcard). */
  readonly wildcard: boolean;
  /** The lookalike index's view (score, reasons), when it recognises the domain. */
  readonly verdict: LookalikeVerdict | null;
}

export function registeredLookalikeFinding(r: RegisteredLookalike): Finding {
  const families = [...new Set(r.candidates.flatMap((c) => c.families))].sort();
  return {
    event: "similar-domain",
    key: r.lookalike,
    subject: r.lookalike,
    endpoint: null,
    certificate: null,
    details: {
      seenIn: "dns",
      lookalike: r.lookalike,
      unicode: r.unicode,
      watchedDomain: r.watched,
      families,
      candidates: r.candidates.map((c) => c.name),
      nameservers: r.nameservers,
      addresses: r.addresses,
      mx: r.mx,
      mailRisk: r.mx.length > 0,
      wildcard: r.wildcard,
      score: r.verdict?.score ?? null,
      reasons: r.verdict?.reasons ?? [],
      distance: r.verdict?.distance ?? null,
    },
  };
}
