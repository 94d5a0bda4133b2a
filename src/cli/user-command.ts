/**
 * @module cli/user-command
 * `certwatch user add|list|passwd|disable|enable` and `certwatch token create|list|revoke`: the first admin on a
 * fresh install, and user administration without the daemon. A password is read from a terminal prompt without
 * echo, from stdin when it is not a terminal, or from `--password-file`; never from the command line, where other
 * users' `ps` and the shell history would see it. `user add --sso` (with `auth.oidc` configured) makes an invited
 * user instead, with no password: the first single sign-on under its name links to it. Every change is audited as
 * `system`.
 */
import { parseArgs } from "node:util";
import { hashPassword, MAX_PASSWORD_BYTES, PasswordPolicyError } from "../auth/password.js";
import { isRole, ROLES, type Role } from "../auth/roles.js";
import { generateApiToken } from "../auth/tokens.js";
import { parseUserName } from "../auth/user-name.js";
import { AuthStoreError, isInvited, type AuditContext } from "../store/auth-records.js";
import type { Store } from "../store/store.js";
import { readBoundedFile } from "../util/read-bounded-file.js";
import { terminalSafe } from "../util/terminal-safe.js";
import { UsageError } from "./args.js";

export type UserCommand =
  | {
      readonly action: "user-add";
      readonly name: string;
      readonly role: Role;
      readonly passwordFile?: string;
      /** Invited: no password; signs in by single sign-on (needs auth.oidc). */
      readonly sso?: true;
    }
  | { readonly action: "user-list"; readonly json: boolean }
  | { readonly action: "user-passwd"; readonly name: string; readonly passwordFile?: string }
  | { readonly action: "user-disable" | "user-enable"; readonly name: string }
  | {
      readonly action: "token-create";
      readonly user: string;
      readonly name: string;
      readonly expiresDays?: number;
    }
  | { readonly action: "token-list"; readonly user?: string; readonly json: boolean }
  | { readonly action: "token-revoke"; readonly id: string };

