/**
 * @module pki/trust-store
 * The roots certwatch trusts: Node's bundled Mozilla roots (unless disabled) plus extra roots from
 * files. Indexed by subject name for chain building.
 */
import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { rootCertificates } from "node:tls";
import { parseCertificate, type ParsedCertificate } from "./certificate.js";

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

export class TrustFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

/** Reads PEM (one or many certificates) or a single DER certificate. */
export async function loadRootsFile(file: string): Promise<ParsedCertificate[]> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (e) {
    throw new TrustFileError(
      file,
      `cannot read trusted root file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  const text = data.toString("latin1");
  const ders = text.includes("-----BEGIN CERTIFICATE-----") ? pemToDer(text) : [new Uint8Array(data)];
  const roots: ParsedCertificate[] = [];
  for (const [i, der] of ders.entries()) {
    const r = parseCertificate(der);
    if (!r.ok) throw new TrustFileError(file, `certificate #${i + 1} is not valid: ${r.error}`);
    roots.push(r.cert);
  }
  if (roots.length === 0) throw new TrustFileError(file, "no certificate found (expected PEM or DER)");
  return roots;
}

export async function loadTrustStore(opts: {
  systemRoots: boolean;
  extraRoots: readonly string[];
}): Promise<TrustStore> {
  const extra = (await Promise.all(opts.extraRoots.map(loadRootsFile))).flat();
  return new TrustStore([...(opts.systemRoots ? bundledRoots() : []), ...extra]);
}
