/**
 * @module bench/api/run
 * The REST API benchmark of issue 12: a store of N alerts (100,000 by default; bench/api/fill.ts), served by the
 * real `certwatch serve` in a child process, read over real HTTP with an API token: latency (p50/p95/p99 of
 * sequential requests) of the alert list's first page, a deep cursor page, each filter, the alert detail, and
 * the whole CSV export (time, and the server's peak RSS). Prints the figures and the machine.
 *
 * `npm run bench:api`; `npm run bench:api -- --n 20000 --requests 500 --from-sources --keep`.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { generateApiToken } from "../../src/auth/tokens.js";
import { openStore } from "../../src/store/open.js";
import { machineLines, percentile, RssSampler, ServeProcess, table } from "../daemon/serve-process.js";
import { DOMAINS, fill, findingOf } from "./fill.js";

const TARGET_P95_MS = 100;

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "100000" },
    requests: { type: "string", default: "200" },
    "csv-runs": { type: "string", default: "3" },
    "from-sources": { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
  },
});
const n = Number(values.n);
const requests = Number(values.requests);
const csvRuns = Number(values["csv-runs"]);
const fromSources = values["from-sources"] ?? false;
if (!(Number.isInteger(n) && n >= 1000 && n <= 10_000_000) || !(requests >= 10) || !(csvRuns >= 1)) {
  console.error("usage: run [--n N≥1000] [--requests R≥10] [--csv-runs K≥1] [--from-sources] [--keep]");
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), "certwatch-bench-api-"));
let serve: ServeProcess | undefined;

async function main(): Promise<void> {
  console.log(`certwatch bench:api — ${n.toLocaleString("en")} alerts, ${requests} requests per query`);
  for (const l of machineLines(fromSources)) console.log(l);

  // ─── the store ────────────────────────────────────────────────────────────────────────────────────
  const end = new Date();
  const store = await openStore(`sqlite:${join(dir, "bench.db")}`);
  const filled = await fill(store, n, end, (m) => console.log(m));
  const system = { actor: { kind: "system" as const }, at: new Date(), ip: null };
  await store.auth.createUser({ name: "bench", role: "viewer", passwordHash: null }, system);
  const t = generateApiToken();
  await store.auth.createApiToken(
    {
      id: t.id,
      userName: "bench",
      name: "bench",
      secretHash: t.secretHash,
      createdAt: new Date(),
      expiresAt: null,
    },
    system,
  );
  await store.close();
  const dbMb = statSync(join(dir, "bench.db")).size / 1024 ** 2;
  console.log(
    `store: ${filled.alerts} alerts (${filled.resolved} resolved, ${filled.acknowledged} acknowledged, ` +
      `${filled.snoozed} snoozed) in ${filled.seconds.toFixed(1)} s; ${dbMb.toFixed(0)} MB of SQLite`,
  );

  // ─── the server ───────────────────────────────────────────────────────────────────────────────────
  writeFileSync(
    join(dir, "certwatch.yaml"),
    [
      "# certwatch API benchmark: generated. No endpoint, no domain: the daemon only serves the API.",
      'store: "sqlite:./bench.db"',
      "ct: { logList: none }",
      "server: { port: 0 }",
      "",
    ].join("\n"),
  );
  serve = new ServeProcess(dir, { fromSources }, () => false);
  const url = await serve.ready();
  const api = `${url}/api/v1`;
  const headers = { authorization: `Bearer ${t.token}` };
  const idle = serve.memory();
  console.log(`certwatch serve ready: RSS ${idle.rssMb.toFixed(0)} MB\n`);

  async function get(path: string): Promise<{ ms: number; status: number; body: string }> {
    const started = performance.now();
    const r = await fetch(`${api}${path}`, { headers });
    const body = await r.text();
    return { ms: performance.now() - started, status: r.status, body };
  }

  /** `requests` sequential requests (after 5 to warm up), the paths taken in turn; latencies and answer sizes. */
  async function measure(label: string, paths: readonly string[]) {
    for (let i = 0; i < 5; i++) await get(paths[i % paths.length] ?? "");
    const ms: number[] = [];
    let items = 0;
    let bytes = 0;
    for (let i = 0; i < requests; i++) {
      const a = await get(paths[i % paths.length] ?? "");
      if (a.status !== 200) throw new Error(`${label}: HTTP ${a.status}: ${a.body.slice(0, 300)}`);
      ms.push(a.ms);
      bytes += a.body.length;
      const parsed = JSON.parse(a.body) as { items?: unknown[] };
      items += parsed.items?.length ?? 1;
    }
    ms.sort((a, b) => a - b);
    return {
      label,
      p50: percentile(ms, 50),
      p95: percentile(ms, 95),
      p99: percentile(ms, 99),
      max: ms[ms.length - 1] ?? NaN,
      items: items / requests,
      kb: bytes / requests / 1024,
    };
  }

  // The cursor of page 100 (100 alerts a page): walk there once.
  let cursor: string | null = null;
  for (let page = 1; page < 100; page++) {
    const a = await get(
      `/alerts?status=all&limit=100${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`,
    );
    cursor = (JSON.parse(a.body) as { nextCursor: string | null }).nextCursor;
    if (cursor === null) break;
  }
  const ids = Array.from({ length: 50 }, (_, i) => findingOf((i * 7919 * 13) % n).id);
  const results = [
    await measure("first page, open (the default)", ["/alerts?limit=100"]),
    await measure("first page, all", ["/alerts?status=all&limit=100"]),
    await measure("page 100 (cursor), all", [
      `/alerts?status=all&limit=100&cursor=${encodeURIComponent(cursor ?? "")}`,
    ]),
    await measure(
      "severity (each of 5)",
      ["critical", "high", "medium", "low", "info"].map((s) => `/alerts?status=all&severity=${s}`),
    ),
    await measure(
      "event (25, 42, 18, 30, 105)",
      [25, 42, 18, 30, 105].map((e) => `/alerts?status=all&eventId=${e}`),
    ),
    await measure(
      "domain (20 of 250)",
      Array.from({ length: 20 }, (_, i) => `/alerts?status=all&domain=corp${(i * 37) % DOMAINS}.example`),
    ),
    await measure(
      "text (5 terms)",
      ["azurewebsites", "econnrefused", "max-age=300", "h4242.", "contoso issuing"].map(
        (s) => `/alerts?status=all&text=${encodeURIComponent(s)}`,
      ),
    ),
    await measure("open, untriaged, high", ["/alerts?triage=untriaged&severity=high"]),
    await measure(
      "alert detail (50 ids)",
      ids.map((id) => `/alerts/${id}`),
    ),
  ];
  const f = (x: number) => x.toFixed(1);
  console.log(
    table(
      [
        "query (status=all unless said)",
        "alerts/answer",
        "KB/answer",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
      ],
      results.map((r) => [
        r.label,
        r.items.toFixed(0),
        r.kb.toFixed(0),
        f(r.p50),
        f(r.p95),
        f(r.p99),
        f(r.max),
      ]),
    ),
  );

  // ─── the CSV export of everything ──────────────────────────────────────────────────────────────────
  const csv: string[][] = [];
  for (let i = 0; i < csvRuns; i++) {
    const rss = new RssSampler(serve, 20).start();
    const started = performance.now();
    const r = await fetch(`${api}/alerts.csv?status=all`, { headers });
    let bytes = 0;
    let rows = 0;
    // Read as it streams (a web ReadableStream is async-iterable in Node), counting lines.
    for await (const value of (r.body ?? []) as AsyncIterable<Uint8Array>) {
      bytes += value.length;
      for (let j = value.indexOf(10); j >= 0; j = value.indexOf(10, j + 1)) rows++;
    }
    const s = (performance.now() - started) / 1000;
    rss.stop();
    csv.push([
      `export ${i + 1}`,
      String(r.status),
      String(rows - 1),
      (bytes / 1024 ** 2).toFixed(1),
      s.toFixed(2),
      ((rows - 1) / s).toFixed(0),
      rss.peakMb.toFixed(0),
    ]);
  }
  console.log("\nGET /alerts.csv?status=all (every alert), streamed:");
  console.log(table(["run", "HTTP", "rows", "MB", "seconds", "rows/s", "server peak RSS MB"], csv));
  const after = serve.memory();
  console.log(
    `\nserver RSS: ${idle.rssMb.toFixed(0)} MB ready, ${after.rssMb.toFixed(0)} MB at the end, ` +
      `high-water mark ${after.hwmMb.toFixed(0)} MB`,
  );
  const worst = results.reduce((w, r) => (r.p95 > w.p95 ? r : w));
  console.log(
    `slowest p95: ${worst.label} ${f(worst.p95)} ms (target ≤ ${TARGET_P95_MS} ms): ${worst.p95 <= TARGET_P95_MS ? "met" : "MISSED"}`,
  );
  const code = await serve.stop();
  if (code !== 0) console.log(`certwatch serve exited with ${code}`);
  for (const l of serve.lines) console.log(`server log: ${JSON.stringify(l)}`);
}

main()
  .catch(async (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exitCode = 1;
    await serve?.stop(5000);
  })
  .finally(() => {
    if (values.keep) console.log(`kept: ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  });
