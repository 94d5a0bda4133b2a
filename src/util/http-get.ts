/**
 * @module util/http-get
 * The one bounded HTTP(S) client (CT, notifiers, CRL and OCSP) over node:http/node:https: a total deadline, a
 * byte cap on the wire and on the decoded (gzip/deflate) body, keep-alive agents per client, optional redirects
 * (bounded, http/https only, each hop checked again) and an optional address policy, and a discriminated result
 * that never throws. GET for the sources; POST (or any method with a body) for the notifiers.
 *
 * The address policy is applied where the connection is made: host names go through a `lookup` that drops the
 * addresses the policy refuses, so the address checked is the address connected to (a name that resolves to a
 * public address for a check and to 127.0.0.1 for the connection cannot slip through), and an IP-literal host
 * is checked before connecting.
 */
import dns, { type LookupAddress } from "node:dns";
import http, { type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { createGunzip, createInflate, createInflateRaw, type Inflate, type Gunzip } from "node:zlib";
import type { AddressPolicy } from "./address-policy.js";

export interface HttpGetOptions {
  /** Total deadline for the whole exchange: connect, headers, body and decoding (not an idle timeout). */
  readonly timeoutMs: number;
  /** Largest body accepted, both as received and once decoded; the download stops as soon as it is exceeded. */
  readonly maxBytes: number;
  /** Extra request headers (lower-case names win over the defaults: `user-agent`, `accept-encoding`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Stops the request; the result is then a `network` error whose text starts with "aborted". */
  readonly signal?: AbortSignal;
  /**
   * Redirects (301, 302, 303, 307, 308) followed, for a request without a body (default 0: a redirect is an
   * answer like any other). Only to http/https URLs; each hop goes through the client's address policy again.
   */
  readonly maxRedirects?: number;
  /**
   * The total size of the body as its first bytes announce it (a DER header, say), or "need-more", or null when
   * they do not say. A body announced over the cap is refused at once, and one announced under it is collected
   * in one buffer of that size.
   */
  readonly sizeFromHead?: (head: Buffer) => number | "need-more" | null;
}

/** A request with a method and a body (the notifiers' POSTs). */
export interface HttpRequestOptions extends HttpGetOptions {
  /** Default "GET". */
  readonly method?: string;
  /** Sent with a `Content-Length`; omit for none. */
  readonly body?: Uint8Array | string;
}

export type HttpGetErrorReason =
  | "timeout"
  | "too-large"
  | "network"
  | "bad-encoding"
  /** The address policy refused the host's address (after DNS resolution, or an IP-literal host). */
  | "forbidden-address"
  /** Too many redirects, or one without a usable http(s) Location. */
  | "redirect";

export interface HttpResponse {
  readonly kind: "ok";
  /** Any status: callers decide what a 404 or a 503 means. */
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body, decoded when it came with `Content-Encoding: gzip` or `deflate`. */
  readonly body: Buffer;
  /** The URL that answered: the one asked for, or where the redirects led. */
  readonly url: string;
}

export interface HttpGetError {
  readonly kind: "error";
  readonly reason: HttpGetErrorReason;
  readonly error: string;
}

export type HttpGetResult = HttpResponse | HttpGetError;

export interface HttpClientOptions {
  /** Reuse connections between requests (default true). */
  readonly keepAlive?: boolean;
  /** Most sockets per host (default 16). */
  readonly maxSockets?: number;
  /** `User-Agent` sent with every request (default "certwatch"). */
  readonly userAgent?: string;
  /** Trusted roots for HTTPS (PEM), replacing Node's bundled ones; default Node's bundled Mozilla roots. */
  readonly ca?: readonly string[];
  /**
   * Which addresses this client may connect to (default any): for URLs that come from outside, such as a
   * certificate's CRL distribution point. Applied to every connection, redirects included.
   */
  readonly addressPolicy?: AddressPolicy;
  /** Resolves host names (default the system's, `dns.lookup`); the address policy judges what it answers. */
  readonly lookup?: LookupFunction;
}

/** How a client connects: its agents, and the address policy with the lookup that enforces it. */
interface Connector {
  readonly agentFor: (u: URL) => http.Agent | false;
  readonly userAgent: string;
  readonly policy: AddressPolicy | null;
  readonly lookup: LookupFunction | null;
}

const DEFAULT_MAX_SOCKETS = 16;

const failure = (reason: HttpGetErrorReason, error: string): HttpGetError => ({
  kind: "error",
  reason,
  error,
});

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * An HTTP client holding one keep-alive agent per scheme, so that a log follower reuses its connections.
 * `get` never throws and never rejects.
 */
export class HttpClient {
  readonly #http: http.Agent;
  readonly #https: https.Agent;
  readonly #connector: Connector;

  constructor(opts: HttpClientOptions = {}) {
    const keepAlive = opts.keepAlive ?? true;
    const maxSockets = opts.maxSockets ?? DEFAULT_MAX_SOCKETS;
    this.#http = new http.Agent({ keepAlive, maxSockets, scheduling: "lifo" });
    this.#https = new https.Agent({
      keepAlive,
      maxSockets,
      scheduling: "lifo",
      ...(opts.ca ? { ca: [...opts.ca] } : {}),
    });
    const policy = opts.addressPolicy ?? null;
    this.#connector = {
      agentFor: (u) => (u.protocol === "https:" ? this.#https : this.#http),
      userAgent: opts.userAgent ?? "certwatch",
      policy,
      lookup: policy !== null ? guardedLookup(policy, opts.lookup ?? systemLookup) : (opts.lookup ?? null),
    };
  }

  get(url: string | URL, opts: HttpGetOptions): Promise<HttpGetResult> {
    return this.request(url, opts);
  }

  /** Any method, with an optional body; never throws and never rejects. */
  request(url: string | URL, opts: HttpRequestOptions): Promise<HttpGetResult> {
    return request(url, opts, this.#connector);
  }

  /** Closes idle connections; requests in flight finish (or fail) on their own. */
  destroy(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}

/** One request on a fresh connection (no keep-alive): for one-off downloads. */
export function httpGet(url: string | URL, opts: HttpGetOptions): Promise<HttpGetResult> {
  return request(url, opts, { agentFor: () => false, userAgent: "certwatch", policy: null, lookup: null });
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** A refusal by the address policy, raised from the lookup so that it reaches the request as its error. */
class ForbiddenAddressError extends Error {
  readonly code = "ERR_FORBIDDEN_ADDRESS";
}

const systemLookup: LookupFunction = (hostname, options, callback) =>
  dns.lookup(hostname, { ...options, all: true }, callback);

/**
 * A lookup that keeps only the addresses `policy` allows: a connection is only ever made to one of them. A name
 * with none left fails with the first refused address and why.
 */
function guardedLookup(policy: AddressPolicy, base: LookupFunction): LookupFunction {
  return (hostname, options, callback) => {
    base(hostname, { ...options, all: true }, (err, result, family) => {
      const none = options.all === true ? [] : "";
      if (err) return callback(err, none);
      const found: LookupAddress[] =
        typeof result === "string" ? [{ address: result, family: family ?? isIP(result) }] : result;
      const allowed: LookupAddress[] = [];
      let refused: { address: string; why: string } | null = null;
      for (const a of found) {
        const why = policy(a.address);
        if (why === null) allowed.push(a);
        else refused ??= { address: a.address, why };
      }
      const first = allowed[0];
      if (first === undefined) {
        const what = refused
          ? `${hostname} resolves to ${refused.address}, ${refused.why}`
          : `${hostname} has no address`;
        return callback(new ForbiddenAddressError(`refused to connect: ${what}`), none);
      }
      if (options.all === true) callback(null, allowed);
      else callback(null, first.address, first.family);
    });
  };
}

function request(rawUrl: string | URL, opts: HttpRequestOptions, conn: Connector): Promise<HttpGetResult> {
  return new Promise<HttpGetResult>((resolve) => {
    let first: URL;
    try {
      first = new URL(rawUrl);
    } catch {
      resolve(failure("network", `not a valid URL: ${JSON.stringify(String(rawUrl))}`));
      return;
    }
    const original = first.href;
    if (first.protocol !== "http:" && first.protocol !== "https:") {
      resolve(failure("network", `unsupported URL scheme ${first.protocol} in ${original}`));
      return;
    }
    if (opts.signal?.aborted === true) {
      resolve(failure("network", `aborted before requesting ${original}`));
      return;
    }

    let settled = false;
    let req: ClientRequest | null = null;
    let decoder: Gunzip | Inflate | null = null;
    const onAbort = (): void => finish(failure("network", `aborted while fetching ${original}`));
    const finish = (r: HttpGetResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      opts.signal?.removeEventListener("abort", onAbort);
      if (r.kind === "error") {
        decoder?.destroy();
        req?.destroy();
      }
      resolve(r);
    };
    const deadline = setTimeout(
      () => finish(failure("timeout", `no complete answer from ${original} within ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    );
    opts.signal?.addEventListener("abort", onAbort, { once: true });

    const body = typeof opts.body === "string" ? Buffer.from(opts.body, "utf8") : opts.body;
    const method = opts.method ?? "GET";
    const maxRedirects =
      body === undefined && (method === "GET" || method === "HEAD") ? (opts.maxRedirects ?? 0) : 0;
    const baseHeaders: Record<string, string> = {
      "user-agent": conn.userAgent,
      "accept-encoding": "gzip, deflate, identity",
      ...(body !== undefined ? { "content-length": String(body.length) } : {}),
      ...lowerCase(opts.headers ?? {}),
    };

    /** One hop: `url` is the original URL, or where the `hop`-th redirect pointed. */
    const send = (url: URL, hop: number, headers: Record<string, string>): void => {
      // The text that names this hop in errors: a redirect target shows only its origin (the server chose it).
      const target = hop === 0 ? original : `${url.origin} (redirect ${hop} from ${original})`;

      const literal = url.hostname.replace(/^\[(.*)\]$/, "$1");
      if (conn.policy !== null && isIP(literal) !== 0) {
        const why = conn.policy(literal);
        if (why !== null) {
          finish(failure("forbidden-address", `refused to connect to ${target}: ${literal} is ${why}`));
          return;
        }
      }

      const onResponse = (res: IncomingMessage): void => {
        if (settled || req !== current) {
          res.destroy();
          return;
        }
        const status = res.statusCode ?? 0;
        if (maxRedirects > 0 && REDIRECT_STATUSES.has(status)) {
          redirect(res, status, url, hop, headers, target);
          return;
        }
        read(res, target, url);
      };

      let current: ClientRequest | null = null;
      try {
        const client = url.protocol === "https:" ? https : http;
        current = client.request(
          url,
          {
            method,
            headers,
            agent: conn.agentFor(url),
            ...(conn.lookup !== null ? { lookup: conn.lookup } : {}),
          },
          onResponse,
        );
        req = current;
        const mine = current;
        current.on("error", (e) => {
          if (req !== mine) return; // a hop left behind after a redirect
          if (e instanceof ForbiddenAddressError)
            finish(failure("forbidden-address", `${target}: ${e.message}`));
          else finish(failure("network", `${target}: ${e.message}`));
        });
        current.end(body);
      } catch (e) {
        finish(failure("network", `${target}: ${message(e)}`));
      }
    };

    const redirect = (
      res: IncomingMessage,
      status: number,
      from: URL,
      hop: number,
      headers: Record<string, string>,
      target: string,
    ): void => {
      res.destroy();
      req?.destroy();
      const location = res.headers.location;
      // The Location is the server's text: it is never quoted back.
      if (location === undefined) {
        finish(failure("redirect", `HTTP ${status} without a Location from ${target}`));
        return;
      }
      if (hop >= maxRedirects) {
        finish(failure("redirect", `more than ${maxRedirects} redirects from ${original}`));
        return;
      }
      let next: URL;
      try {
        next = new URL(location, from);
      } catch {
        finish(failure("redirect", `HTTP ${status} with an unusable Location from ${target}`));
        return;
      }
      if (next.protocol !== "http:" && next.protocol !== "https:") {
        const scheme = next.protocol.slice(0, 16);
        finish(
          failure("redirect", `${target} redirects to a ${scheme} URL; only http and https are followed`),
        );
        return;
      }
      // Credentials stay with the origin they were meant for.
      const nextHeaders =
        next.origin === from.origin
          ? headers
          : Object.fromEntries(
              Object.entries(headers).filter(([k]) => k !== "authorization" && k !== "cookie"),
            );
      send(next, hop + 1, nextHeaders);
    };

    const read = (res: IncomingMessage, target: string, url: URL): void => {
      const status = res.statusCode ?? 0;
      const encoding = (res.headers["content-encoding"] ?? "identity").trim().toLowerCase();
      const declared = Number(res.headers["content-length"] ?? NaN);
      if (Number.isSafeInteger(declared) && declared > opts.maxBytes) {
        finish(
          failure("too-large", `${target} declares ${declared} bytes, over the ${opts.maxBytes}-byte cap`),
        );
        return;
      }
      const done = (body: Buffer): void =>
        finish({ kind: "ok", status, headers: res.headers, body, url: url.href });
      const tooLarge = (what: string): void =>
        finish(failure("too-large", `${what} of ${target} exceeds the ${opts.maxBytes}-byte cap`));
      const push = (sink: Sink, chunk: Buffer, what: string): boolean => {
        const r = sink.push(chunk);
        if (r === "ok") return true;
        if (r === "over-cap") tooLarge(what);
        else
          finish(
            failure(
              "too-large",
              `the first bytes of ${target} announce ${r} bytes, over the ${opts.maxBytes}-byte cap`,
            ),
          );
        return false;
      };
      const cut = (why: string): void =>
        finish(failure("network", `${target} closed the connection before the end of the body (${why})`));
      res.on("error", (e) => cut(e.message));
      res.on("close", () => {
        if (!res.complete) cut("incomplete");
      });

      if (encoding === "identity" || encoding === "") {
        const sink = new Sink(
          opts.maxBytes,
          Number.isSafeInteger(declared) ? declared : null,
          opts.sizeFromHead,
        );
        res.on("data", (chunk: Buffer) => void push(sink, chunk, "the body"));
        res.on("end", () => done(sink.body()));
        return;
      }
      if (encoding !== "gzip" && encoding !== "x-gzip" && encoding !== "deflate") {
        // The encoding's name is the server's text: named only when it is a short plain token.
        const named = /^[a-z0-9._-]{1,24}$/.test(encoding) ? ` ${JSON.stringify(encoding)}` : "";
        finish(failure("bad-encoding", `${target} sent an unsupported Content-Encoding${named}`));
        return;
      }
      const decoded = new Sink(opts.maxBytes, null, opts.sizeFromHead);
      let active: Gunzip | Inflate | null = null;
      const start = (d: Gunzip | Inflate): Gunzip | Inflate => {
        decoder = d;
        active = d;
        d.on("data", (chunk: Buffer) => void push(decoded, chunk, "the decoded body"));
        d.on("error", (e) =>
          finish(failure("bad-encoding", `the ${encoding} body of ${target} does not decode: ${e.message}`)),
        );
        d.on("end", () => done(decoded.body()));
        d.on("drain", () => res.resume());
        return d;
      };
      let wire = 0;
      res.on("data", (chunk: Buffer) => {
        wire += chunk.length;
        if (wire > opts.maxBytes) return tooLarge("the body");
        // "deflate" is zlib-wrapped by the standard but raw from some servers: the first bytes tell.
        const d =
          active ??
          start(
            encoding !== "deflate"
              ? createGunzip()
              : looksLikeZlib(chunk)
                ? createInflate()
                : createInflateRaw(),
          );
        if (!d.write(chunk)) res.pause();
      });
      res.on("end", () => {
        if (active === null) done(Buffer.alloc(0));
        else active.end();
      });
    };

    send(first, 0, baseHeaders);
  });
}

function lowerCase(h: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}

/** A zlib stream header: CM = 8 (deflate) and a header checksum that is a multiple of 31. */
function looksLikeZlib(b: Buffer): boolean {
  if (b.length < 2) return true;
  const cmf = b[0] as number;
  const flg = b[1] as number;
  return (cmf & 0x0f) === 8 && (cmf * 256 + flg) % 31 === 0;
}

/** How many first bytes `sizeFromHead` is shown at most: a length header is never longer. */
const HEAD_BYTES = 64;

/**
 * Collects a body under the cap, in one allocation when its length is announced (Content-Length, or the first
 * bytes through `sizeFromHead`), so that a large body is never held twice.
 */
class Sink {
  #whole: Buffer | null;
  #chunks: Buffer[] = [];
  #total = 0;
  #sized: boolean;

  constructor(
    private readonly maxBytes: number,
    declared: number | null,
    private readonly sizeFromHead?: (head: Buffer) => number | "need-more" | null,
  ) {
    this.#whole = declared === null ? null : Buffer.allocUnsafe(declared);
    this.#sized = declared !== null || sizeFromHead === undefined;
  }

  /** "ok"; "over-cap" when the chunk would take the body over the cap; a number when the head announces more. */
  push(chunk: Buffer): "ok" | "over-cap" | number {
    if (this.#total + chunk.length > this.maxBytes) return "over-cap";
    if (this.#whole !== null && this.#total + chunk.length <= this.#whole.length) {
      chunk.copy(this.#whole, this.#total);
    } else {
      if (this.#whole !== null) {
        // More than announced: node:http reports that as a parse error anyway; keep the bytes to be safe.
        this.#chunks.push(this.#whole.subarray(0, this.#total));
        this.#whole = null;
      }
      this.#chunks.push(chunk);
    }
    this.#total += chunk.length;
    return this.#sized ? "ok" : this.#sizeFromHead();
  }

  #sizeFromHead(): "ok" | number {
    const head = Buffer.concat(this.#chunks, this.#total); // a few bytes: this runs until the head is read
    const size = this.sizeFromHead?.(head.subarray(0, HEAD_BYTES)) ?? null;
    if (size === "need-more") {
      this.#sized = this.#total >= HEAD_BYTES;
      return "ok";
    }
    this.#sized = true;
    if (size === null || size < this.#total) return "ok"; // the caller's parser explains it at the end
    if (size > this.maxBytes) return size;
    this.#whole = Buffer.allocUnsafe(size);
    head.copy(this.#whole);
    this.#chunks = [];
    return "ok";
  }

  body(): Buffer {
    if (this.#whole !== null) return this.#whole.subarray(0, this.#total);
    return this.#chunks.length === 1 ? (this.#chunks[0] as Buffer) : Buffer.concat(this.#chunks, this.#total);
  }
}
