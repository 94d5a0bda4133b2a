/**
 * @module work/held-lease
 * A worker's side of the work leases (store/lease-store.ts): taking one, keeping it alive with a heartbeat every
 * third of its time, noticing when it is lost, and giving it back. Each acquisition has its own holder name
 * (`<worker id>#<n>`), so two jobs of one worker never share a lease: the second is refused like any other.
 */
import type { Clock } from "../daemon/clock.js";
import type { JsonLog } from "../daemon/json-log.js";
import { messageOf } from "../daemon/jobs.js";
import type { LeaseStore } from "../store/lease-store.js";

export interface HeldLease {
  readonly name: string;
  readonly holder: string;
  /**
   * Aborts when the lease is lost: another worker took it over (a renewal found it taken), or no renewal succeeded
   * for a whole lease time (the store unreachable). Work under it should stop; writes are fenced anyway.
   */
  readonly lost: AbortSignal;
  /** Stops the heartbeat and gives the lease back (when still held). */
  release(): Promise<void>;
}

/** What a lease is for: the part of its name before the first colon (`scan:tls:…`, `ct:…`, `job:…`, `worker:…`). */
const LEASE_KINDS = ["planner", "worker", "scan", "ct", "job"] as const;
export type LeaseKind = (typeof LEASE_KINDS)[number];

export class Leases {
  readonly #store: LeaseStore;
  readonly #worker: string;
  readonly #ttlMs: number;
  readonly #clock: Clock;
  readonly #log: JsonLog;
  readonly #held = new Set<HeldLease>();
  #n = 0;

  constructor(o: { store: LeaseStore; workerId: string; ttlMs: number; clock: Clock; log: JsonLog }) {
    this.#store = o.store;
    this.#worker = o.workerId;
    this.#ttlMs = o.ttlMs;
    this.#clock = o.clock;
    this.#log = o.log;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** The lease, kept alive until released; null when another holder has it. */
  async take(name: string, ttlMs = this.#ttlMs): Promise<HeldLease | null> {
    const holder = `${this.#worker}#${++this.#n}`;
    if (!(await this.#store.take(name, holder, ttlMs))) return null;
    const lost = new AbortController();
    const stop = new AbortController();
    const heartbeat = this.#heartbeat(name, holder, ttlMs, lost, stop.signal);
    const lease: HeldLease = {
      name,
      holder,
      lost: lost.signal,
      release: async () => {
        if (!this.#held.delete(lease)) return;
        stop.abort();
        await heartbeat;
        await this.#store.release(name, holder).catch((e: unknown) => {
          // It ends on its own within the lease time.
          this.#log.warn("could not release a lease", { lease: name, error: messageOf(e) });
        });
      },
    };
    this.#held.add(lease);
    return lease;
  }

  /** How many leases this worker holds now, by kind (every kind, 0 when none): `certwatch_worker_leases_held`. */
  heldByKind(): Record<LeaseKind, number> {
    const counts = Object.fromEntries(LEASE_KINDS.map((k) => [k, 0])) as Record<LeaseKind, number>;
    for (const l of this.#held) {
      const kind = l.name.split(":", 1)[0] as LeaseKind;
      if (Object.hasOwn(counts, kind)) counts[kind]++;
    }
    return counts;
  }

  /** Gives back every lease still held (a stopping worker: the others take over at once, not after the lease time). */
  async releaseAll(): Promise<void> {
    await Promise.all([...this.#held].map((l) => l.release()));
  }

  async #heartbeat(
    name: string,
    holder: string,
    ttlMs: number,
    lost: AbortController,
    stop: AbortSignal,
  ): Promise<void> {
    let renewedAt = this.#clock.now();
    while (!stop.aborted && !lost.signal.aborted) {
      await this.#clock.sleep(ttlMs / 3, stop);
      if (stop.aborted) return;
      try {
        if (await this.#store.renew(name, holder, ttlMs)) {
          renewedAt = this.#clock.now();
          continue;
        }
        this.#log.warn("lease lost: another worker took it over", { lease: name });
        lost.abort();
      } catch (e) {
        if (this.#clock.now() - renewedAt < ttlMs) {
          this.#log.warn("could not renew a lease; trying again", { lease: name, error: messageOf(e) });
          continue;
        }
        this.#log.warn("lease lost: not renewed within its time", { lease: name, error: messageOf(e) });
        lost.abort();
      }
    }
  }
}
