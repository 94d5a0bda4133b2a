/**
 * @module config/schema
 * The zod schema of certwatch.yaml: every key, its default, and the normalised form the rest of the code reads.
 */
import { isIP } from "node:net";
import { domainToASCII } from "node:url";
import { z } from "zod";
import type { Target } from "../domain/endpoint.js";
import type { EventName, Severity } from "../events.js";
import { SEVERITIES, isSeverity } from "../events.js";
import { deliverySchema, notifySchema } from "./notify-schema.js";
import { endpointScanInterval, scheduleSchema, serverSchema, workSchema } from "./daemon-schema.js";
import { authSchema, checkAuthAgainstConfig } from "./auth-schema.js";
import type { Parsed } from "./schema-kit.js";
import { eventName, filePath, int, parseHttpUrl, parsedString, quote, strict } from "./schema-kit.js";

export { closest, quote } from "./schema-kit.js";

/** Where alerts are stored: `sqlite:<path>` (`:memory:` allowed) or a PostgreSQL URL. */
export type StoreLocation =
  { readonly kind: "sqlite"; readonly path: string } | { readonly kind: "postgres"; readonly url: string };

const HOST_CHARS = /^[\p{L}\p{N}\p{M}._-]+$/u;
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** A DNS host name, lower-cased, IDN in its ASCII (punycode) form, without a trailing dot. */
export function parseHostname(input: string): Parsed<string> {
  const s = input.trim().toLowerCase().replace(/\.$/, "");
  const bad = { error: `must be a host name (got ${quote(input)})` };
  if (s.startsWith("*.")) return { error: `must be a host name, not a wildcard (got ${quote(input)})` };
  if (s === "" || !HOST_CHARS.test(s)) return bad;
  const ascii = domainToASCII(s);
  if (ascii === "" || ascii.length > 253 || isIP(ascii) !== 0) return bad;
  const labels = ascii.split(".");
  const tld = labels[labels.length - 1] ?? "";
  if (!labels.every((l) => LABEL.test(l)) || /^[0-9]+$/.test(tld)) return bad;
  return { value: ascii };
}

function parseWatchedDomain(input: string): Parsed<string> {
  if (input.trim().startsWith("*.")) {
    return { error: `a watched domain covers its subdomains: write ${quote(input.trim().slice(2))}` };
  }
  const r = parseHostname(input);
  if ("value" in r && !r.value.includes(".")) {
    return { error: `must be a domain name like contoso.com (got ${quote(input)})` };
  }
  return r;
}

/** An IP address in canonical form (IPv6 lower-case and compressed, no brackets). */
export function parseIp(input: string): Parsed<string> {
  const s = input.trim().replace(/^\[(.*)\]$/, "$1");
  const v = isIP(s);
  if (v === 4) return { value: s };
  if (v === 6) {
    try {
      return { value: new URL(`https://[${s}]/`).hostname.slice(1, -1) };
    } catch {
      return { value: s.toLowerCase() }; // zone ids (fe80::1%eth0) are valid but not URL hosts
    }
  }
  return { error: `must be an IPv4 or IPv6 address (got ${quote(input)})` };
}

/** Splits `host`, `host:port`, `[v6]:port` or a bare IPv6 address. */
function splitHostPort(s: string, defaultPort: number): Parsed<{ host: string; port: number }> {
  let host = s;
  let port: string | undefined;
  if (s.startsWith("[")) {
    const end = s.indexOf("]");
    const after = end < 0 ? "" : s.slice(end + 1);
    if (end < 0 || (after !== "" && !after.startsWith(":")))
      return { error: "must be written [IPv6 address]:port" };
    host = s.slice(1, end);
    if (isIP(host) !== 6) return { error: `[${host}] is not an IPv6 address` };
    if (after !== "") port = after.slice(1);
  } else if (s.indexOf(":") !== s.lastIndexOf(":")) {
    if (isIP(s) !== 6) return { error: "an IPv6 address with a port must be written [address]:port" };
  } else if (s.includes(":")) {
    [host, port] = [s.slice(0, s.indexOf(":")), s.slice(s.indexOf(":") + 1)];
  }
  if (port === undefined) return { value: { host, port: defaultPort } };
  const n = /^[0-9]{1,5}$/.test(port) ? Number(port) : NaN;
  if (!(n >= 1 && n <= 65535)) return { error: "port must be a number from 1 to 65535" };
  return { value: { host, port: n } };
}

function parseHost(input: string): Parsed<string> {
  return isIP(input) !== 0 ? parseIp(input) : parseHostname(input);
}

