/**
 * @module notify/secrets
 * Reads the secrets the configuration refers to (`{ env: NAME }` or `{ file: ./path }`). Errors name the field
 * and where the secret was looked for, never its value.
 */
import { isAbsolute, resolve } from "node:path";
import type { SecretRef } from "../config/notify-schema.js";
import { CertwatchError } from "../errors.js";
import { FileReadError, readBoundedFileSync } from "../util/read-bounded-file.js";

const MAX_SECRET_BYTES = 64 * 1024;

export class SecretError extends CertwatchError {
  readonly code = "SECRET_INVALID";
  constructor(
    /** The configuration field, e.g. `notify.splunk.token`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = "SecretError";
  }
}

export interface SecretSource {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Relative secret files are relative to the configuration file's directory. */
  readonly configDir: string;
}

/** The secret's value (a file's trailing newline removed). Throws SecretError when it is missing or empty. */
export function readSecret(ref: SecretRef, field: string, src: SecretSource): string {
  if ("env" in ref) {
    const v = src.env[ref.env];
    if (v === undefined) throw new SecretError(field, `environment variable ${ref.env} is not set`);
    if (v.trim() === "") throw new SecretError(field, `environment variable ${ref.env} is empty`);
    return v;
  }
  const path = isAbsolute(ref.file) ? ref.file : resolve(src.configDir, ref.file);
  let text: string;
  try {
    // A regular file only, at most 64 KiB: a FIFO, /dev/zero or a directory is a configuration error.
    text = readBoundedFileSync(path, { field, maxBytes: MAX_SECRET_BYTES }).toString("utf8");
  } catch (e) {
    if (e instanceof FileReadError) throw new SecretError(field, `secret file ${path}: ${e.problem}`);
    throw e;
  }
  const v = text.replace(/\r?\n$/, "");
  if (v.trim() === "") throw new SecretError(field, `secret file ${path} is empty`);
  return v;
}
