/**
 * @module sources/dns/resolver
 * The DNS client: node:dns Resolver (configured servers) or getaddrinfo (system), with a hard deadline.
 */
import { promises as dns } from "node:dns";
import { isIP } from "node:net";
import { dnsFailure, timeoutFailure } from "./errors.js";
import type {
  AddressResult,
  CaaRecord,
  CaaResult,
  CnameResult,
  DnsFailure,
  MxResult,
  NsResult,
} from "./result.js";

export interface DnsClientOptions {
  /** `host` or `host:port` / `[v6]:port` resolvers; absent or empty: the system's (getaddrinfo for addresses). */
  readonly servers?: readonly string[];
  /** Time each try gets before the question is asked again (or given up). */
  readonly timeoutMs: number;
  /** Tries per question, rotating through the servers. Every call finishes within timeoutMs × tries. */
  readonly tries: number;
}

export interface DnsClient {
  /** A and AAAA of a host (IP literals return themselves without a query). */
  resolveAddresses(host: string): Promise<AddressResult>;
  /** The CNAME of exactly this name (one hop); `nodata` when the name is not an alias. */
  resolveCname(name: string): Promise<CnameResult>;
  /** The CAA records at this name (following CNAMEs, no tree climbing: see caa.ts). */
  resolveCaa(name: string): Promise<CaaResult>;
  resolveNs(name: string): Promise<NsResult>;
  /** MX records, lowest preference first. */
  resolveMx(name: string): Promise<MxResult>;
}

type Outcome<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: DnsFailure };

/** Resolves (never rejects) with the value, the classified error, or a timeout once `deadline` fires. */
function settle<T>(what: string, work: Promise<T>, deadline: Promise<number>): Promise<Outcome<T>> {
  const done = work.then(
    (value): Outcome<T> => ({ ok: true, value }),
    (error: unknown): Outcome<T> => ({ ok: false, failure: dnsFailure(what, error) }),
  );
  const late = deadline.then((ms): Outcome<T> => ({ ok: false, failure: timeoutFailure(what, ms) }));
  return Promise.race([done, late]);
}

/** A promise that resolves with `ms` after `ms`, and a way to stop the timer. */
function deadline(ms: number, onExpiry: () => void): { promise: Promise<number>; clear: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<number>((resolve) => {
    timer = setTimeout(() => {
      onExpiry();
      resolve(ms);
    }, ms);
  });
  return { promise, clear: () => clearTimeout(timer) };
}

