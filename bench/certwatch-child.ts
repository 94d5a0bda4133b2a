/**
 * @module bench/certwatch-child
 * A `certwatch <command>` child process for the benchmarks: the built CLI (`bin/certwatch.js`, as installed) or
 * the sources through tsx; its JSON log lines counted by message, its CPU time from /proc, and its stop. Any
 * exit of the benchmark kills the children still running.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** Every child started, so that any exit of the benchmark kills them. */
const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

export type LogLine = Record<string, unknown> & { level: string; msg: string };

export interface CertwatchChildOptions {
  /** Run src/bin.ts through tsx instead of the built dist/ (which `npm run build` writes). */
  readonly fromSources?: boolean | undefined;
  /** Extra node flags (e.g. --max-old-space-size). */
  readonly nodeArgs?: readonly string[] | undefined;
}

export abstract class CertwatchChild {
  /** Counts of log lines by message. */
  readonly counts = new Map<string, number>();
  protected readonly child: ChildProcess;
  protected readonly exited: Promise<number | null>;
  #buffer = "";

  constructor(command: string, cwd: string, o: CertwatchChildOptions = {}) {
    if (o.fromSources !== true && !existsSync(`${ROOT}dist/bin.js`))
      throw new Error("dist/bin.js is missing: run `npm run build` (or pass --from-sources)");
    const entry =
      o.fromSources === true
        ? ["--import", import.meta.resolve("tsx"), `${ROOT}src/bin.ts`]
        : [`${ROOT}bin/certwatch.js`];
    this.child = spawn(process.execPath, [...(o.nodeArgs ?? []), ...entry, command], {
      cwd,
      stdio: ["ignore", "ignore", "pipe"],
    });
    children.add(this.child);
    this.exited = new Promise((resolve) => this.child.on("exit", (code) => resolve(code)));
    this.child.stderr?.on("data", (d: Buffer) => this.#read(d.toString()));
  }

  /** Each log line, after it was counted (a line that is not JSON comes as level "not-json"). */
  protected abstract onLine(line: LogLine): void;

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
      this.onLine(line);
    }
  }

  /** CPU seconds (user + system) the process has used, from /proc/<pid>/stat. */
  cpuSeconds(): number {
    const stat = readFileSync(`/proc/${this.child.pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / 100; // USER_HZ is 100 on Linux
  }

  /** SIGTERM, then the exit status (SIGKILL if it has not stopped within `boundMs`). */
  async stop(boundMs = 30_000): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), boundMs);
    const code = await this.exited;
    clearTimeout(timer);
    children.delete(this.child);
    return code;
  }
}
