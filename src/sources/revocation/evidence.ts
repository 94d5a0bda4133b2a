/**
 * @module sources/revocation/evidence
 * What the revocation sources found for each certificate of a served chain: plain data for the pure
 * revocation check (event ids are not known here).
 */
import type { ParsedCertificate } from "../../pki/certificate.js";

export interface RevocationEntry {
  readonly revokedAt: Date;
  /** RFC 5280 CRLReason name, e.g. "keyCompromise"; null when the CRL gives none. */
  readonly reason: string | null;
}

/** A downloaded, parsed and signature-checked CRL, as the check needs it. */
export interface CrlView {
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | null;
  /** The issuing distribution point's scope; null when the CRL has no IDP extension (it covers everything). */
  readonly scope: {
    readonly onlyUserCerts: boolean;
    readonly onlyCaCerts: boolean;
    readonly uris: readonly string[];
  } | null;
  lookup(serialHex: string): RevocationEntry | undefined;
  readonly entries: number;
}

export type CrlEvidence =
  | { readonly url: string; readonly kind: "ok"; readonly crl: CrlView; readonly fromCache: boolean }
  | {
      readonly url: string;
      readonly kind: "unusable";
      /** Which step failed: the download, the parse, or the signature/issuer check. */
      readonly stage: "download" | "parse" | "signature";
      readonly reason: string;
      readonly error: string;
    };

export type OcspEvidence =
  | { readonly kind: "none" }
  | {
      readonly kind: "verdict";
      /** Responder URL, or null for a response stapled by the server. */
      readonly url: string | null;
      readonly status: "good" | "revoked" | "unknown";
      readonly revokedAt: Date | null;
      readonly reason: string | null;
      readonly thisUpdate: Date;
      readonly nextUpdate: Date | null;
    }
  | { readonly kind: "failed"; readonly url: string; readonly error: string };

export interface CertRevocationEvidence {
  readonly cert: ParsedCertificate;
  readonly role: "leaf" | "intermediate";
  readonly crls: readonly CrlEvidence[];
  readonly ocsp: OcspEvidence;
}