function stripDot(name: string): string {
  return name.endsWith(".") && name.length > 1 ? name.slice(0, -1) : name;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** Node gives CAA records as `{ critical: flags, <tag>: value }`. */
function toCaaRecord(raw: object): CaaRecord | null {
  const entries: [string, unknown][] = Object.entries(raw);
  const critical = entries.find(([key]) => key === "critical")?.[1];
  const flags = typeof critical === "number" ? critical : 0;
  for (const [key, value] of entries) {
    if (key !== "critical" && typeof value === "string") {
      return { flags, critical: (flags & 0x80) !== 0, tag: key.toLowerCase(), value };
    }
  }
  return null;
}

function ipLiteral(host: string): string | null {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  return isIP(bare) === 0 ? null : bare;
}

/** Both families failed: nxdomain only when both say so; a "could not tell" beats a negative answer. */
function combineFailures(host: string, a: DnsFailure, aaaa: DnsFailure): DnsFailure {
  if (a.kind === aaaa.kind) return { kind: a.kind, error: `${a.error}; ${aaaa.error}` };
  const transient = [a, aaaa].find((f) => f.kind !== "nxdomain" && f.kind !== "nodata");
  if (transient !== undefined) return transient;
  // One family says the name does not exist, the other that it exists without records.
  return { kind: "nodata", error: `${host}: inconsistent answers: ${a.error}; ${aaaa.error}` };
}

export function createDnsClient(options: DnsClientOptions): DnsClient {
  const { timeoutMs, tries } = options;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError("dns timeoutMs must be > 0");
  if (!Number.isInteger(tries) || tries < 1) throw new RangeError("dns tries must be an integer >= 1");
  const servers = options.servers ?? [];
  const tryMs = Math.ceil(timeoutMs);
  const budgetMs = tryMs * tries;

  /** Rotating the server list per attempt lets a retry reach the next server even if the first is silent. */
  function newResolver(attempt: number): dns.Resolver {
    const resolver = new dns.Resolver({ timeout: tryMs, tries: 1 });
    if (servers.length > 0) {
      const shift = attempt % servers.length;
      resolver.setServers([...servers.slice(shift), ...servers.slice(0, shift)]);
    }
    return resolver;
  }
  // Fail at construction, not at the first query, on a malformed server address.
  try {
    newResolver(0);
  } catch (e) {
    throw new TypeError(
      `dns servers ${JSON.stringify(servers)}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }

  /**
   * Asks one question up to `tries` times, each try on a fresh Resolver cancelled after timeoutMs. Left to
   * itself c-ares backs off exponentially between tries (and Node polls its timers only every `timeout` ms),
   * taking several times timeoutMs × tries; here every try gets exactly timeoutMs. Cancelling a per-try
   * Resolver stops only that try's query.
   */
  async function ask<T>(what: string, run: (resolver: dns.Resolver) => Promise<T>): Promise<Outcome<T>> {
    for (let attempt = 1; ; attempt++) {
      const resolver = newResolver(attempt - 1);
      const timer = deadline(tryMs, () => resolver.cancel());
      let outcome: Outcome<T>;
      try {
        outcome = await settle(what, run(resolver), timer.promise);
      } finally {
        timer.clear();
      }
      if (outcome.ok || outcome.failure.kind !== "timeout") return outcome;
      if (attempt >= tries) return { ok: false, failure: timeoutFailure(what, budgetMs, tries) };
    }
  }

  async function query<T, R>(
    name: string,
    type: string,
    run: (resolver: dns.Resolver, name: string) => Promise<T>,
    ok: (value: T) => R | null,
  ): Promise<R | DnsFailure> {
    const what = `${name} ${type}`;
    if (name === "") return { kind: "error", error: `${what}: empty name` };
    const outcome = await ask(what, (resolver) => run(resolver, name));
    if (!outcome.ok) return outcome.failure;
    return ok(outcome.value) ?? { kind: "nodata", error: `${what}: no records of this type (NODATA)` };
  }

  async function viaResolver(host: string): Promise<AddressResult> {
    const [a, aaaa] = await Promise.all([
      ask(`${host} A`, (r) => r.resolve4(host)),
      ask(`${host} AAAA`, (r) => r.resolve6(host)),
    ]);
    const addresses = unique([...(a.ok ? a.value : []), ...(aaaa.ok ? aaaa.value : [])]);
    if (addresses.length > 0) return { kind: "ok", addresses };
    const empty = (what: string): DnsFailure => ({ kind: "nodata", error: `${what}: no records (NODATA)` });
    return combineFailures(
      host,
      a.ok ? empty(`${host} A`) : a.failure,
      aaaa.ok ? empty(`${host} AAAA`) : aaaa.failure,
    );
  }

  /** getaddrinfo: honours /etc/hosts and nsswitch; it cannot be cancelled, so its late answer is dropped. */
  async function viaLookup(host: string): Promise<AddressResult> {
    const what = `${host} (system resolver)`;
    const timer = deadline(budgetMs, () => undefined);
    try {
      const outcome = await settle(what, dns.lookup(host, { all: true, verbatim: true }), timer.promise);
      if (!outcome.ok) return outcome.failure;
      const v4 = outcome.value.filter((r) => r.family === 4).map((r) => r.address);
      const v6 = outcome.value.filter((r) => r.family === 6).map((r) => r.address);
      const addresses = unique([...v4, ...v6]);
      return addresses.length > 0
        ? { kind: "ok", addresses }
        : { kind: "nodata", error: `${what}: no addresses` };
    } finally {
      timer.clear();
    }
  }

  return {
    resolveAddresses(rawHost: string): Promise<AddressResult> {
      const literal = ipLiteral(rawHost);
      if (literal !== null) return Promise.resolve({ kind: "ok", addresses: [literal] });
      const host = stripDot(rawHost);
      if (host === "") return Promise.resolve({ kind: "error", error: "empty host name" });
      return servers.length > 0 ? viaResolver(host) : viaLookup(host);
    },

    resolveCname(name: string): Promise<CnameResult> {
      return query(
        stripDot(name),
        "CNAME",
        (r, n) => r.resolveCname(n),
        (targets) => {
          const target = targets[0];
          return target === undefined ? null : { kind: "ok", target: stripDot(target) };
        },
      );
    },

    resolveCaa(name: string): Promise<CaaResult> {
      return query(
        stripDot(name),
        "CAA",
        (r, n) => r.resolveCaa(n),
        (raw) => {
          const records = raw.map(toCaaRecord).filter((r): r is CaaRecord => r !== null);
          return records.length === 0 ? null : { kind: "ok", records };
        },
      );
    },

    resolveNs(name: string): Promise<NsResult> {
      return query(
        stripDot(name),
        "NS",
        (r, n) => r.resolveNs(n),
        (hosts) => (hosts.length === 0 ? null : { kind: "ok", hosts: unique(hosts.map(stripDot)) }),
      );
    },

    resolveMx(name: string): Promise<MxResult> {
      return query(
        stripDot(name),
        "MX",
        (r, n) => r.resolveMx(n),
        (raw) => {
          if (raw.length === 0) return null;
          const exchanges = raw
            .map((m) => ({ priority: m.priority, exchange: m.exchange === "." ? "" : stripDot(m.exchange) }))
            .sort((x, y) => x.priority - y.priority || x.exchange.localeCompare(y.exchange));
          return { kind: "ok", exchanges };
        },
      );
    },
  };
}
