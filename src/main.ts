/**
 * @module main
 * The command line: parses the arguments, runs each command's use case through the app context (app/context.ts
 * builds the adapters from the configuration) and prints the outcome; `serve` hands over to the daemon.
 */
import { readFileSync } from "node:fs";
import type { AlertChange } from "./alerts/reconcile.js";
import { AppContext } from "./app/context.js";
import { followCt, runCtOnce } from "./app/ct/run.js";
import { runDomains } from "./app/domains/run.js";
import type { Logger } from "./app/progress.js";
import { scan } from "./app/scan.js";
import { alertTable, jsonLines } from "./cli/alert-output.js";
import { parseCli, USAGE, UsageError, type CliArgs } from "./cli/args.js";
import { ctProgressLine, logSummaryLine } from "./cli/ct-progress.js";
import { notifyTest, statusTable } from "./cli/notify-command.js";
import { progressFor } from "./cli/progress-bar.js";
import { summaryLine } from "./cli/scan-summary.js";
import { runUserCommand } from "./cli/user-command.js";
import { runMigrate } from "./cli/migrate-command.js";
import { ConfigError, defaultConfigPath, loadConfig } from "./config/load.js";
import { serve } from "./daemon/serve.js";
import { writeSampleConfig } from "./config/sample.js";
import type { ResolvedConfig } from "./config/schema.js";
import type { Alert } from "./domain/alert.js";
import { CertwatchError, EXIT_STORE, EXIT_USAGE } from "./errors.js";
import { severityRank } from "./events.js";
import { followOutbox } from "./notify/deliver.js";
import { sleep } from "./sources/ct/polite-http.js";
import { compareAlerts } from "./store/kysely-store.js";
import { terminalSafe, terminalSafeJson } from "./util/terminal-safe.js";

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
      return withContext(await loadConfig(configPath), io, DELIVER, (ctx) => runScan(args, ctx, io));
    case "alerts":
      return withContext(await loadConfig(configPath), io, READ_ONLY, async (ctx) =>
        printAlerts(await ctx.store.listAlerts({ status: args.status }), args, io),
      );
    case "ct":
      return withContext(await loadConfig(configPath), io, DELIVER, (ctx) => runCt(args, ctx, io));
    case "domains":
      return withContext(await loadConfig(configPath), io, DELIVER, (ctx) =>
        runDomainsCommand(args, ctx, io),
      );
    case "notify":
      return runNotify(args, await loadConfig(configPath), io);
    case "user":
    case "token": {
      const command = args.userCommand;
      if (command === undefined) throw new UsageError(`${args.command} needs an action`);
      return withContext(await loadConfig(configPath), io, READ_ONLY, (ctx) =>
        runUserCommand(
          command,
          ctx.store,
          { stdin: process.stdin, stdout: io.stdout, stderr: io.stderr },
          { ssoConfigured: ctx.config.auth.oidc !== undefined },
        ),
      );
    }
    case "migrate":
      // No configuration: both stores are named on the command line.
      return runMigrate(args.from ?? "", args.to ?? "", { stdout: io.stdout, log: (l) => say(io, l) });
    case "serve":
    case "worker": {
      const code = await serve({
        configPath,
        stderr: io.stderr,
        role: args.command,
        ...(args.noWork === true ? { work: false } : {}),
        ...(args.listen !== undefined ? { listen: args.listen } : {}),
      });
      // Stopped: a socket or timer of work cut short by the shutdown bound must not keep the process alive.
      setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
      return code;
    }
  }
}

/** After `serve` stops, the process exits within this time even if something still holds the event loop. */
const EXIT_GRACE_MS = 3000;

/** Commands that deliver build the notifiers first and drain the outbox before they exit. */
const DELIVER = { deliver: true } as const;
/** Commands that only read the store (alerts, notify status) need no notifier. */
const READ_ONLY = { deliver: false } as const;

/**
 * Build the app context (notifiers, then the store), run the command, and — for the commands that deliver —
 * deliver the outbox before closing (what the command raised, and whatever earlier runs could not deliver).
 */
