/**
 * @module test/helpers/dns-server
 * A real DNS server on loopback (UDP and TCP, one port) that answers from an in-memory zone, for tests.
 */
import dgram from "node:dgram";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import * as dnsPacket from "dns-packet";
import type { Answer, DecodedPacket, Packet } from "dns-packet";

export interface CaaSpec {
  readonly flags?: number;
  readonly tag: string;
  readonly value: string;
}

export interface MxSpec {
  readonly preference: number;
  readonly exchange: string;
}

export interface SoaSpec {
  readonly mname: string;
  readonly rname: string;
  readonly serial?: number;
  readonly refresh?: number;
  readonly retry?: number;
  readonly expire?: number;
  readonly minimum?: number;
}

/** Records and behaviours of one owner name. */
export interface NameSpec {
  readonly A?: readonly string[];
  readonly AAAA?: readonly string[];
  readonly CNAME?: string;
  readonly CAA?: readonly CaaSpec[];
  readonly NS?: readonly string[];
  readonly MX?: readonly MxSpec[];
  /** One entry per TXT record; a string longer than 255 bytes is split into character-strings. */
  readonly TXT?: readonly (string | readonly string[])[];
  readonly SOA?: SoaSpec;
  readonly ttl?: number;
  /** Answer NXDOMAIN although the name is listed (its descendants still make it exist as a parent). */
  readonly nxdomain?: boolean;
  readonly servfail?: boolean;
  readonly refused?: boolean;
  /** Never answer (UDP or TCP). */
  readonly timeout?: boolean;
  /** Over UDP, answer with the TC bit and no records, so the client retries over TCP. */
  readonly truncate?: boolean;
  /** `true`: a reply with the right id and question whose answer overruns the packet; `"random"`: noise. */
  readonly malformed?: boolean | "random";
  /** Milliseconds to wait before answering. */
  readonly delay?: number;
  /** Query types the behaviours above apply to (default: every type). */
  readonly behaviourTypes?: readonly string[];
}

/** Owner name (case-insensitive, trailing dot optional, `*.` wildcards allowed) → records. */
export type ZoneSpec = Readonly<Record<string, NameSpec>>;

export interface QueryLog {
  readonly name: string;
  readonly type: string;
  readonly transport: "udp" | "tcp";
}

export interface DnsServerOptions {
  /** Port to bind (UDP and TCP); 0 or absent picks one free for both. */
  readonly port?: number;
  /** TTL of records whose name sets none (default 300). */
  readonly ttl?: number;
}

export interface DnsServer {
  readonly address: "127.0.0.1";
  readonly port: number;
  /** `127.0.0.1:PORT`, as `Resolver.setServers` takes it. */
  readonly server: string;
  /** Every query received, in order. */
  readonly queries: QueryLog[];
  setZone(zone: ZoneSpec): void;
  close(): Promise<void>;
}

const HOST = "127.0.0.1";
const MAX_CHAIN = 16;
const MAX_TCP_BUFFER = 2 + 65535;
const TCP_IDLE_MS = 30_000;
const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

function norm(name: string): string {
  return name.toLowerCase().replace(/\.$/, "");
}

function parentOf(name: string): string | null {
  if (name === "") return null;
  const dot = name.indexOf(".");
  return dot === -1 ? "" : name.slice(dot + 1);
}

function validateZone(zone: ZoneSpec): Map<string, NameSpec> {
  const out = new Map<string, NameSpec>();
  for (const [owner, spec] of Object.entries(zone)) {
    const key = norm(owner);
    if (out.has(key)) throw new Error(`dns-server zone: ${owner} is listed twice`);
    const hasOther = ["A", "AAAA", "CAA", "NS", "MX", "TXT", "SOA"].some(
      (t) => spec[t as keyof NameSpec] !== undefined,
    );
    if (spec.CNAME !== undefined && hasOther) {
      throw new Error(`dns-server zone: ${owner} has a CNAME and other records`);
    }
    out.set(key, spec);
  }
  return out;
}

type Lookup = { kind: "found"; spec: NameSpec } | { kind: "empty" } | { kind: "missing" };

