/**
 * @module sources/ct/adaptive-rate
 * The request rate of one CT log as an AIMD controller (additive increase, multiplicative decrease, as TCP
 * congestion control): it starts at a modest rate, doubles about every second of traffic while answers
 * come back fine and fast (slow start), and after its first decrease grows by a fixed step per second (5 %
 * of the ceiling), up to the ceiling. A 429 or 503 halves it, any other failed attempt (5xx, timeout,
 * network error) takes a quarter off, answers four times slower than the best seen take a fifth off, and
 * twice as slow stop its growth. Pure: no clock, no I/O; PoliteHttp feeds it what it saw, so it is tested
 * by feeding it sequences.
 *
 * Why these signals: a log says "too fast" with 429/503 (and Retry-After, which PoliteHttp honours as a
 * pause); a log that does not say it but struggles answers slower and then fails. The latency watched is
 * the fastest of the last {@link RECENT} answers of one kind of request (a `get-sth` answers faster than a
 * `get-entries` of 256 entries, a hash tile faster than a data tile), compared with the best of it seen:
 * a loaded log slows every answer down, while certwatch's own busy event loop (it parses a batch while the
 * next arrives) delays only some, so the minimum tells the two apart where an average would not. The best
 * drifts up slowly, so that a log that just got slower for good is not held down forever.
 *
 * One decrease per round trip: answers to requests sent before a decrease say nothing about the new rate,
 * so they cannot decrease it again (every request carries the sequence number it was sent with; the
 * controller remembers the first number sent after its last decrease). Several requests in flight that all
 * come back 429 halve the rate once, not four times.
 */

export interface AdaptiveRateOptions {
  /** The rate to start at (requests per second). */
  readonly initial: number;
  /** The ceiling; at least `initial`. */
  readonly max: number;
  /** The floor (default min(1, initial)). */
  readonly min?: number;
}

/** Why the rate last went down. */
export type DecreaseReason = "throttled" | "failed" | "latency";

/**
 * Answers per kind of request whose fastest is the latency watched; latency is judged once a kind has had
 * this many (the first answers of a run are slow for reasons of their own: cold caches, a cold JIT).
 */
const RECENT = 16;
/** Growth stops while the recent latency is above this many times the best (plus {@link SLACK_MS}). */
const HOLD_FACTOR = 2;
/** The rate goes down while it is above this many times the best (plus {@link SLACK_MS}). */
const DECREASE_FACTOR = 4;
/** Latency differences this small are noise (a local log answers in a few milliseconds). */
const SLACK_MS = 20;
/** The best latency rises by this fraction per answer slower than it (doubles in 140 answers). */
const BEST_DRIFT = 0.005;
/** Kinds of request whose latencies are kept apart. */
const MAX_KINDS = 16;
/** Multiplicative decreases. */
const ON_THROTTLE = 0.5;
const ON_FAILURE = 0.75;
const ON_LATENCY = 0.8;
/** Additive increase per second of traffic after slow start, as a fraction of the ceiling (at least 1/s). */
const ADDITIVE_SHARE = 0.05;

export class AdaptiveRate {
  readonly #min: number;
  readonly #max: number;
  readonly #step: number;
  #rate: number;
  #peak: number;
  /** Slow start ends here (the ceiling until the first decrease). */
  #threshold: number;
  #nextSeq = 0;
  /** Answers to requests sent before this one cannot decrease the rate. */
  #recoverFrom = 0;
  /** Latency per kind of request: the last answers (a ring), the fastest of them, and the best of that seen. */
  readonly #latency = new Map<
    string,
    { last: number[]; next: number; count: number; recent: number; best: number }
  >();
  #decreases = 0;
  #lastDecrease: DecreaseReason | null = null;

  constructor(o: AdaptiveRateOptions) {
    if (!(o.initial > 0) || !Number.isFinite(o.initial))
      throw new RangeError(`initial rate must be positive and finite, got ${o.initial}`);
    this.#max = Math.max(o.initial, o.max);
    if (!Number.isFinite(this.#max)) throw new RangeError("the rate ceiling must be finite");
    this.#min = Math.min(o.min ?? Math.min(1, o.initial), o.initial);
    if (!(this.#min > 0)) throw new RangeError(`the rate floor must be positive, got ${this.#min}`);
    this.#rate = o.initial;
    this.#peak = o.initial;
    this.#threshold = this.#max;
    this.#step = Math.max(1, this.#max * ADDITIVE_SHARE);
  }

  /** The current rate (requests per second). */
  get rate(): number {
    return this.#rate;
  }
  /** The highest rate reached. */
  get peak(): number {
    return this.#peak;
  }
  get decreases(): number {
    return this.#decreases;
  }
  get lastDecrease(): DecreaseReason | null {
    return this.#lastDecrease;
  }
  /** The fastest of the last answers of one kind (ms), or null before the first. */
  latencyMs(kind = ""): number | null {
    return this.#latency.get(kind)?.recent ?? null;
  }
  /** Whether growth is still exponential. */
  get slowStart(): boolean {
    return this.#rate < this.#threshold;
  }

  /** A request is being sent: its sequence number, to be given back with its outcome. */
  sent(): number {
    return this.#nextSeq++;
  }

  /**
   * A successful answer after `latencyMs`. `limited`: the rate was what held the request back (it found
   * the token bucket empty); growth when the rate is not the limit would be growth nobody tested. `kind`
   * names the kind of request (latencies are compared within a kind; at most {@link MAX_KINDS} kinds are
   * told apart, the rest share one).
   */
  succeeded(seq: number, latencyMs: number, limited: boolean, kind = ""): void {
    const ms = Math.max(0, latencyMs);
    const key = this.#latency.has(kind) || this.#latency.size < MAX_KINDS ? kind : "";
    let l = this.#latency.get(key);
    if (l === undefined) {
      l = { last: [], next: 0, count: 0, recent: ms, best: ms };
      this.#latency.set(key, l);
    }
    l.last[l.next] = ms;
    l.next = (l.next + 1) % RECENT;
    l.count++;
    const recent = (l.recent = Math.min(...l.last));
    const best = (l.best = Math.min(recent, l.best * (1 + BEST_DRIFT)));
    if (l.count >= RECENT) {
      if (recent > DECREASE_FACTOR * best + SLACK_MS) {
        this.#decrease(seq, ON_LATENCY, "latency");
        return;
      }
      // The log is slowing down: no growth until it recovers.
      if (recent > HOLD_FACTOR * best + SLACK_MS) return;
    }
    if (!limited) return;
    // Slow start: +1 per answer, so the rate doubles in about a second of traffic; then +step per second.
    this.#rate = Math.min(
      this.#max,
      this.#rate < this.#threshold ? this.#rate + 1 : this.#rate + this.#step / this.#rate,
    );
    this.#peak = Math.max(this.#peak, this.#rate);
  }

  /** A 429 or 503: the log asks for less. */
  throttled(seq: number): void {
    this.#decrease(seq, ON_THROTTLE, "throttled");
  }

  /** A 5xx other than 503, a timeout, a network error. */
  failed(seq: number): void {
    this.#decrease(seq, ON_FAILURE, "failed");
  }

  #decrease(seq: number, factor: number, why: DecreaseReason): void {
    if (seq < this.#recoverFrom) return;
    this.#rate = Math.max(this.#min, this.#rate * factor);
    this.#threshold = this.#rate;
    this.#recoverFrom = this.#nextSeq;
    this.#decreases++;
    this.#lastDecrease = why;
  }
}
