/**
 * @module test/e2e/serve-kit
 * Runs `certwatch serve` as a child process for the daemon's end-to-end tests: its JSON log lines as they come,
 * waiting for a line or for /readyz, and signals; the config of a daemon scanning local endpoints; an operator's API
 * token made in its store.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { generateApiToken } from "../../src/auth/tokens.js";
import type { Store } from "../../src/store/store.js";
import { startCli, type CliRun } from "./run-cli.js";

export type LogLine = Record<string, unknown> & { level: string; msg: string };

/** A running daemon: its JSON log lines as they come, and the process. */
export class Daemon {
  readonly lines: LogLine[] = [];
  readonly raw: string[] = [];
  private buffer = "";
  private waiters: (() => void)[] = [];

  constructor(
    readonly child: ChildProcess,
    readonly done: Promise<CliRun>,
  ) {
    child.stderr?.on("data", (d: Buffer) => {
      this.buffer += d.toString();
      let nl: number;
      while ((nl = this.buffer.indexOf("\n")) >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        this.raw.push(line);
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          this.lines.push({ level: "not-json", msg: line });
        }
        for (const w of this.waiters.splice(0)) w();
      }
    });
  }

  /** The first line (from `from` on) that matches, waiting for it; fails with the log so far. */
  async line(match: (l: LogLine) => boolean, from = 0, timeoutMs = 60_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.slice(from).find(match);
      if (found) return found;
      if (Date.now() > deadline || this.child.exitCode !== null) {
        assert.fail(`no such log line; the log:\n${this.raw.join("\n")}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 250);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async url(): Promise<string> {
    return String((await this.line((l) => l.msg === "listening")).url);
  }

  signal(sig: NodeJS.Signals): void {
    assert.ok(this.child.kill(sig), `sent ${sig}`);
  }
}

export function startDaemon(dir: string): Daemon {
  const { child, done } = startCli(["serve"], dir);
  return new Daemon(child, done);
}

export async function waitReady(url: string, timeoutMs = 60_000): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const r = await fetch(`${url}/readyz`).catch((e: unknown) => e as Error);
    if (!(r instanceof Error)) {
      const body: unknown = await r.json();
      if (r.status === 200) return body;
      last = JSON.stringify(body);
    }
    await new Promise((res) => setTimeout(res, 200));
  }
  return assert.fail(`not ready: ${last}`);
}

export async function until(cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

export const scanned = (target: string) => (l: LogLine) => l.msg === "scanned" && l.target === target;

/** A user "ops" with the operator role and an API token of theirs, made as `certwatch token create` would: the token. */
export async function operatorToken(store: Store): Promise<string> {
  const system = { actor: { kind: "system" as const }, at: new Date(), ip: null };
  await store.auth.createUser({ name: "ops", role: "operator", passwordHash: null }, system);
  const t = generateApiToken();
  await store.auth.createApiToken(
    {
      id: t.id,
      userName: "ops",
      name: "e2e",
      secretHash: t.secretHash,
      createdAt: new Date(),
      expiresAt: null,
    },
    system,
  );
  return t.token;
}

/**
 * certwatch.yaml for a daemon that scans `endpoints` (host:port, at 127.0.0.1) hourly from the start, trusting
 * ./root.pem, without revocation checks or CT, its API on a free port; then the `extra` lines.
 */
export function endpointsConfig(endpoints: readonly string[], extra: readonly string[] = []): string {
  return [
    "endpoints:",
    ...endpoints.map((e) => `  - { url: "https://${e}", addresses: [127.0.0.1] }`),
    "trust: { extraRoots: [./root.pem] }",
    "scan: { connectTimeoutMs: 2000, handshakeTimeoutMs: 3000, httpTimeoutMs: 3000, legacyProtocols: false }",
    "revocation: { crl: false, ocsp: false }",
    "ct: { logList: none }",
    "server: { port: 0 }",
    "schedule: { scanIntervalMinutes: 60, startSpreadSeconds: 0, shutdownTimeoutSeconds: 20 }",
    ...extra,
    "",
  ].join("\n");
}
