/**
 * @module sources/dns/delegation
 * Gathers the evidence about one NS delegation: its name servers, their addresses, and what each address says
 * when asked directly for the zone's SOA (the input of the NS half of event 18 in checks/takeover.ts).
 */
import { promises as dns } from "node:dns";
import { isIP } from "node:net";
import { Limiter } from "../../util/concurrency.js";
import { dnsFailure, timeoutFailure } from "./errors.js";
import type { DnsClient } from "./resolver.js";
import type { AddressResult, DnsFailure, DnsResult } from "./result.js";

/*
 * The SOA question goes straight to each name server address through node:dns's Resolver (resolver.ts has no
 * SOA query and the DNS client stays as it is): one fresh Resolver per question, cancelled at its deadline.
 * A bad answer (NXDOMAIN for a name server host; REFUSED, SERVFAIL, NXDOMAIN or NODATA for the SOA) is asked
 * again up to `tries` times in all so that the check sees whether it is consistent; a timeout is not repeated
 * (it already cost its deadline) and leaves the verdict open, and so does an address where nothing listens
 * (ECONNREFUSED is reported as `error`, not as the DNS answer REFUSED).
 */

export interface SoaSeen {
  /** The primary name server (MNAME). */
  readonly nsname: string;
  readonly hostmaster: string;
  readonly serial: number;
}

export type SoaResult = DnsResult<{ readonly soa: SoaSeen }>;

/** What one address of a name server answered, once per try. */
export interface AddressProbe {
  readonly address: string;
  readonly tries: readonly SoaResult[];
}

export interface NameserverEvidence {
  readonly host: string;
  /** The name server's addresses as the configured resolver gave them, once per try (stops at the first "ok"). */
  readonly resolution: readonly AddressResult[];
  /** One entry per address probed (none when the host did not resolve). */
  readonly probes: readonly AddressProbe[];
}

export interface DelegationEvidence {
  /** The delegated zone, lower-case without the trailing dot. */
  readonly zone: string;
  readonly nameservers: readonly NameserverEvidence[];
}

/** The evidence, or why the NS set could not be learnt (`nodata`/`nxdomain`: no delegation at this name). */
export type DelegationResult = { readonly kind: "ok"; readonly evidence: DelegationEvidence } | DnsFailure;

export interface DelegationOptions {
  /** The NS host names, when known from elsewhere (a parent zone file): the NS query is then skipped. */
  readonly nameservers?: readonly string[];
  /** Port every name server address is asked on (default 53; tests point it at a local server). */
  readonly port?: number;
  /** Deadline of one SOA question (default 3000 ms). */
  readonly timeoutMs?: number;
  /** How many times a bad answer is asked in all before it counts as consistent (default 2). */
  readonly tries?: number;
  /** Questions in flight at once (default 8). */
  readonly concurrency?: number;
  /** Name servers looked at (default 13, the most a referral holds in practice). */
  readonly maxNameservers?: number;
  /** Addresses probed per name server (default 4). */
  readonly maxAddressesPerHost?: number;
}

const DEFAULTS = {
  port: 53,
  timeoutMs: 3000,
  tries: 2,
  concurrency: 8,
  maxNameservers: 13,
  maxAddressesPerHost: 4,
} as const;

function stripDot(name: string): string {
  return name.length > 1 && name.endsWith(".") ? name.slice(0, -1) : name;
}

