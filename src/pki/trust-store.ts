/**
 * @module pki/trust-store
 * The roots certwatch trusts: Node's bundled Mozilla roots (unless disabled) plus extra roots from
 * files. Indexed by subject name for chain building.
 */
import { X509Certificate } from "node:crypto";
import { rootCertificates } from "node:tls";
import { CertwatchError } from "../errors.js";
import { FileReadError, readBoundedFile } from "../util/read-bounded-file.js";
import { parseCertificate, type ParsedCertificate } from "./certificate.js";

/** Largest root file: Mozilla's whole bundle is about 220 KiB; a file beyond this is not a set of roots. */
export const MAX_ROOTS_FILE_BYTES = 4 * 1024 * 1024;

export class TrustStore {
  private readonly bySubject = new Map<string, ParsedCertificate[]>();
  private readonly keys = new Set<string>();

  constructor(roots: readonly ParsedCertificate[]) {
    for (const r of roots) {
      const list = this.bySubject.get(r.subjectDer) ?? [];
      list.push(r);
      this.bySubject.set(r.subjectDer, list);
      this.keys.add(anchorKey(r));
    }
  }

  /** Trust anchors whose subject is this name (hex DER). */
  anchorsNamed(subjectDer: string): readonly ParsedCertificate[] {
    return this.bySubject.get(subjectDer) ?? [];
  }

  /** A certificate is an anchor when a trusted root has its subject and key (any copy of it). */
  isAnchor(c: ParsedCertificate): boolean {
    return this.keys.has(anchorKey(c));
  }

  get size(): number {
    return this.keys.size;
  }
}

function anchorKey(c: ParsedCertificate): string {
  return `${c.subjectDer}/${c.spkiSha256}`;
}

/** Splits a PEM bundle into DER certificates; anything else in the file is ignored. */
export function pemToDer(pem: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  const re = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
  for (const m of pem.matchAll(re)) out.push(new Uint8Array(Buffer.from(m[1] ?? "", "base64")));
  return out;
}

let bundled: ParsedCertificate[] | undefined;

/** Node's bundled Mozilla root store, parsed once per process. */
export function bundledRoots(): ParsedCertificate[] {
  bundled ??= rootCertificates.flatMap((pem) => {
    const r = parseCertificate(new X509Certificate(pem).raw);
    return r.ok ? [r.cert] : [];
  });
  return bundled;
}

/** A root file named by the configuration cannot be used: `field: file: problem` (the CLI exits 2). */
export class TrustFileError extends CertwatchError {
  override name = "TrustFileError";
  readonly code = "TRUST_FILE_INVALID";
  constructor(
    readonly file: string,
    message: string,
    /** The configuration field that names the file (`trust.extraRoots`, `allowedRoots`). */
    readonly field?: string,
  ) {
    super(`${field === undefined ? "" : `${field}: `}${file}: ${message}`);
  }
}

/**
 * Reads PEM (one or many certificates) or a single DER certificate: a regular file of at most
 * MAX_ROOTS_FILE_BYTES (not a FIFO, a device or a directory). `field` names the configuration field in errors.
 */
export async function loadRootsFile(file: string, field = "trust.extraRoots"): Promise<ParsedCertificate[]> {
  let data: Buffer;
  try {
    data = await readBoundedFile(file, { field, maxBytes: MAX_ROOTS_FILE_BYTES });
  } catch (e) {
    if (e instanceof FileReadError) throw new TrustFileError(file, e.problem, field);
    throw e;
  }
  const text = data.toString("latin1");
  const ders = text.includes("-----BEGIN CERTIFICATE-----") ? pemToDer(text) : [new Uint8Array(data)];
  const roots: ParsedCertificate[] = [];
  for (const [i, der] of ders.entries()) {
    const r = parseCertificate(der);
    if (!r.ok) throw new TrustFileError(file, `certificate #${i + 1} is not valid: ${r.error}`, field);
    roots.push(r.cert);
  }
  if (roots.length === 0) throw new TrustFileError(file, "no certificate found (expected PEM or DER)", field);
  return roots;
}

export async function loadTrustStore(opts: {
  systemRoots: boolean;
  extraRoots: readonly string[];
}): Promise<TrustStore> {
  const extra = (await Promise.all(opts.extraRoots.map((f) => loadRootsFile(f, "trust.extraRoots")))).flat();
  return new TrustStore([...(opts.systemRoots ? bundledRoots() : []), ...extra]);
}