const OPTIONS = {
  config: { type: "string" },
  role: { type: "string" },
  "password-file": { type: "string" },
  sso: { type: "boolean", default: false },
  user: { type: "string" },
  name: { type: "string" },
  "expires-days": { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

type OptionName = keyof typeof OPTIONS;

/** Which options each action takes (besides --config and --help). */
const ALLOWED: Record<string, readonly OptionName[]> = {
  "user add": ["role", "password-file", "sso"],
  "user list": ["json"],
  "user passwd": ["password-file"],
  "user disable": [],
  "user enable": [],
  "token create": ["user", "name", "expires-days"],
  "token list": ["user", "json"],
  "token revoke": [],
};

const canonicalName = (input: string, what = "user name"): string => {
  const r = parseUserName(input);
  if (!r.ok) throw new UsageError(`${what}: ${r.error}`);
  return r.name;
};

/**
 * Whether the command line is a `user …` or `token …` one: its first argument that is neither an option nor the
 * value of `--config`.
 */
export function isUserCommandLine(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (a === "--config") i++;
    else if (!a.startsWith("-")) return a === "user" || a === "token";
  }
  return false;
}

/** The `user …` / `token …` command line (argv without the program), or a UsageError saying what is wrong. */
export function parseUserCommand(argv: readonly string[]): {
  command: UserCommand;
  config: string | undefined;
} {
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
    const message = (e as Error).message.replace(/\. To specify a positional.*$/s, "");
    // `--password` is not an option on purpose: say why rather than only "unknown option".
    if (/'--password'/.test(message)) {
      throw new UsageError(
        "a password is never given on the command line: use the prompt, stdin or --password-file",
      );
    }
    throw new UsageError(message);
  }
  const { values, positionals, tokens } = parsed;
  const [group, action, ...rest] = positionals;
  const key = `${group} ${action}`;
  if (action === undefined || !(key in ALLOWED)) {
    const actions = Object.keys(ALLOWED)
      .filter((k) => k.startsWith(`${group} `))
      .map((k) => k.split(" ")[1]);
    throw new UsageError(`${group} needs an action: ${actions.join(", ")}`);
  }
  for (const t of tokens) {
    if (t.kind === "option" && !["config", "help"].includes(t.name) && !ALLOWED[key]?.includes(t.name)) {
      throw new UsageError(`${key} does not take --${t.name}`);
    }
  }
  const takesName = ["user add", "user passwd", "user disable", "user enable", "token revoke"].includes(key);
  const [positional, ...extra] = rest;
  if (takesName && positional === undefined)
    throw new UsageError(`${key} needs a ${key === "token revoke" ? "token id" : "user name"}`);
  // Not quoted: an extra argument is often a password typed where it must not be.
  if ((takesName ? extra : rest).length > 0) {
    throw new UsageError(`${key}: unexpected extra argument (a password is never given on the command line)`);
  }
  const passwordFile = values["password-file"];
  const file = passwordFile === undefined ? {} : { passwordFile };
  const config = values.config;
  const name = positional ?? "";
  switch (key) {
    case "user add": {
      const role = values.role;
      if (role === undefined || !isRole(role))
        throw new UsageError(`user add needs --role ${ROLES.join("|")}`);
      if (values.sso && passwordFile !== undefined) {
        throw new UsageError("user add --sso makes a user without a password: leave out --password-file");
      }
      return {
        config,
        command: {
          action: "user-add",
          name: canonicalName(name),
          role,
          ...file,
          ...(values.sso && { sso: true as const }),
        },
      };
    }
    case "user list":
      return { config, command: { action: "user-list", json: values.json } };
    case "user passwd":
      return { config, command: { action: "user-passwd", name: canonicalName(name), ...file } };
    case "user disable":
      return { config, command: { action: "user-disable", name: canonicalName(name) } };
    case "user enable":
      return { config, command: { action: "user-enable", name: canonicalName(name) } };
    case "token create": {
      if (values.user === undefined) throw new UsageError("token create needs --user NAME");
      const label = values.name;
      if (
        label === undefined ||
        label.length === 0 ||
        label.length > 64 ||
        /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(label)
      ) {
        throw new UsageError("token create needs --name LABEL (1 to 64 printable characters)");
      }
      const days = values["expires-days"];
      const n = days === undefined ? undefined : /^[0-9]{1,4}$/.test(days) ? Number(days) : NaN;
      if (n !== undefined && !(n >= 1 && n <= 3650)) throw new UsageError("--expires-days must be 1 to 3650");
      return {
        config,
        command: {
          action: "token-create",
          user: canonicalName(values.user),
          name: label,
          ...(n !== undefined && { expiresDays: n }),
        },
      };
    }
    case "token list":
      return {
        config,
        command: {
          action: "token-list",
          json: values.json,
          ...(values.user !== undefined && { user: canonicalName(values.user) }),
        },
      };
    default: {
      if (!/^[a-z2-7]{10}$/.test(name))
        throw new UsageError("token revoke needs a token id (10 characters of a-z, 2-7)");
      return { config, command: { action: "token-revoke", id: name } };
    }
  }
}

/** Where the command reads a password and writes its output. */
export interface UserIo {
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** Stdin that is not a terminal: read whole (bounded), first line. */
async function readPipedPassword(stdin: UserIo["stdin"]): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const b = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    size += b.length;
    if (size > MAX_PASSWORD_BYTES * 4) throw new UsageError("stdin holds more than a password");
    chunks.push(b);
  }
  return firstLine(Buffer.concat(chunks).toString("utf8"));
}

/** The password in a file or on stdin: its first line, without the line end (so `echo pw > file` works). */
function firstLine(text: string): string {
  const end = text.search(/\r?\n/);
  return end < 0 ? text : text.slice(0, end);
}

