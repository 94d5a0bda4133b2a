/**
 * @module notify/syslog
 * The syslog target: RFC 5424 messages carrying CEF (or JSON) over TCP or TLS (octet-counted frames, one
 * connection per batch) or UDP (one datagram per message).
 */
import * as dgram from "node:dgram";
import { lookup } from "node:dns/promises";
import { readFileSync } from "node:fs";
import * as net from "node:net";
import { hostname as osHostname } from "node:os";
import * as tls from "node:tls";
import type { SyslogTargetConfig } from "../config/notify-schema.js";
import type { Notification } from "./notification.js";
import type { Notifier, NotifierContext, SendOutcome } from "./notifier.js";
import { formatSyslogMessage, notificationSyslogMessage, octetCountedFrame } from "./rfc5424.js";

/** Most notifications per send when `batchSize` is not set: one connection carries them all. */
export const DEFAULT_SYSLOG_BATCH = 200;

/**
 * Largest UDP datagram: RFC 5426 §3.2 says every receiver SHOULD take 2048 octets (only 480 are a MUST);
 * larger ones may be cut or dropped on the way. A longer message has its MSG truncated with a marker.
 */
export const UDP_MAX_MESSAGE_BYTES = 2048;

/** Largest message over TCP/TLS (rsyslog's default is 8 KiB: raise `maxMessageSize` to receive them whole). */
export const STREAM_MAX_MESSAGE_BYTES = 64 * 1024;

/**
 * How long a UDP send waits, after the last datagram, for the ICMP "port unreachable" that a connected
 * socket reports as ECONNREFUSED: the only sign UDP gives that nobody listens.
 */
const UDP_REFUSAL_WAIT_MS = 100;

/** TLS failures that are the configuration's (trust, name, dates): retrying soon will not help. */
const CERTIFICATE_ERRORS = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_REVOKED",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

let cachedVersion: string | undefined;

/** certwatch's version from package.json (the CEF Device Version), read once. */
function productVersion(): string {
  if (cachedVersion === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
        version?: unknown;
      };
      cachedVersion = typeof pkg.version === "string" ? pkg.version : "0";
    } catch {
      cachedVersion = "0";
    }
  }
  return cachedVersion;
}

function failed(error: string, permanent = false): SendOutcome {
  return permanent ? { kind: "failed", error, permanent: true } : { kind: "failed", error };
}

function errorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException | null;
  const code = typeof err?.code === "string" ? err.code : undefined;
  const message = err instanceof Error ? err.message : String(e);
  return code !== undefined && !message.includes(code) ? `${code}: ${message}` : message;
}

function outcomeOfError(what: string, e: unknown): SendOutcome {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (typeof code === "string" && CERTIFICATE_ERRORS.has(code)) {
    return failed(`${what}: TLS certificate not accepted: ${errorText(e)}`, true);
  }
  return failed(`${what}: ${errorText(e)}`);
}

