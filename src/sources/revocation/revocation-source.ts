/**
 * @module sources/revocation/revocation-source
 * Gathers revocation evidence (CRL and OCSP) for a certification path; one instance per run, so
 * every CRL and every OCSP question is asked once however many endpoints share it.
 */
import type { ParsedCertificate } from "../../pki/certificate.js";
import type { Store } from "../../store/store.js";
import { CrlSource } from "./crl-source.js";
import type { CertRevocationEvidence, OcspEvidence } from "./evidence.js";
import { checkOcsp, verifyOcspResponse, type OcspVerdict } from "./ocsp.js";

export interface RevocationOptions {
  readonly crl: boolean;
  readonly ocsp: boolean;
  readonly timeoutMs: number;
  readonly crlMaxBytes: number;
  readonly ocspMaxBytes: number;
}

export class RevocationSource {
  private readonly crls: CrlSource;
  private readonly ocspAnswers = new Map<string, Promise<OcspEvidence>>();

  constructor(
    store: Pick<Store, "getCrlCache" | "putCrlCache">,
    private readonly now: () => Date,
    private readonly options: RevocationOptions,
  ) {
    this.crls = new CrlSource(store, now, { timeoutMs: options.timeoutMs, maxBytes: options.crlMaxBytes });
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
        const crls = this.options.crl
          ? await Promise.all(cert.crlDistributionPoints.map((url) => this.crls.evidence(url, issuer)))
          : [];
        const ocsp = await this.ocspEvidence(cert, issuer, role === "leaf" ? staple : null);
        return { cert, role, crls, ocsp };
      }),
    );
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
    const outcome = await checkOcsp(url, cert, issuer, {
      timeoutMs: this.options.timeoutMs,
      maxBytes: this.options.ocspMaxBytes,
      now: this.now(),
    });
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
