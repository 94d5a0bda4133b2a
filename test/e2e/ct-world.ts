/**
 * @module test/e2e/ct-world
 * A small world for end-to-end CT runs: local CT logs (RFC 6962 and Static CT API), two test CAs, a DNS
 * server for CAA, an SQLite store, and the CT use case wired with the real clients, as main.ts wires it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { draftFromFinding } from "../../src/alerts/reconcile.js";
import { cachedCaaPolicy } from "../../src/app/ct/caa-cache.js";
import { followCt, runCtOnce, type CtRunDeps, type CtRunReport } from "../../src/app/ct/run.js";
import type { LogTarget } from "../../src/app/ct/read-log.js";
import type { LookalikeIndex } from "../../src/app/ct/logged-entry.js";
import { logTargets } from "../../src/app/ct/targets.js";
import { DEFAULT_THRESHOLDS } from "../../src/checks/context.js";
import type { Alert } from "../../src/domain/alert.js";
import { WatchedDomains } from "../../src/domain/watched-domains.js";
import { CaaIdentifierTable } from "../../src/pki/ca-identifiers.js";
import { parseCertificate, type ParsedCertificate } from "../../src/pki/certificate.js";
import { TrustStore } from "../../src/pki/trust-store.js";
import { inlineLogDescriptor } from "../../src/sources/ct/log-list.js";
import { findCaaPolicy } from "../../src/sources/dns/caa.js";
import { createDnsClient } from "../../src/sources/dns/resolver.js";
import { openStore } from "../../src/store/open.js";
import type { Store } from "../../src/store/store.js";
import { HttpClient } from "../../src/util/http-get.js";
import type { CtLog } from "../helpers/ct-log.js";
import { startDnsServer, type DnsServer, type ZoneSpec } from "../helpers/dns-server.js";
import { createRootCa, issueIntermediate, type Issued } from "../helpers/pki.js";

export interface TestCa {
  readonly root: Issued;
  readonly issuer: Issued;
  /** Hex SHA-256 of the issuing CA's SubjectPublicKeyInfo (how caa.issuers names it). */
  readonly issuerKey: string;
  readonly rootKey: string;
}

export async function testCa(name: string): Promise<TestCa> {
  const root = await createRootCa({ subject: `CN=${name} Root, O=${name}`, freshKey: true });
  const issuer = await issueIntermediate(root, {
    subject: `CN=${name} Issuing CA, O=${name}`,
    freshKey: true,
  });
  return { root, issuer, issuerKey: parsed(issuer).spkiSha256, rootKey: parsed(root).spkiSha256 };
}

export function parsed(i: Issued): ParsedCertificate {
  const p = parseCertificate(i.certDer);
  if (!p.ok) throw new Error(p.error);
  return p.cert;
}

export interface CtWorldOptions {
  readonly domains?: readonly string[];
  readonly startAt?: "end" | "beginning";
  readonly zone?: ZoneSpec;
  /** caa.issuers: issuing-CA key → identifiers. */
  readonly caaIssuers?: Record<string, string[]>;
  readonly allowedRoots?: readonly string[];
  readonly roots?: readonly Issued[];
  readonly commitEvery?: number;
  /** The lookalike index CT names are matched against (event 12). */
  readonly lookalikes?: LookalikeIndex;
}

export interface CtWorld {
  readonly store: Store;
  readonly dns: DnsServer;
  readonly lines: string[];
  run(logs: readonly CtLog[], now?: Date): Promise<CtRunReport>;
  /** Follow mode: reads, waits `pollMs`, reads again, asking `logs()` again every `refreshMs`, until `signal`. */
  follow(
    logs: () => readonly CtLog[],
    o: { pollMs: number; refreshMs: number; signal: AbortSignal; onRun: (r: CtRunReport) => void },
  ): Promise<void>;
  openAlerts(): Promise<Alert[]>;
  close(): Promise<void>;
}

export async function ctWorld(o: CtWorldOptions = {}): Promise<CtWorld> {
  const dir = mkdtempSync(join(tmpdir(), "certwatch-ct-"));
  const store = await openStore(`sqlite:${join(dir, "certwatch.db")}`);
  const dns = await startDnsServer(o.zone ?? {});
  const client = createDnsClient({ servers: [dns.server], timeoutMs: 1000, tries: 2 });
  const http = new HttpClient();
  const lines: string[] = [];
  const watched = new WatchedDomains(o.domains ?? ["contoso.com"]);
  const deps = (now: Date | undefined): CtRunDeps => ({
    store,
    trust: new TrustStore((o.roots ?? []).map(parsed)),
    caaTable: new CaaIdentifierTable(o.caaIssuers ?? {}),
    caaPolicy: cachedCaaPolicy((name) => findCaaPolicy(client, name), 0),
    allowedRoots: new Set(o.allowedRoots ?? []),
    draft: (f) => draftFromFinding(f),
    logLine: (m) => lines.push(m),
    startAt: o.startAt ?? "end",
    now: () => now ?? new Date(),
    commitEvery: o.commitEvery ?? 4096,
    watched,
    thresholds: DEFAULT_THRESHOLDS,
    logConcurrency: 4,
  });
  return {
    store,
    dns,
    lines,
    run(logs, now) {
      return runCtOnce(targetsOf(logs), deps(now));
    },
    follow(logs, f) {
      return followCt(deps(undefined), {
        pollMs: f.pollMs,
        refreshLogsMs: f.refreshMs,
        targets: () => Promise.resolve(targetsOf(logs())),
        signal: f.signal,
        sleep: (ms, signal) =>
          new Promise((resolve) => {
            const t = setTimeout(resolve, ms);
            signal.addEventListener("abort", () => {
              clearTimeout(t);
              resolve();
            });
          }),
        onRun: f.onRun,
      });
    },
    openAlerts: () => store.listAlerts({ status: "open" }),
    async close() {
      http.destroy();
      await store.close();
      await dns.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };

  function targetsOf(logs: readonly CtLog[]): LogTarget[] {
    const descriptors = logs.map((l) => {
      const r = inlineLogDescriptor({
        url: l.url,
        key: l.publicKeyDer.toString("base64"),
        name: `test log ${l.url}`,
        type: isStatic(l) ? "static-ct" : "rfc6962",
        submissionUrl: staticLogs.get(l)?.submissionUrl,
      });
      if (r.kind === "error") throw new Error(r.error);
      return r.log;
    });
    const settings = {
      batchSize: 256,
      concurrency: 4,
      requestsPerSecond: 10_000,
      timeoutMs: 2000,
      maxRetryAfterSeconds: 2,
      retries: { maxRetries: 2, baseDelayMs: 50 },
    };
    return logTargets(descriptors, { watched, lookalikes: o.lookalikes }, http, settings);
  }
}

/** Logs started with `staticApi` are followed as tiled logs (with the submission prefix config would give). */
const staticLogs = new WeakMap<CtLog, { submissionUrl?: string }>();
export function asStatic(log: CtLog, o: { submissionUrl?: string } = {}): CtLog {
  staticLogs.set(log, o);
  return log;
}
function isStatic(log: CtLog): boolean {
  return staticLogs.has(log);
}

export const byEvent = (alerts: readonly Alert[]): Record<string, string[]> => {
  const out: Record<string, string[]> = {};
  for (const a of alerts) (out[a.name] ??= []).push(a.subject);
  for (const k of Object.keys(out)) out[k]?.sort();
  return out;
};
