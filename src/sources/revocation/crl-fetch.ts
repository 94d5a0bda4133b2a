/**
 * @module sources/revocation/crl-fetch
 * Downloads one CRL over HTTP(S) within a total deadline and a byte cap enforced while streaming; follows up
 * to 3 redirects, sends conditional requests, accepts DER or PEM and returns DER. Never throws.
 */
import http, { type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import https from "node:https";

export interface CrlFetchOptions {
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
  | "http-status"
  | "network"
  | "not-a-crl"
  /** Not an http(s) URL: ldap://, file://, or not a URL at all. */
  | "unsupported-url";

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
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
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

export function fetchCrl(url: string, opts: CrlFetchOptions): Promise<CrlFetchResult> {
  return new Promise<CrlFetchResult>((resolve) => {
    let settled = false;
    let current: ClientRequest | null = null;
    const conditional = opts.etag !== undefined || opts.lastModified !== undefined;
    const finish = (r: CrlFetchResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      current?.destroy();
      resolve(r);
    };
    const deadline = setTimeout(
      () => finish(failure("timeout", `no complete answer from ${url} within ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    );

    const get = (target: string, hop: number): void => {
      const checked = checkUrl(target);
      if (!(checked instanceof URL)) return finish(checked);
      const headers: OutgoingHttpHeaders = {
        "user-agent": "certwatch",
        accept: "application/pkix-crl, application/x-pkcs7-crl, */*;q=0.5",
        "accept-encoding": "identity",
      };
      if (opts.etag !== undefined) headers["if-none-match"] = opts.etag;
      if (opts.lastModified !== undefined) headers["if-modified-since"] = opts.lastModified;
      try {
        const client = checked.protocol === "https:" ? https : http;
        current = client.get(checked, { headers, agent: false }, (res) => onResponse(res, target, hop));
        current.on("error", (e) => finish(failure("network", `${target}: ${e.message}`)));
      } catch (e) {
        finish(failure("network", `${target}: ${e instanceof Error ? e.message : String(e)}`));
      }
    };

    const onResponse = (res: IncomingMessage, target: string, hop: number): void => {
      const status = res.statusCode ?? 0;
      if (REDIRECT_STATUSES.has(status)) {
        const location = res.headers.location;
        current?.destroy();
        if (location === undefined)
          return finish(failure("http-status", `HTTP ${status} without a Location from ${target}`));
        if (hop >= MAX_REDIRECTS)
          return finish(failure("http-status", `more than ${MAX_REDIRECTS} redirects from ${url}`));
        let next: string;
        try {
          next = new URL(location, target).href;
        } catch {
          return finish(
            failure("http-status", `HTTP ${status} to an invalid Location ${JSON.stringify(location)}`),
          );
        }
        return get(next, hop + 1);
      }
      if (status === 304 && conditional) return finish({ kind: "not-modified" });
      if (status !== 200) {
        return finish(
          failure("http-status", `HTTP ${status} ${res.statusMessage ?? ""} from ${target}`.trimEnd()),
        );
      }
      const declared = Number(res.headers["content-length"] ?? NaN);
      if (declared > opts.maxBytes) {
        return finish(
          failure("too-large", `${target} declares ${declared} bytes, over the ${opts.maxBytes}-byte cap`),
        );
      }
      readBody(res, target, Number.isSafeInteger(declared) ? declared : null);
    };

    const readBody = (res: IncomingMessage, target: string, declared: number | null): void => {
      const sink = new BodySink(opts.maxBytes, declared);
      res.on("data", (chunk: Buffer) => {
        const stop = sink.push(chunk);
        if (stop) finish({ ...stop, error: `${target}: ${stop.error}` });
      });
      const cut = (why: string): void =>
        finish(failure("network", `${target} closed the connection before the end of the body (${why})`));
      res.on("error", (e) => cut(e.message));
      res.on("close", () => {
        if (!res.complete) cut("incomplete");
      });
      res.on("end", () => {
        const body = sink.body();
        const der = toDer(body);
        if (typeof der === "string") {
          return finish(
            failure("not-a-crl", `${target} did not send a CRL: ${der} (${describe(res, body)})`),
          );
        }
        finish({
          kind: "ok",
          der,
          etag: res.headers.etag ?? null,
          lastModified: res.headers["last-modified"] ?? null,
          fetchedAt: opts.now?.() ?? new Date(),
          url: target,
        });
      });
    };

    get(url, 0);
  });
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

/**
 * Collects a body under the cap in one buffer whenever its size is known early — from Content-Length, or
 * from the DER header in the first bytes — so that a large CRL is never held twice.
 */
class BodySink {
  private whole: Buffer | null;
  private chunks: Buffer[] = [];
  private total = 0;
  private sized: boolean;

  constructor(
    private readonly maxBytes: number,
    declared: number | null,
  ) {
    this.whole = declared === null ? null : Buffer.allocUnsafe(declared);
    this.sized = declared !== null;
  }

  /** null when the chunk is accepted; otherwise why the download stops. */
  push(chunk: Buffer): CrlFetchError | null {
    if (this.total + chunk.length > this.maxBytes) {
      return failure("too-large", `the body exceeds the ${this.maxBytes}-byte cap`);
    }
    if (this.whole) {
      if (this.total + chunk.length > this.whole.length) {
        return failure("not-a-crl", `more bytes than the ${this.whole.length} its DER header declares`);
      }
      chunk.copy(this.whole, this.total);
    } else {
      this.chunks.push(chunk);
    }
    this.total += chunk.length;
    return this.sized ? null : this.sizeFromDerHeader();
  }

  private sizeFromDerHeader(): CrlFetchError | null {
    const head = Buffer.concat(this.chunks, this.total); // a few bytes: this runs until the header is read
    const size = derSize(head);
    if (size === "need-more") return null;
    this.sized = true;
    if (size === "not-der" || size < this.total) return null; // toDer explains it at the end
    if (size > this.maxBytes) {
      return failure(
        "too-large",
        `its DER header declares ${size} bytes, over the ${this.maxBytes}-byte cap`,
      );
    }
    this.whole = Buffer.allocUnsafe(size);
    head.copy(this.whole);
    this.chunks = [];
    return null;
  }

  body(): Buffer {
    return this.whole ? this.whole.subarray(0, this.total) : Buffer.concat(this.chunks, this.total);
  }
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

/** "content-type text/html; first bytes "<!DOCTYPE html>…"" — what came instead. */
function describe(res: IncomingMessage, body: Buffer): string {
  const type = res.headers["content-type"] ?? "none";
  const head = body.subarray(0, 40);
  const printable = head.every((c) => (c >= 0x20 && c < 0x7f) || c === 0x09 || c === 0x0a || c === 0x0d);
  const shown = printable
    ? JSON.stringify(head.toString("latin1") + (body.length > head.length ? "…" : ""))
    : `0x${head.subarray(0, 16).toString("hex")}`;
  return `content-type ${type}; ${body.length} bytes starting ${shown}`;
}