export function createSyslogNotifier(name: string, cfg: SyslogTargetConfig, ctx: NotifierContext): Notifier {
  const transport = cfg.transport;
  const port = cfg.port ?? (transport === "tls" ? 6514 : 514);
  const timeoutMs = cfg.timeoutMs;
  const what = `${cfg.host}:${port} (syslog over ${transport})`;
  const messageOptions = {
    facility: cfg.facility,
    hostname: osHostname(),
    appName: cfg.appName,
    procId: String(process.pid),
    format: cfg.format,
    version: productVersion(),
    ...(ctx.publicUrl !== undefined ? { publicUrl: ctx.publicUrl } : {}),
  };
  const maxBytes = transport === "udp" ? UDP_MAX_MESSAGE_BYTES : STREAM_MAX_MESSAGE_BYTES;
  const inFlight = new Set<{ destroy(): void }>();
  let closed = false;

  function messages(batch: readonly Notification[]): Buffer[] {
    return batch.map((n) => formatSyslogMessage(notificationSyslogMessage(n, messageOptions), maxBytes));
  }

  /**
   * TCP or TLS: connect, write every frame, half-close, and wait for the receiver to close its side. That
   * close means it read our stream to its end — the nearest thing to an answer syslog has.
   */
  function sendStream(frames: Buffer): Promise<SendOutcome> {
    return new Promise<SendOutcome>((resolve) => {
      let stage = "connecting";
      let written = false;
      let peerEnded = false;
      let settled = false;
      const socket =
        transport === "tls"
          ? tls.connect({
              host: cfg.host,
              port,
              ca: [...ctx.ca],
              minVersion: "TLSv1.2",
              // SNI carries names only (RFC 6066); the certificate is still checked against an IP host.
              ...(net.isIP(cfg.host) === 0 ? { servername: cfg.host } : {}),
            })
          : net.connect({ host: cfg.host, port });
      const entry = { destroy: () => done(failed(`${what}: notifier closed while ${stage}`)) };
      inFlight.add(entry);
      const timer = setTimeout(
        () => done(failed(`${what}: no answer within ${timeoutMs} ms (${stage})`)),
        timeoutMs,
      );
      function done(outcome: SendOutcome): void {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        inFlight.delete(entry);
        socket.destroy();
        resolve(outcome);
      }
      socket.on("error", (e) => done(outcomeOfError(what, e)));
      socket.once(transport === "tls" ? "secureConnect" : "connect", () => {
        stage = "writing";
        socket.end(frames, () => {
          written = true;
          stage = "waiting for the receiver to read everything and close";
        });
      });
      // A syslog receiver sends nothing; whatever comes is discarded so that its close is seen.
      socket.on("data", () => undefined);
      socket.on("end", () => {
        peerEnded = true;
        if (!written) done(failed(`${what}: the receiver closed the connection before reading everything`));
      });
      socket.on("close", (hadError) => {
        if (hadError) done(failed(`${what}: connection failed while ${stage}`));
        else if (written && peerEnded) done({ kind: "delivered" });
        else done(failed(`${what}: connection closed while ${stage}`));
      });
    });
  }

  /** UDP: one datagram per message on a connected socket, each sent without error, then no refusal. */
  async function sendUdp(datagrams: Buffer[]): Promise<SendOutcome> {
    let timer: NodeJS.Timeout | undefined;
    let socket: dgram.Socket | undefined;
    let entry: { destroy(): void } | undefined;
    const deadline = new Promise<SendOutcome>((resolve) => {
      timer = setTimeout(() => resolve(failed(`${what}: not sent within ${timeoutMs} ms`)), timeoutMs);
      entry = { destroy: () => resolve(failed(`${what}: notifier closed`)) };
      inFlight.add(entry);
    });
    const attempt = async (): Promise<SendOutcome> => {
      const { address, family } = await lookup(cfg.host);
      const s = dgram.createSocket(family === 6 ? "udp6" : "udp4");
      socket = s;
      const refused = new Promise<SendOutcome>((resolve) =>
        s.on("error", (e) => resolve(outcomeOfError(what, e))),
      );
      const sent = (async (): Promise<SendOutcome> => {
        await new Promise<void>((resolve) => s.connect(port, address, resolve));
        for (const d of datagrams) {
          await new Promise<void>((resolve, reject) => s.send(d, (e) => (e ? reject(e) : resolve())));
        }
        await new Promise((r) => setTimeout(r, Math.min(UDP_REFUSAL_WAIT_MS, Math.floor(timeoutMs / 4))));
        return { kind: "delivered" };
      })().catch((e: unknown) => outcomeOfError(what, e));
      return Promise.race([refused, sent]);
    };
    try {
      return await Promise.race([deadline, attempt().catch((e: unknown) => outcomeOfError(what, e))]);
    } finally {
      clearTimeout(timer);
      if (entry) inFlight.delete(entry);
      try {
        socket?.close();
      } catch {
        // already closed
      }
    }
  }

  return {
    target: name,
    type: "syslog",
    maxBatch: cfg.batchSize ?? DEFAULT_SYSLOG_BATCH,
    async send(batch: readonly Notification[]): Promise<SendOutcome> {
      try {
        if (closed) return failed(`${what}: notifier closed`);
        if (batch.length === 0) return { kind: "delivered" };
        const all = messages(batch);
        if (transport === "udp") return await sendUdp(all);
        return await sendStream(Buffer.concat(all.map(octetCountedFrame)));
      } catch (e) {
        return failed(`${what}: ${errorText(e)}`);
      }
    },
    close(): Promise<void> {
      closed = true;
      for (const s of [...inFlight]) s.destroy();
      return Promise.resolve();
    },
  };
}
