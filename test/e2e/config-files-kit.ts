/**
 * @module test/e2e/config-files-kit
 * Every file the configuration names — `trust.extraRoots`, `allowedRoots`, `ct.logList`, a secret's `file`,
 * `zoneFiles` — pointed at /dev/zero, a FIFO, a directory, a missing path and an oversized file: the command
 * stops at once with exit 2 and one line naming the field, the file and the problem. Never a stack trace, never
 * a hang (a FIFO opened without O_NONBLOCK blocks forever) and never unbounded memory (/dev/zero never ends).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { MAX_ROOTS_FILE_BYTES } from "../../src/pki/trust-store.js";
import { LOG_LIST_MAX_BYTES } from "../../src/sources/ct/log-list.js";
import { MAX_ZONE_FILE_BYTES } from "../../src/sources/dns/zone-file.js";
import { startCli, type CliRun } from "./run-cli.js";

/**
 * A run that has not finished by then is hung: killed, and the test fails on its signal. A good run takes a
 * second or two (most of it tsx starting the program), but the limit leaves room for a machine busy with
 * other test files; it stays under the test runner's 120 s per file.
 */
const HANG_MS = 90_000;

interface Field {
  /** The configuration field, as the error must name it. */
  readonly field: RegExp;
  readonly command: string[];
  readonly maxBytes: number;
  /** The config text naming `path`. */
  config(path: string): string;
}

const FIELDS = {
  "trust.extraRoots": {
    field: /trust\.extraRoots/,
    command: ["scan"],
    maxBytes: MAX_ROOTS_FILE_BYTES,
    config: (p) => `trust: { extraRoots: ["${p}"] }\n`,
  },
  allowedRoots: {
    field: /allowedRoots/,
    command: ["ct", "--once"],
    maxBytes: MAX_ROOTS_FILE_BYTES,
    config: (p) => `domains: [example.test]\nct: { logList: none }\nallowedRoots: ["${p}"]\n`,
  },
  "ct.logList": {
    field: /ct\.logList/,
    command: ["ct", "--once"],
    maxBytes: LOG_LIST_MAX_BYTES,
    config: (p) => `domains: [example.test]\nct: { logList: "${p}" }\n`,
  },
  "notify secret file": {
    field: /notify\.hook\.secret/,
    command: ["scan"],
    maxBytes: 64 * 1024,
    config: (p) =>
      `notify:\n  hook: { type: webhook, url: "http://127.0.0.1:9/", preset: standard, secret: { file: "${p}" } }\n`,
  },
  zoneFiles: {
    field: /zoneFiles/,
    command: ["domains"],
    maxBytes: MAX_ZONE_FILE_BYTES,
    config: (p) => `zoneFiles: ["${p}"]\ndns: { servers: ["127.0.0.1:9"], timeoutMs: 200, tries: 1 }\n`,
  },
} satisfies Record<string, Field>;

interface Target {
  readonly path: (dir: string) => string;
  readonly problem: RegExp;
}

const TARGETS: Record<string, Target> = {
  "/dev/zero": { path: () => "/dev/zero", problem: /is a character device, not a regular file/ },
  "a FIFO": { path: (d) => join(d, "fifo"), problem: /is a named pipe \(FIFO\), not a regular file/ },
  "a directory": { path: (d) => join(d, "adir"), problem: /is a directory, not a file/ },
  "a missing file": { path: (d) => join(d, "nowhere.pem"), problem: /no such file/ },
  "an oversized file": { path: (d) => join(d, "big"), problem: /too large|more than the .* allowed/ },
};

/** Runs the CLI; a run still going after HANG_MS is killed (its code is then null, and the test fails). */
async function runWithin(args: string[], cwd: string): Promise<CliRun> {
  const { child, done } = startCli(args, cwd);
  const timer = setTimeout(() => child.kill("SIGKILL"), HANG_MS);
  try {
    return await done;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The five cases for one field, as five CLI runs at once. One test file per field: each CLI run starts the whole
 * program through tsx, and five fields in one file would not fit one file's time limit on a busy machine.
 */
export function describeConfigFile(fieldName: keyof typeof FIELDS): void {
  const f = FIELDS[fieldName];
  void describe(`${fieldName}: a regular file of bounded size`, { concurrency: 5 }, () => {
    let root: string;

    before(() => {
      root = mkdtempSync(join(tmpdir(), "certwatch-config-files-"));
    });

    after(() => {
      rmSync(root, { recursive: true, force: true });
    });

    for (const [targetName, t] of Object.entries(TARGETS)) {
      void it(`${fieldName} → ${targetName}: exit 2, one line naming field and file, no stack`, async () => {
        const dir = mkdtempSync(join(root, "case-"));
        mkdirSync(join(dir, "adir"));
        execFileSync("mkfifo", [join(dir, "fifo")]);
        // Sparse: the size fstat reports, without writing it.
        writeFileSync(join(dir, "big"), "");
        truncateSync(join(dir, "big"), f.maxBytes + 1);
        const path = t.path(dir);
        writeFileSync(join(dir, "certwatch.yaml"), f.config(path));
        const r = await runWithin([...f.command, "--config", join(dir, "certwatch.yaml")], dir);
        assert.equal(r.signal, null, `hung, killed after ${HANG_MS} ms; stderr: ${r.stderr}`);
        assert.equal(r.code, 2, r.stderr);
        assert.equal(r.stdout, "");
        assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace");
        const lines = r.stderr.trimEnd().split("\n");
        assert.equal(lines.length, 1, r.stderr);
        const line = lines[0] ?? "";
        assert.match(line, /^certwatch: /);
        assert.match(line, f.field);
        assert.ok(line.includes(path), line);
        assert.match(line, t.problem);
      });
    }
  });
}
