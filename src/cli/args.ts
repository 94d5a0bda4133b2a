/**
 * @module cli/args
 * The command line of SPEC §2, parsed strictly: an unknown flag or a bad value is a usage error
 * (exit 2) that says what was wrong.
 */
import { parseArgs } from "node:util";
import { parseListenAddress, type ListenAddress } from "../config/daemon-schema.js";
import { CertwatchError } from "../errors.js";
import { isSeverity, SEVERITIES, type Severity } from "../events.js";
import { isUserCommandLine, parseUserCommand, type UserCommand } from "./user-command.js";

/** A bad command line (exit 2): the message says what was wrong, the usage text follows it. */
export class UsageError extends CertwatchError {
  readonly code = "USAGE";
}

export const USAGE = `Usage: certwatch <command> [--config FILE] [options]

Commands:
  scan     [--json] [--fail-on SEVERITY]     one TLS health scan of every endpoint, then the open TLS alerts
  alerts   [--json] [--status open|resolved|all] [--fail-on SEVERITY]
                                             list stored alerts
  init     [--force]                         write a commented sample certwatch.yaml
  ct       [--once] [--json] [--fail-on SEV] read every CT log up to its head (--once), then the alerts raised;
                                             without --once, keep following the logs until interrupted
  domains  [--json] [--fail-on SEVERITY]     subdomain takeover and registered lookalike domains (DNS), then their alerts
  notify test [--target NAME]                send a sample alert to every target (or one) and print each result;
                                             exit 1 when one failed
  notify status [--json]                     the outbox per target: pending, delivered, next try, last error
  notify send                                deliver what the outbox holds (as every command does before it exits)
  user add NAME --role viewer|operator|admin [--password-file FILE | --sso]
                                             create a user; the password is prompted for (no echo), read from
                                             stdin or from FILE, never given on the command line; --sso (with
                                             auth.oidc): no password, the first single sign-on as NAME links it
  user list [--json] | user passwd NAME [--password-file FILE] | user disable NAME | user enable NAME
  token create --user NAME --name LABEL [--expires-days N]
                                             create an API token, printed once on stdout
  token list [--user NAME] [--json] | token revoke ID
  migrate --from URL --to URL                copy a whole store into an empty one (sqlite:FILE to postgres://…),
                                             then read it back; the daemon must be stopped (docs/migrate.md)
  serve    [--no-work]                       the daemon: scheduled scans, CT, domain checks and delivery, with
                                             /healthz, /readyz, /metrics and the REST API (127.0.0.1:8080);
                                             JSON logs on stderr; SIGHUP reloads the config, SIGTERM stops;
                                             --no-work (PostgreSQL): the dashboard and API only
  worker   [--listen HOST:PORT]              (PostgreSQL) the daemon's work, shared with the other workers and
                                             serve through the store (docs/scale-out.md); --listen (or
                                             work.listen): /healthz, /readyz and /metrics there, nothing else

Options:
  --config FILE   configuration file (default ./certwatch.yaml)
  --json          JSON Lines on stdout: one alert object per line
  --fail-on SEV   exit 1 when an alert at or above SEV is listed (${SEVERITIES.join(", ")})
  --help, -h      this help
  --version       print the version

Exit status: 0 the command ran; 1 findings at or above --fail-on; 2 bad command line or configuration;
3 the store cannot be used; 4 migrate failed (the target is left as it was).
`;

export type Command =
  | "scan"
  | "alerts"
  | "init"
  | "ct"
  | "domains"
  | "notify"
  | "serve"
  | "worker"
  | "user"
  | "token"
  | "migrate"
  | "help"
  | "version";

export type NotifyAction = "test" | "status" | "send";

export interface CliArgs {
  readonly command: Command;
  readonly config: string | undefined;
  readonly json: boolean;
  readonly failOn: Severity | undefined;
  readonly status: "open" | "resolved" | "all";
  readonly force: boolean;
  readonly once: boolean;
  /** `serve --no-work`: the dashboard and API only (the workers do the work). */
  readonly noWork?: boolean;
  /** `worker --listen`: where its health and metrics answer (overrides work.listen). */
  readonly listen?: ListenAddress;
  /** `notify` only. */
  readonly notifyAction?: NotifyAction;
  readonly target?: string;
  /** `user` and `token` (cli/user-command.ts parses their own options). */
  readonly userCommand?: UserCommand;
  /** `migrate` only: the store URLs to copy from and into. */
  readonly from?: string;
  readonly to?: string;
}