/** `https://host[:port][/]`, `host` or `host:port` → host and port (default 443). */
export function parseEndpointUrl(input: string): Parsed<{ host: string; port: number }> {
  const s = input.trim();
  // Text with an @ is not quoted back in any error: what comes before it may be a password.
  const got = s.includes("@") ? "" : ` (got ${quote(input)})`;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(s);
  if (scheme && scheme[1]?.toLowerCase() !== "https") return { error: `must be an https:// URL${got}` };
  let authority = scheme ? s.slice(scheme[0].length) : s;
  const cut = authority.search(/[/?#]/);
  if (cut >= 0) {
    if (authority.slice(cut) !== "/")
      return { error: `must be https://host[:port] without a path or query${got}` };
    authority = authority.slice(0, cut);
  }
  // Not quoted back: what comes before the @ may be a password.
  if (authority.includes("@")) return { error: "must not contain a user name or password (user:pass@)" };
  const hp = splitHostPort(authority, 443);
  if ("error" in hp) return { error: hp.error + got };
  const host = parseHost(hp.value.host);
  if ("error" in host) return { error: `must be an https:// URL with a valid host${got}` };
  return { value: { host: host.value, port: hp.value.port } };
}

/** A DNS server: `ip`, `ip:port` or `[ipv6]:port` → canonical `ip:port` / `[ipv6]:port` (port default 53). */
export function parseDnsServer(input: string): Parsed<string> {
  const hp = splitHostPort(input.trim(), 53);
  if ("error" in hp) return { error: `${hp.error} (got ${quote(input)})` };
  const ip = parseIp(hp.value.host);
  if ("error" in ip) return { error: `must be an IP address, optionally with :port (got ${quote(input)})` };
  const host = ip.value.includes(":") ? `[${ip.value}]` : ip.value;
  return { value: `${host}:${hp.value.port}` };
}

function parseSpki(input: string): Parsed<string> {
  const s = input.replace(/\s+/g, "");
  const der = /^[A-Za-z0-9+/]+={0,2}$/.test(s) && s.length % 4 === 0 ? Buffer.from(s, "base64") : undefined;
  if (der === undefined || der.length < 32 || der[0] !== 0x30) {
    return { error: "must be the log's public key: base64 of a DER SubjectPublicKeyInfo" };
  }
  return { value: s };
}

function parseStore(input: string): Parsed<StoreLocation> {
  const s = input.trim();
  if (s.startsWith("sqlite:") && s.length > "sqlite:".length)
    return { value: { kind: "sqlite", path: s.slice(7) } };
  if (/^postgres(ql)?:\/\//i.test(s)) {
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      return { error: "must be a valid postgres:// URL" }; // never echo it: it may hold a password
    }
    if (url.password !== "" || url.searchParams.has("password")) {
      // The usual PostgreSQL form, but this file is not where a password lives; PostgreSQL clients read these.
      return {
        error:
          "must not hold a password (postgres://user:password@… or ?password=): leave it out and set PGPASSWORD, or use ~/.pgpass (PGPASSFILE)",
      };
    }
    return { value: { kind: "postgres", url: url.href } };
  }
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(s)?.[0] ?? s.slice(0, 20);
  return { error: `must be sqlite:<path> or postgres://user@host/db (got ${quote(scheme)})` };
}

const hostname = parsedString(parseHostname);
const ipAddress = parsedString(parseIp);

const endpointString = parsedString(parseEndpointUrl);
const endpointObject = strict({
  url: endpointString,
  addresses: z.array(ipAddress).min(1).optional(),
  serverName: hostname.optional(),
  scanIntervalMinutes: endpointScanInterval,
}).transform(({ url, addresses, serverName, scanIntervalMinutes }): Target => ({
  ...url,
  ...(addresses === undefined ? {} : { addresses: [...new Set(addresses)] }),
  ...(serverName === undefined ? {} : { serverName }),
  ...(scanIntervalMinutes === undefined ? {} : { scanIntervalMinutes }),
}));
const endpoint = z.union([endpointString, endpointObject], {
  error:
    "must be an https:// URL, or an object with url (and optional addresses, serverName, scanIntervalMinutes)",
});

const ctLog = strict({
  url: parsedString(parseHttpUrl).transform((u) => (u.endsWith("/") ? u : `${u}/`)),
  key: parsedString(parseSpki),
  name: z.string().min(1).optional(),
  /** RFC 6962 (get-sth, get-entries) or the Static CT API (checkpoint and tiles). */
  type: z.enum(["rfc6962", "static-ct"]).default("rfc6962"),
  /** A tiled log's submission prefix (its checkpoint origin); default: `url`. */
  submissionUrl: parsedString(parseHttpUrl).optional(),
});

const severity = z.record(z.string(), z.unknown()).transform((rec, ctx) => {
  const out: Partial<Record<EventName, Severity>> = {};
  const keyOf = new Map<EventName, string>();
  for (const [key, level] of Object.entries(rec)) {
    const name = eventName(key);
    const fail = (message: string) => ctx.issues.push({ code: "custom", message, input: key, path: [key] });
    if ("error" in name) fail(name.error);
    else if (typeof level !== "string" || !isSeverity(level)) {
      const got = typeof level === "string" ? quote(level) : String(JSON.stringify(level));
      fail(`must be one of ${SEVERITIES.join(", ")} (got ${got})`);
    } else if (keyOf.has(name.value)) fail(`names the same event as ${quote(keyOf.get(name.value) ?? "")}`);
    else {
      out[name.value] = level;
      keyOf.set(name.value, key);
    }
  }
  return out;
});

const caaIssuers = z.record(z.string(), z.array(hostname).min(1)).transform((rec, ctx) => {
  const out: Record<string, string[]> = {};
  for (const [key, ids] of Object.entries(rec)) {
    if (/^[0-9a-fA-F]{64}$/.test(key)) out[key.toLowerCase()] = ids;
    else {
      const message = "key must be the hex SHA-256 of the issuing CA's SubjectPublicKeyInfo (64 hex digits)";
      ctx.issues.push({ code: "custom", message, input: key, path: [key] });
    }
  }
  return out;
});

export const configSchema = strict({
  domains: z
    .array(parsedString(parseWatchedDomain))
    .default([])
    .transform((d) => [...new Set(d)]),
  endpoints: z
    .array(endpoint)
    .default([])
    .superRefine((list, ctx) => {
      const seen = new Map<string, number>();
      list.forEach((t, i) => {
        const id = `${t.host}:${t.port}`;
        const first = seen.get(id);
        if (first === undefined) seen.set(id, i);
        else
          ctx.addIssue({
            code: "custom",
            path: [i],
            message: `${id} is already endpoints[${first}]`,
            input: t,
          });
      });
    }),
  trust: strict({
    extraRoots: z.array(filePath).default([]),
    systemRoots: z.boolean().default(true),
  }).prefault({}),
  dns: strict({
    servers: z.array(parsedString(parseDnsServer)).default([]),
    timeoutMs: int(1, 600_000, 5000),
    tries: int(1, 10, 2),
  }).prefault({}),
  scan: strict({
    concurrency: int(1, 1024, 32),
    connectTimeoutMs: int(1, 600_000, 5000),
    handshakeTimeoutMs: int(1, 600_000, 8000),
    httpTimeoutMs: int(1, 600_000, 5000),
    maxResponseHeaderBytes: int(1024, 16 * 1024 * 1024, 65536),
    legacyProtocols: z.boolean().default(true),
    hsts: z.boolean().default(true),
  }).prefault({}),
  revocation: strict({
    crl: z.boolean().default(true),
    ocsp: z.boolean().default(true),
    timeoutMs: int(1, 600_000, 10_000),
    /** 32 MiB: the largest public CRLs are tens of MB; up to `concurrency` of them are held at once. */
    crlMaxBytes: int(1024, 2 ** 31 - 1, 32 * 1024 * 1024),
    ocspMaxBytes: int(1024, 16 * 1024 * 1024, 64 * 1024),
    /** CRL/OCSP URLs come from the scanned servers' certificates: private targets only for an internal PKI. */
    allowPrivateAddresses: z.boolean().default(false),
    maxDistributionPoints: int(1, 100, 3),
    concurrency: int(1, 256, 8),
  }).prefault({}),
  thresholds: strict({
    expiringSoonDays: int(0, 3650, 30),
    expiringSoonFraction: z.number().min(0).max(1).default(0.33),
    minRsaBits: int(512, 16384, 2048),
    minEcBits: int(160, 571, 256),
    minHstsMaxAge: int(0, 2 ** 31 - 1, 15_552_000),
  }).prefault({}),
  severity: severity.default({}),
  ct: strict({
    /** "google": the live list, verified with Google's key and cached in the store; "none": inline logs only; else a file. */
    logList: filePath.default("google"),
    logs: z
      .array(ctLog)
      .default([])
      .superRefine((list, ctx) => {
        // A log is its key (the log ID is the key's SHA-256): two entries with one key are one log, and which
        // URL to read it from would be a guess.
        const seen = new Map<string, number>();
        list.forEach((log, i) => {
          const der = Buffer.from(log.key, "base64").toString("hex");
          const first = seen.get(der);
          if (first === undefined) seen.set(der, i);
          else
            ctx.addIssue({
              code: "custom",
              path: [i, "key"],
              message: `is the key of ct.logs[${first}] (${quote(list[first]?.url ?? "")}): one key is one log; keep one entry`,
              input: log.key,
            });
        });
      }),
    startAt: z.enum(["end", "beginning"]).default("end"),
    /** Entries asked for per get-entries request (servers may return fewer). */
    batchSize: int(1, 10_000, 256),
    /** Per log: requests in flight, and requests per second (adaptive: the rate to start at). */
    concurrency: int(1, 64, 4),
    requestsPerSecond: z.number().positive().max(100_000).default(20),
    /** The rate rises while a log answers fine and fast, up to maxRequestsPerSecond, and drops on 429/5xx/slowness. */
    adaptive: z.boolean().default(true),
    maxRequestsPerSecond: z.number().positive().max(100_000).default(100),
    /** Logs read at the same time. */
    logConcurrency: int(1, 256, 8),
    timeoutMs: int(100, 600_000, 30_000),
    /** The longest Retry-After honoured (a longer one is cut to this). */
    maxRetryAfterSeconds: int(0, 86_400, 300),
    /** Follow mode: seconds between polls of each log, and minutes between log list refreshes. */
    pollSeconds: int(1, 86_400, 60),
    logListRefreshMinutes: int(1, 10_080, 360),
    /** How long a CAA answer is reused. */
    caaCacheSeconds: int(0, 86_400, 3600),
  }).prefault({}),
  names: z
    .array(hostname)
    .default([])
    .transform((n) => [...new Set(n)]),
  zoneFiles: z.array(filePath).default([]),
  lookalikes: strict({
    /** Registrable domains that are never lookalikes (partners, parked defensive registrations). */
    ignore: z
      .array(hostname)
      .default([])
      .transform((n) => [...new Set(n)]),
    /** The organisation's other registrable domains: never lookalikes either. */
    own: z
      .array(hostname)
      .default([])
      .transform((n) => [...new Set(n)]),
    /** Words for the dictionary family (login, secure, … by default). */
    dictionary: z.array(z.string().regex(/^[a-z0-9-]{1,63}$/, "must be a lower-case DNS label")).optional(),
    /** Top-level domains for the tld-swap family (a built-in list by default). */
    tlds: z.array(z.string().regex(/^[a-z0-9.-]{1,63}$/, "must be a lower-case DNS suffix")).optional(),
    /** Candidates generated per watched domain, at most. */
    maxCandidates: int(1, 1_000_000, 20_000),
    /** DNS questions in flight while resolving candidates. */
    concurrency: int(1, 1024, 64),
  }).prefault({}),
  takeover: strict({
    /** How many times a dangling answer must repeat (NXDOMAIN must be consistent). */
    tries: int(1, 10, 3),
    /** Fetch http://<name>/ for providers whose takeover signal is an HTTP fingerprint. */
    http: z.boolean().default(true),
    httpTimeoutMs: int(100, 120_000, 5000),
    /**
     * Let that fetch reach loopback, private and link-local addresses. The address comes from the DNS of the
     * provider the name points at, not from the organisation: by default only public addresses are fetched.
     */
    allowPrivateAddresses: z.boolean().default(false),
    /** Names checked at the same time. */
    concurrency: int(1, 1024, 32),
  }).prefault({}),
  caa: strict({ issuers: caaIssuers.default({}) }).prefault({}),
  allowedRoots: z.array(filePath).default([]),
  publicUrl: parsedString(parseHttpUrl).optional(),
  server: serverSchema,
  schedule: scheduleSchema,
  work: workSchema,
  auth: authSchema,
  notify: notifySchema.default({}),
  delivery: deliverySchema,
  store: parsedString(parseStore).default({ kind: "sqlite", path: "./certwatch.db" }),
}).superRefine(checkAuthAgainstConfig);

/** certwatch.yaml as written (before defaults). */
export type ConfigInput = z.input<typeof configSchema>;
/** certwatch.yaml validated, normalised and with defaults; paths as written. */
export type Config = z.output<typeof configSchema>;
/** A Config whose paths (roots, log list, zone files, SQLite file) are absolute. */
export type ResolvedConfig = Config & {
  /** Absolute path of the configuration file. */
  readonly configPath: string;
  /** Its directory: what relative paths in it were resolved against. */
  readonly configDir: string;
};