class Zone {
  private readonly names: Map<string, NameSpec>;
  /** Every owner name and all its ancestors: names that exist (RFC 4592 empty non-terminals). */
  private readonly existing = new Set<string>();

  constructor(spec: ZoneSpec) {
    this.names = validateZone(spec);
    for (const owner of this.names.keys()) {
      for (let n: string | null = owner; n !== null; n = parentOf(n)) this.existing.add(n);
    }
  }

  lookup(name: string): Lookup {
    const spec = this.names.get(name);
    if (spec !== undefined) return { kind: "found", spec };
    if (this.existing.has(name)) return { kind: "empty" };
    // RFC 4592: only the wildcard child of the closest encloser can match.
    let encloser = parentOf(name);
    while (encloser !== null && !this.existing.has(encloser)) encloser = parentOf(encloser);
    if (encloser === null) return { kind: "missing" };
    const wildcard = this.names.get(encloser === "" ? "*" : `*.${encloser}`);
    return wildcard === undefined ? { kind: "missing" } : { kind: "found", spec: wildcard };
  }

  /** The SOA that negative answers carry: the closest enclosing listed SOA, or one made up for the TLD. */
  soaFor(name: string, ttl: number): Answer {
    for (let n: string | null = name; n !== null; n = parentOf(n)) {
      const soa = this.names.get(n)?.SOA;
      if (soa !== undefined) return { type: "SOA", name: n, ttl, data: { ...soa } };
    }
    const tld = name.split(".").pop() ?? "";
    const suffix = tld === "" ? "" : `.${tld}`;
    return {
      type: "SOA",
      name: tld,
      ttl,
      data: { mname: `ns${suffix}`, rname: `hostmaster${suffix}`, serial: 1, minimum: ttl },
    };
  }
}

function txtChunks(value: string | readonly string[]): Buffer[] {
  if (typeof value !== "string") return value.map((s) => Buffer.from(s));
  const bytes = Buffer.from(value);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 255) chunks.push(bytes.subarray(i, i + 255));
  return chunks.length === 0 ? [Buffer.alloc(0)] : chunks;
}

function recordsOf(spec: NameSpec, type: string, owner: string, ttl: number): Answer[] {
  const t = spec.ttl ?? ttl;
  const out: Answer[] = [];
  const want = (k: string): boolean => type === k || type === "ANY";
  for (const a of want("A") ? (spec.A ?? []) : []) out.push({ type: "A", name: owner, ttl: t, data: a });
  for (const a of want("AAAA") ? (spec.AAAA ?? []) : [])
    out.push({ type: "AAAA", name: owner, ttl: t, data: a });
  if (want("CNAME") && spec.CNAME !== undefined)
    out.push({ type: "CNAME", name: owner, ttl: t, data: spec.CNAME });
  for (const c of want("CAA") ? (spec.CAA ?? []) : [])
    out.push({
      type: "CAA",
      name: owner,
      ttl: t,
      data: { flags: c.flags ?? 0, tag: c.tag as "issue", value: c.value },
    });
  for (const n of want("NS") ? (spec.NS ?? []) : []) out.push({ type: "NS", name: owner, ttl: t, data: n });
  for (const m of want("MX") ? (spec.MX ?? []) : [])
    out.push({ type: "MX", name: owner, ttl: t, data: { ...m } });
  for (const x of want("TXT") ? (spec.TXT ?? []) : [])
    out.push({ type: "TXT", name: owner, ttl: t, data: txtChunks(x) });
  if (want("SOA") && spec.SOA !== undefined)
    out.push({ type: "SOA", name: owner, ttl: t, data: { ...spec.SOA } });
  return out;
}

function behaves(spec: NameSpec, type: string): boolean {
  return spec.behaviourTypes === undefined || spec.behaviourTypes.some((t) => t.toUpperCase() === type);
}

/** What to do with one query. `null` bytes: never answer. */
interface Reply {
  readonly bytes: Buffer | null;
  readonly delayMs: number;
}

