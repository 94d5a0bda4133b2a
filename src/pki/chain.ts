/**
 * @module pki/chain
 * Path building from a leaf to a trusted root over what the server sent plus the trust store, with
 * the reason a path could not be built (the evidence behind event 41). Pure: `now` is passed in.
 */
import { signedBy, type ParsedCertificate } from "./certificate.js";
import type { TrustStore } from "./trust-store.js";

export type ChainProblem =
  | "missing-intermediate"
  | "unknown-root"
  | "expired-intermediate"
  | "not-yet-valid-intermediate"
  | "not-a-ca"
  | "path-length-exceeded"
  | "bad-signature"
  | "expired-root";

export type ChainResult =
  | { readonly ok: true; readonly path: readonly ParsedCertificate[]; readonly anchor: ParsedCertificate }
  | {
      readonly ok: false;
      readonly problem: ChainProblem;
      /** Readable explanation naming the certificate at fault. */
      readonly detail: string;
      /** The longest path found, leaf first. */
      readonly path: readonly ParsedCertificate[];
    };

const MAX_DEPTH = 8;

/** Which failure best explains a broken chain to the person fixing it (most specific first). */
const PRIORITY: readonly ChainProblem[] = [
  "expired-intermediate",
  "not-yet-valid-intermediate",
  "not-a-ca",
  "path-length-exceeded",
  "expired-root",
  "bad-signature",
  "unknown-root",
  "missing-intermediate",
];

interface Failure {
  problem: ChainProblem;
  detail: string;
  path: ParsedCertificate[];
}

/**
 * Builds a path leaf → … → trust anchor. `served` are the other certificates the server sent (any
 * order; unrelated extras are ignored). The leaf's own validity is not judged here (event 40).
 */
export function buildChain(
  leaf: ParsedCertificate,
  served: readonly ParsedCertificate[],
  trust: TrustStore,
  now: Date,
): ChainResult {
  const pool = new Map<string, ParsedCertificate[]>();
  for (const c of served) {
    if (c.sha256 === leaf.sha256) continue;
    const list = pool.get(c.subjectDer) ?? [];
    if (!list.some((x) => x.sha256 === c.sha256)) list.push(c);
    pool.set(c.subjectDer, list);
  }
  const failures: Failure[] = [];
  const found = extend([leaf], pool, trust, now, failures);
  if (found) return found;
  failures.sort((a, b) => PRIORITY.indexOf(a.problem) - PRIORITY.indexOf(b.problem));
  const best = failures[0] ?? { problem: "missing-intermediate", detail: "no issuer found", path: [leaf] };
  return { ok: false, problem: best.problem, detail: best.detail, path: best.path };
}

function extend(
  path: ParsedCertificate[],
  pool: ReadonlyMap<string, ParsedCertificate[]>,
  trust: TrustStore,
  now: Date,
  failures: Failure[],
): ChainResult | null {
  const cert = path[path.length - 1]!;
  const depth = path.length - 1; // number of CA certificates below `cert` … leaf is depth 0

  if (depth > 0) {
    const problem = caProblem(cert, depth, path, now);
    if (problem) {
      failures.push({ ...problem, path: [...path] });
      return null;
    }
  }
  if (trust.isAnchor(cert)) {
    if (depth > 0 && cert.notAfter < now) {
      failures.push({
        problem: "expired-root",
        detail: `root ${cert.subject} expired ${cert.notAfter.toISOString()}`,
        path: [...path],
      });
      return null;
    }
    return { ok: true, path: [...path], anchor: cert };
  }
  if (path.length > MAX_DEPTH) return null;

  const candidates = [...(pool.get(cert.issuerDer) ?? []), ...trust.anchorsNamed(cert.issuerDer)].filter(
    (c) => !path.some((p) => p.sha256 === c.sha256) && keyIdsAgree(cert, c),
  );
  let anySigned = false;
  for (const issuer of candidates) {
    if (!signedBy(cert, issuer)) continue;
    anySigned = true;
    const r = extend([...path, issuer], pool, trust, now, failures);
    if (r) return r;
  }
  if (anySigned) return null;

  if (candidates.length > 0) {
    failures.push({
      problem: "bad-signature",
      detail: `the signature of ${cert.subject} does not verify with the key of any certificate named ${cert.issuer}`,
      path: [...path],
    });
  } else if (cert.selfIssued && signedBy(cert, cert)) {
    failures.push({
      problem: "unknown-root",
      detail: `the chain ends at ${cert.subject}, a root that is not trusted`,
      path: [...path],
    });
  } else {
    failures.push({
      problem: "missing-intermediate",
      detail: `the issuer of ${cert.subject} (${cert.issuer}) was not sent by the server and is not a trusted root`,
      path: [...path],
    });
  }
  return null;
}

/** RFC 5280 checks on a certificate used as an issuer at `depth` (1 = issued the leaf). */
function caProblem(
  ca: ParsedCertificate,
  depth: number,
  path: readonly ParsedCertificate[],
  now: Date,
): { problem: ChainProblem; detail: string } | null {
  // Trust anchors are trusted for what they are; only intermediates are judged here.
  const isRoot = ca.selfIssued;
  if (!isRoot && ca.notAfter < now) {
    return {
      problem: "expired-intermediate",
      detail: `intermediate ${ca.subject} expired ${ca.notAfter.toISOString()}`,
    };
  }
  if (!isRoot && ca.notBefore > now) {
    return {
      problem: "not-yet-valid-intermediate",
      detail: `intermediate ${ca.subject} is not valid before ${ca.notBefore.toISOString()}`,
    };
  }
  if (!ca.isCa || ca.keyCertSign === false) {
    return {
      problem: "not-a-ca",
      detail: `${ca.subject} signed ${path[depth - 1]?.subject ?? "the certificate below it"} but is not a CA certificate (basicConstraints cA or keyCertSign missing)`,
    };
  }
  // pathLen counts the non-self-issued intermediates below this CA.
  const intermediatesBelow = path.slice(1, depth).filter((c) => !c.selfIssued).length;
  if (ca.pathLength !== null && intermediatesBelow > ca.pathLength) {
    return {
      problem: "path-length-exceeded",
      detail: `${ca.subject} allows ${ca.pathLength} intermediate(s) below it, the path has ${intermediatesBelow}`,
    };
  }
  return null;
}

function keyIdsAgree(child: ParsedCertificate, issuer: ParsedCertificate): boolean {
  return (
    child.authorityKeyId === null ||
    issuer.subjectKeyId === null ||
    child.authorityKeyId === issuer.subjectKeyId
  );
}
