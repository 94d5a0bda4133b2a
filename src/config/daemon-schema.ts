/**
 * @module config/daemon-schema
 * The `server:`, `schedule:` and `work:` blocks of certwatch.yaml: where `certwatch serve` listens, how often it
 * runs each check, and how workers share the work (and where a worker's health listener binds). Everything but that
 * listener has a default: a configuration written for the CLI runs the daemon as it is.
 */
import { isIP } from "node:net";
import { z } from "zod";
import type { Parsed } from "./schema-kit.js";
import { filePath, int, parsedString, quote, strict } from "./schema-kit.js";

/** The longest interval a scan target may have: a week. */
export const MAX_SCAN_INTERVAL_MINUTES = 10_080;

/** An IP address to bind, or a name that resolves to one (`localhost`). */
function parseBindHost(input: string): Parsed<string> {
  const s = input.trim().replace(/^\[(.*)\]$/, "$1");
  if (isIP(s) !== 0) return { value: s };
  if (/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(s)) {
    return { value: s.toLowerCase() };
  }
  return {
    error: `must be an IP address to listen on, such as 127.0.0.1 or ::, or a host name (got ${quote(input)})`,
  };
}

/** Where a listener binds: `host:port`, `[IPv6]:port` (port 0: the system picks a free one). */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** `host:port` or `[IPv6]:port` → where to listen; the host as `server.host` takes it, the port 0..65535. */
export function parseListenAddress(input: string): Parsed<ListenAddress> {
  const s = input.trim();
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):([^:]*)$/.exec(s);
  const form = `must be host:port, such as 127.0.0.1:9464, or [IPv6 address]:port, such as [::1]:9464 (got ${quote(input)})`;
  if (m === null) return { error: form };
  const bracketed = m[1];
  const rawHost = bracketed ?? m[2] ?? "";
  if (rawHost === "") return { error: form };
  if (bracketed !== undefined && isIP(bracketed) !== 6)
    return { error: `[${bracketed}] is not an IPv6 address (got ${quote(input)})` };
  const host = parseBindHost(rawHost);
  if ("error" in host) return host;
  const port = /^[0-9]{1,5}$/.test(m[3] ?? "") ? Number(m[3]) : NaN;
  if (!(port >= 0 && port <= 65_535))
    return { error: `the port must be a number from 0 to 65535 (got ${quote(input)})` };
  return { value: { host: host.value, port } };
}

export const serverSchema = strict({
  /** Loopback by default: the dashboard and API are reached on this machine until the operator opens them up. */
  host: parsedString(parseBindHost).default("127.0.0.1"),
  /** 0 lets the system pick a free port (the log line `listening` says which). */
  port: int(0, 65_535, 8080),
  tls: strict({ certFile: filePath, keyFile: filePath }).optional(),
  /** A client must send its request headers within this time (slowloris). */
  headersTimeoutSeconds: int(1, 600, 10),
  /** …and its whole request within this one. */
  requestTimeoutSeconds: int(1, 3600, 60),
}).prefault({});

export const scheduleSchema = strict({
  /** How often each endpoint is scanned; an endpoint's own scanIntervalMinutes overrides it. */
  scanIntervalMinutes: int(1, MAX_SCAN_INTERVAL_MINUTES, 60),
  /** How often the takeover and lookalike checks run. */
  domainsIntervalHours: int(1, 720, 24),
  /** Targets never scanned (or overdue after a stop) start at random within min(interval, this). */
  startSpreadSeconds: int(0, 86_400, 300),
  /** On SIGTERM/SIGINT, work in progress gets this long to finish before the process exits anyway. */
  shutdownTimeoutSeconds: int(1, 3600, 30),
  /** Hosts under a watched domain first seen in CT become managed scan targets (port 443). */
  scanDiscoveredHosts: z.boolean().default(false),
  /** Managed endpoints the API and CT discovery may create, in all: neither can grow the schedule without bound. */
  maxManagedEndpoints: int(0, 1_000_000, 10_000),
  /** Observations (one per address per scan) older than this are pruned, each address's newest one kept. */
  keepObservationsDays: int(1, 3650, 30),
}).prefault({});

/** How `certwatch worker` processes (and serve on PostgreSQL) share the work (docs/scale-out.md). */
export const workSchema = strict({
  /** The planner plans this often (the worker holding its lease; the others stand by). */
  plannerSeconds: int(1, 3600, 15),
  /** A lease (a CT log, a scan's run, the planner) lasts this long unless renewed (every third of it). */
  leaseSeconds: int(2, 3600, 30),
  /** An idle worker asks its queues for jobs this often. */
  pollSeconds: z.number().min(0.5).max(600).default(2),
  /** `certwatch worker`: where /healthz, /readyz and /metrics answer (none: no listener); --listen overrides it. */
  listen: parsedString(parseListenAddress).optional(),
}).prefault({});

/** `endpoints[].scanIntervalMinutes`. */
export const endpointScanInterval = z.int().min(1).max(MAX_SCAN_INTERVAL_MINUTES).optional();
