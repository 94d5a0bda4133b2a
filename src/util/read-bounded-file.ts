/**
 * @module util/read-bounded-file
 * Reads a file the configuration names (a log list, a secret, a PEM bundle, a zone file) with a byte cap, and
 * only when it is a regular file.
 *
 * A path in a config can point anywhere: `/dev/zero` (a character device that never ends: reading it whole
 * exhausts memory), a FIFO (opening it for reading blocks until a writer comes; reading it blocks until the
 * writer stops), a directory, a socket, a procfs file that reports size 0 and holds more. So the file is
 * opened with O_NONBLOCK (a FIFO opens at once instead of hanging), the *opened descriptor* is fstat'ed (not
 * the path: nothing can be swapped in between), anything but a regular file is refused, a size over the cap is
 * refused before reading, and the read stops at cap + 1 bytes in case the file grows or lied about its size.
 * Every problem is a `FileReadError` naming the configuration field, the path and what is wrong — a
 * configuration error (exit 2), never a stack trace.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { open } from "node:fs/promises";
import { CertwatchError } from "../errors.js";

/** A file named by the configuration could not be used: `field: detail`. The CLI exits 2 with the message. */
export class ConfigFileError extends CertwatchError {
  override name = "ConfigFileError";
  readonly code: "CONFIG_FILE_UNUSABLE" | "CONFIG_FILE_UNREADABLE" = "CONFIG_FILE_UNUSABLE";
  constructor(
    /** The configuration field that names the file, e.g. `trust.extraRoots`. */
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
  }
}

export type FileReadProblem = "missing" | "not-a-file" | "too-large" | "unreadable";

/** The file could not be read: `field: path: problem`. */
export class FileReadError extends ConfigFileError {
  override name = "FileReadError";
  override readonly code = "CONFIG_FILE_UNREADABLE";
  constructor(
    field: string,
    readonly path: string,
    readonly kind: FileReadProblem,
    /** What is wrong, without field and path ("is a named pipe (FIFO), not a regular file"). */
    readonly problem: string,
  ) {
    super(field, `${path}: ${problem}`);
  }
}

export interface BoundedReadOptions {
  /** The configuration field that names the file: errors say which one. */
  readonly field: string;
  /** Most bytes accepted; a larger file is refused. */
  readonly maxBytes: number;
}

/**
 * O_NONBLOCK: opening a FIFO for reading returns at once (without it the open blocks until a writer appears).
 * O_NOCTTY: a terminal device named by mistake never becomes the controlling terminal. Regular files ignore
 * both. (Windows defines neither; its opens do not block on pipes in this way.)
 */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/** 4194304 → "4 MiB", 1000 → "1000 bytes". */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

function kindOf(st: Stats): string | null {
  if (st.isFile()) return null;
  if (st.isDirectory()) return "is a directory, not a file";
  if (st.isFIFO()) return "is a named pipe (FIFO), not a regular file";
  if (st.isCharacterDevice()) return "is a character device, not a regular file";
  if (st.isBlockDevice()) return "is a block device, not a regular file";
  if (st.isSocket()) return "is a socket, not a regular file";
  return "is not a regular file";
}

function openError(e: unknown, field: string, path: string): FileReadError {
  const code = typeof e === "object" && e !== null && "code" in e ? String(e.code) : "";
  switch (code) {
    case "ENOENT":
      return new FileReadError(field, path, "missing", "no such file");
    case "EISDIR":
      return new FileReadError(field, path, "not-a-file", "is a directory, not a file");
    case "ENXIO": // a UNIX socket, or a device with nothing behind it
      return new FileReadError(field, path, "not-a-file", "is a socket or device, not a regular file");
    case "ENOTDIR":
      return new FileReadError(
        field,
        path,
        "missing",
        "no such file (a part of the path is not a directory)",
      );
    case "EACCES":
    case "EPERM":
      return new FileReadError(field, path, "unreadable", `cannot read it: permission denied (${code})`);
    case "ELOOP":
      return new FileReadError(field, path, "unreadable", "cannot read it: too many symbolic links (ELOOP)");
    default: {
      const message = e instanceof Error ? e.message : String(e);
      return new FileReadError(field, path, "unreadable", `cannot read it (${code || message})`);
    }
  }
}

function check(st: Stats, opts: BoundedReadOptions, path: string): void {
  const notFile = kindOf(st);
  if (notFile !== null) throw new FileReadError(opts.field, path, "not-a-file", notFile);
  if (st.size > opts.maxBytes) {
    throw new FileReadError(
      opts.field,
      path,
      "too-large",
      `is ${st.size} bytes, more than the ${formatBytes(opts.maxBytes)} allowed`,
    );
  }
}

function tooLargeWhileRead(opts: BoundedReadOptions, path: string): FileReadError {
  return new FileReadError(
    opts.field,
    path,
    "too-large",
    `holds more than the ${formatBytes(opts.maxBytes)} allowed (it grew while being read, or its size was not known)`,
  );
}

/**
 * The read buffer: it starts at the size fstat reported + 1 (to notice growth) and grows only for files that
 * hold more than they report (procfs says 0), never past `maxBytes + 1`.
 */
class Filling {
  buffer: Buffer;
  filled = 0;
  private readonly limit: number;

  constructor(size: number, maxBytes: number) {
    this.limit = maxBytes + 1;
    this.buffer = Buffer.alloc(Math.max(1, Math.min(size + 1, this.limit)));
  }

  /** Makes room for the next read; false once `maxBytes + 1` bytes are in (the file is too large). */
  room(): boolean {
    if (this.filled < this.buffer.length) return true;
    if (this.buffer.length >= this.limit) return false;
    const bigger = Buffer.alloc(Math.min(this.limit, this.buffer.length * 2 + 64 * 1024));
    this.buffer.copy(bigger, 0, 0, this.filled);
    this.buffer = bigger;
    return true;
  }

  get free(): number {
    return this.buffer.length - this.filled;
  }

  bytes(): Buffer {
    return this.buffer.subarray(0, this.filled);
  }
}

/** The bytes of a regular file of at most `maxBytes`. Throws FileReadError (naming field and path) otherwise. */
export async function readBoundedFile(path: string, opts: BoundedReadOptions): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (e) {
    throw openError(e, opts.field, path);
  }
  try {
    const st = await handle.stat();
    check(st, opts, path);
    const f = new Filling(st.size, opts.maxBytes);
    for (;;) {
      if (!f.room()) throw tooLargeWhileRead(opts, path);
      const { bytesRead } = await handle.read(f.buffer, f.filled, f.free, f.filled);
      if (bytesRead === 0) return f.bytes();
      f.filled += bytesRead;
    }
  } catch (e) {
    throw e instanceof FileReadError ? e : openError(e, opts.field, path);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** `readBoundedFile` for synchronous callers (secrets are read while the notifiers are built). */
export function readBoundedFileSync(path: string, opts: BoundedReadOptions): Buffer {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (e) {
    throw openError(e, opts.field, path);
  }
  try {
    const st = fstatSync(fd);
    check(st, opts, path);
    const f = new Filling(st.size, opts.maxBytes);
    for (;;) {
      if (!f.room()) throw tooLargeWhileRead(opts, path);
      const bytesRead = readSync(fd, f.buffer, f.filled, f.free, f.filled);
      if (bytesRead === 0) return f.bytes();
      f.filled += bytesRead;
    }
  } catch (e) {
    throw e instanceof FileReadError ? e : openError(e, opts.field, path);
  } finally {
    closeSync(fd);
  }
}
