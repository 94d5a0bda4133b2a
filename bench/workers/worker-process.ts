/**
 * @module bench/workers/worker-process
 * `certwatch worker` as a child process for the workers benchmark: the built CLI (`bin/certwatch.js`) or the sources
 * through tsx; counts of its JSON log lines by message, waiting for one, its CPU time from /proc, and its stop.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Every child started, so that any exit of the benchmark kills them. */
const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

export type LogLine = Record<string, unknown> & { level: string; msg: string };

export class WorkerProcess {
  readonly counts = new Map<string, number>();
  /** Warnings and errors, kept to be shown. */
  readonly problems: LogLine[] = [];
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  #buffer = "";
  #cpuAtExit: number | null = null;
  #hwmAtExit: number | null = null;

  constructor(cwd: string, fromSources: boolean) {
    if (!fromSources && !existsSync(`${ROOT}dist/bin.js`))
      throw new Error("dist/bin.js is missing: run `npm run build` (or pass --from-sources)");
    const entry = fromSources
      ? ["--import", import.meta.resolve("tsx"), `${ROOT}src/bin.ts`]
      : [`${ROOT}bin/certwatch.js`];
    this.#child = spawn(process.execPath, [...entry, "worker"], { cwd, stdio: ["ignore", "ignore", "pipe"] });
    children.add(this.#child);
    this.#exited = new Promise((resolve) => this.#child.on("exit", (code) => resolve(code)));
    this.#child.stderr?.on("data", (d: Buffer) => this.#read(d.toString()));
  }

  #read(chunk: string): void {
    this.#buffer += chunk;
    let nl: number;
    while ((nl = this.#buffer.indexOf("\n")) >= 0) {
      const raw = this.#buffer.slice(0, nl);
      this.#buffer = this.#buffer.slice(nl + 1);
      let line: LogLine;
      try {
        line = JSON.parse(raw) as LogLine;
      } catch {
        line = { level: "not-json", msg: raw };
      }
      this.counts.set(line.msg, (this.counts.get(line.msg) ?? 0) + 1);
      if (line.level !== "info" && this.problems.length < 50) this.problems.push(line);
    }
  }

  /** Waits until a line with this message was logged. */
  async waitFor(msg: string, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.counts.has(msg)) {
      if (Date.now() > deadline || this.#child.exitCode !== null)
        throw new Error(`certwatch worker: no "${msg}" line; problems: ${JSON.stringify(this.problems)}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  /** User + system CPU seconds so far (the figure at exit once it stopped). */
  cpuSeconds(): number {
    if (this.#cpuAtExit !== null) return this.#cpuAtExit;
    const stat = readFileSync(`/proc/${this.#child.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
  }

  /** The process's peak resident memory so far, MB (VmHWM). */
  peakRssMb(): number {
    if (this.#hwmAtExit !== null) return this.#hwmAtExit;
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.#child.pid}/status`, "utf8"));
    return Number(m?.[1] ?? 0) / 1024;
  }

  /** SIGTERM, then the exit status (SIGKILL after `boundMs`). */
  async stop(boundMs = 30_000): Promise<number | null> {
    if (this.#child.exitCode !== null) return this.#child.exitCode;
    this.#cpuAtExit = this.cpuSeconds();
    this.#hwmAtExit = this.peakRssMb();
    this.#child.kill("SIGTERM");
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), boundMs);
    const code = await this.#exited;
    clearTimeout(timer);
    children.delete(this.#child);
    return code;
  }
}