async function withContext<T>(
  config: ResolvedConfig,
  io: Io,
  o: { readonly deliver: boolean },
  fn: (ctx: AppContext) => Promise<T>,
): Promise<T> {
  const ctx = await AppContext.open(config, { logLine: (m) => say(io, m), notifiers: o.deliver });
  try {
    const result = await fn(ctx);
    if (o.deliver) await ctx.drain();
    return result;
  } finally {
    await ctx.close();
  }
}

async function runNotify(args: CliArgs, config: ResolvedConfig, io: Io): Promise<number> {
  switch (args.notifyAction) {
    case "test":
      return (await notifyTest(
        config,
        args.target,
        (l) => io.stdout.write(`${l}\n`),
        (m) => say(io, m),
      ))
        ? EXIT_OK
        : EXIT_FINDINGS;
    case "status":
      return withContext(config, io, READ_ONLY, async (ctx) => {
        const rows = await ctx.store.outboxStatus();
        io.stdout.write(args.json ? rows.map((r) => `${terminalSafeJson(r)}\n`).join("") : statusTable(rows));
        return EXIT_OK;
      });
    default:
      // "send": what every command does before it exits, on its own.
      return withContext(config, io, DELIVER, () => Promise.resolve(EXIT_OK));
  }
}

async function runScan(args: CliArgs, ctx: AppContext, io: Io): Promise<number> {
  const config = ctx.config;
  const progress = progressFor(io.stderr);
  const deps = await ctx.scanDeps({ ...(progress ? { progress } : {}), log: stderrLogger(io) });
  if (config.endpoints.length === 0) say(io, `${config.configPath}: endpoints: nothing to scan`);
  const report = await scan(deps, ctx.scanOptions(config.endpoints));
  io.stderr.write(`${summaryLine(report)}\n`);
  const alerts = await ctx.store.listAlerts({ status: "open", scopes: report.scopes, source: "tls" });
  return printAlerts(alerts, args, io);
}

async function runCt(args: CliArgs, ctx: AppContext, io: Io): Promise<number> {
  const config = ctx.config;
  const progress = ctProgressLine(io.stderr);
  const deps = await ctx.ctDeps({
    logLine: (m) => io.stderr.write(`${progress ? "\r\x1b[2K" : ""}${terminalSafe(m)}\n`),
    ...(progress ? { progress } : {}),
  });
  if (ctx.watched.size === 0) {
    say(io, `${config.configPath}: domains: nothing is watched; logs are read and verified only`);
  }
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const targets = ctx.ctTargets(abort.signal);
  try {
    if (!args.once) {
      // Follow mode: new alerts are printed as they are raised and delivered as they are written.
      const delivery =
        ctx.notifiers.length === 0 ? Promise.resolve() : followOutbox(ctx.deliveryDeps(), 1000, abort.signal);
      await followCt(deps, {
        pollMs: config.ct.pollSeconds * 1000,
        refreshLogsMs: config.ct.logListRefreshMinutes * 60_000,
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
  }
}

async function runDomainsCommand(args: CliArgs, ctx: AppContext, io: Io): Promise<number> {
  const d = await ctx.domains();
  for (const w of d.warnings) say(io, `warning: ${w}`);
  if (d.nothing) say(io, `${ctx.config.configPath}: domains, names, zoneFiles: nothing to check`);
  const report = await runDomains(d.deps, d.options);
  const l = report.lookalikes;
  io.stderr.write(
    `domains: ${report.takeover.checked} names checked for takeover (${report.takeover.findings.length} dangling, ${report.takeover.inconclusive.length} inconclusive); ` +
      `${l.candidates} lookalike candidates in ${l.registrableDomains} domains, ${l.registered} registered, ${l.inconclusive} inconclusive\n`,
  );
  const alerts = await ctx.store.listAlerts({ status: "open", scopes: report.scopes });
  return printAlerts(alerts, args, io);
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
