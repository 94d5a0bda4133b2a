/**
 * @module checks/tls
 * Every TLS health check for one observation, top to bottom: reachability, the certificate, its
 * chain, expiry and renewal, protocol, HSTS. Pure: `(observation, parsed chain, context) => Finding[]`.
 */
import { endpointLabel, type Endpoint } from "../domain/endpoint.js";
import type { Finding } from "../domain/finding.js";
import { summarize, type ParsedCertificate, type ParseResult } from "../pki/certificate.js";
import { buildChain, type ChainResult } from "../pki/chain.js";
import type { ChainTooLarge, TlsObservation } from "../sources/tls/observation.js";
import {
  algorithmFindings,
  leafValidityFindings,
  nameMismatchFindings,
  selfSignedFindings,
  wildcardFindings,
} from "./certificate.js";
import type { TlsCheckContext } from "./context.js";
import { expiryFindings } from "./expiry.js";
import { endpointFinding } from "./finding-helpers.js";
import { hstsFindings } from "./hsts.js";
import { legacyProtocolFindings } from "./protocol.js";

/**
 * `chain` holds the parse result of each certificate of `obs.chain`, in the same order (callers
 * parse once per distinct certificate and share the results).
 */
export function checkTlsObservation(
  obs: TlsObservation,
  chain: readonly ParseResult[],
  ctx: TlsCheckContext,
  /** The path already built for this chain (the scan builds it once and shares it with revocation). */
  prebuilt?: ChainResult,
): Finding[] {
  const { endpoint } = obs;
  if (obs.kind === "unreachable") {
    return [
      endpointFinding("endpoint-unreachable", endpoint, "endpoint", null, {
        reason: obs.reason,
        error: obs.error,
      }),
    ];
  }
  if (obs.kind === "no-certificate" && obs.chainTooLarge !== undefined) {
    // A certificate was served, only too large for this client to take: the size is the finding.
    return [chainTooLargeFinding(endpoint, obs.chainTooLarge, false, obs.error)];
  }
  if (obs.kind === "no-certificate") {
    return [
      endpointFinding("no-certificate", endpoint, "endpoint", null, { reason: obs.reason, error: obs.error }),
    ];
  }
  const leafResult = chain[0];
  if (!leafResult) {
    return [
      endpointFinding("no-certificate", endpoint, "endpoint", null, {
        reason: "empty-chain",
        error: "the server sent no certificate",
      }),
    ];
  }

  const findings: Finding[] = [
    ...legacyProtocolFindings(endpoint, obs.legacy, obs.protocol),
    ...hstsFindings(endpoint, obs.http, ctx.thresholds.minHstsMaxAge),
    ...(obs.chainTooLarge
      ? [chainTooLargeFinding(endpoint, obs.chainTooLarge, true, obs.chainTooLarge.error)]
      : []),
  ];
  if (!leafResult.ok) {
    findings.push({
      event: "invalid-certificate",
      key: `${endpointLabel(endpoint)}/${leafResult.sha256}`,
      subject: endpoint.host,
      endpoint,
      certificate: null,
      details: { reason: "malformed", error: leafResult.error, sha256: leafResult.sha256 },
    });
    return findings;
  }
  const leaf = leafResult.cert;
  const others = chain.slice(1).flatMap((r) => (r.ok ? [r.cert] : []));
  const malformedOthers = chain.slice(1).flatMap((r) => (r.ok ? [] : [{ sha256: r.sha256, error: r.error }]));

  findings.push(
    ...leafValidityFindings(endpoint, leaf, ctx.now),
    ...selfSignedFindings(endpoint, leaf),
    ...wildcardFindings(endpoint, leaf),
    ...nameMismatchFindings(endpoint, leaf),
  );

  const built = prebuilt ?? buildChain(leaf, others, ctx.trust, ctx.now);
  if (!built.ok) {
    if (built.problem === "bad-signature" && built.path.length === 1) {
      findings.push(
        endpointFinding("invalid-certificate", endpoint, "endpoint+cert", summarize(leaf), {
          reason: "bad-signature",
          error: built.detail,
        }),
      );
    } else {
      findings.push(
        endpointFinding("invalid-chain", endpoint, "endpoint+cert", summarize(leaf), {
          reason: built.problem,
          error: built.detail,
          path: built.path.map(describe),
          served: chain.length,
          ...(malformedOthers.length > 0 ? { malformedCertificates: malformedOthers } : {}),
        }),
      );
    }
  }
  // Judge the algorithms of the path actually used, or of what was sent when no path exists.
  const relied: readonly ParsedCertificate[] = built.ok ? built.path : [leaf, ...others];
  findings.push(...algorithmFindings(endpoint, relied, (c) => ctx.trust.isAnchor(c), ctx.thresholds));

  findings.push(...expiryFindings(endpoint, summarize(leaf), ctx.knownCertificates, ctx.now, ctx.thresholds));
  return findings;
}

/** 105: the Certificate message is above what OpenSSL-based clients accept (browsers may still connect). */
function chainTooLargeFinding(
  endpoint: Endpoint,
  c: ChainTooLarge,
  chainRead: boolean,
  error: string,
): Finding {
  return endpointFinding("certificate-chain-too-large", endpoint, "endpoint", null, {
    certificateMessageBytes: c.certificateMessageBytes,
    clientLimitBytes: c.clientLimitBytes,
    protocol: c.protocol,
    chainRead,
    hsts: "not-checked",
    error,
  });
}

function describe(c: ParsedCertificate): {
  subject: string;
  issuer: string;
  sha256: string;
  notAfter: string;
} {
  return { subject: c.subject, issuer: c.issuer, sha256: c.sha256, notAfter: c.notAfter.toISOString() };
}
