/**
 * @module sources/revocation/crl-source
 * CRLs for one run: each distribution point fetched at most once (and not at all while the stored copy
 * is before its nextUpdate), revalidated with conditional requests, parsed once, and checked against
 * each issuer that relies on it.
 */
import { rfc3339 } from "../../domain/alert.js";
import type { ParsedCertificate } from "../../pki/certificate.js";
import { parseCrl, verifyCrlSignature, type ParsedCrl } from "../../pki/crl.js";
import type { CrlCacheEntry, Store } from "../../store/store.js";
import type { HttpClient } from "../../util/http-get.js";
import { fetchCrl } from "./crl-fetch.js";
import type { CrlEvidence, CrlView } from "./evidence.js";

export interface CrlSourceOptions {
  /** The bounded client, with the address policy for URLs taken from certificates. */
  readonly client: HttpClient;
  /** Runs each download: the run's limit on concurrent revocation fetches. */
  readonly limit: <T>(fetch: () => Promise<T>) => Promise<T>;
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

type Loaded =
  | { readonly kind: "ok"; readonly crl: ParsedCrl; readonly fromCache: boolean }
  | {
      readonly kind: "unusable";
      readonly stage: "download" | "parse";
      readonly reason: string;
      readonly error: string;
    };

export class CrlSource {
  private readonly loads = new Map<string, Promise<Loaded>>();
  private readonly verdicts = new Map<string, CrlEvidence>();

  constructor(
    private readonly store: Pick<Store, "getCrlCache" | "putCrlCache">,
    private readonly now: () => Date,
    private readonly options: CrlSourceOptions,
  ) {}

  /** Evidence from one distribution point about certificates issued by `issuer`. */
  async evidence(url: string, issuer: ParsedCertificate): Promise<CrlEvidence> {
    let loading = this.loads.get(url);
    if (!loading) {
      loading = this.load(url);
      this.loads.set(url, loading);
    }
    const loaded = await loading;
    if (loaded.kind === "unusable") return { url, ...loaded };
    const key = `${url}\n${issuer.spkiSha256}`;
    let verdict = this.verdicts.get(key);
    if (!verdict) {
      verdict = judge(url, loaded.crl, issuer, loaded.fromCache);
      this.verdicts.set(key, verdict);
    }
    return verdict;
  }

  private async load(url: string): Promise<Loaded> {
    const now = this.now();
    const cached = await this.store.getCrlCache(url);
    if (cached?.nextUpdate && new Date(cached.nextUpdate) > now) {
      const parsed = parseCrl(cached.der);
      if (parsed.ok) return { kind: "ok", crl: parsed.crl, fromCache: true };
    }
    const fetched = await this.options.limit(() =>
      fetchCrl(url, {
        client: this.options.client,
        timeoutMs: this.options.timeoutMs,
        maxBytes: this.options.maxBytes,
        ...(cached?.etag ? { etag: cached.etag } : {}),
        ...(cached?.lastModified ? { lastModified: cached.lastModified } : {}),
      }),
    );
    if (fetched.kind === "error") {
      return { kind: "unusable", stage: "download", reason: fetched.reason, error: fetched.error };
    }
    const der = fetched.kind === "ok" ? fetched.der : cached?.der;
    if (der === undefined) {
      return {
        kind: "unusable",
        stage: "download",
        reason: "http-status",
        error: "304 Not Modified without a cached copy",
      };
    }
    const parsed = parseCrl(der);
    if (!parsed.ok) return { kind: "unusable", stage: "parse", reason: "unparseable", error: parsed.error };
    const entry: CrlCacheEntry = {
      url,
      der,
      etag: fetched.kind === "ok" ? fetched.etag : (cached?.etag ?? null),
      lastModified: fetched.kind === "ok" ? fetched.lastModified : (cached?.lastModified ?? null),
      thisUpdate: rfc3339(parsed.crl.thisUpdate),
      nextUpdate: parsed.crl.nextUpdate ? rfc3339(parsed.crl.nextUpdate) : null,
      fetchedAt: rfc3339(now),
    };
    await this.store.putCrlCache(entry);
    return { kind: "ok", crl: parsed.crl, fromCache: fetched.kind === "not-modified" };
  }
}

function judge(url: string, crl: ParsedCrl, issuer: ParsedCertificate, fromCache: boolean): CrlEvidence {
  if (crl.issuerDer !== issuer.subjectDer) {
    return {
      url,
      kind: "unusable",
      stage: "signature",
      reason: "wrong-issuer",
      error: `the CRL is issued by a different CA than ${issuer.subject}`,
    };
  }
  if (!verifyCrlSignature(crl, issuer.node.publicKey)) {
    return {
      url,
      kind: "unusable",
      stage: "signature",
      reason: "bad-signature",
      error: `the CRL's signature does not verify with the key of ${issuer.subject}`,
    };
  }
  if (crl.unsupportedCriticalExtensions.length > 0) {
    return {
      url,
      kind: "unusable",
      stage: "parse",
      reason: "unsupported-critical-extension",
      error: `the CRL has critical extensions certwatch does not understand: ${crl.unsupportedCriticalExtensions.join(", ")}`,
    };
  }
  return { url, kind: "ok", crl: view(crl, issuer), fromCache };
}

function view(crl: ParsedCrl, issuer: ParsedCertificate): CrlView {
  const idp = crl.issuingDistributionPoint;
  return {
    thisUpdate: crl.thisUpdate,
    nextUpdate: crl.nextUpdate,
    scope: idp
      ? {
          onlyUserCerts: idp.onlyContainsUserCerts,
          onlyCaCerts: idp.onlyContainsCACerts,
          uris: idp.fullNameUris,
        }
      : null,
    lookup: (serial) => crl.revocation(serial, issuer.subjectDer) ?? undefined,
    entries: crl.revokedCount,
  };
}
