/**
 * @module sources/tls/http-probe
 * One HTTP/1.1 GET over the probed TLS connection: status line and headers only (byte cap, deadline), HSTS.
 */
import * as net from "node:net";
import type { Duplex } from "node:stream";
import type { HttpProbe } from "./observation.js";

export interface HttpProbeParams {
  /** Host header value (see hostHeader). */
  readonly host: string;
  readonly timeoutMs: number;
  readonly maxHeaderBytes: number;
}

/** Host header for a name and port: IPv6 literals bracketed, the port omitted when 443. */
export function hostHeader(host: string, port: number): string {
  const h = net.isIPv6(host) ? `[${host}]` : host.replace(/\.$/, "");
  return port === 443 ? h : `${h}:${port}`;
}

export function buildRequest(host: string): string {
  return `GET / HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: certwatch\r\nAccept: */*\r\nConnection: close\r\n\r\n`;
}

export type HeadParse =
  | { readonly kind: "incomplete" }
  | { readonly kind: "response"; readonly status: number; readonly hsts: string[] }
  | { readonly kind: "malformed"; readonly error: string };

/** The status of a status line, or why it is not one. */
function statusOf(statusLine: string): { status: number } | { error: string } {
  const m = /^HTTP\/\d(?:\.\d)? +(\d{3})(?: |$)/.exec(statusLine);
  return m?.[1] ? { status: Number(m[1]) } : { error: `not an HTTP response: "${statusLine.slice(0, 80)}"` };
}

/** The Strict-Transport-Security values among a head's header lines, folded continuations joined. */
function hstsValues(headerLines: readonly string[]): string[] {
  const hsts: string[] = [];
  let last: { name: string; index: number } | null = null;
  for (const line of headerLines) {
    if (line === "") continue;
    if ((line.startsWith(" ") || line.startsWith("\t")) && last?.name === "strict-transport-security") {
      // Obsolete line folding (RFC 9112 §5.2): the continuation belongs to the previous value.
      hsts[last.index] = `${hsts[last.index] ?? ""} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    last = { name, index: hsts.length };
    if (name === "strict-transport-security") hsts.push(line.slice(colon + 1).trim());
  }
  return hsts;
}

/** End of the first head in `buf` starting at `from`: the index after the blank line, or -1. */
function headEnd(buf: Buffer, from: number): number {
  const crlf = buf.indexOf("\r\n\r\n", from, "latin1");
  const lf = buf.indexOf("\n\n", from, "latin1");
  if (crlf === -1 && lf === -1) return -1;
  if (crlf === -1) return lf + 2;
  if (lf === -1) return crlf + 4;
  return Math.min(crlf + 4, lf + 2);
}

/**
 * Parses the response head(s) at the start of `buf`. Interim 1xx responses (e.g. 103 Early Hints) are
 * skipped; the final response's status and Strict-Transport-Security values are returned.
 */
export function parseResponseHead(buf: Buffer): HeadParse {
  let start = 0;
  for (;;) {
    const end = headEnd(buf, start);
    if (end === -1) return { kind: "incomplete" };
    const lines = buf.toString("latin1", start, end).split(/\r?\n/);
    const s = statusOf(lines[0] ?? "");
    if ("error" in s) return { kind: "malformed", error: s.error };
    if (s.status >= 100 && s.status < 200 && s.status !== 101) {
      start = end;
      continue;
    }
    return { kind: "response", status: s.status, hsts: hstsValues(lines.slice(1)) };
  }
}

/**
 * What can be read of a head cut at the byte cap (`buf` holds no complete final head): interim responses
 * skipped, the final status, and the Strict-Transport-Security values among the lines read whole. The line the
 * cap cut is dropped: its value may be truncated ("max-age=31536000" read as "max-age=3").
 */
export function parseTruncatedHead(
  buf: Buffer,
): { readonly status: number; readonly hsts: string[] } | { readonly error: string } {
  const complete = parseResponseHead(buf);
  if (complete.kind === "response") return { status: complete.status, hsts: complete.hsts };
  if (complete.kind === "malformed") return { error: complete.error };
  let start = 0;
  for (let end = headEnd(buf, start); end !== -1; end = headEnd(buf, start)) start = end; // interim 1xx heads
  const text = buf.toString("latin1", start);
  const whole = text.slice(0, text.lastIndexOf("\n") + 1).split(/\r?\n/);
  if (whole.length < 2) return { error: "the HTTP status line is longer than the byte cap" };
  const s = statusOf(whole[0] ?? "");
  return "error" in s ? s : { status: s.status, hsts: hstsValues(whole.slice(1)) };
}

/**
 * Writes the request and reads until the head is complete, the cap or the deadline is reached, or the
 * connection ends. Never destroys the socket (the caller does) and never rejects.
 */
export function probeHttp(socket: Duplex, params: HttpProbeParams): Promise<HttpProbe> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    let settled = false;
    const done = (r: HttpProbe): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("close", onEnd);
      socket.off("error", onError);
      socket.pause();
      resolve(r);
    };
    const onData = (chunk: Buffer): void => {
      const room = params.maxHeaderBytes - buf.length;
      buf = Buffer.concat([buf, chunk.subarray(0, Math.max(0, room))]);
      const parsed = parseResponseHead(buf);
      if (parsed.kind === "response") done({ kind: "response", status: parsed.status, hsts: parsed.hsts });
      else if (parsed.kind === "malformed") done({ kind: "error", error: parsed.error });
      else if (chunk.length > room) {
        // Still report what was read: a Strict-Transport-Security header seen before the cap counts, and one
        // not seen is a finding of its own (the check cannot confirm HSTS), never silence.
        const error = `the HTTP response header exceeds the ${params.maxHeaderBytes}-byte cap`;
        const cut = parseTruncatedHead(buf);
        if ("error" in cut) done({ kind: "error", error: `${error}; ${cut.error}` });
        else done({ kind: "too-large", ...cut, maxBytes: params.maxHeaderBytes, error });
      }
    };
    const onEnd = (): void =>
      done({
        kind: "error",
        error:
          buf.length === 0
            ? "the server closed the connection without an HTTP response"
            : "the server closed the connection before the HTTP response header was complete",
      });
    const onError = (e: Error): void => done({ kind: "error", error: `HTTP request failed: ${e.message}` });
    const timer = setTimeout(
      () =>
        done({
          kind: "error",
          error: `no complete HTTP response header within ${params.timeoutMs} ms (${buf.length} bytes received)`,
        }),
      params.timeoutMs,
    );
    socket.on("data", onData);
    socket.once("end", onEnd);
    socket.once("close", onEnd);
    socket.on("error", onError);
    socket.write(buildRequest(params.host), (e) => {
      if (e) onError(e);
    });
  });
}
