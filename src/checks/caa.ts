/**
 * @module checks/caa
 * Event 29 caa-mismatch: was the certificate's issuer authorised by the relevant CAA record set of every
 * name it certifies? RFC 8659 §4 processing (issue/issuewild, ";", parameters, critical tags); pure.
 */
import type { CertificateSummary } from "../domain/certificate.js";
import type { Finding } from "../domain/finding.js";
import type { CaaIdentifierMatch } from "../pki/ca-identifiers.js";
import type { CaaRecord } from "../sources/dns/result.js";

export interface CaaPolicySeen {
  /** The certificate name checked, e.g. "*.shop.contoso.com". */
  readonly name: string;
  /** Where the relevant record set was found; null when no name up the tree has one. */
  readonly owner: string | null;
  readonly records: readonly CaaRecord[];
}

/**
 * Property tags a CA may understand (RFC 8659, RFC 9495, the CA/B Forum's contact tags, BIMI's issuevmc).
 * Only issue and issuewild restrict TLS issuance; an unknown tag restricts only when flagged critical.
 */
const KNOWN_TAGS = new Set([
  "issue",
  "issuewild",
  "iodef",
  "issuemail",
  "issuevmc",
  "contactemail",
  "contactphone",
]);

/** What one relevant record set says about a name, whoever the issuer. */
export type CaaVerdict =
  | { readonly kind: "unrestricted" }
  /** No CA may issue: a critical tag the CA cannot understand, or only empty/malformed issuer values. */
  | { readonly kind: "forbidden"; readonly why: "critical-unknown-tag" | "no-issuer" }
  /** Only CAs holding one of these issuer domain names (lower case, no trailing dot) may issue. */
  | { readonly kind: "restricted"; readonly issuers: readonly string[] };

const LABEL = "[A-Za-z0-9](?:-*[A-Za-z0-9])*";
const WSP = "[ \\t]*";
const PARAMETER = `${LABEL}${WSP}=${WSP}[\\x21-\\x3a\\x3c-\\x7e]*`;
/** RFC 8659 §4.2 issue-value, with a tolerated trailing dot on the issuer domain name. */
const ISSUE_VALUE = new RegExp(
  `^${WSP}(?:(${LABEL}(?:\\.${LABEL})*)\\.?${WSP})?(?:;${WSP}(?:${PARAMETER}(?:${WSP};${WSP}${PARAMETER})*${WSP})?)?$`,
);

/**
 * The issuer domain name of an issue/issuewild value, lower-cased without a trailing dot; "" when the
 * value names no issuer (";") or does not match the RFC 8659 grammar, which §4.2 says to treat as ";".
 */
export function issuerDomainOf(value: string): string {
  const m = ISSUE_VALUE.exec(value);
  return (m?.[1] ?? "").toLowerCase();
}

/** RFC 8659 §4: what the relevant record set found for `name` allows. */
export function caaVerdict(name: string, records: readonly CaaRecord[]): CaaVerdict {
  const tagOf = (r: CaaRecord): string => r.tag.toLowerCase();
  if (records.some((r) => r.critical && !KNOWN_TAGS.has(tagOf(r)))) {
    return { kind: "forbidden", why: "critical-unknown-tag" };
  }
  const wildcard = name.startsWith("*.");
  const wild = records.filter((r) => tagOf(r) === "issuewild");
  const applicable = wildcard && wild.length > 0 ? wild : records.filter((r) => tagOf(r) === "issue");
  if (applicable.length === 0) return { kind: "unrestricted" };
  const issuers = [...new Set(applicable.map((r) => issuerDomainOf(r.value)).filter((d) => d !== ""))];
  return issuers.length === 0 ? { kind: "forbidden", why: "no-issuer" } : { kind: "restricted", issuers };
}

/**
 * One finding per certificate when some name's relevant CAA record set does not authorise its issuer.
 * `not-authorised`: a name forbids every CA, or the identified issuer holds none of the names it lists.
 * `unmapped-issuer`: otherwise, when a name restricts issuance and the issuer's identity is unknown (its
 * `authorised` is then false because it could not be shown, not because it was refuted).
 */
export function checkCaa(input: {
  certificate: CertificateSummary;
  key: string;
  policies: readonly CaaPolicySeen[];
  issuer: CaaIdentifierMatch | null;
}): Finding[] {
  const { certificate, key, policies, issuer } = input;
  const ids = new Set((issuer?.identifiers ?? []).map((i) => i.toLowerCase().replace(/\.$/, "")));

  let refuted: string | null = null;
  let unknown: string | null = null;
  const names: {
    name: string;
    owner: string | null;
    authorised: boolean;
    records: { flags: number; tag: string; value: string }[];
  }[] = [];
  for (const p of policies) {
    const verdict: CaaVerdict =
      p.owner === null ? { kind: "unrestricted" } : caaVerdict(p.name.toLowerCase(), p.records);
    let authorised: boolean;
    if (verdict.kind === "unrestricted") authorised = true;
    else if (verdict.kind === "forbidden") authorised = false;
    else if (issuer === null) {
      authorised = false;
      unknown ??= p.name;
    } else authorised = verdict.issuers.some((d) => ids.has(d));
    if (!authorised && (verdict.kind === "forbidden" || issuer !== null)) refuted ??= p.name;
    names.push({
      name: p.name,
      owner: p.owner,
      authorised,
      records: p.records.map((r) => ({ flags: r.flags, tag: r.tag, value: r.value })),
    });
  }

  const subject = refuted ?? unknown;
  if (subject === null) return [];
  return [
    {
      event: "caa-mismatch",
      key,
      subject,
      endpoint: null,
      certificate,
      details: {
        reason: refuted !== null ? "not-authorised" : "unmapped-issuer",
        names,
        issuer:
          issuer === null ? null : { owner: issuer.owner, identifiers: issuer.identifiers, via: issuer.via },
      },
    },
  ];
}
