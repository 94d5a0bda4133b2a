/**
 * @module sources/ct/polite-http
 * Per-log politeness over util/http-get: bounded concurrency, a token-bucket request rate (fixed, or
 * adaptive: see sources/ct/adaptive-rate), retries with exponential back-off and jitter, Retry-After on
 * 429/503 (capped), an AbortSignal, and counters.
 */
import { HttpClient, type HttpGetErrorReason, type HttpResponse } from "../../util/http-get.js";
import { AdaptiveRate, type DecreaseReason } from "./adaptive-rate.js";

export interface PoliteHttpOptions {
  /** Most requests in flight at once (default 4). */
  readonly concurrency?: number;
  /**
   * Sustained request rate, per second (default 20; `Infinity` for none). With `maxRequestsPerSecond`, the
   * rate to start at.
   */
  readonly requestsPerSecond?: number;
  /**
   * When given, the rate adapts (sources/ct/adaptive-rate): it rises from `requestsPerSecond` towards this
   * ceiling while answers come back fine and fast, and goes down on 429/503 (halved), other failures and
   * latency growth. Absent: the rate stays `requestsPerSecond`.
   */
  readonly maxRequestsPerSecond?: number;
  /**
   * Token-bucket capacity: requests allowed back to back after a quiet spell (default max(1,
   * requestsPerSecond), at most 100; adaptive: `concurrency`, as the rate may grow well above its start).
   */
  readonly burst?: number;
  /** Retries after the first attempt (default 4). */
  readonly maxRetries?: number;
  /** First back-off delay; doubled at every retry (default 500 ms). */
  readonly baseDelayMs?: number;
  /** Longest back-off delay (default 30 s). */
  readonly maxDelayMs?: number;
  /** Longest wait honoured for a Retry-After (default 60 s); a longer one is waited this long. */
  readonly maxRetryAfterMs?: number;
  /** Stops every wait and request of this instance. */
  readonly signal?: AbortSignal;
  /** The HTTP client (keep-alive agents); one is created when absent. */
  readonly client?: HttpClient;
  /** For tests: the clock (ms), the random source in [0, 1), and sleeping. */
  readonly now?: () => number;
  readonly random?: () => number;
  readonly sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

export interface PoliteRequestOptions {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Stops this request (in addition to the instance's signal). */
  readonly signal?: AbortSignal;
}

/**
 * How the caller reads a final response (not a 429 or 5xx, which are retried first): `ok` ends the request,
 * `retry` counts as a failed attempt (a garbled body) and is retried with back-off like a network error.
 */
export type Interpretation<T> = { kind: "ok"; value: T } | { kind: "retry"; error: string };

export type PoliteErrorReason =
  | HttpGetErrorReason
  /** A 429 or 5xx was still the answer after every retry. */
  | "http-status"
  /** The interpreter asked for a retry after every attempt. */
  | "bad-response"
  | "aborted";

export type PoliteResult<T> =
  | { readonly kind: "ok"; readonly value: T; readonly attempts: number }
  | {
      readonly kind: "error";
      readonly reason: PoliteErrorReason;
      readonly error: string;
      readonly attempts: number;
      /** The last HTTP status, for `http-status`. */
      readonly status?: number;
    };

export interface PoliteStats {
  /** HTTP requests sent (every attempt). */
  requests: number;
  /** Attempts after the first one. */
  retries: number;
  /** 429 and 503 answers. */
  throttled: number;
  /** The request rate now, per second (`Infinity`: none). */
  rate: number;
  /** The highest rate reached (the same as `rate` when it is fixed). */
  peakRate: number;
  /** Times the adaptive rate went down, and why the last time (null: never, or a fixed rate). */
  decreases: number;
  lastDecrease: DecreaseReason | null;
}

const DEFAULTS = {
  concurrency: 4,
  requestsPerSecond: 20,
  maxRetries: 4,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
} as const;

class Aborted extends Error {}

/** Resolves after `ms`, or rejects with {@link Aborted} when `signal` fires first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted === true) return reject(new Aborted("aborted"));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new Aborted("aborted"));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Parses a Retry-After value (delay-seconds or an HTTP date) into milliseconds from `now`; null when it is
 * absent or unreadable. A date in the past means 0.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (value === undefined) return null;
  const v = value.trim();
  if (/^\d{1,10}$/.test(v)) return Number(v) * 1000;
  if (!/[a-z]/i.test(v)) return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : Math.max(0, t - now);
}

/**
 * One log's HTTP manners. Every request waits for a concurrency slot and a rate token, then is retried on
 * network errors, timeouts, 5xx and 429 (honouring Retry-After on 429 and 503, which also holds back every
 * other request of this instance until then). Never throws.
 */
export class PoliteHttp {
  readonly #client: HttpClient;
  readonly #ownsClient: boolean;
  readonly #concurrency: number;
  /** The fixed rate, or the adaptive rate's start. */
  readonly #fixedRate: number;
  readonly #adaptive: AdaptiveRate | null;
  readonly #burst: number;
  readonly #maxRetries: number;
  readonly #baseDelay: number;
  readonly #maxDelay: number;
  readonly #maxRetryAfter: number;
  readonly #signal: AbortSignal | undefined;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #sleep: (ms: number, signal: AbortSignal | undefined) => Promise<void>;

