/**
 * @module cli/migrate-command
 * `certwatch migrate --from URL --to URL`: copies a whole store into an empty one (SQLite to PostgreSQL, usually)
 * with store/copy-store.ts, then prints a table per store table: rows on each side and the digest both agree on.
 */
import { realpathSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import {
  copyStore,
  describeStore,
  openCopySource,
  openCopyTarget,
  type CopyReport,
} from "../store/copy-store.js";
import type { KyselyStore } from "../store/kysely-store.js";
import { terminalSafe } from "../util/terminal-safe.js";
import { UsageError } from "./args.js";

export interface MigrateIo {
  readonly stdout: NodeJS.WritableStream;
  /** Progress and what to do next. */
  readonly log: (line: string) => void;
}

/**
 * An SQLite URL with a relative path resolved against the working directory (as a shell user means it; a config
 * file's `store:` is resolved against the file instead). Anything else unchanged.
 */
export function absoluteStoreUrl(url: string, cwd: string): string {
  if (!url.startsWith("sqlite:") || url.startsWith("sqlite:///")) return url;
  const path = url.slice("sqlite:".length);
  if (path === ":memory:" || path === "" || isAbsolute(path)) return url;
  return `sqlite:${resolve(cwd, path)}`;
}

/** The same database under two spellings (an SQLite file through a symbolic link, say). */
function sameStore(a: string, b: string): boolean {
  const real = (url: string) => {
    if (!url.startsWith("sqlite:/")) return describeStore(url);
    try {
      return `sqlite:${realpathSync(url.slice("sqlite:".length))}`;
    } catch {
      return url;
    }
  };
  return real(a) === real(b);
}

const count = (n: number) => n.toLocaleString("en-US");

/** The per-table summary: what each side holds and how the copy was checked. */
export function summaryTable(report: CopyReport): string {
  const head = ["table", "source rows", "target rows", "check"];
  const rows = report.tables.map((t) => [
    t.table,
    count(t.sourceRows),
    t.copied ? count(t.targetRows) : "—",
    t.copied ? `equal, sha256 ${(t.sha256 ?? "").slice(0, 16)}` : `not copied: ${t.why ?? ""}`,
  ]);
  const width = (i: number) => Math.max(...[head, ...rows].map((r) => (r[i] ?? "").length));
  const line = (r: readonly string[]) =>
    [
      (r[0] ?? "").padEnd(width(0)),
      (r[1] ?? "").padStart(width(1)),
      (r[2] ?? "").padStart(width(2)),
      r[3] ?? "",
    ].join("  ");
  return `${[head, ...rows].map(line).join("\n")}\n`;
}

/** Run the migration; throws MigrateError, StoreOpenError or UsageError (main maps their codes to exit statuses). */
export async function runMigrate(
  from: string,
  to: string,
  io: MigrateIo,
  cwd = process.cwd(),
): Promise<number> {
  const source = absoluteStoreUrl(from, cwd);
  const target = absoluteStoreUrl(to, cwd);
  if (sameStore(source, target)) throw new UsageError("--from and --to name the same store");
  const started = performance.now();
  const log = (line: string) => io.log(terminalSafe(line));
  let src: KyselyStore | undefined;
  let dst: KyselyStore | undefined;
  try {
    src = await openCopySource(source, log);
    dst = await openCopyTarget(target, log);
    log(`copying ${describeStore(source)} to ${describeStore(target)} in one transaction…`);
    const report = await copyStore(src, dst, log);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const copied = report.tables.filter((t) => t.copied).length;
    io.stdout.write(summaryTable(report));
    io.stdout.write(
      `migrated ${count(report.rows)} rows of ${copied} tables in ${seconds} s; every copied table read back ` +
        `equal (row count and SHA-256 of its rows)\n`,
    );
    log(
      `next: set store: ${describeStore(target)} in certwatch.yaml, then start certwatch (docs/migrate.md); ` +
        `${describeStore(source)} keeps everything it held`,
    );
    return 0;
  } finally {
    await src?.close().catch(() => undefined);
    await dst?.close().catch(() => undefined);
  }
}
