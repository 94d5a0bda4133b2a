/**
 * @module checks/revocation
 * Revocation of the served chain from CRL and OCSP evidence: 30 revoked, 32 crl-unreachable,
 * 35 crl-expired, 104 ocsp-unreachable. When CRL and OCSP disagree, the 30 details say so.
 */
import type { Endpoint } from "../domain/endpoint.js";
import type { Finding } from "../domain/finding.js";
import { summarize } from "../pki/certificate.js";
import type { CertRevocationEvidence, CrlView, RevocationEntry } from "../sources/revocation/evidence.js";
import { endpointFinding } from "./finding-helpers.js";

export function revocationFindings(
  endpoint: Endpoint,
  evidence: readonly CertRevocationEvidence[],
  now: Date,
): Finding[] {
  const findings: Finding[] = [];
  for (const ev of evidence) {
    const cert = summarize(ev.cert);
    let crlRevoked: { url: string; entry: RevocationEntry } | null = null;
    let crlSaysGood: string | null = null;

    for (const c of ev.crls) {
      if (c.kind === "unusable") {
        findings.push(
          urlFinding("crl-unreachable", endpoint, c.url, {
            url: c.url,
            stage: c.stage,
            reason: c.reason,
            error: c.error,
            role: ev.role,
            certificate: cert.subject,
          }),
        );
        continue;
      }
      if (c.crl.nextUpdate !== null && c.crl.nextUpdate < now) {
        findings.push(
          urlFinding("crl-expired", endpoint, c.url, {
            url: c.url,
            thisUpdate: c.crl.thisUpdate.toISOString(),
            nextUpdate: c.crl.nextUpdate.toISOString(),
            role: ev.role,
          }),
        );
      }
      if (!covers(c.crl, ev.role, c.url)) {
        findings.push(
          urlFinding("crl-unreachable", endpoint, c.url, {
            url: c.url,
            stage: "scope",
            reason: "out-of-scope",
            error: `the CRL's issuing distribution point does not cover this ${ev.role === "leaf" ? "end-entity" : "CA"} certificate`,
            role: ev.role,
          }),
        );
        continue;
      }
      const entry = c.crl.lookup(ev.cert.serialNumber);
      if (entry) crlRevoked ??= { url: c.url, entry };
      else crlSaysGood ??= c.url;
    }

    const o = ev.ocsp;
    if (o.kind === "failed") {
      findings.push({
        event: "ocsp-unreachable",
        key: `${o.url}/${cert.sha256}`,
        subject: o.url,
        endpoint,
        certificate: cert,
        details: { url: o.url, error: o.error, role: ev.role },
      });
    }
    const ocspRevoked = o.kind === "verdict" && o.status === "revoked" ? o : null;
    const ocspGood = o.kind === "verdict" && o.status === "good" ? o : null;

    if (crlRevoked || ocspRevoked) {
      const details: Record<string, unknown> = {
        role: ev.role,
        sources: [...(crlRevoked ? ["crl"] : []), ...(ocspRevoked ? ["ocsp"] : [])],
        revokedAt: (crlRevoked?.entry.revokedAt ?? ocspRevoked?.revokedAt)?.toISOString() ?? null,
        reason: crlRevoked?.entry.reason ?? ocspRevoked?.reason ?? null,
      };
      if (crlRevoked) details.crlUrl = crlRevoked.url;
      if (ocspRevoked) details.ocsp = ocspRevoked.url ?? "stapled";
      if (crlRevoked && ocspGood) {
        details.disagreement = `the CRL at ${crlRevoked.url} lists the certificate as revoked but OCSP (${ocspGood.url ?? "stapled"}) says good`;
      } else if (ocspRevoked && crlSaysGood) {
        details.disagreement = `OCSP (${ocspRevoked.url ?? "stapled"}) says revoked but the CRL at ${crlSaysGood} does not list it`;
      }
      findings.push(endpointFinding("revoked", endpoint, "cert", cert, details));
    }
  }
  return findings;
}

/** RFC 5280 §5.2.5: a partitioned CRL covers only what its issuing distribution point says. */
function covers(crl: CrlView, role: "leaf" | "intermediate", url: string): boolean {
  const s = crl.scope;
  if (s === null) return true;
  if (s.onlyUserCerts && role !== "leaf") return false;
  if (s.onlyCaCerts && role !== "intermediate") return false;
  return s.uris.length === 0 || s.uris.includes(url);
}

function urlFinding(
  event: "crl-unreachable" | "crl-expired",
  endpoint: Endpoint,
  url: string,
  details: Record<string, unknown>,
): Finding {
  return { event, key: url, subject: url, endpoint, certificate: null, details };
}