const COMMANDS: readonly Command[] = [
  "scan",
  "alerts",
  "init",
  "ct",
  "domains",
  "notify",
  "serve",
  "worker",
  "migrate",
];
const NOTIFY_ACTIONS: readonly NotifyAction[] = ["test", "status", "send"];

const OPTIONS = {
  config: { type: "string" },
  json: { type: "boolean", default: false },
  "fail-on": { type: "string" },
  status: { type: "string", default: "open" },
  force: { type: "boolean", default: false },
  once: { type: "boolean", default: false },
  target: { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  "no-work": { type: "boolean", default: false },
  listen: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
  version: { type: "boolean", default: false },
} as const;

/** Which options each command accepts (besides --config and --help). */
const ALLOWED: Record<string, readonly string[]> = {
  scan: ["json", "fail-on"],
  alerts: ["json", "status", "fail-on"],
  init: ["force"],
  ct: ["once", "json", "fail-on"],
  domains: ["json", "fail-on"],
  notify: ["target", "json"],
  serve: ["no-work"],
  worker: ["listen"],
  migrate: ["from", "to"],
};

export function parseCli(argv: readonly string[]): CliArgs {
  if (isUserCommandLine(argv) && !argv.includes("--help") && !argv.includes("-h")) {
    const { command, config } = parseUserCommand(argv);
    const group = command.action.startsWith("token") ? "token" : "user";
    const none = { json: false, failOn: undefined, status: "open", force: false, once: false } as const;
    return { ...none, command: group, config, userCommand: command };
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional.*$/s, ""));
  }
  const { values, positionals, tokens } = parsed;
  const base = {
    config: values.config,
    json: values.json,
    failOn: undefined,
    status: "open",
    force: values.force,
    once: values.once,
  } as const;
  if (values.version) return { ...base, command: "version" };
  const [name, ...extra] = positionals;
  if (values.help || name === undefined || name === "help") return { ...base, command: "help" };
  if (!(COMMANDS as readonly string[]).includes(name)) throw new UsageError(`unknown command "${name}"`);
  const command = name as Command;
  let notifyAction: NotifyAction | undefined;
  if (command === "notify") {
    const action = extra.shift();
    if (action === undefined) throw new UsageError(`notify needs an action: ${NOTIFY_ACTIONS.join(", ")}`);
    if (!(NOTIFY_ACTIONS as readonly string[]).includes(action)) {
      throw new UsageError(`unknown notify action "${action}" (expected ${NOTIFY_ACTIONS.join(", ")})`);
    }
    notifyAction = action as NotifyAction;
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  for (const t of tokens) {
    if (t.kind === "option" && !["config", "help"].includes(t.name) && !ALLOWED[command]?.includes(t.name)) {
      throw new UsageError(`${command} does not take --${t.name}`);
    }
  }
  const failOn = values["fail-on"];
  if (failOn !== undefined && !isSeverity(failOn)) {
    throw new UsageError(`--fail-on must be one of ${SEVERITIES.join(", ")} (got "${failOn}")`);
  }
  const status = values.status;
  if (status !== "open" && status !== "resolved" && status !== "all") {
    throw new UsageError(`--status must be open, resolved or all (got "${status}")`);
  }
  if (values.target !== undefined && notifyAction !== "test") {
    throw new UsageError("--target is for notify test");
  }
  if (command === "migrate" && values.config !== undefined) {
    throw new UsageError("migrate takes its stores as --from URL and --to URL, not from --config");
  }
  if (command === "migrate" && (values.from === undefined || values.to === undefined)) {
    throw new UsageError(
      "migrate needs --from URL and --to URL (e.g. --from sqlite:/var/lib/certwatch.db --to postgres://certwatch@db/certwatch)",
    );
  }
  let listen: ListenAddress | undefined;
  if (values.listen !== undefined) {
    const parsed = parseListenAddress(values.listen);
    if ("error" in parsed) throw new UsageError(`--listen ${parsed.error}`);
    listen = parsed.value;
  }
  return {
    ...base,
    command,
    failOn,
    status,
    ...(notifyAction !== undefined ? { notifyAction } : {}),
    ...(values.target !== undefined ? { target: values.target } : {}),
    ...(values.from !== undefined ? { from: values.from } : {}),
    ...(values.to !== undefined ? { to: values.to } : {}),
    ...(values["no-work"] ? { noWork: true } : {}),
    ...(listen !== undefined ? { listen } : {}),
  };
}
