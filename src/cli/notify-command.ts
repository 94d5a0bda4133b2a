/**
 * @module cli/notify-command
 * Delivery from the command line: the outbox drained before a command exits (bounded by
 * delivery.drainTimeoutSeconds), `notify test` (a sample alert straight to each target), `notify status`.
 */
import { rootCertificates } from "node:tls";
import type { ResolvedConfig } from "../config/schema.js";
import type { DeliveryDeps, DrainReport } from "../notify/deliver.js";
import { drainOutbox } from "../notify/deliver.js";
import type { Notifier, NotifierContext } from "../notify/notifier.js";
import { sampleNotification } from "../notify/sample.js";
import { readSecret } from "../notify/secrets.js";
import { createNotifiers, leaseMsFor } from "../notify/targets.js";
import { sleep } from "../sources/ct/polite-http.js";
import { terminalSafe } from "../util/terminal-safe.js";
import { UsageError } from "./args.js";
import type { OutboxTargetStatus, Store } from "../store/store.js";

/**
 * What the notifiers need from the configuration and the process (CA roots, secrets, clock). Delivery trusts Node's
 * bundled roots, or a target's own `tls.caFile` (read by createNotifier): `trust` is scanning's and does not apply.
 */
export function notifierContext(config: ResolvedConfig, log: (m: string) => void): NotifierContext {
  return {
    ca: rootCertificates,
    configDir: config.configDir,
    secret: (ref, field) => readSecret(ref, field, { env: process.env, configDir: config.configDir }),
    ...(config.publicUrl !== undefined ? { publicUrl: config.publicUrl.replace(/\/+$/, "") } : {}),
    log: {
      warn: (m, fields) => log(terminalSafe(`warning: ${m}${fields ? ` ${JSON.stringify(fields)}` : ""}`)),
    },
    now: () => new Date(),
  };
}

export function deliveryDeps(
  config: ResolvedConfig,
  store: Store,
  notifiers: readonly Notifier[],
  log: (m: string) => void,
): DeliveryDeps {
  const timeouts = new Map(Object.entries(config.notify).map(([name, t]) => [name, leaseMsFor(t)]));
  return {
    store,
    notifiers,
    now: () => new Date(),
    backoff: {
      baseMs: config.delivery.retryDelaySeconds * 1000,
      maxMs: config.delivery.maxRetryDelaySeconds * 1000,
    },
    leaseMs: (n) => timeouts.get(n.target) ?? 60_000,
    sleep: (ms, signal) => sleep(ms, signal),
    log,
  };
}

/** Build the notifiers, run `fn`, and always close them. */
export async function withNotifiers<T>(
  config: ResolvedConfig,
  log: (m: string) => void,
  fn: (notifiers: Notifier[]) => Promise<T>,
  only?: string,
): Promise<T> {
  const notifiers = createNotifiers(config.notify, notifierContext(config, log), only);
  try {
    return await fn(notifiers);
  } finally {
    await Promise.all(notifiers.map((n) => n.close().catch(() => undefined)));
  }
}

/** Deliver what the outbox holds, for at most delivery.drainTimeoutSeconds; say what happened on stderr. */
export async function drainBeforeExit(
  config: ResolvedConfig,
  store: Store,
  notifiers: readonly Notifier[],
  log: (m: string) => void,
): Promise<DrainReport | null> {
  if (notifiers.length === 0) return null;
  const deadline = new Date(Date.now() + config.delivery.drainTimeoutSeconds * 1000);
  const report = await drainOutbox(deliveryDeps(config, store, notifiers, log), { deadline });
  for (const line of drainSummary(report)) log(line);
  // Delivered rows are kept a week for `notify status`, then forgotten.
  await store.pruneOutbox(new Date(Date.now() - 7 * 86_400_000));
  return report;
}

/** One line per target; the last error is a receiver's words (escaped for the terminal). */
export function drainSummary(report: DrainReport): string[] {
  return report.targets
    .filter((t) => t.delivered > 0 || t.pending > 0)
    .map((t) =>
      terminalSafe(
        `notify ${t.target}: ${t.delivered} delivered` +
          (t.pending > 0
            ? `, ${t.pending} pending (sent by the next certwatch command${t.lastError ? `; last error: ${t.lastError}` : ""})`
            : ""),
      ),
    );
}

/** Send the sample alert to each target; one line per target. True when every one delivered. */
export async function notifyTest(
  config: ResolvedConfig,
  target: string | undefined,
  out: (line: string) => void,
  log: (m: string) => void,
): Promise<boolean> {
  if (target !== undefined && !(target in config.notify)) {
    const known = Object.keys(config.notify);
    throw new UsageError(
      `notify test: no target named "${target}" in ${config.configPath} (${known.length > 0 ? `targets: ${known.join(", ")}` : "notify is empty"})`,
    );
  }
  if (Object.keys(config.notify).length === 0) {
    out(`${config.configPath}: notify: no target configured (see docs/siem.md)`);
    return true;
  }
  return withNotifiers(
    config,
    log,
    async (notifiers) => {
      const results = await Promise.all(
        notifiers.map(async (n) => {
          const started = Date.now();
          const outcome = await n.send([sampleNotification(new Date())]);
          const ms = Date.now() - started;
          out(
            terminalSafe(
              outcome.kind === "delivered"
                ? `${n.target} (${n.type}): delivered in ${ms} ms`
                : `${n.target} (${n.type}): FAILED after ${ms} ms: ${outcome.error}`,
            ),
          );
          return outcome.kind === "delivered";
        }),
      );
      return results.every(Boolean);
    },
    target,
  );
}

export function statusTable(rows: readonly OutboxTargetStatus[]): string {
  if (rows.length === 0) return "The outbox is empty.\n";
  const header = ["TARGET", "PENDING", "DELIVERED", "OLDEST PENDING", "NEXT TRY", "ATTEMPTS", "LAST ERROR"];
  const body = rows.map((r) =>
    [
      r.target,
      String(r.pending),
      String(r.delivered),
      r.oldestPending ?? "-",
      r.pending > 0 ? (r.nextAttemptAt ?? "-") : "-",
      String(r.maxAttempts),
      (r.lastError ?? "").replace(/[ \t\r\n]+/g, " ").slice(0, 100),
    ].map((cell) => terminalSafe(cell)),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? "").length)));
  return [header, ...body]
    .map((cols) =>
      cols
        .map((c, i) => (i === cols.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")
    .concat("\n");
}