function header(query: DecodedPacket, rcode: number, extraFlags = 0): Packet {
  const rd = query.flag_rd ? dnsPacket.RECURSION_DESIRED : 0;
  return {
    type: "response",
    id: query.id ?? 0,
    flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_AVAILABLE | rd | extraFlags | rcode,
    questions: query.questions ?? [],
    answers: [],
    authorities: [],
    additionals: [],
  };
}

/** A reply whose header and question are right but whose one answer claims more data than there is. */
function malformedReply(query: DecodedPacket): Buffer {
  const head = dnsPacket.encode(header(query, RCODE.NOERROR));
  head.writeUInt16BE(1, 6); // ANCOUNT = 1
  const broken = Buffer.from([0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 60, 0x00, 0xff, 1, 2]);
  return Buffer.concat([head, broken]);
}

function randomReply(query: DecodedPacket): Buffer {
  const bytes = Buffer.alloc(37);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  bytes.writeUInt16BE(query.id ?? 0, 0);
  return bytes;
}

function udpLimit(query: DecodedPacket): number {
  const opt = (query.additionals ?? []).find((a) => a.type === "OPT");
  return opt !== undefined && "udpPayloadSize" in opt
    ? Math.max(512, Math.min(opt.udpPayloadSize, 4096))
    : 512;
}

function respond(zone: Zone, query: DecodedPacket, transport: "udp" | "tcp", ttl: number): Reply {
  const question = query.questions?.[0];
  if (question === undefined || (query.questions?.length ?? 0) !== 1) {
    return { bytes: dnsPacket.encode(header(query, RCODE.FORMERR)), delayMs: 0 };
  }
  const qname = norm(question.name);
  const qtype = String(question.type).toUpperCase();
  const first = zone.lookup(qname);
  let delayMs = 0;

  if (first.kind === "found" && behaves(first.spec, qtype)) {
    const s = first.spec;
    delayMs = s.delay ?? 0;
    if (s.timeout === true) return { bytes: null, delayMs };
    if (s.malformed === "random") return { bytes: randomReply(query), delayMs };
    if (s.malformed === true) return { bytes: malformedReply(query), delayMs };
    if (s.truncate === true && transport === "udp") {
      return { bytes: dnsPacket.encode(header(query, RCODE.NOERROR, dnsPacket.TRUNCATED_RESPONSE)), delayMs };
    }
  }

  const packet = header(query, RCODE.NOERROR);
  const answers: Answer[] = [];
  let name = qname;
  let owner = question.name;
  let lookup = first;
  const visited = new Set([qname]);
  let rcode: number = RCODE.NOERROR;
  let negative = false;

  for (let hop = 0; ; hop++) {
    if (lookup.kind === "missing") {
      rcode = RCODE.NXDOMAIN;
      negative = true;
      break;
    }
    if (lookup.kind === "empty") {
      negative = true;
      break;
    }
    const spec = lookup.spec;
    if (behaves(spec, qtype)) {
      if (spec.timeout === true) return { bytes: null, delayMs };
      if (spec.servfail === true || spec.refused === true || spec.nxdomain === true) {
        rcode =
          spec.servfail === true ? RCODE.SERVFAIL : spec.refused === true ? RCODE.REFUSED : RCODE.NXDOMAIN;
        negative = spec.nxdomain === true && spec.servfail !== true && spec.refused !== true;
        break;
      }
    }
    if (spec.CNAME !== undefined && qtype !== "CNAME" && qtype !== "ANY") {
      answers.push({ type: "CNAME", name: owner, ttl: spec.ttl ?? ttl, data: spec.CNAME });
      const target = norm(spec.CNAME);
      // A loop or an overlong chain: what a recursive resolver reports as SERVFAIL.
      if (visited.has(target) || hop >= MAX_CHAIN) {
        rcode = RCODE.SERVFAIL;
        break;
      }
      visited.add(target);
      name = target;
      owner = spec.CNAME;
      lookup = zone.lookup(target);
      continue;
    }
    const records = recordsOf(spec, qtype, owner, ttl);
    answers.push(...records);
    negative = records.length === 0;
    break;
  }

  packet.flags = (packet.flags ?? 0) | rcode;
  packet.answers = answers;
  if (negative) packet.authorities = [zone.soaFor(name, ttl)];
  const opt = (query.additionals ?? []).find((a) => a.type === "OPT");
  if (opt !== undefined) {
    packet.additionals = [
      {
        type: "OPT",
        name: ".",
        udpPayloadSize: 1232,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: 0,
        flag_do: false,
        options: [],
      },
    ];
  }
  let bytes = dnsPacket.encode(packet);
  if (transport === "udp" && bytes.length > udpLimit(query)) {
    bytes = dnsPacket.encode({
      ...packet,
      answers: [],
      authorities: [],
      flags: (packet.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE,
    });
  }
  return { bytes, delayMs };
}

/** Binds UDP then TCP on the same port; with port 0, retries until both binds succeed. */
async function bindBoth(port: number): Promise<{ udp: dgram.Socket; tcp: net.Server; port: number }> {
  let lastError: unknown = null;
  for (let attempt = 0; attempt < (port === 0 ? 25 : 1); attempt++) {
    const udp = dgram.createSocket("udp4");
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once("error", reject);
        udp.bind(port, HOST, () => {
          udp.off("error", reject);
          resolve();
        });
      });
    } catch (e) {
      udp.close();
      lastError = e;
      continue;
    }
    const chosen = udp.address().port;
    const tcp = net.createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once("error", reject);
        tcp.listen(chosen, HOST, () => {
          tcp.off("error", reject);
          resolve();
        });
      });
      return { udp, tcp, port: chosen };
    } catch (e) {
      lastError = e;
      udp.close();
    }
  }
  throw new Error(`dns-server: cannot bind UDP and TCP on one port: ${String(lastError)}`);
}