/**
 * One line from a terminal in raw mode, echoing nothing: Enter ends it, Backspace deletes, Ctrl-C or Ctrl-D on
 * an empty line cancels. The terminal mode is restored whatever happens.
 */
async function promptHidden(io: UserIo, prompt: string): Promise<string> {
  const { stdin } = io;
  io.stderr.write(prompt);
  stdin.setRawMode?.(true);
  stdin.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let typed = "";
      const done = (result: string | Error) => {
        stdin.off("data", onData);
        stdin.off("end", onEnd);
        io.stderr.write("\n");
        if (typeof result === "string") resolve(result);
        else reject(result);
      };
      const onEnd = () => done(new UsageError("no password given"));
      const onData = (chunk: Buffer | string) => {
        for (const ch of typeof chunk === "string" ? chunk : chunk.toString("utf8")) {
          if (ch === "\r" || ch === "\n") return done(typed);
          if (ch === "\u0003" || (ch === "\u0004" && typed === "")) return done(new UsageError("cancelled"));
          if (ch === "\u007f" || ch === "\b") typed = [...typed].slice(0, -1).join("");
          else if (ch >= " ") typed += ch;
          if (typed.length > MAX_PASSWORD_BYTES * 4) return done(new UsageError("the password is too long"));
        }
      };
      stdin.on("data", onData);
      stdin.on("end", onEnd);
    });
  } finally {
    stdin.setRawMode?.(false);
    stdin.pause();
  }
}

/** A new password: from the file, else prompted twice on a terminal, else the first line of stdin. */
async function newPassword(io: UserIo, user: string, passwordFile: string | undefined): Promise<string> {
  let password: string;
  if (passwordFile !== undefined) {
    const bytes = await readBoundedFile(passwordFile, {
      field: "--password-file",
      maxBytes: MAX_PASSWORD_BYTES * 4,
    });
    password = firstLine(bytes.toString("utf8"));
  } else if (io.stdin.isTTY === true) {
    password = await promptHidden(io, `New password for ${user}: `);
    const again = await promptHidden(io, "Repeat it: ");
    if (again !== password) throw new UsageError("the passwords do not match");
  } else {
    password = await readPipedPassword(io.stdin);
  }
  if (password === "") throw new UsageError("the password must not be empty");
  return password;
}

const SYSTEM = (): AuditContext => ({ actor: { kind: "system" }, at: new Date(), ip: null });

/** A store refusal as the CLI says it (exit 2: the command line asked for something that cannot be). */
function refusal(e: unknown): never {
  if (e instanceof AuthStoreError && e.code !== "AUDIT_DETAILS_REFUSED" && e.code !== "TOKEN_EXISTS") {
    throw new UsageError(e.message);
  }
  if (e instanceof PasswordPolicyError) throw new UsageError(e.message);
  throw e;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i] ?? 0))
          .join("  ")
          .trimEnd(),
      )
      .join("\n") + "\n"
  );
}

/** What the command needs of the configuration. */
export interface UserCommandSettings {
  /** `auth.oidc` is configured: invited users can sign in. */
  readonly ssoConfigured: boolean;
}

