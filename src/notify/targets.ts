/**
 * @module notify/targets
 * The configured targets as notifiers: one factory per target type. Secrets are read here, at start, so a
 * missing variable or file is a configuration error before any work is done.
 */
import type { NotifyConfig, NotifyTargetConfig } from "../config/notify-schema.js";
import { createEmailNotifier } from "./email.js";
import type { Notifier, NotifierContext } from "./notifier.js";
import { createSentinelNotifier } from "./sentinel.js";
import { createSplunkNotifier } from "./splunk.js";
import { createSyslogNotifier } from "./syslog.js";
import { createWebhookNotifier } from "./webhook.js";

export function createNotifier(name: string, cfg: NotifyTargetConfig, ctx: NotifierContext): Notifier {
  switch (cfg.type) {
    case "email":
      return createEmailNotifier(name, cfg, ctx);
    case "sentinel":
      return createSentinelNotifier(name, cfg, ctx);
    case "splunk":
      return createSplunkNotifier(name, cfg, ctx);
    case "syslog":
      return createSyslogNotifier(name, cfg, ctx);
    case "webhook":
      return createWebhookNotifier(name, cfg, ctx);
  }
}

/** Every configured target (or only `only`), in configuration order. */
export function createNotifiers(notify: NotifyConfig, ctx: NotifierContext, only?: string): Notifier[] {
  const made: Notifier[] = [];
  try {
    for (const [name, cfg] of Object.entries(notify)) {
      if (only === undefined || only === name) made.push(createNotifier(name, cfg, ctx));
    }
  } catch (e) {
    for (const n of made) void n.close();
    throw e;
  }
  return made;
}

export { leaseMsFor } from "./targets-lease.js";
