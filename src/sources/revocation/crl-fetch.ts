/**
 * @module sources/revocation/crl-fetch
 * Downloads one CRL over HTTP(S) through the bounded client (util/http-get): a total deadline, a byte cap
 * enforced while streaming (and at once when the DER header announces more), up to 3 redirects, conditional
 * requests; accepts DER or PEM and returns DER. The client's address policy decides which hosts may be reached.
 * What a server sent instead of a CRL is described (type, length, kind), never quoted. Never throws.
 */
import { describeBody } from "../../util/describe-body.js";
import type { HttpClient } from "../../util/http-get.js";

export interface CrlFetchOptions {
  /** Carries the address policy: a distribution point is chosen by the certificate's issuer. */
  readonly client: HttpClient;
  /** Total deadline for the whole download, redirects included (not an idle timeout). */
  readonly timeoutMs: number;
  /** Largest body accepted; a larger one is abandoned as soon as it is known to be larger. */
  readonly maxBytes: number;
  /** From a previous download: sent as If-None-Match / If-Modified-Since. */
  readonly etag?: string;
  readonly lastModified?: string;
  readonly now?: () => Date;
}

export type CrlFetchErrorReason =
  | "timeout"
  | "too-large"
  /** An HTTP status other than 200 (or 304 to a conditional request), or a redirect that cannot be followed. */
  | "http-status"
  | "network"
  | "not-a-crl"
  /** Not an http(s) URL: ldap://, file://, or not a URL at all. */
  | "unsupported-url"
  /** The host resolves to an address the policy refuses (loopback, private, link-local/metadata…). */
  | "forbidden-address";

export type CrlFetchResult =
  | {
      readonly kind: "ok";
      readonly der: Uint8Array;
      readonly etag: string | null;
      readonly lastModified: string | null;
      readonly fetchedAt: Date;
      /** The URL that finally answered, after redirects. */
      readonly url: string;
    }
  | { readonly kind: "not-modified" }
  | { readonly kind: "error"; readonly reason: CrlFetchErrorReason; readonly error: string };

export type CrlFetchError = Extract<CrlFetchResult, { kind: "error" }>;

const MAX_REDIRECTS = 3;
const PEM_BEGIN = Buffer.from("-----BEGIN X509 CRL-----");
const PEM_END = Buffer.from("-----END X509 CRL-----");

const failure = (reason: CrlFetchErrorReason, error: string): CrlFetchError => ({
  kind: "error",
  reason,
  error,
});

function checkUrl(raw: string): URL | CrlFetchError {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return failure("unsupported-url", `not a valid URL: ${JSON.stringify(raw)}`);
  }
  if (url.protocol === "http:" || url.protocol === "https:") return url;
  if (url.protocol === "ldap:" || url.protocol === "ldaps:") {
    return failure("unsupported-url", `LDAP CRL distribution points are not supported: ${raw}`);
  }
  return failure("unsupported-url", `unsupported URL scheme ${url.protocol} in ${raw}`);
}

export async function fetchCrl(url: string, opts: CrlFetchOptions): Promise<CrlFetchResult> {
  const checked = checkUrl(url);
  if (!(checked instanceof URL)) return checked;
  const conditional = opts.etag !== undefined || opts.lastModified !== undefined;
  const headers: Record<string, string> = {
    accept: "application/pkix-crl, application/x-pkcs7-crl, */*;q=0.5",
    // CRLs are already compact; identity keeps the DER header's size announcement usable while streaming.
    "accept-encoding": "identity",
  };
  if (opts.etag !== undefined) headers["if-none-match"] = opts.etag;
  if (opts.lastModified !== undefined) headers["if-modified-since"] = opts.lastModified;

  const r = await opts.client.get(checked, {
    timeoutMs: opts.timeoutMs,
    maxBytes: opts.maxBytes,
    headers,
    maxRedirects: MAX_REDIRECTS,
    sizeFromHead: (head) => {
      const size = derSize(head);
      return size === "not-der" ? null : size;
    },
  });
  if (r.kind === "error") {
    const reason: CrlFetchErrorReason =
      r.reason === "redirect" ? "http-status" : r.reason === "bad-encoding" ? "not-a-crl" : r.reason;
    return failure(reason, r.error);
  }
  if (r.status === 304 && conditional) return { kind: "not-modified" };
  // The status line's text is the server's: only the number is reported.
  if (r.status !== 200) return failure("http-status", `HTTP ${r.status} from ${where(url, r.url)}`);
  const der = toDer(r.body);
  if (typeof der === "string") {
    return failure(
      "not-a-crl",
      `${where(url, r.url)} did not send a CRL: ${der} (${describeBody(r.headers["content-type"], r.body)})`,
    );
  }
  return {
    kind: "ok",
    der,
    etag: r.headers.etag ?? null,
    lastModified: r.headers["last-modified"] ?? null,
    fetchedAt: opts.now?.() ?? new Date(),
    url: r.url,
  };
}

/** The distribution point, and the origin that answered when a redirect led elsewhere. */
function where(asked: string, answered: string): string {
  if (answered === new URL(asked).href) return asked;
  return `${asked} (redirected to ${new URL(answered).origin})`;
}

/** The DER of a DER or PEM CRL body, or why it is not one. */
export function toDer(body: Buffer): Uint8Array | string {
  if (body.length === 0) return "the body is empty";
  if (body[0] === 0x30)
    return derEnvelopeError(body) ?? new Uint8Array(body.buffer, body.byteOffset, body.length);
  const begin = body.indexOf(PEM_BEGIN);
  if (begin < 0) return "neither DER nor PEM";
  const end = body.indexOf(PEM_END, begin);
  if (end < 0) return "a PEM CRL without its END line";
  const der = Buffer.from(body.toString("latin1", begin + PEM_BEGIN.length, end), "base64");
  const err = derEnvelopeError(der);
  return err === null
    ? new Uint8Array(der.buffer, der.byteOffset, der.length)
    : `PEM whose content is ${err}`;
}

/** Total size of the DER SEQUENCE that `b` starts with, from its header alone. */
function derSize(b: Buffer): number | "need-more" | "not-der" {
  if (b.length > 0 && b[0] !== 0x30) return "not-der";
  if (b.length < 2) return "need-more";
  const first = b[1] as number;
  if ((first & 0x80) === 0) return 2 + first;
  const n = first & 0x7f;
  if (n === 0 || n > 4) return "not-der";
  return b.length < 2 + n ? "need-more" : 2 + n + b.readUIntBE(2, n);
}

/** null when `b` is one DER SEQUENCE filling it exactly (the parser checks the rest). */
function derEnvelopeError(b: Buffer): string | null {
  const size = derSize(b);
  if (size === "not-der") return "not a DER SEQUENCE";
  if (size === "need-more" || size > b.length) {
    return `a truncated DER SEQUENCE (${typeof size === "number" ? size : "more"} bytes declared, ${b.length} received)`;
  }
  return size < b.length ? `a DER SEQUENCE followed by ${b.length - size} extra bytes` : null;
}
