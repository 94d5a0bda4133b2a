/**
 * @module util/http-get
 * Bounded HTTP(S) requests over node:http/node:https: a total deadline, a byte cap on the wire and on the decoded
 * (gzip/deflate) body, keep-alive agents per client, and a discriminated result that never throws. GET for the
 * sources; POST (or any method with a body) for the notifiers.
 */
import http, { type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import https from "node:https";
import { createGunzip, createInflate, createInflateRaw, type Inflate, type Gunzip } from "node:zlib";

export interface HttpGetOptions {
  /** Total deadline for the whole exchange: connect, headers, body and decoding (not an idle timeout). */
  readonly timeoutMs: number;
  /** Largest body accepted, both as received and once decoded; the download stops as soon as it is exceeded. */
  readonly maxBytes: number;
  /** Extra request headers (lower-case names win over the defaults: `user-agent`, `accept-encoding`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Stops the request; the result is then a `network` error whose text starts with "aborted". */
  readonly signal?: AbortSignal;
}

/** A request with a method and a body (the notifiers' POSTs). */
export interface HttpRequestOptions extends HttpGetOptions {
  /** Default "GET". */
  readonly method?: string;
  /** Sent with a `Content-Length`; omit for none. */
  readonly body?: Uint8Array | string;
}

export type HttpGetErrorReason = "timeout" | "too-large" | "network" | "bad-encoding";

export interface HttpResponse {
  readonly kind: "ok";
  /** Any status: callers decide what a 404 or a 503 means. */
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body, decoded when it came with `Content-Encoding: gzip` or `deflate`. */
  readonly body: Buffer;
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
  readonly #userAgent: string;

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
    this.#userAgent = opts.userAgent ?? "certwatch";
  }

  get(url: string | URL, opts: HttpGetOptions): Promise<HttpGetResult> {
    return this.request(url, opts);
  }

  /** Any method, with an optional body; never throws and never rejects. */
  request(url: string | URL, opts: HttpRequestOptions): Promise<HttpGetResult> {
    return request(url, opts, (u) => (u.protocol === "https:" ? this.#https : this.#http), this.#userAgent);
  }

  /** Closes idle connections; requests in flight finish (or fail) on their own. */
  destroy(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}

/** One request on a fresh connection (no keep-alive): for one-off downloads. */
export function httpGet(url: string | URL, opts: HttpGetOptions): Promise<HttpGetResult> {
  return request(url, opts, () => false, "certwatch");
}

function request(
  rawUrl: string | URL,
  opts: HttpRequestOptions,
  agentFor: (u: URL) => http.Agent | false,
  userAgent: string,
): Promise<HttpGetResult> {
  return new Promise<HttpGetResult>((resolve) => {
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      resolve(failure("network", `not a valid URL: ${JSON.stringify(String(rawUrl))}`));
      return;
    }
    const target = url.href;
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      resolve(failure("network", `unsupported URL scheme ${url.protocol} in ${target}`));
      return;
    }
    if (opts.signal?.aborted === true) {
      resolve(failure("network", `aborted before requesting ${target}`));
      return;
    }

    let settled = false;
    let req: ClientRequest | null = null;
    let decoder: Gunzip | Inflate | null = null;
    const onAbort = (): void => finish(failure("network", `aborted while fetching ${target}`));
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
      () => finish(failure("timeout", `no complete answer from ${target} within ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    );
    opts.signal?.addEventListener("abort", onAbort, { once: true });

    const body = typeof opts.body === "string" ? Buffer.from(opts.body, "utf8") : opts.body;
    const headers: Record<string, string> = {
      "user-agent": userAgent,
      "accept-encoding": "gzip, deflate, identity",
      ...(body !== undefined ? { "content-length": String(body.length) } : {}),
      ...lowerCase(opts.headers ?? {}),
    };

    const onResponse = (res: IncomingMessage): void => {
      const status = res.statusCode ?? 0;
      const encoding = (res.headers["content-encoding"] ?? "identity").trim().toLowerCase();
      const declared = Number(res.headers["content-length"] ?? NaN);
      if (Number.isSafeInteger(declared) && declared > opts.maxBytes) {
        finish(
          failure("too-large", `${target} declares ${declared} bytes, over the ${opts.maxBytes}-byte cap`),
        );
        return;
      }
      const done = (body: Buffer): void => finish({ kind: "ok", status, headers: res.headers, body });
      const tooLarge = (what: string): void =>
        finish(failure("too-large", `${what} of ${target} exceeds the ${opts.maxBytes}-byte cap`));
      const cut = (why: string): void =>
        finish(failure("network", `${target} closed the connection before the end of the body (${why})`));
      res.on("error", (e) => cut(e.message));
      res.on("close", () => {
        if (!res.complete) cut("incomplete");
      });

      if (encoding === "identity" || encoding === "") {
        const sink = new Sink(opts.maxBytes, Number.isSafeInteger(declared) ? declared : null);
        res.on("data", (chunk: Buffer) => {
          if (!sink.push(chunk)) tooLarge("the body");
        });
        res.on("end", () => done(sink.body()));
        return;
      }
      if (encoding !== "gzip" && encoding !== "x-gzip" && encoding !== "deflate") {
        finish(
          failure(
            "bad-encoding",
            `${target} sent an unsupported Content-Encoding ${JSON.stringify(encoding)}`,
          ),
        );
        return;
      }
      const decoded = new Sink(opts.maxBytes, null);
      let active: Gunzip | Inflate | null = null;
      const start = (d: Gunzip | Inflate): Gunzip | Inflate => {
        decoder = d;
        active = d;
        d.on("data", (chunk: Buffer) => {
          if (!decoded.push(chunk)) tooLarge("the decoded body");
        });
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

    try {
      const client = url.protocol === "https:" ? https : http;
      req = client.request(url, { method: opts.method ?? "GET", headers, agent: agentFor(url) }, onResponse);
      req.on("error", (e) => finish(failure("network", `${target}: ${e.message}`)));
      req.end(body);
    } catch (e) {
      finish(failure("network", `${target}: ${message(e)}`));
    }
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

/** Collects a body under the cap, in one allocation when its length is announced. */
class Sink {
  #whole: Buffer | null;
  #chunks: Buffer[] = [];
  #total = 0;

  constructor(
    private readonly maxBytes: number,
    declared: number | null,
  ) {
    this.#whole = declared === null ? null : Buffer.allocUnsafe(declared);
  }

  /** false when the chunk would take the body over the cap. */
  push(chunk: Buffer): boolean {
    if (this.#total + chunk.length > this.maxBytes) return false;
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
    return true;
  }

  body(): Buffer {
    if (this.#whole !== null) return this.#whole.subarray(0, this.#total);
    return this.#chunks.length === 1 ? (this.#chunks[0] as Buffer) : Buffer.concat(this.#chunks, this.#total);
  }
}
