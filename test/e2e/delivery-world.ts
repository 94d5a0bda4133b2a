/**
 * @module test/e2e/delivery-world
 * What the delivery tests share: a store file with a webhook route, a real webhook notifier, the real worker.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import type { WebhookTargetConfig } from "../../src/config/notify-schema.js";
import { notifySchema } from "../../src/config/notify-schema.js";
import type { DeliveryDeps } from "../../src/notify/deliver.js";
import type { NotifierContext } from "../../src/notify/notifier.js";
import { routesFromConfig } from "../../src/notify/routing.js";
import { readSecret } from "../../src/notify/secrets.js";
import { leaseMsFor } from "../../src/notify/targets-lease.js";
import { createWebhookNotifier } from "../../src/notify/webhook.js";
import { sleep } from "../../src/sources/ct/polite-http.js";
import { openStore } from "../../src/store/open.js";
import type { Store } from "../../src/store/store.js";

export const SECRET = `whsec_${Buffer.from("certwatch delivery test secret!!").toString("base64")}`;

export function tempDbPath(): string {
  return join(mkdtempSync(join(tmpdir(), "certwatch-delivery-")), "certwatch.db");
}

export function hookConfig(url: string, extra: Record<string, unknown> = {}): WebhookTargetConfig {
  const parsed = notifySchema.parse({
    hook: { type: "webhook", url, secret: { env: "CW_TEST_HOOK_SECRET" }, timeoutMs: 500, ...extra },
  });
  return parsed.hook as WebhookTargetConfig;
}

export function context(): NotifierContext {
  return {
    ca: rootCertificates,
    secret: (ref, field) => readSecret(ref, field, { env: { CW_TEST_HOOK_SECRET: SECRET }, configDir: "/" }),
    log: { warn: () => undefined },
    now: () => new Date(),
  };
}

export async function storeFor(path: string, cfg: WebhookTargetConfig): Promise<Store> {
  return openStore(`sqlite:${path}`, { routes: routesFromConfig({ hook: cfg }) });
}

export function deps(store: Store, cfg: WebhookTargetConfig, log: string[] = []): DeliveryDeps {
  const notifier = createWebhookNotifier("hook", cfg, context());
  return {
    store,
    notifiers: [notifier],
    now: () => new Date(),
    backoff: { baseMs: 50, maxMs: 400 },
    leaseMs: () => leaseMsFor(cfg),
    sleep: (ms, signal) => sleep(ms, signal),
    log: (m) => log.push(m),
  };
}
