/**
 * @module notify/targets
 * The configured targets as notifiers: one factory per target type. Secrets and CA files are read here, at start,
 * so a missing variable or file is a configuration error before any work is done.
 */
import { X509Certificate } from "node:crypto";
import { isAbsolute, resolve } from "node:path";
import type { NotifyConfig, NotifyTargetConfig } from "../config/notify-schema.js";
import { ConfigFileError, readBoundedFileSync } from "../util/read-bounded-file.js";
import { createEmailNotifier } from "./email.js";
import type { Notifier, NotifierContext } from "./notifier.js";
import { createSentinelNotifier } from "./sentinel.js";
import { createSplunkNotifier } from "./splunk.js";
import { createSyslogNotifier } from "./syslog.js";
import { createWebhookNotifier } from "./webhook.js";

/** A CA bundle is a few certificates; 1 MiB holds thousands. */
const MAX_CA_FILE_BYTES = 1024 * 1024;

export function createNotifier(name: string, cfg: NotifyTargetConfig, ctx: NotifierContext): Notifier {
  const own = targetContext(name, cfg, ctx);
  switch (cfg.type) {
    case "email":
      return createEmailNotifier(name, cfg, own);
    case "sentinel":
      return createSentinelNotifier(name, cfg, own);
    case "splunk":
      return createSplunkNotifier(name, cfg, own);
    case "syslog":
      return createSyslogNotifier(name, cfg, own);
    case "webhook":
      return createWebhookNotifier(name, cfg, own);
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

/**
 * The target's own trust: exactly the certificates of its `tls.caFile` (like curl's --cacert, they replace the
 * bundled roots: a SIEM behind an internal CA is vouched for by that CA alone), else the context's roots.
 */
function targetContext(name: string, cfg: NotifyTargetConfig, ctx: NotifierContext): NotifierContext {
  const caFile = cfg.tls?.caFile;
  if (caFile === undefined) return ctx;
  return { ...ctx, ca: readCaFile(caFile, `notify.${name}.tls.caFile`, ctx.configDir) };
}

/**
 * The PEM certificates of a CA file: a regular file of at most 1 MiB holding at least one certificate, each of
 * which parses. Throws ConfigFileError naming the field and the path.
 */
export function readCaFile(file: string, field: string, configDir = process.cwd()): string[] {
  const path = isAbsolute(file) ? file : resolve(configDir, file);
  const text = readBoundedFileSync(path, { field, maxBytes: MAX_CA_FILE_BYTES }).toString("latin1");
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new ConfigFileError(field, `${path}: holds no PEM certificate`);
  blocks.forEach((pem, i) => {
    try {
      new X509Certificate(pem);
    } catch {
      throw new ConfigFileError(field, `${path}: certificate ${i + 1} of ${blocks.length} does not parse`);
    }
  });
  return blocks;
}

export { leaseMsFor } from "./targets-lease.js";
