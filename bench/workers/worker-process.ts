/**
 * @module bench/workers/worker-process
 * `certwatch worker` as a child process for the workers benchmark: the built CLI (`bin/certwatch.js`) or the sources
 * through tsx; counts of its JSON log lines by message, waiting for one, its CPU time from /proc, and its stop.
 */
import { readFileSync } from "node:fs";
import { CertwatchChild, type LogLine } from "../certwatch-child.js";

export type { LogLine };

export class WorkerProcess extends CertwatchChild {
  /** Warnings and errors, kept to be shown. */
  readonly problems: LogLine[] = [];
  #cpuAtExit: number | null = null;
  #hwmAtExit: number | null = null;

  constructor(cwd: string, fromSources: boolean) {
    super("worker", cwd, { fromSources });
  }

  protected onLine(line: LogLine): void {
    if (line.level !== "info" && this.problems.length < 50) this.problems.push(line);
  }

  /** Waits until a line with this message was logged. */
  async waitFor(msg: string, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.counts.has(msg)) {
      if (Date.now() > deadline || this.child.exitCode !== null)
        throw new Error(`certwatch worker: no "${msg}" line; problems: ${JSON.stringify(this.problems)}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  /** User + system CPU seconds so far (the figure at exit once it stopped). */
  override cpuSeconds(): number {
    return this.#cpuAtExit ?? super.cpuSeconds();
  }

  /** The process's peak resident memory so far, MB (VmHWM). */
  peakRssMb(): number {
    if (this.#hwmAtExit !== null) return this.#hwmAtExit;
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.child.pid}/status`, "utf8"));
    return Number(m?.[1] ?? 0) / 1024;
  }

  /** Keeps the CPU and peak memory figures, then SIGTERM and the exit status (SIGKILL after `boundMs`). */
  override async stop(boundMs = 30_000): Promise<number | null> {
    if (this.child.exitCode === null) {
      this.#cpuAtExit = this.cpuSeconds();
      this.#hwmAtExit = this.peakRssMb();
    }
    return super.stop(boundMs);
  }
}
