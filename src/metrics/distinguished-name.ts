/**
 * @module metrics/distinguished-name
 * The parts of a certificate's subject and issuer names that x509-certificate-exporter puts in its labels (C, ST,
 * L, O, OU, CN: the first value of each), read from the DER the scan stored. The stored summary holds the names
 * as one string, which cannot be split back reliably (a hostile value may hold anything); the DER can.
 */
import "reflect-metadata";
import { Certificate } from "@peculiar/asn1-x509";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Name } from "@peculiar/x509";

/** x509-certificate-exporter's fields, in its order. */
export const DN_FIELDS = ["C", "ST", "L", "O", "OU", "CN"] as const;
export type DnField = (typeof DN_FIELDS)[number];

export type DnParts = Readonly<Record<DnField, string>>;

export interface CertificateNames {
  readonly subject: DnParts;
  readonly issuer: DnParts;
}

const NONE: DnParts = { C: "", ST: "", L: "", O: "", OU: "", CN: "" };

function parts(name: Name): DnParts {
  const out: Record<DnField, string> = { ...NONE };
  for (const f of DN_FIELDS) out[f] = name.getField(f)[0] ?? "";
  return out;
}

/** Subject and issuer parts; empty parts when the DER does not parse (a malformed certificate is still served). */
export function certificateNames(der: Uint8Array): CertificateNames {
  try {
    const tbs = AsnConvert.parse(der, Certificate).tbsCertificate;
    return { subject: parts(new Name(tbs.subject)), issuer: parts(new Name(tbs.issuer)) };
  } catch {
    return { subject: NONE, issuer: NONE };
  }
}

/**
 * Names by certificate SHA-256, parsed once per process: a scrape every few seconds asks for the same
 * certificates. Bounded: past `max` entries the cache starts again (the working set is the capped set exported).
 */
export class CertificateNameCache {
  readonly #names = new Map<string, CertificateNames>();
  constructor(private readonly max: number) {}

  get(sha256: string): CertificateNames | undefined {
    return this.#names.get(sha256);
  }

  set(sha256: string, names: CertificateNames): void {
    if (this.#names.size >= this.max) this.#names.clear();
    this.#names.set(sha256, names);
  }
}
