/**
 * @module test/e2e/run-cli
 * Runs the certwatch command as a user would (a child process, from source through tsx), capturing stdout,
 * stderr, the exit code and the signal; `start` hands back the child so a test can kill it. Its stdin is closed,
 * or a pipe that carries `input` when given.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const ENTRY = fileURLToPath(new URL("../../src/bin.ts", import.meta.url));
/** tsx resolved from the project, so the CLI can run from any working directory. */
const TSX = import.meta.resolve("tsx");

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function startCli(
  args: string[],
  cwd: string,
  input?: string,
): { child: ChildProcess; done: Promise<CliRun> } {
  const child = spawn(process.execPath, ["--import", TSX, ENTRY, ...args], {
    cwd,
    stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  if (input !== undefined) child.stdin?.end(input);
  return { child, done };
}

export const certwatch = (args: string[], cwd: string, input?: string): Promise<CliRun> =>
  startCli(args, cwd, input).done;

export function jsonLines(s: string): Record<string, unknown>[] {
  return s
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
