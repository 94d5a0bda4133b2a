/**
 * @module config/daemon-schema
 * The `server:` and `schedule:` blocks of certwatch.yaml: where `certwatch serve` listens, and how often it runs
 * each check. Everything has a default: a configuration written for the CLI runs the daemon as it is.
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
  /** Managed endpoints the API may create, in all: the API cannot grow the schedule without bound. */
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
}).prefault({});

/** `endpoints[].scanIntervalMinutes`. */
export const endpointScanInterval = z.int().min(1).max(MAX_SCAN_INTERVAL_MINUTES).optional();