  #active = 0;
  readonly #waiting: { wake: () => void }[] = [];
  #tokens: number;
  #refilledAt: number;
  #pausedUntil = 0;
  readonly #stats = { requests: 0, retries: 0, throttled: 0 };

  constructor(opts: PoliteHttpOptions = {}) {
    this.#ownsClient = opts.client === undefined;
    this.#client = opts.client ?? new HttpClient({ maxSockets: Math.max(1, opts.concurrency ?? 4) });
    this.#concurrency = positive(opts.concurrency ?? DEFAULTS.concurrency, "concurrency");
    this.#fixedRate = positive(opts.requestsPerSecond ?? DEFAULTS.requestsPerSecond, "requestsPerSecond");
    const max = opts.maxRequestsPerSecond;
    if (max !== undefined) positive(max, "maxRequestsPerSecond");
    // No limit at all (tests, the benchmark's unlimited runs) leaves nothing to adapt.
    this.#adaptive =
      max === undefined || !Number.isFinite(this.#fixedRate)
        ? null
        : new AdaptiveRate({ initial: this.#fixedRate, max: Number.isFinite(max) ? max : 100_000 });
    this.#burst = positive(
      opts.burst ??
        (this.#adaptive !== null
          ? this.#concurrency
          : Number.isFinite(this.#fixedRate)
            ? Math.min(100, Math.max(1, this.#fixedRate))
            : 1),
      "burst",
    );
    this.#maxRetries = nonNegative(opts.maxRetries ?? DEFAULTS.maxRetries, "maxRetries");
    this.#baseDelay = nonNegative(opts.baseDelayMs ?? DEFAULTS.baseDelayMs, "baseDelayMs");
    this.#maxDelay = nonNegative(opts.maxDelayMs ?? DEFAULTS.maxDelayMs, "maxDelayMs");
    this.#maxRetryAfter = nonNegative(opts.maxRetryAfterMs ?? DEFAULTS.maxRetryAfterMs, "maxRetryAfterMs");
    this.#signal = opts.signal;
    this.#now = opts.now ?? Date.now;
    this.#random = opts.random ?? Math.random;
    this.#sleep = opts.sleep ?? sleep;
    this.#tokens = this.#burst;
    this.#refilledAt = this.#now();
  }

  /** A snapshot of the counters and of the rate. */
  get stats(): PoliteStats {
    const a = this.#adaptive;
    return {
      ...this.#stats,
      rate: this.#rate(),
      peakRate: a?.peak ?? this.#fixedRate,
      decreases: a?.decreases ?? 0,
      lastDecrease: a?.lastDecrease ?? null,
    };
  }

  /** The request rate now (per second). */
  #rate(): number {
    return this.#adaptive?.rate ?? this.#fixedRate;
  }

  /** The final response (any status but 429/5xx, or the last 429/5xx when retries ran out, as an error). */
  get(url: string, opts: PoliteRequestOptions): Promise<PoliteResult<HttpResponse>> {
    return this.request(url, opts, (res) => ({ kind: "ok", value: res }));
  }

  /** Like {@link get}, with the response read by `interpret`, which may ask for a retry. */
  async request<T>(
    url: string,
    opts: PoliteRequestOptions,
    interpret: (res: HttpResponse) => Interpretation<T>,
  ): Promise<PoliteResult<T>> {
    const signal = combine(this.#signal, opts.signal);
    let attempts = 0;
    for (;;) {
      if (signal?.aborted === true) return aborted(url, attempts);
      let release: (() => void) | null = null;
      let paused = false;
      let last: Extract<PoliteResult<T>, { kind: "error" }>;
      try {
        // A Retry-After holds back every request of this log, without holding a slot...
        await this.#pause(signal);
        let seen = this.#pausedUntil;
        release = await this.#slot(signal);
        let limited: boolean;
        for (;;) {
          // ...and one that came while this request waited for its slot or token holds it back too; its
          // token is void then (the bucket was emptied), so it takes a new one after the pause: no burst.
          if (this.#pausedUntil > seen) {
            seen = this.#pausedUntil;
            await this.#pause(signal);
          }
          limited = await this.#token(signal);
          if (this.#pausedUntil <= seen) break;
        }
        if (attempts > 0) this.#stats.retries++;
        attempts++;
        this.#stats.requests++;
        const seq = this.#adaptive?.sent() ?? 0;
        const sentAt = this.#now();
        const r = await this.#client.get(url, {
          timeoutMs: opts.timeoutMs,
          maxBytes: opts.maxBytes,
          ...(opts.headers !== undefined ? { headers: opts.headers } : {}),
          ...(signal !== undefined ? { signal } : {}),
        });
        release();
        release = null;
        if (isAborted(signal)) return aborted(url, attempts);
        if (r.kind === "error") {
          if (r.reason === "too-large") return { ...r, attempts };
          // A log that times out or drops connections may be overloaded; a refused address or a bad
          // redirect says nothing about load.
          if (r.reason === "timeout" || r.reason === "network") this.#adaptive?.failed(seq);
          last = { ...r, attempts };
        } else if (r.status === 429 || r.status >= 500) {
          const throttled = r.status === 429 || r.status === 503;
          if (throttled) {
            this.#stats.throttled++;
            this.#adaptive?.throttled(seq);
            const ra = parseRetryAfter(header(r.headers["retry-after"]), this.#now());
            if (ra !== null) {
              this.#pausedUntil = Math.max(
                this.#pausedUntil,
                this.#now() + Math.min(ra, this.#maxRetryAfter),
              );
              paused = true;
            }
            // After being told to slow down, start again with an empty bucket: no burst at the end of the
            // pause, the first request one interval after it.
            this.#emptyBucket();
          } else {
            this.#adaptive?.failed(seq);
          }
          last = {
            kind: "error",
            reason: "http-status",
            error: `HTTP ${r.status} from ${url}`,
            attempts,
            status: r.status,
          };
        } else {
          this.#adaptive?.succeeded(seq, this.#now() - sentAt, limited, kindOf(url));
          const i = interpret(r);
          if (i.kind === "ok") return { kind: "ok", value: i.value, attempts };
          last = { kind: "error", reason: "bad-response", error: i.error, attempts };
        }
      } catch (e) {
        if (e instanceof Aborted) return aborted(url, attempts);
        throw e;
      } finally {
        release?.();
      }
      if (attempts > this.#maxRetries) {
        return attempts > 1 ? { ...last, error: `${last.error} (after ${attempts} attempts)` } : last;
      }
      if (paused) continue; // the pause at the top of the loop is the wait
      try {
        await this.#sleep(this.#backoff(attempts), signal);
      } catch {
        return aborted(url, attempts);
      }
    }
  }

  /** Closes idle connections of the client this instance created. */
  destroy(): void {
    if (this.#ownsClient) this.#client.destroy();
  }

  /** Exponential back-off with "equal jitter": half fixed, half random. */
  #backoff(attempts: number): number {
    const d = Math.min(this.#maxDelay, this.#baseDelay * 2 ** (attempts - 1));
    return d / 2 + (this.#random() * d) / 2;
  }

  /** Waits for a concurrency slot; returns its release. */
  async #slot(signal: AbortSignal | undefined): Promise<() => void> {
    while (this.#active >= this.#concurrency) {
      await new Promise<void>((resolve, reject) => {
        const waiter = {
          wake: (): void => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
          },
        };
        const onAbort = (): void => {
          const i = this.#waiting.indexOf(waiter);
          if (i >= 0) this.#waiting.splice(i, 1);
          reject(new Aborted("aborted"));
        };
        if (signal?.aborted === true) return reject(new Aborted("aborted"));
        signal?.addEventListener("abort", onAbort, { once: true });
        this.#waiting.push(waiter);
      });
    }
    this.#active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#active--;
      this.#waiting.shift()?.wake();
    };
  }

  /** Waits while a Retry-After holds this log back. */
  async #pause(signal: AbortSignal | undefined): Promise<void> {
    const pause = this.#pausedUntil - this.#now();
    if (pause > 0) await this.#sleep(pause, signal);
  }

  /** Adds the tokens earned since the last refill, at the rate of now. */
  #refill(): void {
    const now = this.#now();
    // The refill time may lie ahead (an emptied bucket starts earning at the end of a pause).
    const elapsed = Math.max(0, now - this.#refilledAt);
    this.#tokens = Math.min(this.#burst, this.#tokens + (elapsed * this.#rate()) / 1000);
    this.#refilledAt = Math.max(this.#refilledAt, now);
  }

  /**
   * No token left, and none earned before the end of the pause. Tokens already taken by requests still
   * waiting for them are forgiven: those requests take new ones after the pause.
   */
  #emptyBucket(): void {
    if (!Number.isFinite(this.#rate())) return;
    this.#tokens = 0;
    this.#refilledAt = Math.max(this.#now(), this.#pausedUntil);
  }

  /**
   * Reserves one token (first come, first served), waiting until it is due. True when the bucket held less
   * than one token: the rate, not the callers, set the pace of this request.
   */
  async #token(signal: AbortSignal | undefined): Promise<boolean> {
    const rate = this.#rate();
    if (!Number.isFinite(rate)) return false;
    this.#refill();
    this.#tokens -= 1;
    if (this.#tokens < 0) {
      await this.#sleep((-this.#tokens * 1000) / rate, signal);
      return true;
    }
    return this.#tokens < 1;
  }
}

/** Read through a call so that the compiler does not assume the signal unchanged across awaits. */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/**
 * The kind of a request, for latency comparisons: its path with every run of digits as `#` (`get-entries`,
 * `get-sth`, a data tile, a level-0 hash tile, a partial tile…), without the query.
 */
function kindOf(url: string): string {
  const q = url.indexOf("?");
  return (q < 0 ? url : url.slice(0, q)).replace(/\d+/g, "#");
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function aborted<T>(url: string, attempts: number): PoliteResult<T> {
  return { kind: "error", reason: "aborted", error: `aborted: ${url}`, attempts };
}

function combine(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return AbortSignal.any([a, b]);
}

function positive(n: number, what: string): number {
  if (!(n > 0)) throw new RangeError(`${what} must be positive, got ${n}`);
  return n;
}

function nonNegative(n: number, what: string): number {
  if (!(n >= 0) || !Number.isFinite(n))
    throw new RangeError(`${what} must be a non-negative number, got ${n}`);
  return n;
}
