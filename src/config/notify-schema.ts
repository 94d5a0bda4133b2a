/**
 * @module config/notify-schema
 * The `notify` section (delivery targets: e-mail, Sentinel, Splunk, syslog, webhook, each with its routing) and
 * the `delivery` section (how the outbox is drained). Secrets are references to an environment variable or a
 * file, never values: a password written in certwatch.yaml is a configuration error.
 */
import { z } from "zod";
import type { EventName } from "../events.js";
import { SEVERITIES } from "../events.js";
import type { Parsed } from "./schema-kit.js";
import {
  eventName,
  filePath,
  int,
  parseHttpUrl,
  parsedString,
  strict,
  URL_WITH_USERINFO,
} from "./schema-kit.js";

/** Where a secret is read from: an environment variable, or a file (relative to the configuration file). */
export type SecretRef = { readonly env: string } | { readonly file: string };

/** A secret given as `{ env: VARIABLE }` or `{ file: ./path }` (also used by `auth.oidc.clientSecret`). */
export const secretRef = z.union(
  [
    strict({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name") }),
    strict({ file: filePath }),
  ],
  {
    error: (iss) =>
      typeof iss.input === "string"
        ? "secrets are not written in the configuration: use { env: VARIABLE } or { file: ./path }"
        : "must be { env: VARIABLE } or { file: ./path }",
  },
);

const SECRET_HINT = "use { env: VARIABLE } or { file: ./path }";

/**
 * An http(s) URL without a user name or password: a credential in `https://user:pass@host/` would sit in this
 * file in clear. The URL is not quoted back (it holds the password).
 */
function parseCredentialFreeUrl(input: string): Parsed<string> {
  if (URL_WITH_USERINFO.test(input.trim())) {
    return {
      error: `must not hold a user name or password (user:pass@): credentials are not written in the configuration; ${SECRET_HINT} in the target's secret keys or headers`,
    };
  }
  return parseHttpUrl(input);
}

const httpUrl = parsedString(parseCredentialFreeUrl);

/**
 * Header names that carry a credential (Authorization, Proxy-Authorization, Cookie, X-Api-Key, api-key,
 * X-Auth-Token, X-Functions-Key…): a part of the name, split at - and _, is one of these words.
 */
const CREDENTIAL_HEADER_PARTS = new Set([
  "authorization",
  "auth",
  "cookie",
  "token",
  "secret",
  "password",
  "passwd",
  "apikey",
  "key",
  "session",
  "credential",
  "credentials",
]);

export function isCredentialHeader(name: string): boolean {
  return name
    .toLowerCase()
    .split(/[-_]/)
    .some((part) => CREDENTIAL_HEADER_PARTS.has(part));
}

/** Request headers; one that carries a credential is a secret reference, never a value written here. */
const headers = z.record(z.string(), z.union([z.string(), secretRef])).superRefine((h, ctx) => {
  for (const [name, value] of Object.entries(h)) {
    if (typeof value === "string" && isCredentialHeader(name)) {
      ctx.addIssue({
        code: "custom",
        path: [name],
        message: `carries a credential, which is not written in the configuration: ${SECRET_HINT}`,
        input: name, // never the value
      });
    }
  }
});
const nonEmpty = z.string().trim().min(1);

const eventRef = z.union([z.string(), z.int()]).transform((v, ctx): EventName => {
  const r = eventName(String(v));
  if ("value" in r) return r.value;
  ctx.issues.push({ code: "custom", message: r.error, input: v });
  return z.NEVER;
});

/** What every target has: which alerts reach it, and how patient to be with it. */
const routing = {
  /** Only these events (ids or names); default every event. */
  events: z.array(eventRef).min(1).optional(),
  /** Only alerts at or above this severity (default info: all). */
  minSeverity: z.enum(SEVERITIES).default("info"),
  /** Also send resolutions (default true). */
  resolved: z.boolean().default(true),
  /** Remind about an alert still open after this many days (default never). */
  renotifyAfterDays: z.number().positive().max(3650).optional(),
  /** Deadline of one send (connect, request, answer). */
  timeoutMs: int(100, 300_000, 10_000),
  /** Most alerts per request where the target batches (Splunk, Sentinel, syslog, e-mail digest). */
  batchSize: z.int().min(1).max(10_000).optional(),
  /**
   * TLS to the target: `caFile` (PEM, relative to the config file) is the only trust anchor when set; otherwise
   * Node's bundled roots. `trust.extraRoots` is for scanning and never applies here.
   */
  tls: strict({ caFile: filePath }).optional(),
};

const emailTarget = strict({
  type: z.literal("email"),
  ...routing,
  host: nonEmpty,
  /** Default 465 with `security: tls`, else 587. */
  port: z.int().min(1).max(65535).optional(),
  /** starttls (required, default), tls (implicit, port 465) or none (plain: only for a local relay). */
  security: z.enum(["starttls", "tls", "none"]).default("starttls"),
  username: nonEmpty.optional(),
  password: secretRef.optional(),
  from: nonEmpty,
  to: z.array(nonEmpty).min(1),
  /** One message per alert (each) or one message listing every pending alert (digest). */
  mode: z.enum(["each", "digest"]).default("each"),
  subjectPrefix: z.string().default("[certwatch]"),
}).superRefine((t, ctx) => {
  // SMTP AUTH needs both; one without the other would silently send unauthenticated.
  if ((t.username === undefined) !== (t.password === undefined)) {
    const missing = t.username === undefined ? "username" : "password";
    ctx.addIssue({ code: "custom", path: [missing], message: "username and password go together" });
  }
  if (t.tls !== undefined && t.security === "none") {
    ctx.addIssue({ code: "custom", path: ["tls"], message: "is only used with security: starttls or tls" });
  }
});

const sentinelTarget = strict({
  type: z.literal("sentinel"),
  ...routing,
  /** logs-ingestion (the Logs Ingestion API through a DCR, default) or data-collector (the legacy HTTP API). */
  api: z.enum(["logs-ingestion", "data-collector"]).default("logs-ingestion"),
  /** Logs Ingestion: the data collection endpoint (or the DCR's logs ingestion endpoint). */
  endpoint: httpUrl.optional(),
  /** Logs Ingestion: the DCR's immutable id (dcr-…). */
  dcrImmutableId: nonEmpty.optional(),
  /** Logs Ingestion: the DCR's input stream. */
  stream: nonEmpty.default("Custom-Certwatch_CL"),
  tenantId: nonEmpty.optional(),
  clientId: nonEmpty.optional(),
  clientSecret: secretRef.optional(),
  /** Microsoft Entra authority (another cloud's, or a local one in tests). */
  authorityUrl: httpUrl.default("https://login.microsoftonline.com/"),
  scope: nonEmpty.default("https://monitor.azure.com//.default"),
  /** Data Collector: the workspace id and its primary or secondary key. */
  workspaceId: nonEmpty.optional(),
  sharedKey: secretRef.optional(),
  /** Data Collector: the custom log type (the table is `<logType>_CL`). */
  logType: z
    .string()
    .regex(/^[A-Za-z0-9_]{1,100}$/, "must be letters, digits and _ (at most 100)")
    .default("Certwatch"),
  /** Data Collector: override https://<workspaceId>.ods.opinsights.azure.com (another cloud, or tests). */
  dataCollectorUrl: httpUrl.optional(),
}).superRefine((t, ctx) => {
  const need =
    t.api === "logs-ingestion"
      ? (["endpoint", "dcrImmutableId", "tenantId", "clientId", "clientSecret"] as const)
      : (["workspaceId", "sharedKey"] as const);
  for (const k of need) {
    if (t[k] === undefined) {
      ctx.addIssue({ code: "custom", path: [k], message: `is required with api: ${t.api}` });
    }
  }
});

const splunkTarget = strict({
  type: z.literal("splunk"),
  ...routing,
  /** The HEC base URL, e.g. https://splunk.example:8088 (events go to /services/collector/event). */
  url: httpUrl,
  token: secretRef,
  index: nonEmpty.optional(),
  sourcetype: nonEmpty.default("certwatch:alert"),
  source: nonEmpty.default("certwatch"),
});

const syslogTarget = strict({
  type: z.literal("syslog"),
  ...routing,
  host: nonEmpty,
  /** Default 6514 for tls, else 514. */
  port: z.int().min(1).max(65535).optional(),
  /** tcp (RFC 6587 octet counting, default), tls (RFC 5425) or udp (RFC 5426: one datagram per message). */
  transport: z.enum(["tcp", "tls", "udp"]).default("tcp"),
  /** The RFC 5424 message body: an ArcSight CEF record (default) or the alert JSON. */
  format: z.enum(["cef", "json"]).default("cef"),
  /** Syslog facility code (default 10, authpriv). */
  facility: int(0, 23, 10),
  appName: z
    .string()
    .regex(/^[!-~]{1,48}$/, "must be 1-48 printable ASCII characters")
    .default("certwatch"),
}).superRefine((t, ctx) => {
  if (t.tls !== undefined && t.transport !== "tls") {
    ctx.addIssue({ code: "custom", path: ["tls"], message: "is only used with transport: tls" });
  }
});

const webhookTarget = strict({
  type: z.literal("webhook"),
  ...routing,
  /** The receiver's URL, or a secret reference to it (Slack and Teams URLs carry their credential). */
  url: z.union([httpUrl, secretRef]),
  /** standard (Standard Webhooks JSON, signed), slack (incoming webhook) or teams (Workflows adaptive card). */
  preset: z.enum(["standard", "slack", "teams"]).default("standard"),
  /** Standard Webhooks signing secret (whsec_<base64>); required with preset standard. */
  secret: secretRef.optional(),
  /** Extra request headers; a credential (Authorization, X-Api-Key…) only as { env } or { file }. */
  headers: headers.optional(),
  /** Requests in flight at once (one notification each); order between notifications is then not kept. */
  concurrency: int(1, 32, 4),
}).superRefine((t, ctx) => {
  if (t.preset === "standard" && t.secret === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["secret"],
      message: "is required with preset: standard (signed webhooks)",
    });
  }
});

