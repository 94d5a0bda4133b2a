/**
 * @module sources/revocation/revocation-source
 * Gathers revocation evidence (CRL and OCSP) for a certification path; one instance per run, so
 * every CRL and every OCSP question is asked once however many endpoints share it.
 *
 * The URLs come from the served certificates, that is from whoever runs the scanned server: they are fetched
 * through one bounded client that refuses loopback, private and link-local (cloud metadata) addresses unless
 * `allowPrivateAddresses`, at most `maxDistributionPoints` CRLs per certificate, and at most `concurrency`
 * downloads at a time for the whole run.
 */
import type { LookupFunction } from "node:net";
import type { ParsedCertificate } from "../../pki/certificate.js";
import type { Store } from "../../store/store.js";
import { publicAddressesOnly, type AddressPolicy } from "../../util/address-policy.js";
import { Limiter } from "../../util/concurrency.js";
import { HttpClient } from "../../util/http-get.js";
import { CrlSource } from "./crl-source.js";
import type { CertRevocationEvidence, CrlEvidence, OcspEvidence } from "./evidence.js";
import { checkOcsp, verifyOcspResponse, type OcspVerdict } from "./ocsp.js";

export interface RevocationOptions {
  readonly crl: boolean;
  readonly ocsp: boolean;
  readonly timeoutMs: number;
  readonly crlMaxBytes: number;
  readonly ocspMaxBytes: number;
  /** Let CRL and OCSP URLs reach loopback, private and link-local addresses: for an internal PKI. */
  readonly allowPrivateAddresses: boolean;
  /** CRL distribution points fetched per certificate; the others are reported as skipped. */
  readonly maxDistributionPoints: number;
  /** CRL downloads and OCSP requests in flight at once, for the whole run. */
  readonly concurrency: number;
  /** Resolves the URLs' host names (default the system's); the address policy judges what it answers. */
  readonly lookup?: LookupFunction;
  /**
   * Replaces the policy `allowPrivateAddresses` chooses: for tests, where a loopback server stands in for a
   * CA's public one.
   */
  readonly addressPolicy?: AddressPolicy;
}

/** Only public addresses, saying which setting lets an internal PKI through. */
const certificateUrlPolicy: AddressPolicy = (address) => {
  const why = publicAddressesOnly(address);
  return why === null ? null : `${why}; not fetched unless revocation.allowPrivateAddresses is on`;
};

/** How much of each skipped URL is named in the evidence (they are the certificate's text). */
const SHOWN_URL_CHARS = 120;
const SHOWN_SKIPPED = 5;

export class RevocationSource {
  private readonly crls: CrlSource;
  private readonly ocspAnswers = new Map<string, Promise<OcspEvidence>>();
  private readonly client: HttpClient;
  private readonly limiter: Limiter;

  constructor(
    store: Pick<Store, "getCrlCache" | "putCrlCache">,
    private readonly now: () => Date,
    private readonly options: RevocationOptions,
  ) {
    // No keep-alive: one source per run, and idle sockets to CAs would outlive it.
    this.client = new HttpClient({
      keepAlive: false,
      ...(options.addressPolicy
        ? { addressPolicy: options.addressPolicy }
        : options.allowPrivateAddresses
          ? {}
          : { addressPolicy: certificateUrlPolicy }),
      ...(options.lookup ? { lookup: options.lookup } : {}),
    });
    this.limiter = new Limiter(Math.max(1, options.concurrency));
    this.crls = new CrlSource(store, now, {
      client: this.client,
      limit: (fetch) => this.limiter.run(fetch),
      timeoutMs: options.timeoutMs,
      maxBytes: options.crlMaxBytes,
    });
  }

