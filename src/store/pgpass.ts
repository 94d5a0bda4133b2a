/**
 * @module store/pgpass
 * Where the PostgreSQL store's password comes from, as libpq looks for it: PGPASSWORD, else the password file
 * (PGPASSFILE, default ~/.pgpass). Never from certwatch.yaml; the password is never logged nor put in a message.
 */
import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** Whom the password is for: a line of the password file matches on these. */
export interface PasswordTarget {
  /** Host name, or a socket directory (matched as `localhost`, as libpq does). */
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
}

/** The password file is unusable; the message names the file, never its content. */
export class PasswordFileError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PasswordFileError";
  }
}

/** The password file: PGPASSFILE, else ~/.pgpass. */
export function passwordFilePath(env: NodeJS.ProcessEnv = process.env): string {
  const named = env.PGPASSFILE;
  return named !== undefined && named !== "" ? named : join(homedir(), ".pgpass");
}

/** One line's fields, `\:` and `\\` unescaped; undefined for a comment, a blank or a short line. */
function fieldsOf(line: string): string[] | undefined {
  if (line.trimStart().startsWith("#") || line.trim() === "") return undefined;
  const fields: string[] = [];
  let current = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "\\" && i + 1 < line.length) {
      current += line[++i];
    } else if (c === ":" && fields.length < 4) {
      fields.push(current);
      current = "";
    } else {
      current += c;
    }
  }
  fields.push(current);
  return fields.length === 5 ? fields : undefined;
}

/** The password of the first line matching `target` (`*` matches anything); undefined when none does. */
export function passwordFromFile(text: string, target: PasswordTarget): string | undefined {
  const host = target.host.startsWith("/") ? "localhost" : target.host;
  const wanted = [host, String(target.port), target.database, target.user];
  for (const line of text.split(/\r?\n/)) {
    const fields = fieldsOf(line);
    if (fields === undefined) continue;
    if (wanted.every((w, i) => fields[i] === "*" || fields[i] === w)) return fields[4];
  }
  return undefined;
}

/**
 * The password for `target`: PGPASSWORD when set, else the password file's matching line, else undefined (the
 * server may not ask for one). A password file that others may read is refused, as libpq does, with a clear error.
 */
export function findPassword(
  target: PasswordTarget,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const fromEnv = env.PGPASSWORD;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  const file = passwordFilePath(env);
  let text: string;
  try {
    const mode = statSync(file).mode;
    if (process.platform !== "win32" && (mode & 0o077) !== 0) {
      throw new PasswordFileError(
        `the password file ${file} may be read by others (mode ${(mode & 0o777).toString(8)}): chmod 600 it`,
      );
    }
    text = readFileSync(file, "utf8");
  } catch (e) {
    if (e instanceof PasswordFileError) throw e;
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    const why = (e as NodeJS.ErrnoException).code ?? "unreadable";
    throw new PasswordFileError(`cannot read the password file ${file} (${why})`, { cause: e });
  }
  return passwordFromFile(text, target);
}
