/**
 * @module docs/event-details
 * What each event puts in the alert's `details`, for docs/events.md and SIEM rule authors.
 * Events whose checks are not built yet have no entry.
 */
import type { EventName } from "../events.js";

const expiry = {
  notAfter: "expiry time of the certificate (RFC 3339)",
  daysLeft: "days until expiry (one decimal)",
  lifetimeDays: "total validity period of the certificate in days",
  fractionLeft: "share of the lifetime still left (0–1)",
  thresholdDays: "the configured `thresholds.expiringSoonDays`",
  thresholdFraction: "the configured `thresholds.expiringSoonFraction`",
};

/** Where a CT alert's certificate was first logged. */
const logged = {
  log: "description of the log the certificate was read from",
  logId: "the log's ID (base64 SHA-256 of its key)",
  index: "the entry's index in that log",
  entryType: "`precert` or `x509`",
  loggedAt: "the entry's timestamp (RFC 3339)",
};

export const EVENT_DETAILS: Partial<Record<EventName, Record<string, string>>> = {
  "similar-domain": {
    seenIn: "`ct` (a logged certificate names it) or `dns` (`certwatch domains` found it registered)",
    lookalike: "the imitating registrable domain, ASCII/punycode (also the subject and key)",
    unicode: "its display form (differs for IDN lookalikes)",
    watchedDomain: "the watched domain it imitates",
    reasons:
      "how the index recognised it: `confusable` (same Unicode TR39 skeleton), `typo` (edit distance), `permutation`, `embedded-label` (`contoso-login.com`), `embedded-domain` (`contoso.com.evil.net`)",
    score: "0–100: how convincing the imitation is, for triage",
    distance: "edit distance between the folded labels, when relevant",
    name: "(ct) the certificate name that matched, with `log`, `logId`, `index`, `entryType`, `loggedAt`",
    families:
      "(dns) the generator families that produced it: omission, insertion, replacement, transposition, repetition, vowel-swap, bitsquatting, hyphenation, addition, homoglyph, cyrillic, confusable, mixed-script, keyboard, plural, dictionary, tld-swap, subdomain, various",
    candidates: "(dns) the generated names under it (at most 20)",
    nameservers: "(dns) its NS records: it is delegated, so registered",
    addresses: "(dns) its A/AAAA addresses",
    mx: "(dns) its mail exchangers; `mailRisk` is true when there are any (mail meant for you can be received)",
    wildcard: "(dns) a random name under it resolves too: a wildcard zone (typical of parking)",
  },
  "domain-takeover": {
    chain: "the name, then each CNAME target in order (for a delegation: the zone)",
    provider:
      "the service the chain ends at (e.g. `Azure App Service`), `unregistered domain`, or the DNS host of a dead delegation",
    signal:
      "`nxdomain` (the target does not exist), `http` (the provider's page for an unclaimed resource), `ns` (no name server serves the delegated zone)",
    status:
      "`yes` or `edge-case`: how takeover-prone the service is, per the public can-i-take-over-xyz lists",
    evidence:
      "what was seen, e.g. `NXDOMAIN for x.azurewebsites.net on 3 of 3 tries` or the fingerprint matched",
    nameservers: "(ns) each name server with its state (`lame`, `unresolvable`, …) and evidence",
    remediation: "what to do for this provider",
    reference: "where the provider's fingerprint is documented",
  },
  "different-root": {
    root: "`{ subject, spkiSha256 }` of the root the certificate chains to (from the logged chain, or the trust store)",
    domains: "the watched domains for which this root is new",
    baselineRoots: "per domain, the roots (SPKI SHA-256) seen before",
    allowedRoots: "how many roots `allowedRoots` lists",
    issuerKeySha256: "SHA-256 of the issuing CA's SubjectPublicKeyInfo",
    ...logged,
  },
  "new-subdomain": {
    name: "the new name (also the subject and key); wildcards keep their `*.`",
    watchedDomain: "the watched domain it falls under",
    wildcard: "true for a wildcard name",
    ...logged,
  },
  "caa-mismatch": {
    reason:
      "`not-authorised` (the issuer's CAA identifiers are not allowed for a name) or `unmapped-issuer` (certwatch does not know which CAA identifiers the issuer uses: add it to `caa.issuers`)",
    names:
      "per name: `{ name, owner, authorised, records }`: the CAA record set seen (`owner` is where tree climbing found it, null when none), and the records `{ flags, tag, value }`",
    issuer:
      "`{ owner, identifiers, via }`: how the issuer was recognised (`config`, `issuing-ca-key`, `root`, `issuer-name`), or null",
  },
  "ct-log-misbehaving": {
    reason:
      "`sth-signature`, `sth-malformed`, `checkpoint`, `checkpoint-origin` (tree head); `consistency`, `fork` (two trees of one size), `proof` (inclusion proof), `root-mismatch` (entries do not hash to the signed root), `hash-tile`, `data-tile`, `issuer` (Static CT API)",
    error: "readable explanation",
    log: "the log's description",
    logId: "the log's ID",
    url: "the log's URL",
    treeSize: "the tree size of the head concerned",
    rootHash: "its root hash (hex), with `computedRootHash` or `previousRootHash` where they disagree",
  },
  revoked: {
    role: "`leaf` or `intermediate`: which certificate of the served chain is revoked",
    sources: "which sources say revoked: `crl`, `ocsp`, or both",
    revokedAt: "revocation time (RFC 3339)",
    reason: "RFC 5280 reason, e.g. `keyCompromise`, `cACompromise`, `superseded`; null when none is given",
    crlUrl: "the CRL that lists the certificate",
    ocsp: "the responder URL that said revoked, or `stapled`",
    disagreement: "present when CRL and OCSP disagree: which said what",
  },
  "crl-unreachable": {
    url: "the CRL distribution point (also the alert's subject and key)",
    stage: "`download`, `parse`, `signature` or `scope`: which step failed",
    reason:
      "`timeout`, `too-large`, `http-status`, `network`, `not-a-crl`, `unsupported-url`, `forbidden-address` (the URL's host is or resolves to a loopback, private or link-local address, directly or after a redirect; see `revocation.allowPrivateAddresses`), `too-many-distribution-points` (not fetched: over `revocation.maxDistributionPoints`; the alert is keyed by the first skipped URL and its error names the others) (download); `unparseable`, `unsupported-critical-extension` (parse); `bad-signature`, `wrong-issuer` (signature); `out-of-scope` (the issuing distribution point does not cover the certificate)",
    error:
      "readable explanation; what a server sent instead of a CRL is described (content type, length, a kind such as `looks like HTML` or `binary`), never quoted",
    role: "`leaf` or `intermediate`: whose distribution point it is",
  },
  "crl-expired": {
    url: "the CRL distribution point",
    thisUpdate: "when the CRL was issued",
    nextUpdate: "when it should have been replaced (in the past)",
    role: "`leaf` or `intermediate`",
  },
  "ocsp-unreachable": {
    url: "the OCSP responder (also the alert's subject)",
    error:
      "what failed: `timeout`, `network`, `http-status`, `too-large`, `forbidden-address` (the responder is or resolves to a loopback, private or link-local address; see `revocation.allowPrivateAddresses`), or the verification problem (`bad-signature`, `stale`, `unauthorized-responder`, `unsuccessful-status`, …)",
    role: "`leaf` or `intermediate`",
  },
  "renewal-not-installed": {
    ...expiry,
    newerCertificate:
      "`sha256`, `serialNumber`, `notBefore`, `notAfter` of the renewal known for the host: a newer certificate that lists every name of the served one (a wildcard only renews the same wildcard; more names are fine)",
  },
  "name-mismatch": {
    host: "the host name that was checked",
    dnsNames: "the certificate's DNS subject alternative names",
    ipAddresses: "the certificate's IP subject alternative names",
    commonNames: "subject CNs, only when the certificate has no SAN extension",
  },
  "no-certificate": {
    reason:
      "`plain-http` (the port answered plain HTTP), `not-tls` (other non-TLS bytes), `tls-alert`, `handshake-failed`, `empty-chain`",
    error: "the error text from the handshake",
  },
  "certificate-chain-too-large": {
    certificateMessageBytes:
      "length of the server's Certificate message (its certificate list), when its header was read",
    clientLimitBytes: "the limit it exceeds: OpenSSL's default `max_cert_list`, 102400",
    protocol: "the protocol the server chose in its ServerHello",
    chainRead:
      "true when the chain was read off the wire and checked like any other (TLS 1.2 sends it in clear, TLS 1.3 is decrypted); false when it could not be read either (then `error` says why)",
    hsts: "`not-checked`: no HTTPS request can be sent over a handshake the client aborts",
    error: "the TLS client's error, or why the chain could not be read",
  },
  "wildcard-certificate": { wildcardNames: "the wildcard SANs" },
  "self-signed": { subject: "subject of the self-signed leaf" },
  "sha1-signature": {
    role: "`leaf` or `intermediate`",
    signatureAlgorithm: "e.g. `sha1WithRSAEncryption`, `md5WithRSAEncryption`",
    hash: "`SHA-1`, `MD5`, `MD4` or `MD2`",
  },
  "weak-key": {
    role: "`leaf` or `intermediate`",
    keyType: "`RSA`, `EC <curve>` or `DSA`",
    bits: "key size",
    minimum: "the configured minimum (`thresholds.minRsaBits` / `minEcBits`)",
    reason: "readable explanation",
  },
  "invalid-certificate": {
    reason: "`expired`, `not-yet-valid`, `malformed` or `bad-signature`",
    notAfter: "for `expired`",
    notBefore: "for `not-yet-valid`",
    error: "for `malformed` and `bad-signature`: what failed",
    sha256: "for `malformed`: SHA-256 of the bytes received",
  },
  "invalid-chain": {
    reason:
      "`missing-intermediate`, `unknown-root`, `expired-intermediate`, `not-yet-valid-intermediate`, `not-a-ca`, `path-length-exceeded`, `bad-signature`, `expired-root`",
    error: "readable explanation naming the certificate at fault",
    path: "the longest path that could be built (subject, issuer, sha256, notAfter of each)",
    served: "how many certificates the server sent",
    malformedCertificates: "certificates in the served chain that could not be parsed",
  },
  "hsts-missing": {
    httpStatus: "status of the HTTPS response that lacked the header",
    reason:
      "`headers-too-large` when the response head was longer than `scan.maxResponseHeaderBytes` and no Strict-Transport-Security header came before that point: HSTS cannot be confirmed (absent otherwise)",
    maxHeaderBytes: "for `headers-too-large`: the cap the head exceeded",
  },
  "installed-certificate-expiring": expiry,
  "certificate-expiring-not-renewed": {
    ...expiry,
    namesNotRenewed:
      "from the CT inventory: the watched names that no newer certificate lists (a wildcard counts only for the same wildcard); empty when each is listed by some newer certificate but none lists them all",
    otherCoveringCertificates:
      "newer certificates that cover the host or names through a wildcard, or list only some of the names, and so are not a renewal: `{ sha256, notAfter, names, nameCount }` each (newest first, at most 3, at most 10 names each); absent when none",
    hint: "with `otherCoveringCertificates`: install one of them in place of this certificate if it is meant to replace it, else renew this certificate with the same names",
    seenIn: "`inventory` when raised from certificates seen in CT (absent when raised by a scan)",
  },
  "endpoint-unreachable": {
    reason: "`dns` (name did not resolve), `refused`, `timeout` (TCP or TLS never completed), `network`",
    error: "the error text",
  },
  "legacy-tls-protocol": {
    protocols: "the legacy protocols that completed a handshake (`TLS 1.0`, `TLS 1.1`)",
    bestProtocol: "the best protocol the endpoint negotiated",
  },
  "hsts-weak": {
    reason: "`short-max-age` or `malformed`",
    maxAge: "the max-age found (seconds)",
    minimum: "the configured minimum (`thresholds.minHstsMaxAge`, default 15552000)",
    header: "the header value judged (the first one, as browsers do)",
    error: "for `malformed`: what is wrong",
  },
};