/** `host:port` as `Resolver.setServers` takes it (IPv6 in brackets). */
export function serverAddress(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

function codeOf(error: unknown): string | null {
  return typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : null;
}

/** Answers that say "this server does not serve the zone", worth asking again to see that they persist. */
function isLameAnswer(result: SoaResult): boolean {
  return (
    result.kind === "refused" ||
    result.kind === "servfail" ||
    result.kind === "nxdomain" ||
    result.kind === "nodata"
  );
}

/**
 * Asks one server (`host:port`) for the SOA of `zone`, once; never rejects. A malformed reply, a refusal and
 * silence each come back as their DnsFailure kind.
 */
export async function querySoa(server: string, zone: string, timeoutMs: number): Promise<SoaResult> {
  const name = stripDot(zone);
  const what = `${name} SOA @${server}`;
  let resolver: dns.Resolver;
  try {
    resolver = new dns.Resolver({ timeout: Math.max(1, Math.ceil(timeoutMs)), tries: 1 });
    resolver.setServers([server]);
  } catch (e) {
    return { kind: "error", error: `${what}: ${e instanceof Error ? e.message : String(e)}` };
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<SoaResult>((resolve) => {
    timer = setTimeout(() => {
      resolver.cancel();
      resolve(timeoutFailure(what, timeoutMs));
    }, timeoutMs);
  });
  const answer = resolver.resolveSoa(name).then(
    (soa): SoaResult => ({
      kind: "ok",
      soa: { nsname: stripDot(soa.nsname), hostmaster: stripDot(soa.hostmaster), serial: soa.serial },
    }),
    (error: unknown): SoaResult =>
      // Nothing listening (ICMP port unreachable) is not a DNS REFUSED: it says nothing about the zone.
      codeOf(error) === "ECONNREFUSED"
        ? { kind: "error", error: `${what}: nothing answers DNS there (connection refused)` }
        : dnsFailure(what, error),
  );
  try {
    return await Promise.race([answer, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Calls `ask` until it is not a bad answer or `tries` answers are in. */
async function askUntil<T>(tries: number, ask: () => Promise<T>, bad: (r: T) => boolean): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < tries; i++) {
    const result = await ask();
    out.push(result);
    if (!bad(result)) break;
  }
  return out;
}

/**
 * Learns the NS set of `zone` (unless given), resolves every name server, and asks every address for the
 * zone's SOA, with bounded concurrency. Never rejects. An alias (CNAME) is no delegation: `nodata`.
 *
 * A lame delegation makes a recursive resolver answer SERVFAIL for the zone's NS set, which then cannot be
 * learnt here (node:dns does not show a parent's referral): pass `nameservers` (e.g. from the parent's zone
 * file) to check such a zone.
 */
export async function gatherDelegation(
  client: DnsClient,
  zone: string,
  options: DelegationOptions = {},
): Promise<DelegationResult> {
  const port = options.port ?? DEFAULTS.port;
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  const tries = Math.max(1, options.tries ?? DEFAULTS.tries);
  const limiter = new Limiter(Math.max(1, options.concurrency ?? DEFAULTS.concurrency));
  const maxNameservers = options.maxNameservers ?? DEFAULTS.maxNameservers;
  const maxAddresses = options.maxAddressesPerHost ?? DEFAULTS.maxAddressesPerHost;
  const name = stripDot(zone).toLowerCase();

  let hosts: readonly string[];
  if (options.nameservers !== undefined) {
    hosts = options.nameservers;
  } else {
    // An NS question about an alias is answered with the NS set of its target (the resolver follows the
    // CNAME): those servers rightly refuse the alias's SOA, which would look like a lame delegation.
    const alias = await client.resolveCname(name);
    if (alias.kind === "ok") {
      return { kind: "nodata", error: `${name} is an alias (CNAME ${alias.target}), not a delegation` };
    }
    const ns = await client.resolveNs(name);
    if (ns.kind !== "ok") return ns;
    hosts = ns.hosts;
  }
  const unique = [...new Set(hosts.map((h) => stripDot(h).toLowerCase()).filter((h) => h !== ""))];
  if (unique.length === 0) return { kind: "nodata", error: `${name} NS: no name servers` };

  const nameservers = await Promise.all(
    unique.slice(0, maxNameservers).map(async (host): Promise<NameserverEvidence> => {
      const resolution = await askUntil(
        tries,
        () => limiter.run(() => client.resolveAddresses(host)),
        (r) => r.kind === "nxdomain",
      );
      const resolved = resolution.find((r) => r.kind === "ok");
      const addresses = resolved?.kind === "ok" ? resolved.addresses.slice(0, maxAddresses) : [];
      const probes = await Promise.all(
        addresses.map(async (address): Promise<AddressProbe> => {
          const server = serverAddress(address, port);
          const answers = await askUntil(
            tries,
            () => limiter.run(() => querySoa(server, name, timeoutMs)),
            isLameAnswer,
          );
          return { address, tries: answers };
        }),
      );
      return { host, resolution, probes };
    }),
  );
  return { kind: "ok", evidence: { zone: name, nameservers } };
}
