/**
 * @module daemon/clock
 * Time as the scheduler sees it: the current instant and a sleep that a signal cuts short. The daemon uses the
 * system clock; the scheduler's tests move a fake one, so no test waits on the wall clock.
 */

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or as soon as `signal` aborts (it resolves then too: waking is not an error). */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** setTimeout's longest delay; a longer sleep is cut to it (the caller looks at the time again anyway). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(Math.max(0, ms), MAX_TIMER_MS));
      signal.addEventListener("abort", done, { once: true });
    }),
};
