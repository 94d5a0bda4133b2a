/**
 * @module sources/dns/errors
 * Turns the error codes of node:dns (c-ares and getaddrinfo) into DnsFailure results with clear messages.
 */
import type { DnsFailure, DnsFailureKind } from "./result.js";

const BY_CODE: Readonly<Record<string, readonly [DnsFailureKind, string]>> = {
  ENOTFOUND: ["nxdomain", "no such domain (NXDOMAIN)"],
  ENODATA: ["nodata", "no records of this type (NODATA)"],
  ESERVFAIL: ["servfail", "the DNS server failed to answer (SERVFAIL)"],
  ETIMEOUT: ["timeout", "no answer from the DNS server (timed out)"],
  ECANCELLED: ["timeout", "no answer from the DNS server (cancelled)"],
  EREFUSED: ["refused", "the DNS server refused the query (REFUSED)"],
  ECONNREFUSED: ["refused", "connection to the DNS server refused"],
  EBADRESP: ["error", "malformed DNS response"],
  EFORMERR: ["error", "the DNS server could not parse the query (FORMERR)"],
  ENOTIMP: ["error", "the DNS server does not implement this query (NOTIMP)"],
  EBADQUERY: ["error", "the query could not be built"],
  EBADNAME: ["error", "invalid domain name"],
  EBADSTR: ["error", "malformed string in the DNS response"],
  EBADFAMILY: ["error", "unsupported address family"],
  EEOF: ["error", "the DNS server closed the connection"],
  EDESTRUCTION: ["error", "the resolver was shut down"],
  // getaddrinfo (the lookup path without configured servers)
  EAI_AGAIN: ["servfail", "temporary failure in name resolution (EAI_AGAIN)"],
  EAI_FAIL: ["servfail", "non-recoverable failure in name resolution (EAI_FAIL)"],
  EAI_NONAME: ["nxdomain", "no such name (EAI_NONAME)"],
  EAI_NODATA: ["nodata", "no address for the name (EAI_NODATA)"],
};

function codeOf(error: unknown): string | null {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") {
    return error.code;
  }
  return null;
}

/** `what` names the question, e.g. "www.example.com AAAA". */
export function dnsFailure(what: string, error: unknown): DnsFailure {
  const code = codeOf(error);
  const known = code === null ? undefined : BY_CODE[code];
  if (known !== undefined) {
    const [kind, text] = known;
    return { kind, error: `${what}: ${text}${text.includes(`(${code})`) ? "" : ` [${code}]`}` };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { kind: "error", error: `${what}: ${code === null ? message : `${code} ${message}`}` };
}

export function timeoutFailure(what: string, ms: number, tries = 1): DnsFailure {
  const within = tries > 1 ? `in ${tries} tries of ${Math.round(ms / tries)} ms` : `within ${ms} ms`;
  return { kind: "timeout", error: `${what}: no answer ${within} (timed out)` };
}
