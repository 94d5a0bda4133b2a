/**
 * @module util/address-policy
 * Which IP addresses an outgoing request may connect to. URLs taken from what a scanned server sent (CRL
 * distribution points, OCSP responders) are chosen by whoever controls that server: fetching them from inside
 * the network must not reach loopback services, the private network or a cloud metadata endpoint (SSRF). The
 * classification is hand-written over the address bytes, so that every embedded IPv4 form (IPv4-mapped and
 * -compatible IPv6, NAT64, 6to4) is judged by the IPv4 address it carries.
 */
import { isIPv4, isIPv6 } from "node:net";

export type AddressKind =
  | "public"
  /** 0.0.0.0/8, :: — "this host" on most systems. */
  | "unspecified"
  | "loopback"
  /** RFC 1918 10/8, 172.16/12, 192.168/16; NAT64 local-use 64:ff9b:1::/48. */
  | "private"
  /** RFC 6598 carrier-grade NAT 100.64/10. */
  | "shared"
  /** 169.254/16 (where cloud metadata services answer: 169.254.169.254) and fe80::/10. */
  | "link-local"
  /** fc00::/7 (AWS's IPv6 metadata endpoint fd00:ec2::254 is one). */
  | "unique-local"
  /** fec0::/10, deprecated but still routed on some networks. */
  | "site-local"
  | "multicast"
  | "broadcast"
  /** 240/4, 192.0.0/24 (IETF assignments, 192.0.0.192 is a metadata address too), 198.18/15, non-unicast IPv6. */
  | "reserved"
  /** 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32: never a real server. */
  | "documentation"
  | "invalid";

/** How an IPv4 address was carried inside an IPv6 one. */
export type Embedding = "ipv4-mapped" | "ipv4-compatible" | "nat64" | "6to4";

export interface AddressClass {
  readonly kind: AddressKind;
  /** Present when the IPv6 address was judged by the IPv4 address it embeds. */
  readonly embedded?: Embedding;
}

/** null when a connection to `address` is allowed; otherwise why not, in words ("a loopback address"). */
export type AddressPolicy = (address: string) => string | null;

/** Public unicast addresses only: what URLs chosen by a scanned server may reach. */
export const publicAddressesOnly: AddressPolicy = (address) => {
  const c = classifyAddress(address);
  return c.kind === "public" ? null : describeAddressClass(c);
};

const KIND_WORDS: Record<Exclude<AddressKind, "public">, string> = {
  unspecified: "an unspecified address",
  loopback: "a loopback address",
  private: "a private-network address",
  shared: "a carrier-grade NAT address",
  "link-local": "a link-local address (cloud metadata services answer there)",
  "unique-local": "a unique-local (private) IPv6 address",
  "site-local": "a site-local IPv6 address",
  multicast: "a multicast address",
  broadcast: "the broadcast address",
  reserved: "a reserved address",
  documentation: "a documentation address",
  invalid: "not an IP address",
};

const EMBEDDING_WORDS: Record<Embedding, string> = {
  "ipv4-mapped": "IPv4-mapped IPv6",
  "ipv4-compatible": "IPv4-compatible IPv6",
  nat64: "NAT64",
  "6to4": "6to4",
};

export function describeAddressClass(c: AddressClass): string {
  if (c.kind === "public") return "a public address";
  const words = KIND_WORDS[c.kind];
  return c.embedded === undefined ? words : `${words}, carried in ${EMBEDDING_WORDS[c.embedded]}`;
}

/** The class of an IPv4 or IPv6 address in text form (brackets and a zone id are tolerated). */
export function classifyAddress(address: string): AddressClass {
  const text = address.replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "");
  if (isIPv4(text)) return { kind: classifyV4(v4Bytes(text)) };
  if (!isIPv6(text)) return { kind: "invalid" };
  const b = v6Bytes(text);
  if (b === null) return { kind: "invalid" };
  return classifyV6(b);
}

