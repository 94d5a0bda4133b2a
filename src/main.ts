/**
 * @module main
 * The composition root: the only place that picks concrete adapters (SQLite store, node:dns client,
 * TLS prober, trust store) and hands them to the use cases behind each command.
 */
import { readFileSync } from "node:fs";
import { scan } from "./app/scan.js";
import { cachedCaaPolicy } from "./app/ct/caa-cache.js";
import { selectLogs } from "./app/ct/log-sources.js";
import { followCt, runCtOnce, type CtRunDeps } from "./app/ct/run.js";
import { logTargets } from "./app/ct/targets.js";
import { draftFromFinding, type AlertChange } from "./alerts/reconcile.js";
import { ctProgressLine, logSummaryLine } from "./cli/ct-progress.js";
import { WatchedDomains } from "./domain/watched-domains.js";
import { CaaIdentifierTable } from "./pki/ca-identifiers.js";
import { loadRootsFile } from "./pki/trust-store.js";
import { findCaaPolicy } from "./sources/dns/caa.js";
import { diffLogSelections, type CtLogDescriptor } from "./sources/ct/log-list.js";
import { sleep } from "./sources/ct/polite-http.js";
import { HttpClient } from "./util/http-get.js";
import type { Logger } from "./app/progress.js";
import { alertTable, jsonLines } from "./cli/alert-output.js";
import { parseCli, USAGE, UsageError, type CliArgs } from "./cli/args.js";
import { progressFor } from "./cli/progress-bar.js";
import { summaryLine } from "./cli/scan-summary.js";
import { runUserCommand } from "./cli/user-command.js";
import { ConfigError, defaultConfigPath, loadConfig } from "./config/load.js";
import { CertwatchError, EXIT_STORE, EXIT_USAGE } from "./errors.js";
import { writeSampleConfig } from "./config/sample.js";
import type { ResolvedConfig } from "./config/schema.js";
import type { Alert } from "./domain/alert.js";
import { severityRank } from "./events.js";
import { loadTrustStore } from "./pki/trust-store.js";
import { createDnsClient } from "./sources/dns/resolver.js";
import { RevocationSource } from "./sources/revocation/revocation-source.js";
import { probeEndpoint } from "./sources/tls/prober.js";
import { openStore } from "./store/open.js";
import { compareAlerts } from "./store/kysely-store.js";
import { runDomains } from "./app/domains/run.js";
import {
  candidatesFor,
  httpFingerprint,
  lookalikeExclusions,
  lookalikeMatcher,
  zoneFileNames,
} from "./cli/domains-command.js";
import { gatherDelegation } from "./sources/dns/delegation.js";
import type { Store } from "./store/store.js";
import {
  deliveryDeps,
  drainBeforeExit,
  notifyTest,
  statusTable,
  withNotifiers,
} from "./cli/notify-command.js";
import { followOutbox } from "./notify/deliver.js";
import type { Notifier } from "./notify/notifier.js";
import { routesFromConfig } from "./notify/routing.js";
import { terminalSafe, terminalSafeJson } from "./util/terminal-safe.js";
import { FileReadError } from "./util/read-bounded-file.js";

export interface Io {
  readonly stdout: NodeJS.WritableStream & { columns?: number };
  readonly stderr: NodeJS.WriteStream;
}

/**
 * One line on stderr. Log lines quote outside text (CT names, certificate names, URLs, server errors): every
 * control and bidi character in it is written as a visible escape, never sent to the terminal raw.
 */
function say(io: Io, line: string): void {
  io.stderr.write(`${terminalSafe(line)}\n`);
}

const EXIT_OK = 0;
const EXIT_FINDINGS = 1;