export const TARGET_TYPES = ["email", "sentinel", "splunk", "syslog", "webhook"] as const;
export type TargetType = (typeof TARGET_TYPES)[number];

const target = z.discriminatedUnion(
  "type",
  [emailTarget, sentinelTarget, splunkTarget, syslogTarget, webhookTarget],
  {
    error: (iss) =>
      iss.code === "invalid_union" ? `type must be one of ${TARGET_TYPES.join(", ")}` : undefined,
  },
);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * `notify: { <name>: { type: …, … } }`. A target named after its type may leave `type` out
 * (`notify: { splunk: { url: …, token: … } }`, as in SPEC §2).
 */
export const notifySchema = z.preprocess(
  (v) =>
    isObject(v)
      ? Object.fromEntries(
          Object.entries(v).map(([name, t]) => [
            name,
            isObject(t) && t.type === undefined && (TARGET_TYPES as readonly string[]).includes(name)
              ? { type: name, ...t }
              : t,
          ]),
        )
      : v,
  z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "target names are letters, digits, _ . -"), target),
);

export const deliverySchema = strict({
  /** How long a command waits for the outbox to drain before it exits (the rest is sent next time). */
  drainTimeoutSeconds: int(0, 3600, 30),
  /** First retry delay; it doubles at every failure (with jitter) up to maxRetryDelaySeconds. */
  retryDelaySeconds: z.number().min(0.01).max(3600).default(1),
  maxRetryDelaySeconds: z.number().min(0.01).max(86_400).default(3600),
}).prefault({});

export type NotifyConfig = z.output<typeof notifySchema>;
export type NotifyTargetConfig = NotifyConfig[string];
export type EmailTargetConfig = Extract<NotifyTargetConfig, { type: "email" }>;
export type SentinelTargetConfig = Extract<NotifyTargetConfig, { type: "sentinel" }>;
export type SplunkTargetConfig = Extract<NotifyTargetConfig, { type: "splunk" }>;
export type SyslogTargetConfig = Extract<NotifyTargetConfig, { type: "syslog" }>;
export type WebhookTargetConfig = Extract<NotifyTargetConfig, { type: "webhook" }>;
export type DeliveryConfig = z.output<typeof deliverySchema>;
