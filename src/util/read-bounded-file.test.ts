import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { FileReadError, formatBytes, readBoundedFile, readBoundedFileSync } from "./read-bounded-file.js";

const OPTS = { field: "trust.extraRoots", maxBytes: 1024 };

describe("readBoundedFile", () => {
  let dir: string;
  let fifo: string;
  let socketPath: string;
  let socket: Server;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "certwatch-bounded-"));
    fifo = join(dir, "pipe");
    execFileSync("mkfifo", [fifo]);
    mkdirSync(join(dir, "adir"));
    writeFileSync(join(dir, "ok.pem"), "x".repeat(1024));
    writeFileSync(join(dir, "big.pem"), "x".repeat(1025));
    socketPath = join(dir, "sock");
    socket = createServer();
    await new Promise<void>((resolve) => socket.listen(socketPath, resolve));
  });

  after(async () => {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Both readers give the same answer for `path`: the bytes, or a FileReadError of `kind` matching `problem`. */
  async function refuses(path: string, kind: FileReadError["kind"], problem: RegExp): Promise<void> {
    const check = (e: unknown) => {
      assert.ok(e instanceof FileReadError, String(e));
      assert.equal(e.kind, kind);
      assert.equal(e.field, "trust.extraRoots");
      assert.equal(e.path, path);
      assert.match(e.problem, problem);
      assert.equal(e.message, `trust.extraRoots: ${path}: ${e.problem}`);
      return true;
    };
    await assert.rejects(readBoundedFile(path, OPTS), check);
    assert.throws(() => readBoundedFileSync(path, OPTS), check);
  }

  void it("reads a regular file of up to maxBytes", async () => {
    const path = join(dir, "ok.pem");
    assert.equal((await readBoundedFile(path, OPTS)).length, 1024);
    assert.equal(readBoundedFileSync(path, OPTS).length, 1024);
  });

  void it("refuses a larger file before reading it", async () => {
    await refuses(join(dir, "big.pem"), "too-large", /^is 1025 bytes, more than the 1 KiB allowed$/);
  });

  void it(
    "refuses /dev/zero (a character device that never ends) without reading it",
    { timeout: 10_000 },
    async () => {
      await refuses("/dev/zero", "not-a-file", /character device/);
    },
  );

  void it("refuses a FIFO without waiting for a writer", { timeout: 10_000 }, async () => {
    await refuses(fifo, "not-a-file", /named pipe \(FIFO\)/);
  });

  void it("refuses a directory, a socket and a missing file", async () => {
    await refuses(join(dir, "adir"), "not-a-file", /is a directory/);
    await refuses(socketPath, "not-a-file", /socket/);
    await refuses(join(dir, "nope.pem"), "missing", /^no such file$/);
  });

  void it("stops at maxBytes + 1 for a file that reports a size of 0 (procfs)", async () => {
    const status = "/proc/self/status";
    assert.ok((await readBoundedFile(status, { field: "f", maxBytes: 1 << 20 })).length > 0);
    await assert.rejects(
      readBoundedFile(status, { field: "f", maxBytes: 10 }),
      (e: unknown) =>
        e instanceof FileReadError && e.kind === "too-large" && /more than the 10 bytes/.test(e.problem),
    );
    assert.throws(
      () => readBoundedFileSync(status, { field: "f", maxBytes: 10 }),
      (e: unknown) => e instanceof FileReadError && e.kind === "too-large",
    );
  });

  void it("names limits in readable units", () => {
    assert.equal(formatBytes(16 * 1024 * 1024), "16 MiB");
    assert.equal(formatBytes(64 * 1024), "64 KiB");
    assert.equal(formatBytes(1000), "1000 bytes");
  });
});