export async function main(
  argv: readonly string[],
  io: Io = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCli(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`certwatch: ${terminalSafe(e.message)}\n\n${USAGE}`);
      return EXIT_USAGE;
    }
    throw e;
  }
  try {
    return await run(args, io);
  } catch (e) {
    if (e instanceof CertwatchError) {
      // The catalogue (src/errors.ts) gives the exit status. A config error is one line per issue, each may
      // quote the file's content; a store error is one line, whatever SQLite said kept on it. A zone file
      // problem names its field like the other files the configuration names.
      const exit = e.info.exit ?? EXIT_USAGE;
      const message = e.code === "ZONE_FILE_INVALID" ? `zoneFiles: ${e.message}` : e.message;
      io.stderr.write(`certwatch: ${terminalSafe(message, { keepNewlines: exit !== EXIT_STORE })}\n`);
      return exit;
    }
    io.stderr.write(`certwatch: ${terminalSafe((e as Error).stack ?? String(e), { keepNewlines: true })}\n`);
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
        say(io, e.message);
        return EXIT_OK;
      }
      io.stderr.write(`wrote ${configPath}: edit it, then run \`certwatch scan\`\n`);
      return EXIT_OK;
    case "scan":
      return withStore(await loadConfig(configPath), (config, store) => runScan(args, config, store, io), io);
    case "alerts":
      return withStore(await loadConfig(configPath), async (_config, store) => {
        const alerts = await store.listAlerts({ status: args.status });
        return printAlerts(alerts, args, io);
      });
    case "ct":
      return withStore(
        await loadConfig(configPath),
        (config, store, notifiers) => runCt(args, config, store, notifiers, io),
        io,
      );
    case "domains":
      return withStore(
        await loadConfig(configPath),
        (config, store) => runDomainsCommand(args, config, store, io),
        io,
      );
    case "notify":
      return runNotify(args, await loadConfig(configPath), io);
    case "user":
    case "token": {
      const command = args.userCommand;
      if (command === undefined) throw new UsageError(`${args.command} needs an action`);
      return withStore(await loadConfig(configPath), (_config, store) =>
        runUserCommand(command, store, { stdin: process.stdin, stdout: io.stdout, stderr: io.stderr }),
      );
    }
    case "serve":
      throw new UsageError(`"${args.command}" is not available in this release yet`);
  }
}

/**
 * Open the store with the configured delivery routes, run the command, and — when `io` is given — deliver the
 * outbox before closing (what the command raised, and whatever earlier runs could not deliver).
 */
async function withStore<T>(
  config: ResolvedConfig,
  fn: (config: ResolvedConfig, store: Store, notifiers: readonly Notifier[]) => Promise<T>,
  io?: Io,
): Promise<T> {
  const log = (m: string) => {
    if (io !== undefined) say(io, m);
  };
  const run = async (notifiers: readonly Notifier[]): Promise<T> => {
    const store = await openStore(storeUrl(config), { routes: routesFromConfig(config.notify) });
    try {
      const result = await fn(config, store, notifiers);
      if (io !== undefined) await drainBeforeExit(config, store, notifiers, log);
      return result;
    } finally {
      await store.close();
    }
  };
  // Built first, once, for the commands that deliver: a missing secret or a bad target is a configuration
  // error before any work is done. Commands that only read the store (alerts, notify status) need none.
  return io === undefined ? run([]) : withNotifiers(config, log, run);
}