/** Run one user or token command against the store; the exit status (0) or a thrown UsageError (2). */
export async function runUserCommand(
  command: UserCommand,
  store: Store,
  io: UserIo,
  settings: UserCommandSettings = { ssoConfigured: false },
): Promise<number> {
  const say = (line: string) => io.stderr.write(`${terminalSafe(line)}\n`);
  try {
    switch (command.action) {
      case "user-add": {
        if (command.sso === true && !settings.ssoConfigured) {
          throw new UsageError(
            "user add --sso needs single sign-on (auth.oidc in the configuration): without it nobody could ever sign in as this user",
          );
        }
        // Refuse before asking for a password that would be thrown away.
        if ((await store.auth.getUser(command.name)) !== undefined)
          throw new UsageError(`user ${command.name} exists`);
        if (command.sso === true) {
          await store.auth.createUser(
            { name: command.name, role: command.role, passwordHash: null },
            SYSTEM(),
          );
          say(
            `invited ${command.name} (${command.role}): their first single sign-on as ${command.name} links their account; the provider's claims then set the role`,
          );
          return 0;
        }
        const password = await newPassword(io, command.name, command.passwordFile);
        const passwordHash = await hashPassword(password);
        await store.auth.createUser({ name: command.name, role: command.role, passwordHash }, SYSTEM());
        say(`created user ${command.name} (${command.role})`);
        return 0;
      }
      case "user-passwd": {
        if ((await store.auth.getUser(command.name)) === undefined)
          throw new UsageError(`no user ${command.name}`);
        const passwordHash = await hashPassword(await newPassword(io, command.name, command.passwordFile));
        await store.auth.updateUser(command.name, { passwordHash }, SYSTEM());
        say(`changed the password of ${command.name}; their sessions have ended`);
        return 0;
      }
      case "user-disable":
      case "user-enable": {
        const disabled = command.action === "user-disable";
        if (!(await store.auth.updateUser(command.name, { disabled }, SYSTEM()))) {
          throw new UsageError(`no user ${command.name}`);
        }
        say(`${disabled ? "disabled" : "enabled"} ${command.name}`);
        return 0;
      }
      case "user-list": {
        const users = await store.auth.listUsers();
        if (command.json) {
          for (const u of users) io.stdout.write(`${JSON.stringify(u)}\n`);
        } else {
          const rows = users.map((u) => [
            u.name,
            u.role,
            u.disabled ? "disabled" : "enabled",
            u.hasPassword ? "password" : "",
            u.oidc !== null ? "sso" : isInvited(u) ? "invited" : "",
            u.createdAt,
          ]);
          io.stdout.write(
            terminalSafe(table([["NAME", "ROLE", "STATE", "LOCAL", "SSO", "CREATED"], ...rows]), {
              keepNewlines: true,
            }),
          );
        }
        return 0;
      }
      case "token-create": {
        const now = new Date();
        const expiresAt =
          command.expiresDays === undefined
            ? null
            : new Date(now.getTime() + command.expiresDays * 86_400_000);
        for (let attempt = 0; ; attempt++) {
          const t = generateApiToken();
          try {
            await store.auth.createApiToken(
              {
                id: t.id,
                userName: command.user,
                name: command.name,
                secretHash: t.secretHash,
                createdAt: now,
                expiresAt,
              },
              SYSTEM(),
            );
          } catch (e) {
            if (e instanceof AuthStoreError && e.code === "TOKEN_EXISTS" && attempt < 3) continue;
            throw e;
          }
          io.stdout.write(`${t.token}\n`);
          say(`API token ${t.id} for ${command.user}: shown this once; certwatch keeps only a hash of it`);
          return 0;
        }
      }
      case "token-list": {
        const tokens = await store.auth.listApiTokens(command.user);
        if (command.json) {
          for (const t of tokens) io.stdout.write(`${JSON.stringify(t)}\n`);
        } else {
          const rows = tokens.map((t) => [
            t.id,
            t.userName,
            t.name,
            t.revokedAt !== null ? "revoked" : "active",
            t.expiresAt ?? "never",
            t.lastUsedAt ?? "never",
          ]);
          io.stdout.write(
            terminalSafe(table([["ID", "USER", "NAME", "STATE", "EXPIRES", "LAST USED"], ...rows]), {
              keepNewlines: true,
            }),
          );
        }
        return 0;
      }
      case "token-revoke": {
        if (!(await store.auth.revokeApiToken(command.id, SYSTEM()))) {
          throw new UsageError(`no active token ${command.id}`);
        }
        say(`revoked API token ${command.id}`);
        return 0;
      }
    }
  } catch (e) {
    refusal(e);
  }
}
