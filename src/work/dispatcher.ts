/**
 * @module work/dispatcher
 * Takes a queue's jobs as fast as a worker can run them: it fetches as many jobs as it has free slots (its
 * capacity: scan.concurrency, or its share of the CT logs), runs each on its own, completes or fails each as it
 * ends, and fetches again as soon as a slot frees — waiting work.pollSeconds only when the queue had nothing more.
 *
 * Not pg-boss's work(): in pg-boss 10 a work() poller waits its whole polling interval after every fetch, even one
 * that found jobs, and completes a batch together — 32 one-job pollers drained 64 no-op jobs/s at a 0.5 s interval
 * (bench:workers), and a slow scan in a batch would hold the others back.
 */
import type PgBoss from "pg-boss";
import type { Clock } from "../daemon/clock.js";
import { messageOf } from "../daemon/jobs.js";
import type { JsonLog } from "../daemon/json-log.js";

export interface DispatcherOptions<T> {
  readonly boss: PgBoss;
  readonly queue: string;
  /** How many jobs may run at once now (read before every fetch). */
  readonly capacity: () => number;
  readonly pollMs: number;
  readonly run: (data: T) => Promise<void>;
  readonly log: JsonLog;
  readonly clock: Clock;
}

export class Dispatcher<T extends object> {
  readonly #o: DispatcherOptions<T>;
  readonly #running = new Map<string, Promise<void>>();
  #wake = new AbortController();

  constructor(o: DispatcherOptions<T>) {
    this.#o = o;
  }

  /** Look at the queue now (this process just sent jobs to it) instead of at the next poll. */
  wake(): void {
    this.#wake.abort();
  }

  /** Jobs running now. */
  get running(): number {
    return this.#running.size;
  }

  /** Fetches and runs jobs until `stop` aborts (jobs running then go on; see settle). */
  async run(stop: AbortSignal): Promise<void> {
    const { boss, queue, clock } = this.#o;
    const onStop = () => this.#wake.abort();
    stop.addEventListener("abort", onStop, { once: true });
    try {
      while (!stop.aborted) {
        const free = this.#o.capacity() - this.#running.size;
        let fetched = 0;
        if (free > 0) {
          const jobs = await boss.fetch<T>(queue, { batchSize: free });
          fetched = jobs.length;
          for (const job of jobs) this.#start(job);
        }
        if (stop.aborted) break;
        // Every slot filled (more may be waiting): fetch again once one frees. Otherwise the queue is empty for now
        // (or the capacity is used): look again after the poll interval, or when a job ends.
        const wait = free > 0 && fetched === free ? 60_000 : this.#o.pollMs;
        await clock.sleep(wait, this.#wake.signal);
        if (this.#wake.signal.aborted && !stop.aborted) this.#wake = new AbortController();
      }
    } finally {
      stop.removeEventListener("abort", onStop);
    }
  }

  /**
   * Waits for the jobs running (at most `boundMs`, or until `hurry` aborts); those still running then are failed,
   * so pg-boss retries them elsewhere. True when every job ended on its own.
   */
  async settle(boundMs: number, hurry?: AbortSignal): Promise<boolean> {
    const all = Promise.allSettled([...this.#running.values()]).then(() => true);
    const timer = new AbortController();
    const cut = () => timer.abort();
    hurry?.addEventListener("abort", cut, { once: true });
    const late = this.#o.clock.sleep(hurry?.aborted ? 0 : boundMs, timer.signal).then(() => false);
    const finished = await Promise.race([all, late]);
    timer.abort();
    hurry?.removeEventListener("abort", cut);
    if (!finished) {
      for (const id of this.#running.keys()) {
        await this.#o.boss
          .fail(this.#o.queue, id, { message: "the worker stopped before the job ended" })
          .catch(() => undefined);
      }
    }
    return finished;
  }

  #start(job: PgBoss.Job<T>): void {
    const { boss, queue, log } = this.#o;
    const p = this.#o
      .run(job.data)
      .then(
        () => boss.complete(queue, job.id),
        (e: unknown) => boss.fail(queue, job.id, { message: messageOf(e) }),
      )
      .then(
        () => undefined,
        (e: unknown) => log.warn("could not mark a job done", { queue, job: job.id, error: messageOf(e) }),
      )
      .finally(() => {
        this.#running.delete(job.id);
        this.#wake.abort();
      });
    this.#running.set(job.id, p);
  }
}
