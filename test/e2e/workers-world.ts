/**
 * @module test/e2e/workers-world
 * What the worker end-to-end tests stand up: a fresh PostgreSQL database, local TLS servers (one slow), a local CT
 * log, a DNS server, a webhook receiver, a certwatch.yaml naming them all, and `certwatch worker` processes
 * started from it as an operator would (their JSON log lines as they come, kill -9 or SIGTERM).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import pg from "pg";
import { startCtLog, type CtLog } from "../helpers/ct-log.js";
import { startDnsServer } from "../helpers/dns-server.js";
import { createRootCa, issueIntermediate, issueLeaf, type Issued } from "../helpers/pki.js";
import { TestDatabases } from "../helpers/postgres.js";
import { startTlsServer, type RunningServer } from "../helpers/tls-servers.js";
import { startWebhookReceiver, type WebhookReceiver } from "../helpers/webhook-receiver.js";
import { startCli } from "./run-cli.js";
import { Daemon } from "./serve-kit.js";

export const HOOK_SECRET = "whsec_d29ya2Vycy10ZXN0LXNlY3JldC0zMi1ieXRlcy1sb25nIQ==";
export const HOOK_SECRET_ENV = "CW_TEST_WORKERS_SECRET";

export interface WorkersWorld {
  readonly dir: string;
  readonly storeUrl: string;
  readonly db: pg.Pool;
  readonly root: Issued;
  readonly issuer: Issued;
  readonly log: CtLog;
  readonly hook: WebhookReceiver;
  /** `host:port` of every scan target, the slow one last. */
  readonly targets: readonly string[];
  readonly slowTarget: string;
  readonly workers: Daemon[];
  /** `certwatch worker` (or the command given, e.g. `serve --no-work`), tracked for close(). */
  startWorker(args?: string[]): Daemon;
  close(): Promise<void>;
}

export interface WorkersWorldOptions {
  readonly fastTargets: number;
  /** How long the slow target takes to answer its HTTP request (its scan lasts that long). */
  readonly slowResponseMs: number;
  /** Extra YAML lines (ct: politeness, say). */
  readonly extraConfig?: readonly string[];
}

export async function workersWorld(o: WorkersWorldOptions): Promise<WorkersWorld> {
  const databases = new TestDatabases();
  await databases.ready();
  const storeUrl = await databases.create();
  const dir = mkdtempSync(join(tmpdir(), "certwatch-workers-"));
  const root = await createRootCa({ subject: "CN=Workers Test Root", freshKey: true });
  const issuer = await issueIntermediate(root, { freshKey: true });
  const servers: RunningServer[] = [];
  const targets: string[] = [];
  for (let i = 0; i < o.fastTargets + 1; i++) {
    const slow = i === o.fastTargets;
    const name = slow ? "slow.test" : `t${i}.test`;
    const leaf = await issueLeaf(issuer, { dnsNames: [name] });
    const server = await startTlsServer({
      chain: [leaf, issuer],
      key: leaf,
      hsts: null,
      ...(slow ? { responseDelayMs: o.slowResponseMs } : {}),
    });
    servers.push(server);
    targets.push(`${name}:${server.port}`);
  }
  const dns = await startDnsServer({});
  const log = await startCtLog({ autoPublish: false });
  const hook = await startWebhookReceiver({ secret: HOOK_SECRET });
  process.env[HOOK_SECRET_ENV] = HOOK_SECRET;
  writeFileSync(join(dir, "root.pem"), root.certPem);
  writeFileSync(
    join(dir, "certwatch.yaml"),
    [
      "domains: [contoso.com]",
      "endpoints:",
      ...targets.map((t) => `  - { url: "https://${t}", addresses: [127.0.0.1] }`),
      "trust: { extraRoots: [root.pem], systemRoots: false }",
      `dns: { servers: ["${dns.server}"], timeoutMs: 1000, tries: 1 }`,
      "ct:",
      `  logs: [{ url: "${log.url}", key: "${log.publicKeyDer.toString("base64")}", name: Local test log }]`,
      "  logList: none",
      "  startAt: end",
      "  pollSeconds: 1",
      "  timeoutMs: 5000",
      ...(o.extraConfig ?? []),
      "lookalikes: { maxCandidates: 5 }",
      "takeover: { http: false, tries: 1 }",
      `scan: { connectTimeoutMs: 1000, handshakeTimeoutMs: 2000, httpTimeoutMs: ${o.slowResponseMs + 3000}, legacyProtocols: false }`,
      "revocation: { crl: false, ocsp: false }",
      "schedule: { startSpreadSeconds: 0, shutdownTimeoutSeconds: 5 }",
      "work: { plannerSeconds: 1, leaseSeconds: 2, pollSeconds: 0.5 }",
      "server: { port: 0 }",
      "notify:",
      `  hook: { type: webhook, url: "${hook.url}", secret: { env: ${HOOK_SECRET_ENV} }, timeoutMs: 8000, concurrency: 1 }`,
      "delivery: { retryDelaySeconds: 0.2, maxRetryDelaySeconds: 1 }",
      `store: ${storeUrl}`,
      "",
    ].join("\n"),
  );
  const db = new pg.Pool({ connectionString: storeUrl, max: 2 });
  db.on("error", () => undefined);
  const workers: Daemon[] = [];
  return {
    dir,
    storeUrl,
    db,
    root,
    issuer,
    log,
    hook,
    targets,
    slowTarget: targets.at(-1) ?? "",
    workers,
    startWorker(args = ["worker"]) {
      const { child, done } = startCli(args, dir);
      const w = new Daemon(child, done);
      workers.push(w);
      return w;
    },
    async close() {
      for (const w of workers)
        if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
      await Promise.all(workers.map((w) => w.done.catch(() => undefined)));
      await db.end();
      await Promise.all(servers.map((s) => s.close()));
      await log.close();
      await dns.close();
      await hook.close();
      await databases.dropAll();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Alive: neither exited nor killed. */
export const alive = (w: Daemon): boolean => w.child.exitCode === null && w.child.signalCode === null;

/** kill -9, and wait until the process is gone. */
export async function killHard(w: Daemon): Promise<void> {
  w.child.kill("SIGKILL");
  await w.done;
}

/** Waits until the (async) condition holds (an error, such as a table not created yet, is "not yet"). */
export async function eventually(
  cond: () => Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond().catch(() => false))) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((res) => setTimeout(res, 250));
  }
}

/**
 * Appends `entries` entries to the log and publishes one head over them: a certificate for a new host under
 * contoso.com every 400 entries (`hosts` of them, returned), raw bytes that are no Merkle tree leaf at the
 * `malformed` indices, and one certificate of an unwatched name everywhere else.
 */
export async function fillLog(
  world: WorkersWorld,
  o: { readonly entries: number; readonly hosts: number; readonly malformed: readonly number[] },
): Promise<string[]> {
  const { issuer, log } = world;
  const filler = (await issueLeaf(issuer, { dnsNames: ["filler.example.net"] })).certDer;
  const hosts: string[] = [];
  for (let i = 0; i < o.entries; i++) {
    if (o.malformed.includes(i)) log.addRaw(Buffer.from(`not a merkle tree leaf ${i}`));
    else if (i % 400 === 7 && hosts.length < o.hosts) {
      const host = `h${hosts.length}.contoso.com`;
      hosts.push(host);
      log.addX509((await issueLeaf(issuer, { dnsNames: [host] })).certDer, [issuer.certDer]);
    } else log.addX509(filler, [issuer.certDer]);
  }
  log.publish();
  return hosts;
}
