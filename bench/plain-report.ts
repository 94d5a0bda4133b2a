/**
 * @module bench/plain-report
 * What the CT and scan benchmarks print with: the machine they ran on, busy CPU seconds (of a process and of
 * the whole machine), and a plain-text table.
 */
import os from "node:os";

/** The machine measured, and the commit (as the benchmark words it). */
export function machine(commit: string): Record<string, string> {
  return {
    commit,
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: String(os.cpus().length),
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    load: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" "),
  };
}

/** Busy CPU seconds of the whole machine since boot, all cores. */
export function machineBusySeconds(): number {
  return os.cpus().reduce((s, c) => s + (c.times.user + c.times.nice + c.times.sys + c.times.irq) / 1000, 0);
}

/** User plus system seconds of a process.cpuUsage(). */
export const cpuSeconds = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1e6;

/** Columns after the first right-aligned, a dashed rule under the header. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