  /**
   * `path` is leaf first, each certificate followed by its issuer (a complete path ends at the trust
   * anchor, which is not itself checked). `staple` is the OCSP response the server stapled, if any.
   */
  async evidenceFor(
    path: readonly ParsedCertificate[],
    staple: Uint8Array | null,
  ): Promise<CertRevocationEvidence[]> {
    const pairs = path
      .slice(0, -1)
      .map((cert, i) => ({ cert, issuer: path[i + 1]!, role: i === 0 ? "leaf" : "intermediate" }) as const);
    return Promise.all(
      pairs.map(async ({ cert, issuer, role }) => {
        const crls = this.options.crl ? await this.crlEvidence(cert, issuer) : [];
        const ocsp = await this.ocspEvidence(cert, issuer, role === "leaf" ? staple : null);
        return { cert, role, crls, ocsp };
      }),
    );
  }

  /** The first `maxDistributionPoints` distribution points (http and https first), and one entry for the rest. */
  private async crlEvidence(cert: ParsedCertificate, issuer: ParsedCertificate): Promise<CrlEvidence[]> {
    const distinct = [...new Set(cert.crlDistributionPoints)];
    const ordered = [
      ...distinct.filter((u) => /^https?:\/\//i.test(u)),
      ...distinct.filter((u) => !/^https?:\/\//i.test(u)),
    ];
    const max = Math.max(0, this.options.maxDistributionPoints);
    const taken = ordered.slice(0, max);
    const skipped = ordered.slice(max);
    const evidence = await Promise.all(taken.map((url) => this.crls.evidence(url, issuer)));
    const first = skipped[0];
    if (first === undefined) return evidence;
    const shown = skipped
      .slice(0, SHOWN_SKIPPED)
      .map((u) => (u.length > SHOWN_URL_CHARS ? `${u.slice(0, SHOWN_URL_CHARS)}…` : u));
    const more = skipped.length > shown.length ? ` and ${skipped.length - shown.length} more` : "";
    return [
      ...evidence,
      {
        url: first,
        kind: "unusable",
        stage: "download",
        reason: "too-many-distribution-points",
        error:
          `not fetched: the certificate names ${ordered.length} CRL distribution points and ` +
          `revocation.maxDistributionPoints is ${max}; skipped ${shown.join(", ")}${more}`,
      },
    ];
  }

  private async ocspEvidence(
    cert: ParsedCertificate,
    issuer: ParsedCertificate,
    staple: Uint8Array | null,
  ): Promise<OcspEvidence> {
    if (staple) {
      const v = verifyOcspResponse(staple, { leaf: cert, issuer, now: this.now() });
      // A valid staple answers the question; an invalid one is ignored and the responder is asked.
      if (v.kind !== "invalid") return fromVerdict(null, v);
    }
    const url = cert.ocspUrls.find((u) => /^https?:\/\//i.test(u));
    if (!this.options.ocsp || url === undefined) return { kind: "none" };
    const key = `${url}\n${issuer.spkiSha256}\n${cert.serialNumber}`;
    let answer = this.ocspAnswers.get(key);
    if (!answer) {
      answer = this.askResponder(url, cert, issuer);
      this.ocspAnswers.set(key, answer);
    }
    return answer;
  }

  private async askResponder(
    url: string,
    cert: ParsedCertificate,
    issuer: ParsedCertificate,
  ): Promise<OcspEvidence> {
    const outcome = await this.limiter.run(() =>
      checkOcsp(url, cert, issuer, {
        client: this.client,
        timeoutMs: this.options.timeoutMs,
        maxBytes: this.options.ocspMaxBytes,
        now: this.now(),
      }),
    );
    if (outcome.kind === "error")
      return { kind: "failed", url, error: `${outcome.reason}: ${outcome.error}` };
    if (outcome.verdict.kind === "invalid") {
      return { kind: "failed", url, error: `${outcome.verdict.problem}: ${outcome.verdict.error}` };
    }
    return fromVerdict(url, outcome.verdict);
  }
}

function fromVerdict(url: string | null, v: Exclude<OcspVerdict, { kind: "invalid" }>): OcspEvidence {
  return {
    kind: "verdict",
    url,
    status: v.kind,
    revokedAt: v.kind === "revoked" ? v.revokedAt : null,
    reason: v.kind === "revoked" ? v.reason : null,
    thisUpdate: v.thisUpdate,
    nextUpdate: v.nextUpdate,
  };
}
