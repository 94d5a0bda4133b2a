/**
 * @module auth/rate-limit
 * Login throttling per user name and per client address: N failures within a sliding window lock the key,
 * each further lockout twice as long (capped). Memory is bounded (a capped, least-recently-used map per
 * key space); the clock is injected.
 */
import { isIPv4, isIPv6 } from "node:net";

export interface FailureLimit {
  /** This many failures within `windowMs` lock the key. */
  readonly maxFailures: number;
  readonly windowMs: number;
  /** The first lockout; each next one doubles, up to `maxLockoutMs`. */
  readonly lockoutMs: number;
  readonly maxLockoutMs: number;
  /** A key with no failure for this long is forgotten (its lockout count too). */
  readonly forgetAfterMs: number;
  /** Keys remembered at most (least recently used go first, unlocked ones before locked ones). */
  readonly maxKeys: number;
}

const MIN = 60_000;

/**
 * Per user name: few failures, and a short cap, because anyone can lock a known name out (the price of
 * stopping distributed guessing of one password). Per address: more, since an office shares one address.
 */
export const LOGIN_LIMITS: { readonly user: FailureLimit; readonly address: FailureLimit } = {
  user: {
    maxFailures: 5,
    windowMs: 15 * MIN,
    lockoutMs: MIN,
    maxLockoutMs: 15 * MIN,
    forgetAfterMs: 24 * 60 * MIN,
    maxKeys: 10_000,
  },
  address: {
    maxFailures: 20,
    windowMs: 15 * MIN,
    lockoutMs: MIN,
    maxLockoutMs: 60 * MIN,
    forgetAfterMs: 24 * 60 * MIN,
    maxKeys: 10_000,
  },
};

interface Entry {
  /** Failure times within the window, oldest first (never more than maxFailures). */
  failures: number[];
  lockedUntil: number;
  /** Lockouts so far: the next lasts lockoutMs · 2^strikes. */
  strikes: number;
  lastFailure: number;
}

/** How many of the oldest keys eviction looks at for one that is not locked (bounded work per insert). */
const EVICTION_SCAN = 32;

/** One key space (user names, or addresses). */
export class FailureLimiter {
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  readonly #entries = new Map<string, Entry>();

  constructor(private readonly limit: FailureLimit) {}

  get size(): number {
    return this.#entries.size;
  }

  /** Milliseconds until the key may try again; 0 when it may now. */
  retryAfter(key: string, now: number): number {
    const e = this.#entries.get(key);
    return e === undefined ? 0 : Math.max(0, e.lockedUntil - now);
  }

  /** Count a failure; locks the key when it is the N-th within the window. */
  fail(key: string, now: number): void {
    let e = this.#entries.get(key);
    if (e !== undefined) this.#entries.delete(key);
    if (e === undefined || now - e.lastFailure >= this.limit.forgetAfterMs) {
      e = { failures: [], lockedUntil: 0, strikes: 0, lastFailure: now };
    }
    this.#entries.set(key, e);
    this.#evict(key, now);
    e.lastFailure = now;
    if (now < e.lockedUntil) return; // already locked: the caller should not have tried
    e.failures = e.failures.filter((t) => now - t < this.limit.windowMs);
    e.failures.push(now);
    if (e.failures.length >= this.limit.maxFailures) {
      const ms = Math.min(this.limit.maxLockoutMs, this.limit.lockoutMs * 2 ** Math.min(e.strikes, 30));
      e.strikes++;
      e.lockedUntil = now + ms;
      e.failures = [];
    }
  }

  /** Forget the key (a successful login for a user name). */
  reset(key: string): void {
    this.#entries.delete(key);
  }

  /** Make room, never at the expense of `keep` (the key being counted now). */
  #evict(keep: string, now: number): void {
    while (this.#entries.size > this.limit.maxKeys) {
      let victim: string | undefined;
      let seen = 0;
      for (const [key, e] of this.#entries) {
        if (key === keep) continue;
        victim ??= key;
        if (e.lockedUntil <= now) {
          victim = key;
          break;
        }
        if (++seen >= EVICTION_SCAN) break;
      }
      if (victim === undefined) return;
      this.#entries.delete(victim);
    }
  }
}

export type ThrottleVerdict =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterMs: number; readonly scope: "user" | "address" };

export interface LoginThrottleOptions {
  /** Milliseconds since the epoch (injected: tests move it, the daemon passes Date.now). */
  readonly now: () => number;
  readonly user?: FailureLimit;
  readonly address?: FailureLimit;
}

/**
 * The key of a client address: IPv4 as is (also when IPv4-mapped), IPv6 by its /64 (one host usually has a
 * whole /64, so per-address counting must not let it rotate through 2^64 keys).
 */
export function addressKey(address: string): string {
  const bare = address.replace(/%.*$/, "").toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (mapped?.[1] !== undefined && isIPv4(mapped[1])) return mapped[1];
  if (isIPv4(bare)) return bare;
  if (!isIPv6(bare)) return address.slice(0, 64);
  const [head = "", tail = ""] = bare.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = bare.includes("::") ? (tail === "" ? [] : tail.split(":")) : [];
  const groups = bare.includes("::")
    ? [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

/** Throttles logins by user name and by client address; both must allow an attempt. */
export class LoginThrottle {
  readonly #users: FailureLimiter;
  readonly #addresses: FailureLimiter;
  readonly #now: () => number;

  constructor(options: LoginThrottleOptions) {
    this.#users = new FailureLimiter(options.user ?? LOGIN_LIMITS.user);
    this.#addresses = new FailureLimiter(options.address ?? LOGIN_LIMITS.address);
    this.#now = options.now;
  }

  /** Ask before verifying the password: a locked attempt costs no hash and says only "retry after". */
  check(user: string, address: string): ThrottleVerdict {
    const now = this.#now();
    const byAddress = this.#addresses.retryAfter(addressKey(address), now);
    if (byAddress > 0) return { allowed: false, retryAfterMs: byAddress, scope: "address" };
    const byUser = this.#users.retryAfter(userKey(user), now);
    if (byUser > 0) return { allowed: false, retryAfterMs: byUser, scope: "user" };
    return { allowed: true };
  }

  /** A wrong password (or unknown user, or disabled user: all look the same from outside). */
  failed(user: string, address: string): void {
    const now = this.#now();
    this.#users.fail(userKey(user), now);
    this.#addresses.fail(addressKey(address), now);
  }

  /**
   * Ask for a sign-in without a typed user name (single sign-on): only the address counts. A per-name key would
   * let anyone lock every SSO sign-in out at once.
   */
  checkAddress(address: string): ThrottleVerdict {
    const byAddress = this.#addresses.retryAfter(addressKey(address), this.#now());
    return byAddress > 0 ? { allowed: false, retryAfterMs: byAddress, scope: "address" } : { allowed: true };
  }

  /** A failed single sign-on (a bad or stale answer, a refused identity): counts against the address only. */
  failedAddress(address: string): void {
    this.#addresses.fail(addressKey(address), this.#now());
  }

  /**
   * A successful login clears its user name, not its address: one valid account must not let an address
   * reset its count while it guesses other users' passwords.
   */
  succeeded(user: string): void {
    this.#users.reset(userKey(user));
  }

  /** Keys held (for tests and metrics). */
  get size(): { readonly users: number; readonly addresses: number } {
    return { users: this.#users.size, addresses: this.#addresses.size };
  }
}

/** User names are compared lower-cased; the length cap bounds memory whatever is typed. */
function userKey(user: string): string {
  return user.slice(0, 128).toLowerCase();
}