async function runNotify(args: CliArgs, config: ResolvedConfig, io: Io): Promise<number> {
  const log = (m: string) => say(io, m);
  switch (args.notifyAction) {
    case "test":
      return (await notifyTest(config, args.target, (l) => io.stdout.write(`${l}\n`), log))
        ? EXIT_OK
        : EXIT_FINDINGS;
    case "status":
      return withStore(config, async (_c, store) => {
        const rows = await store.outboxStatus();
        io.stdout.write(args.json ? rows.map((r) => `${terminalSafeJson(r)}\n`).join("") : statusTable(rows));
        return EXIT_OK;
      });
    default:
      // "send": what every command does before it exits, on its own.
      return withStore(config, () => Promise.resolve(EXIT_OK), io);
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
  if (config.endpoints.length === 0) say(io, `${config.configPath}: endpoints: nothing to scan`);
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

/** Entries per store transaction: large enough to amortise the commit, small enough to lose little on a crash. */
const CT_COMMIT_EVERY = 4096;

async function runCt(
  args: CliArgs,
  config: ResolvedConfig,
  store: Store,
  notifiers: readonly Notifier[],
  io: Io,
): Promise<number> {
  const c = config.ct;
  const trust = await loadTrustStore({
    systemRoots: config.trust.systemRoots,
    extraRoots: config.trust.extraRoots,
  });
  const allowed = (
    await Promise.all(config.allowedRoots.map((f) => loadRootsFile(f, "allowedRoots")))
  ).flat();
  const dns = createDnsClient({
    servers: config.dns.servers,
    timeoutMs: config.dns.timeoutMs,
    tries: config.dns.tries,
  });
  const watched = new WatchedDomains(config.domains);
  const lookalikes = watched.size === 0 ? undefined : lookalikeMatcher(config);
  if (watched.size === 0) {
    say(io, `${config.configPath}: domains: nothing is watched; logs are read and verified only`);
  }
  const http = new HttpClient();
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const progress = ctProgressLine(io.stderr);
  const deps: CtRunDeps = {
    store,
    trust,
    caaTable: new CaaIdentifierTable(config.caa.issuers),
    caaPolicy: cachedCaaPolicy((name) => findCaaPolicy(dns, name), c.caaCacheSeconds * 1000),
    allowedRoots: new Set(allowed.map((r) => r.spkiSha256)),
    draft: (f) => draftFromFinding(f, config.severity),
    logLine: (m) => io.stderr.write(`${progress ? "\r\x1b[2K" : ""}${terminalSafe(m)}\n`),
    startAt: c.startAt,
    now: () => new Date(),
    commitEvery: CT_COMMIT_EVERY,
    ...(progress ? { progress } : {}),
    watched,
    thresholds: config.thresholds,
    logConcurrency: c.logConcurrency,
  };
  let following: CtLogDescriptor[] | null = null;
  const targets = async () => {
    let selection;
    try {
      selection = await selectLogs({
        store,
        logList: c.logList,
        inline: c.logs,
        get: (url, maxBytes) => http.get(url, { timeoutMs: c.timeoutMs, maxBytes, signal: abort.signal }),
        now: () => new Date(),
      });
    } catch (e) {
      // An unreadable ct.logList file stops the command at start (exit 2); in follow mode, a file that went
      // bad since then is a warning and the logs followed so far are kept.
      if (following === null || !(e instanceof FileReadError)) throw e;
      say(io, `warning: ${e.message}; still following the ${following.length} logs selected before`);
      selection = { logs: following, warnings: [] };
    }
    for (const w of selection.warnings) say(io, `warning: ${w}`);
    if (selection.logs.length === 0) io.stderr.write("ct: no log to follow (see ct.logList and ct.logs)\n");
    if (following !== null) {
      // Follow mode picks up list changes: say which logs came and went.
      const diff = diffLogSelections(following, selection.logs);
      for (const l of diff.added) say(io, `ct: now following ${l.description} (${l.url})`);
      for (const l of diff.removed) say(io, `ct: no longer following ${l.description} (${l.url})`);
      for (const l of diff.changed)
        say(io, `ct: ${l.description} changed in the log list (${l.state ?? "inline"})`);
    }
    following = selection.logs;
    return logTargets(selection.logs, { watched, lookalikes }, http, c, abort.signal);
  };
  try {
    if (!args.once) {
      // Follow mode (what the daemon will run): new alerts are printed as they are raised and delivered as
      // they are written.
      const delivery =
        notifiers.length === 0
          ? Promise.resolve()
          : followOutbox(
              deliveryDeps(config, store, notifiers, (m) => say(io, m)),
              1000,
              abort.signal,
            );
      await followCt(deps, {
        pollMs: c.pollSeconds * 1000,
        refreshLogsMs: c.logListRefreshMinutes * 60_000,
        targets,
        signal: abort.signal,
        sleep: (ms, signal) => sleep(ms, signal),
        onRun: (report) => {
          const raised = raisedAlerts(
            report.changes.filter((ch) => ch.kind === "opened" || ch.kind === "reopened"),
          );
          if (raised.length > 0) io.stdout.write(args.json ? jsonLines(raised) : alertTable(raised, 160));
        },
      });
      await delivery;
      return EXIT_OK;
    }
    const report = await runCtOnce(await targets(), deps);
    if (progress) io.stderr.write("\r\x1b[2K");
    for (const l of report.logs) io.stderr.write(`${logSummaryLine(l)}\n`);
    return printAlerts(raisedAlerts(report.changes), args, io);
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    abort.abort(); // ends follow-mode delivery too, also when following failed
    http.destroy();
  }
}

async function runDomainsCommand(
  args: CliArgs,
  config: ResolvedConfig,
  store: Store,
  io: Io,
): Promise<number> {
  const dns = createDnsClient({
    servers: config.dns.servers,
    timeoutMs: config.dns.timeoutMs,
    tries: config.dns.tries,
  });
  const zones = await zoneFileNames(config.zoneFiles);
  for (const w of zones.warnings) say(io, `warning: ${w}`);
  if (config.domains.length === 0 && config.names.length === 0 && zones.names.length === 0) {
    say(io, `${config.configPath}: domains, names, zoneFiles: nothing to check`);
  }
  const http = new HttpClient();
  const t = config.takeover;
  const matcher = config.domains.length === 0 ? null : lookalikeMatcher(config);
  try {
    const report = await runDomains(
      {
        store,
        takeover: {
          dns,
          delegation: (zone, nameservers) =>
            gatherDelegation(dns, zone, {
              ...(nameservers === undefined ? {} : { nameservers }),
              tries: t.tries,
              timeoutMs: config.dns.timeoutMs,
            }),
          ...(t.http ? { http: httpFingerprint(http, t.httpTimeoutMs) } : {}),
        },
        lookalikes: {
          dns,
          candidates: candidatesFor(config),
          verdict: (domain) => matcher?.match(domain) ?? null,
          logLine: (m) => say(io, m),
        },
        now: () => new Date(),
        draft: (f) => draftFromFinding(f, config.severity),
        logLine: (m) => say(io, m),
      },
      {
        watched: config.domains,
        names: [...config.names, ...zones.names],
        delegations: zones.delegations,
        exclude: lookalikeExclusions(config),
        tries: t.tries,
        takeoverConcurrency: t.concurrency,
        lookalikeConcurrency: config.lookalikes.concurrency,
      },
    );
    const l = report.lookalikes;
    io.stderr.write(
      `domains: ${report.takeover.checked} names checked for takeover (${report.takeover.findings.length} dangling, ${report.takeover.inconclusive.length} inconclusive); ` +
        `${l.candidates} lookalike candidates in ${l.registrableDomains} domains, ${l.registered} registered, ${l.inconclusive} inconclusive\n`,
    );
    const alerts = await store.listAlerts({ status: "open", scopes: report.scopes });
    return printAlerts(alerts, args, io);
  } finally {
    http.destroy();
  }
}

/** The alerts a run raised or found still holding (opened, reopened, touched), latest state, no duplicates. */
function raisedAlerts(changes: readonly AlertChange[]): Alert[] {
  const byId = new Map<string, Alert>();
  for (const ch of changes) {
    if (ch.kind === "resolved") byId.delete(ch.alert.id);
    else byId.set(ch.alert.id, ch.alert);
  }
  return [...byId.values()].sort(compareAlerts);
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
    say(io, `${level}: ${message}${context ? ` ${JSON.stringify(context)}` : ""}`);
  return { info: (m, c) => write("info", m, c), warn: (m, c) => write("warning", m, c) };
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}
