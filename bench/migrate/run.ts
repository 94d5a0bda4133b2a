/**
 * @module bench/migrate/run
 * How long `certwatch migrate` takes for a store of realistic size: N alerts (100,000 by default) recorded through
 * the store API with a SIEM route (so with their history, scopes, outbox rows and reminder clocks; bench/api/fill.ts),
 * copied from SQLite into a fresh PostgreSQL database and verified. Prints rows and seconds per table, and RSS.
 *
 * `npm run bench:migrate`; `npm run bench:migrate -- --n 20000`. PostgreSQL: CERTWATCH_TEST_PG, default the local one.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { copyStore, openCopySource, openCopyTarget } from "../../src/store/copy-store.js";
import { openStore } from "../../src/store/open.js";
import { TestDatabases } from "../../test/helpers/postgres.js";
import { fill } from "../api/fill.js";
import { machineLines, table } from "../daemon/serve-process.js";

const { values } = parseArgs({ options: { n: { type: "string", default: "100000" } } });
const n = Number(values.n);
if (!(Number.isInteger(n) && n >= 1000 && n <= 10_000_000)) {
  console.error("usage: run [--n N≥1000]");
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), "certwatch-bench-migrate-"));
const databases = new TestDatabases();

async function main(): Promise<void> {
  console.log(`certwatch bench:migrate — ${n.toLocaleString("en")} alerts, SQLite to PostgreSQL`);
  console.log(machineLines(true)[0]);
  await databases.ready();

  const file = join(dir, "certwatch.db");
  const routes = [{ target: "siem", minSeverity: "info", resolved: true }] as const;
  const store = await openStore(`sqlite:${file}`, { routes });
  const filled = await fill(store, n, new Date(), (m) => console.log(m));
  await store.close();
  console.log(
    `filled in ${filled.seconds.toFixed(1)} s: ${filled.resolved} resolved, ${filled.acknowledged} acknowledged; ` +
      `SQLite file ${(statSync(file).size / 1024 ** 2).toFixed(0)} MiB`,
  );

  const target = await databases.create();
  const times = new Map<string, number>();
  let mark = performance.now();
  const log = (line: string) => {
    const m = /^(\w+): [\d,]+ rows? copied/.exec(line);
    if (m !== null) {
      times.set(m[1] ?? "", (performance.now() - mark) / 1000);
      mark = performance.now();
    }
  };
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const started = performance.now();
  const source = await openCopySource(`sqlite:${file}`, log);
  const dest = await openCopyTarget(target, log);
  mark = performance.now();
  const report = await copyStore(source, dest, log);
  const seconds = (performance.now() - started) / 1000;
  const copySeconds = [...times.values()].reduce((a, b) => a + b, 0);
  clearInterval(sampler);
  await source.close();
  await dest.close();

  const rows = report.tables
    .filter((t) => t.sourceRows > 0)
    .map((t) => [
      t.table,
      t.sourceRows.toLocaleString("en"),
      t.copied ? (times.get(t.table) ?? 0).toFixed(2) : "not copied",
      t.copied && (times.get(t.table) ?? 0) > 0
        ? Math.round(t.sourceRows / (times.get(t.table) ?? 1)).toLocaleString("en")
        : "",
    ]);
  console.log(table(["table", "rows", "copy s", "rows/s"], rows));
  const mib = (b: number) => `${(b / 1024 ** 2).toFixed(0)} MB`;
  console.log(
    `\n${report.rows.toLocaleString("en")} rows in ${seconds.toFixed(1)} s: copy ${copySeconds.toFixed(1)} s, ` +
      `read back and verify ${(seconds - copySeconds).toFixed(1)} s (schema and commit included); ` +
      `RSS ${mib(rssBefore)} before, peak ${mib(peak)}`,
  );
}

try {
  await main();
} finally {
  await databases.dropAll().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
