/**
 * @module bench/daemon/serve-process
 * `certwatch serve` as a child process for the API and daemon benchmarks: the built CLI (`bin/certwatch.js`, as
 * installed) or the sources through tsx; its JSON log lines, its memory and CPU from /proc, and the machine.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import * as os from "node:os";
import { CertwatchChild, ROOT, type CertwatchChildOptions, type LogLine } from "../certwatch-child.js";

export type { LogLine };

const MB = 1024 * 1024;

for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => process.exit(130));
}

export type ServeOptions = CertwatchChildOptions;

/** A running `certwatch serve`: its log as it comes, and handles on the process. */
export class ServeProcess extends CertwatchChild {
  readonly lines: LogLine[] = [];
  #waiters: (() => void)[] = [];

  constructor(
    cwd: string,
    o: ServeOptions = {},
    private readonly keepLines: (l: LogLine) => boolean = () => true,
  ) {
    super("serve", cwd, o);
  }

  get pid(): number {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error("certwatch serve did not start");
    return pid;
  }

  /** Kept: warnings and errors, "listening", "scans scheduled", and what `keepLines` accepts (all are counted). */
  protected onLine(line: LogLine): void {
    const always = line.level !== "info" || line.msg === "listening" || line.msg === "scans scheduled";
    if (always || this.keepLines(line)) this.lines.push(line);
    for (const w of this.#waiters.splice(0)) w();
  }

  /** The first kept line that matches, waiting for it. */
  async line(match: (l: LogLine) => boolean, timeoutMs = 120_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(match);
      if (found) return found;
      if (Date.now() > deadline || this.child.exitCode !== null) {
        const tail = this.lines.slice(-20).map((l) => JSON.stringify(l));
        throw new Error(`certwatch serve: no such log line; its log ends:\n${tail.join("\n")}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 250);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async url(): Promise<string> {
    return String((await this.line((l) => l.msg === "listening")).url);
  }

  async ready(timeoutMs = 120_000): Promise<string> {
    const url = await this.url();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const r = await fetch(`${url}/readyz`).catch(() => null);
      if (r?.status === 200) return url;
      await r?.body?.cancel();
      await new Promise((res) => setTimeout(res, 200));
    }
    throw new Error("certwatch serve did not become ready");
  }

  /**
   * Resident set size now and its high-water mark, in MB, from /proc/<pid>/status; and RSS in two parts:
   * anonymous (the heaps: V8's, malloc's) and file-backed (mapped files: the executable, libraries, SQLite's shm).
   */
  memory(): { rssMb: number; hwmMb: number; anonMb: number; fileMb: number } {
    const status = readFileSync(`/proc/${this.pid}/status`, "utf8");
    const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
    const mb = (name: string) => (kb(name) * 1024) / MB;
    return {
      rssMb: mb("VmRSS"),
      hwmMb: mb("VmHWM"),
      anonMb: mb("RssAnon"),
      fileMb: mb("RssFile") + mb("RssShmem"),
    };
  }
}

/** A sampler of a process's RSS, every `everyMs`, keeping the peak (and every sample when asked). */
export class RssSampler {
  peakMb = 0;
  readonly samples: { t: number; rssMb: number; anonMb: number; fileMb: number }[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly serve: ServeProcess,
    private readonly everyMs: number,
    private readonly keep = false,
  ) {}

  start(): this {
    const started = Date.now();
    const sample = () => {
      try {
        const { rssMb, anonMb, fileMb } = this.serve.memory();
        this.peakMb = Math.max(this.peakMb, rssMb);
        if (this.keep) this.samples.push({ t: (Date.now() - started) / 1000, rssMb, anonMb, fileMb });
      } catch {
        // the process is gone: nothing more to sample
      }
    };
    sample();
    this.#timer = setInterval(sample, this.everyMs);
    return this;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** The p-th percentile (0..100) of sorted values, nearest rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

/** The commit measured: "+" when src/ differs from it; a warning when dist/ is older than src/. */
function commit(fromSources: boolean): string {
  const git = (...args: string[]): string =>
    execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
  try {
    const head = git("rev-parse", "--short", "HEAD");
    let modified = false;
    try {
      execFileSync("git", ["diff", "--quiet", "HEAD", "--", "src"], { cwd: ROOT, stdio: "ignore" });
    } catch {
      modified = true;
    }
    const stale =
      !fromSources &&
      existsSync(`${ROOT}dist/bin.js`) &&
      statSync(`${ROOT}dist/bin.js`).mtimeMs < Number(git("log", "-1", "--format=%ct", "--", "src")) * 1000;
    return `${head}${modified ? "+" : ""}${stale ? " (WARNING: dist/ is older than src/: npm run build)" : ""}`;
  } catch {
    return "unknown";
  }
}

/** The machine and code measured, one line each. */
export function machineLines(fromSources: boolean): string[] {
  const cpus = os.cpus();
  return [
    `machine: ${cpus[0]?.model ?? "unknown"}, ${cpus.length} cores, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB, ` +
      `Node ${process.version}, ${os.platform()} ${os.release()}; load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
    `commit: ${commit(fromSources)}; certwatch serve from ${fromSources ? "the sources (tsx)" : "dist/ (built)"}`,
  ];
}

/** A Markdown table, columns after the first right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(" | ")} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 ? "-".repeat(w) : `${"-".repeat(Math.max(1, w - 1))}:`)).join(" | ")} |`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}
