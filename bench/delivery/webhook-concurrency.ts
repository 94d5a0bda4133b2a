/**
 * @module bench/delivery/webhook-concurrency
 * Webhook delivery against a slow receiver (issue 11: 2,000 alerts at 100 ms took 194 s, one request at a time):
 * N alerts recorded in a fresh SQLite store, then drained by the real worker and webhook notifier into a local
 * Standard Webhooks receiver (test/helpers/webhook-receiver.ts, signatures verified) that answers each request
 * after `--delay` ms, once per `--concurrency` value. The receiver runs in this process: the time is the
 * receiver's delay, not CPU.
 *
 * `node --import tsx bench/delivery/webhook-concurrency.ts` (N = 2,000, 100 ms, concurrency 1,4,8,16)
 * `node --import tsx bench/delivery/webhook-concurrency.ts --n 500 --delay 50 --concurrency 1,4`
 */
import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { draftFromFinding } from "../../src/alerts/reconcile.js";
import type { WebhookTargetConfig } from "../../src/config/notify-schema.js";
import { notifySchema } from "../../src/config/notify-schema.js";
import { drainOutbox } from "../../src/notify/deliver.js";
import { routesFromConfig } from "../../src/notify/routing.js";
import { leaseMsFor } from "../../src/notify/targets-lease.js";
import { createWebhookNotifier } from "../../src/notify/webhook.js";
import { sleep } from "../../src/sources/ct/polite-http.js";
import { openStore } from "../../src/store/open.js";
import { startWebhookReceiver } from "../../test/helpers/webhook-receiver.js";

const SECRET = `whsec_${Buffer.from("certwatch webhook bench secret!!").toString("base64")}`;

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "2000" },
    delay: { type: "string", default: "100" },
    concurrency: { type: "string", default: "1,4,8,16" },
  },
});
const n = Number(values.n);
const delayMs = Number(values.delay);
const levels = values.concurrency.split(",").map(Number);

async function run(concurrency: number): Promise<string> {
  const dir = mkdtempSync(join(os.tmpdir(), "certwatch-bench-webhook-"));
  const receiver = await startWebhookReceiver({ secret: SECRET });
  try {
    receiver.fail(n, { delayMs });
    const cfg = notifySchema.parse({
      hook: { type: "webhook", url: receiver.url, secret: { env: "X" }, concurrency },
    }).hook as WebhookTargetConfig;
    const store = await openStore(`sqlite:${join(dir, "certwatch.db")}`, {
      routes: routesFromConfig({ hook: cfg }),
    });
    const now = new Date();
    for (let start = 0; start < n; start += 500) {
      const findings = [];
      for (let i = start; i < Math.min(n, start + 500); i++) {
        const host = `host-${i}.contoso.com`;
        findings.push(
          draftFromFinding({
            event: "hsts-missing",
            key: `${host}:443`,
            subject: host,
            endpoint: { host, port: 443, address: "192.0.2.1" },
            certificate: null,
            details: { status: 200, header: null },
          }),
        );
      }
      await store.recordRun({ scope: `bench:${start}`, now, certificates: [], observations: [], findings });
    }
    const notifier = createWebhookNotifier("hook", cfg, {
      ca: [],
      secret: () => SECRET,
      log: { warn: () => undefined },
      now: () => new Date(),
    });
    const t0 = performance.now();
    const report = await drainOutbox(
      {
        store,
        notifiers: [notifier],
        now: () => new Date(),
        backoff: { baseMs: 100, maxMs: 2000 },
        leaseMs: () => leaseMsFor(cfg),
        sleep: (ms, signal) => sleep(ms, signal),
        log: (m) => process.stderr.write(`${m}\n`),
      },
      { deadline: new Date(Date.now() + 3_600_000) },
    );
    const s = (performance.now() - t0) / 1000;
    await notifier.close();
    await store.close();
    const ok =
      receiver.received.length === n && receiver.duplicates === 0 && report.targets[0]?.pending === 0;
    return `| ${concurrency} | ${n} | ${delayMs} | ${s.toFixed(1)} | ${Math.round(n / s)} | ${receiver.maxInFlight} | ${receiver.received.length} | ${receiver.duplicates} | ${ok ? "yes" : "NO"} |`;
  } finally {
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const cpus = os.cpus();
console.log(
  `certwatch webhook delivery — N = ${n.toLocaleString("en")} alerts, receiver answers after ${delayMs} ms; ` +
    `${cpus.length} × ${cpus[0]?.model ?? "?"}, Node ${process.version}`,
);
console.log(
  "| concurrency | alerts | receiver delay ms | drain s | alerts/s | max in flight | received | duplicates | all once |",
);
console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
for (const c of levels) console.log(await run(c));