function classifyV4(b: readonly number[]): AddressKind {
  const [a = 0, c = 0, d = 0, e = 0] = b;
  if (a === 0) return "unspecified";
  if (a === 10) return "private";
  if (a === 100 && (c & 0xc0) === 64) return "shared";
  if (a === 127) return "loopback";
  if (a === 169 && c === 254) return "link-local";
  if (a === 172 && (c & 0xf0) === 16) return "private";
  if (a === 192 && c === 0 && d === 0) return "reserved";
  if (a === 192 && c === 0 && d === 2) return "documentation";
  if (a === 192 && c === 168) return "private";
  if (a === 198 && (c & 0xfe) === 18) return "reserved";
  if (a === 198 && c === 51 && d === 100) return "documentation";
  if (a === 203 && c === 0 && d === 113) return "documentation";
  if ((a & 0xf0) === 224) return "multicast";
  if (a === 255 && c === 255 && d === 255 && e === 255) return "broadcast";
  if ((a & 0xf0) === 240) return "reserved";
  return "public";
}

function classifyV6(b: readonly number[]): AddressClass {
  const at = (i: number): number => b[i] ?? 0;
  const zeros = (from: number, to: number): boolean => b.slice(from, to).every((x) => x === 0);
  const v4 = (from: number): number[] => b.slice(from, from + 4);
  const embedded = (embedding: Embedding, from: number): AddressClass => {
    const kind = classifyV4(v4(from));
    return kind === "public" ? { kind } : { kind, embedded: embedding };
  };

  if (zeros(0, 10) && at(10) === 0xff && at(11) === 0xff) return embedded("ipv4-mapped", 12);
  if (zeros(0, 12)) {
    if (zeros(12, 15) && at(15) === 0) return { kind: "unspecified" };
    if (zeros(12, 15) && at(15) === 1) return { kind: "loopback" };
    // ::a.b.c.d, deprecated, but some stacks still route it to the IPv4 address.
    return embedded("ipv4-compatible", 12);
  }
  // 64:ff9b::/96 (RFC 6052): a NAT64 gateway forwards to the IPv4 address in the last 32 bits.
  if (at(0) === 0x00 && at(1) === 0x64 && at(2) === 0xff && at(3) === 0x9b && zeros(4, 12)) {
    return embedded("nat64", 12);
  }
  // 64:ff9b:1::/48 (RFC 8215): NAT64 for local use, whatever it embeds.
  if (at(0) === 0x00 && at(1) === 0x64 && at(2) === 0xff && at(3) === 0x9b && at(4) === 0 && at(5) === 1) {
    return { kind: "private" };
  }
  // 2002::/16 (RFC 3056): 6to4, the IPv4 address of the relay-reached host in bits 16..47.
  if (at(0) === 0x20 && at(1) === 0x02) return embedded("6to4", 2);
  if (at(0) === 0x20 && at(1) === 0x01 && at(2) === 0x0d && at(3) === 0xb8) return { kind: "documentation" };
  if (at(0) === 0xff) return { kind: "multicast" };
  if ((at(0) & 0xfe) === 0xfc) return { kind: "unique-local" };
  if (at(0) === 0xfe && (at(1) & 0xc0) === 0x80) return { kind: "link-local" };
  if (at(0) === 0xfe && (at(1) & 0xc0) === 0xc0) return { kind: "site-local" };
  // Global unicast is 2000::/3; everything else (100::/64 discard-only included) is not a server.
  if ((at(0) & 0xe0) !== 0x20) return { kind: "reserved" };
  return { kind: "public" };
}

function v4Bytes(text: string): number[] {
  return text.split(".").map(Number);
}

/** The 16 bytes of a valid IPv6 text (isIPv6 already said yes), embedded dotted quad included. */
function v6Bytes(text: string): number[] | null {
  let s = text.toLowerCase();
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(":");
  const last = s.slice(lastColon + 1);
  if (last.includes(".")) {
    if (!isIPv4(last)) return null;
    tail = v4Bytes(last);
    s = s.slice(0, lastColon + 1) + "0:0"; // two placeholder groups, replaced below
  }
  const [head = "", rest] = s.split("::");
  const groups = (part: string): string[] => (part === "" ? [] : part.split(":"));
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const fill = 8 - left.length - right.length;
  if (fill < 0 || (rest === undefined && fill !== 0)) return null;
  const all = [...left, ...Array<string>(fill).fill("0"), ...right];
  const bytes: number[] = [];
  for (const g of all) {
    const v = parseInt(g, 16);
    if (!/^[0-9a-f]{1,4}$/.test(g) || Number.isNaN(v)) return null;
    bytes.push(v >> 8, v & 0xff);
  }
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes.length === 16 ? bytes : null;
}