export async function startDnsServer(initial: ZoneSpec, opts: DnsServerOptions = {}): Promise<DnsServer> {
  let zone = new Zone(initial);
  const ttl = opts.ttl ?? 300;
  const queries: QueryLog[] = [];
  const sockets = new Set<net.Socket>();
  const aborter = new AbortController();
  let closed = false;
  const { udp, tcp, port } = await bindBoth(opts.port ?? 0);

  /** Decodes a query, logs it, and produces its reply (after any delay); null when nothing is sent. */
  async function handle(msg: Buffer, transport: "udp" | "tcp"): Promise<Buffer | null> {
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      if (msg.length < 12) return null;
      const err = Buffer.alloc(12);
      msg.copy(err, 0, 0, 2);
      err.writeUInt16BE(0x8000 | RCODE.FORMERR, 2);
      return err;
    }
    if (query.type !== "query") return null;
    const q = query.questions?.[0];
    queries.push({ name: q?.name ?? "", type: String(q?.type ?? ""), transport });
    const reply = respond(zone, query, transport, ttl);
    if (reply.delayMs > 0) {
      try {
        await sleep(reply.delayMs, undefined, { signal: aborter.signal });
      } catch {
        return null;
      }
    }
    if (reply.bytes === null) return null;
    return closed ? null : reply.bytes;
  }

  udp.on("message", (msg, rinfo) => {
    void handle(msg, "udp").then((bytes) => {
      if (bytes !== null && !closed) udp.send(bytes, rinfo.port, rinfo.address, () => undefined);
    });
  });
  udp.on("error", () => undefined);

  tcp.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    let buffered = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length > MAX_TCP_BUFFER + 2) {
        socket.destroy();
        return;
      }
      while (buffered.length >= 2) {
        const len = buffered.readUInt16BE(0);
        if (buffered.length < 2 + len) break;
        const msg = buffered.subarray(2, 2 + len);
        buffered = buffered.subarray(2 + len);
        void handle(Buffer.from(msg), "tcp").then((bytes) => {
          if (bytes === null || socket.destroyed) return;
          const prefix = Buffer.alloc(2);
          prefix.writeUInt16BE(bytes.length);
          socket.write(Buffer.concat([prefix, bytes]));
        });
      }
    });
  });

  return {
    address: HOST,
    port,
    server: `${HOST}:${port}`,
    queries,
    setZone(next: ZoneSpec): void {
      zone = new Zone(next);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      aborter.abort();
      for (const s of sockets) s.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    },
  };
}
