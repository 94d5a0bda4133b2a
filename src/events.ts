/**
 * @module events
 * The event catalogue: the single source of truth for every alert certwatch raises.
 * IDs below 100 are the commercial catalogue's (a contract with existing SIEM rules); ours start at 100.
 */

export const SEVERITIES = ["info", "low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

export type EventSource = "ct" | "tls" | "dns";

export interface EventDefinition {
  readonly id: number;
  readonly name: string;
  readonly source: EventSource;
  readonly severity: Severity;
  /** One line, shown as the alert title. */
  readonly summary: string;
  /** What identifies "the same problem" for de-duplication (the alert id derives from it). */
  readonly key: string;
  /** When the event is raised (mirrors SPEC.md §1). */
  readonly raisedWhen: string;
  /** What the person who must fix it should do. */
  readonly remediation: string;
}

export const EVENTS = [
  {
    id: 12,
    key: "the lookalike registrable domain",
    name: "similar-domain",
    source: "ct",
    severity: "high",
    summary: "A similar domain has been found",
    raisedWhen:
      "A certificate or DNS registration names a domain that is not the organisation's but imitates a watched domain (confusable characters, typo permutations, or the watched label embedded in another registrable domain).",
    remediation:
      "Verify that this domain is not used to impersonate your organisation. If it is not yours, consider a takedown request to its registrar and hosting provider, and block it in your mail and web gateways.",
  },
  {
    id: 18,
    key: "the dangling name",
    name: "domain-takeover",
    source: "dns",
    severity: "critical",
    summary: "Your domain is vulnerable to domain takeover",
    raisedWhen:
      "A name under a watched domain has a CNAME chain (or NS delegation) that ends at a cloud resource that no longer exists.",
    remediation:
      "Remove the DNS record that points to the deleted resource (or re-create the resource) so that nobody else can claim it and serve content under your name.",
  },
  {
    id: 19,
    key: "endpoint + served certificate",
    name: "renewal-not-installed",
    source: "tls",
    severity: "high",
    summary: "The newest certificate is not installed on this server",
    raisedWhen:
      "A newer certificate for the endpoint's host is known (served by another endpoint of the same host, or seen in CT) but this endpoint still serves the older one, which expires within the threshold.",
    remediation:
      "Install the renewed certificate (and its intermediates) on this server and reload the service; check every server behind the name, not just one.",
  },
  {
    id: 20,
    key: "certificate (CT identity: SHA-256 of its TBSCertificate without the poison and SCT list extensions, so a precertificate and its certificate are one)",
    name: "different-root",
    source: "ct",
    severity: "medium",
    summary: "A certificate was issued from a different root CA",
    raisedWhen:
      "A certificate for a watched name chains to a root CA that the organisation's certificates have not used before (and that is not in allowedRoots).",
    remediation:
      "Verify with your team that this certificate was requested by someone in your organisation. If it was, add the root to allowedRoots; if not, revoke it through the issuing CA.",
  },
  {
    id: 25,
    key: "the host name",
    name: "new-subdomain",
    source: "ct",
    severity: "low",
    summary: "A new subdomain was certified",
    raisedWhen: "A certificate names a host under a watched domain that the inventory has never seen.",
    remediation:
      "Verify that this subdomain was created by someone in your organisation, and add it to your inventory and monitoring.",
  },
  {
    id: 26,
    key: "endpoint",
    name: "name-mismatch",
    source: "tls",
    severity: "high",
    summary: "No subject alternative name matches the host",
    raisedWhen:
      "No subject alternative name of the served certificate matches the host (RFC 6125: one left-most wildcard label; IP SANs for IP endpoints; CN ignored when SANs exist).",
    remediation:
      "Install a certificate whose subject alternative names include this host name, or point the name at the server that has the right certificate.",
  },
  {
    id: 27,
    key: "endpoint",
    name: "no-certificate",
    source: "tls",
    severity: "high",
    summary: "The server did not serve a certificate",
    raisedWhen:
      "The endpoint accepted a connection but no certificate was obtained (plain HTTP answered, TLS alert, handshake failure).",
    remediation:
      "Make sure HTTPS is enabled on this port and that a valid certificate is bound to this host name (check SNI bindings).",
  },
  {
    id: 28,
    key: "endpoint + certificate",
    name: "wildcard-certificate",
    source: "tls",
    severity: "low",
    summary: "Certificate contains a wildcard subject alternative name",
    raisedWhen: "The served certificate has a wildcard subject alternative name.",
    remediation:
      "Replace the wildcard certificate with one that names the specific hosts: a wildcard key copied to many servers is hard to track, and one compromise exposes every host.",
  },
  {
    id: 29,
    key: "certificate (CT identity: SHA-256 of its TBSCertificate without the poison and SCT list extensions, so a precertificate and its certificate are one)",
    name: "caa-mismatch",
    source: "ct",
    severity: "high",
    summary: "CAA mismatch",
    raisedWhen:
      "A certificate for a watched name was issued by a CA that the name's CAA record set does not authorise (RFC 8659 tree climbing; issuewild for wildcard names; no CAA record set means every CA is authorised).",
    remediation:
      "Find out who requested this certificate. If it is legitimate, add the CA to your CAA records; if not, ask the CA to revoke it and report the CAA violation to the CA.",
  },
  {
    id: 30,
    key: "certificate SHA-256",
    name: "revoked",
    source: "tls",
    severity: "critical",
    summary: "This certificate has been revoked",
    raisedWhen: "The served leaf (or an intermediate) is revoked, per its CRL or OCSP responder.",
    remediation:
      "Clients will reject this certificate. Issue a new certificate (with a new key if the old one may be compromised) and install it on this endpoint.",
  },
  {
    id: 31,
    key: "endpoint + certificate",
    name: "self-signed",
    source: "tls",
    severity: "high",
    summary: "Self-signed certificate",
    raisedWhen: "The served leaf is self-signed.",
    remediation: "Replace it with a certificate issued by a trusted certificate authority.",
  },
  {
    id: 32,
    key: "CRL URL",
    name: "crl-unreachable",
    source: "tls",
    severity: "medium",
    summary: "The CRL could not be downloaded",
    raisedWhen:
      "A CRL distribution point of the served chain could not be downloaded, parsed, or its signature does not verify.",
    remediation:
      "Make sure the CRL distribution point is published and reachable from your network, and that the CA's CRL is well formed.",
  },
  {
    id: 33,
    key: "certificate SHA-256 (the weakly signed one)",
    name: "sha1-signature",
    source: "tls",
    severity: "high",
    summary: "Certificate signed with SHA-1",
    raisedWhen: "The leaf or an intermediate is signed with SHA-1 (or MD5).",
    remediation:
      "SHA-1 and MD5 are no longer secure. Replace the certificate with one signed with SHA-256 or stronger.",
  },
  {
    id: 34,
    key: "certificate SHA-256 (the one with the weak key)",
    name: "weak-key",
    source: "tls",
    severity: "high",
    summary: "Weak cryptographic key",
    raisedWhen:
      "An RSA key below the minimum size (default 2048 bits), an EC key below 256 bits, or a DSA key.",
    remediation:
      "Generate a new key (RSA 2048 bits or more, or ECDSA P-256 or stronger) and replace the certificate.",
  },
  {
    id: 35,
    key: "CRL URL",
    name: "crl-expired",
    source: "tls",
    severity: "medium",
    summary: "The current CRL is expired",
    raisedWhen: "A downloaded CRL's nextUpdate is in the past.",
    remediation:
      "Ask the CA (or your PKI team) to publish a fresh CRL on every distribution point; clients that check revocation may reject certificates meanwhile.",
  },
  {
    id: 40,
    key: "endpoint + certificate",
    name: "invalid-certificate",
    source: "tls",
    severity: "critical",
    summary: "The installed certificate is not valid",
    raisedWhen:
      "The leaf itself is not valid: expired, not yet valid, malformed, or its signature does not verify.",
    remediation:
      "Install a valid certificate; the alert details say what is wrong (expired, not yet valid, malformed, bad signature).",
  },
  {
    id: 41,
    key: "endpoint + served leaf",
    name: "invalid-chain",
    source: "tls",
    severity: "high",
    summary: "The installed certificate chain is not valid",
    raisedWhen:
      "No valid path from the leaf to a trusted root: unknown root, missing intermediate, expired or non-CA intermediate.",
    remediation:
      "Serve the leaf followed by every intermediate up to (not including) a trusted root; the alert details say which link is broken.",
  },
  {
    id: 42,
    key: "endpoint",
    name: "hsts-missing",
    source: "tls",
    severity: "medium",
    summary: "HTTPS is not enforced",
    raisedWhen: "An HTTPS response from the endpoint has no Strict-Transport-Security header.",
    remediation:
      "Add the header `Strict-Transport-Security: max-age=31536000; includeSubDomains` to every HTTPS response to prevent downgrade and man-in-the-middle attacks.",
  },
  {
    id: 68,
    key: "endpoint + certificate",
    name: "installed-certificate-expiring",
    source: "tls",
    severity: "high",
    summary: "The certificate installed on the server is expiring soon",
    raisedWhen: "The served leaf expires within the threshold.",
    remediation: "Install a renewed certificate before it expires to avoid an outage.",
  },
  {
    id: 99,
    key: "certificate SHA-256",
    name: "certificate-expiring-not-renewed",
    source: "tls",
    severity: "high",
    summary: "Certificate is expiring soon and has not been renewed",
    raisedWhen:
      "A certificate (served, or the newest in CT for a watched name) expires within the threshold and no newer certificate covering the same names is known.",
    remediation:
      "Renew the certificate and install the new one on every server that uses it to avoid an outage; automate renewal (ACME) where you can.",
  },
  {
    id: 100,
    key: "endpoint (host:port when the name does not resolve)",
    name: "endpoint-unreachable",
    source: "tls",
    severity: "medium",
    summary: "The endpoint could not be reached",
    raisedWhen: "DNS failure, connection refused or timed out.",
    remediation:
      "Check that the name resolves and the server is listening on this port; if the endpoint was retired, remove it from the configuration.",
  },
  {
    id: 101,
    key: "endpoint",
    name: "legacy-tls-protocol",
    source: "tls",
    severity: "medium",
    summary: "The server accepts TLS 1.0 or 1.1",
    raisedWhen: "The endpoint completes a TLS 1.0 or 1.1 handshake.",
    remediation:
      "Disable TLS 1.0 and 1.1 on this server (they are deprecated by RFC 8996); allow TLS 1.2 and 1.3 only.",
  },
  {
    id: 102,
    key: "log ID (base64 SHA-256 of the log's public key)",
    name: "ct-log-misbehaving",
    source: "ct",
    severity: "high",
    summary: "A Certificate Transparency log is misbehaving",
    raisedWhen:
      "A log's STH/checkpoint signature is wrong, its tree is inconsistent with what it served before, or its entries do not hash to its root.",
    remediation:
      "certwatch stops trusting this log until it is consistent again. Report the evidence in the details to the log operator and to the CT policy community.",
  },
  {
    id: 103,
    key: "endpoint",
    name: "hsts-weak",
    source: "tls",
    severity: "low",
    summary: "HSTS policy is too weak",
    raisedWhen:
      "HSTS is present but max-age is below 15552000 seconds (180 days), or the header is malformed.",
    remediation: "Set `Strict-Transport-Security: max-age=31536000; includeSubDomains` (at least 180 days).",
  },
  {
    id: 104,
    key: "OCSP responder URL + certificate",
    name: "ocsp-unreachable",
    source: "tls",
    severity: "medium",
    summary: "The OCSP responder did not answer",
    raisedWhen: "The OCSP responder named in the served leaf did not answer with a valid response.",
    remediation:
      "Check that the CA's OCSP responder is reachable from your network; consider enabling OCSP stapling on the server.",
  },
  {
    id: 105,
    key: "endpoint",
    name: "certificate-chain-too-large",
    source: "tls",
    severity: "medium",
    summary: "The certificate chain is too large for common TLS clients",
    raisedWhen:
      "The server's Certificate message is larger than OpenSSL-based clients accept (100 KiB by default): browsers may connect, but curl, Python, Node.js and other clients built on OpenSSL abort the handshake. The chain is still checked when it can be read off the wire; HSTS cannot be checked.",
    remediation:
      "Serve a smaller chain: spread the names over several certificates (fewer subject alternative names each) and send only the leaf and the intermediates it needs (no root, no extra cross-signs).",
  },
] as const satisfies readonly EventDefinition[];

export type EventName = (typeof EVENTS)[number]["name"];
export type EventId = (typeof EVENTS)[number]["id"];

const byName = new Map<string, EventDefinition>(EVENTS.map((e) => [e.name, e]));
const byId = new Map<number, EventDefinition>(EVENTS.map((e) => [e.id, e]));

export function eventByName(name: EventName): EventDefinition {
  const e = byName.get(name);
  if (!e) throw new Error(`unknown event name ${name}`);
  return e;
}

export function eventById(id: number): EventDefinition | undefined {
  return byId.get(id);
}

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export function isSeverity(s: string): s is Severity {
  return (SEVERITIES as readonly string[]).includes(s);
}
