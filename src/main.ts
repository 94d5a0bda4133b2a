/**
 * @module main
 * The composition root: the only place that picks concrete adapters (SQLite store, node:dns client,
 * TLS prober, trust store) and hands them to the use cases behind each command.
 */
import { readFileSync } from "node:fs";
import { scan } from "./app/scan.js";
import type { Logger } from "./app/progress.js";
import { alertTable, jsonLines } from "./cli/alert-output.js";
import { parseCli, USAGE, UsageError, type CliArgs } from "./cli/args.js";
import { progressFor } from "./cli/progress-bar.js";
import { summaryLine } from "./cli/scan-summary.js";
import { ConfigError, defaultConfigPath, loadConfig } from "./config/load.js";
import { writeSampleConfig } from "./config/sample.js";
import type { ResolvedConfig } from "./config/schema.js";
import type { Alert } from "./domain/alert.js";
import { severityRank } from "./events.js";
import { loadTrustStore, TrustFileError } from "./pki/trust-store.js";
import { createDnsClient } from "./sources/dns/resolver.js";
import { RevocationSource } from "./sources/revocation/revocation-source.js";
import { probeEndpoint } from "./sources/tls/prober.js";
import { openStore, StoreOpenError } from "./store/open.js";
import type { Store } from "./store/store.js";

export interface Io {
  readonly stdout: NodeJS.WritableStream & { columns?: number };
  readonly stderr: NodeJS.WriteStream;
}

const EXIT_OK = 0;
const EXIT_FINDINGS = 1;
const EXIT_USAGE = 2;

export async function main(
  argv: readonly string[],
  io: Io = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCli(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`certwatch: ${e.message}\n\n${USAGE}`);
      return EXIT_USAGE;
    }
    throw e;
  }
  try {
    return await run(args, io);
  } catch (e) {
    if (
      e instanceof ConfigError ||
      e instanceof TrustFileError ||
      e instanceof StoreOpenError ||
      e instanceof UsageError
    ) {
      io.stderr.write(`certwatch: ${e.message}\n`);
      return EXIT_USAGE;
    }
    io.stderr.write(`certwatch: ${(e as Error).stack ?? String(e)}\n`);
    return EXIT_USAGE;
  }
}

async function run(args: CliArgs, io: Io): Promise<number> {
  const configPath = args.config ?? defaultConfigPath();
  switch (args.command) {
    case "help":
      io.stdout.write(USAGE);
      return EXIT_OK;
    case "version":
      io.stdout.write(`certwatch ${version()}\n`);
      return EXIT_OK;
    case "init":
      try {
        await writeSampleConfig(configPath, { force: args.force });
      } catch (e) {
        // Set-up scripts run init every time: an existing configuration is kept, and that is fine.
        if (!(e instanceof ConfigError && e.code === "CONFIG_EXISTS")) throw e;
        io.stderr.write(`${e.message}\n`);
        return EXIT_OK;
      }
      io.stderr.write(`wrote ${configPath}: edit it, then run \`certwatch scan\`\n`);
      return EXIT_OK;
    case "scan":
      return withStore(await loadConfig(configPath), (config, store) => runScan(args, config, store, io));
    case "alerts":
      return withStore(await loadConfig(configPath), async (_config, store) => {
        const alerts = await store.listAlerts({ status: args.status });
        return printAlerts(alerts, args, io);
      });
    case "ct":
    case "domains":
    case "serve":
      throw new UsageError(`"${args.command}" is not available in this release yet`);
  }
}

async function withStore<T>(
  config: ResolvedConfig,
  fn: (config: ResolvedConfig, store: Store) => Promise<T>,
): Promise<T> {
  const store = await openStore(storeUrl(config));
  try {
    return await fn(config, store);
  } finally {
    await store.close();
  }
}

function storeUrl(config: ResolvedConfig): string {
  return config.store.kind === "sqlite" ? `sqlite:${config.store.path}` : config.store.url;
}

async function runScan(args: CliArgs, config: ResolvedConfig, store: Store, io: Io): Promise<number> {
  const trust = await loadTrustStore({
    systemRoots: config.trust.systemRoots,
    extraRoots: config.trust.extraRoots,
  });
  const dns = createDnsClient({
    servers: config.dns.servers,
    timeoutMs: config.dns.timeoutMs,
    tries: config.dns.tries,
  });
  const s = config.scan;
  if (config.endpoints.length === 0) io.stderr.write(`${config.configPath}: endpoints: nothing to scan\n`);
  const progress = progressFor(io.stderr);
  const report = await scan(
    {
      store,
      trust,
      resolveAddresses: (host) => dns.resolveAddresses(host),
      probe: (endpoint, serverName) => probeEndpoint(endpoint, serverName, s),
      now: () => new Date(),
      ...(config.revocation.crl || config.revocation.ocsp
        ? { revocation: () => new RevocationSource(store, () => new Date(), config.revocation) }
        : {}),
      ...(progress ? { progress } : {}),
      log: stderrLogger(io),
    },
    {
      targets: config.endpoints,
      concurrency: s.concurrency,
      thresholds: config.thresholds,
      severityOverrides: config.severity,
    },
  );
  io.stderr.write(`${summaryLine(report)}\n`);
  const alerts = await store.listAlerts({ status: "open", scopes: report.scopes, source: "tls" });
  return printAlerts(alerts, args, io);
}

function printAlerts(alerts: readonly Alert[], args: CliArgs, io: Io): number {
  io.stdout.write(args.json ? jsonLines(alerts) : alertTable(alerts, io.stdout.columns ?? 160));
  const failOn = args.failOn;
  if (
    failOn !== undefined &&
    alerts.some((a) => a.status === "open" && severityRank(a.severity) >= severityRank(failOn))
  ) {
    return EXIT_FINDINGS;
  }
  return EXIT_OK;
}

function stderrLogger(io: Io): Logger {
  const write = (level: string, message: string, context?: Record<string, unknown>) =>
    io.stderr.write(`${level}: ${message}${context ? ` ${JSON.stringify(context)}` : ""}\n`);
  return { info: (m, c) => write("info", m, c), warn: (m, c) => write("warning", m, c) };
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}
