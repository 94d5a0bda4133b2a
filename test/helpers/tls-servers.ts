/**
 * @module test/helpers/tls-servers
 * Real servers on loopback for prober tests: HTTPS (any chain, protocol, HSTS, staple, SNI) and broken ones.
 */
import * as http from "node:http";
import * as net from "node:net";
import * as tls from "node:tls";
import { randomBytes } from "node:crypto";
import { derToPem, type Issued } from "./pki.js";

export interface RunningServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

export type LoopbackHost = "127.0.0.1" | "127.0.0.2" | "127.0.0.3" | "::1";

/** The certificates to send (leaf first, exactly as given) and the leaf's key. */
export interface ServedIdentity {
  chain: readonly Issued[] | readonly Uint8Array[];
  key: Issued;
}

export interface TlsServerOptions extends ServedIdentity {
  host?: LoopbackHost;
  port?: number;
  /** Strict-Transport-Security value(s), one header each; null or absent = none. */
  hsts?: string | readonly string[] | null;
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  /**
   * OpenSSL cipher string; default "DEFAULT:@SECLEVEL=0" so weak keys, SHA-1 and TLS 1.0 can be served.
   * Names starting with TLS_ select TLS 1.3 suites.
   */
  ciphers?: string;
  /** Key-exchange groups, e.g. "P-384" (a client that offers an X25519 key share then gets a HelloRetryRequest). */
  ecdhCurve?: string;
  /** HTTP status of every response; default 200. */
  status?: number;
  /** About this many bytes of `X-Filler` header lines, sent before the HSTS header(s): a head too large to read. */
  fillerHeaderBytes?: number;
  /** DER OCSP response stapled to every handshake that asks for one. */
  ocspStaple?: Uint8Array;
  /** Other identities chosen by SNI server name (exact, case-insensitive). */
  sniCerts?: Record<string, ServedIdentity>;
  /** Answer each HTTP request only after this long (a slow server: the scan of it lasts that long). */
  responseDelayMs?: number;
}

const MAX_REQUEST_HEAD = 64 * 1024;
const LEGACY_CIPHERS = "DEFAULT:@SECLEVEL=0";

function isIssued(c: Issued | Uint8Array): c is Issued {
  return !(c instanceof Uint8Array);
}

function chainToPem(chain: ServedIdentity["chain"]): string {
  return chain.map((c: Issued | Uint8Array) => (isIssued(c) ? c.certPem : derToPem(c))).join("");
}

/** Tracks every socket so close() can destroy them; then closes the listener. */
function tracked(server: net.Server): () => Promise<void> {
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => undefined);
  };
  server.on("connection", track);
  server.on("secureConnection", track);
  return () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

function isAddrInUse(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | null)?.code === "EADDRINUSE";
}

function listen(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    server.once("error", onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off("error", onError);
      const addr = server.address();
      if (addr === null || typeof addr === "string") reject(new Error("no address"));
      else resolve(addr.port);
    });
  });
}

async function start(server: net.Server, host: string, port = 0): Promise<RunningServer> {
  const closeAll = tracked(server);
  try {
    const bound = await listen(server, host, port);
    return { host, port: bound, close: closeAll };
  } catch (e) {
    await closeAll().catch(() => undefined);
    throw e;
  }
}

function responseHead(status: number, hsts: TlsServerOptions["hsts"], body: string, fillerBytes = 0): string {
  const values = hsts === null || hsts === undefined ? [] : typeof hsts === "string" ? [hsts] : hsts;
  const filler = `X-Filler: ${"f".repeat(1012)}`; // 1 KiB with its CRLF
  const lines = [
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? "Status"}`,
    "Content-Type: text/plain",
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Connection: close",
    ...Array.from({ length: Math.ceil(fillerBytes / 1024) }, () => filler),
    ...values.map((v) => `Strict-Transport-Security: ${v}`),
  ];
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/** Calls `onHead` once the request head has arrived (bounded); ignores the body. */
function onRequestHead(socket: net.Socket, onHead: () => void): void {
  let seen = "";
  let done = false;
  socket.on("data", (chunk: Buffer) => {
    if (done) return;
    seen += chunk.toString("latin1");
    if (seen.includes("\r\n\r\n") || seen.length > MAX_REQUEST_HEAD) {
      done = true;
      onHead();
    }
  });
}

function secureContextOptions(
  id: ServedIdentity,
  o: Pick<TlsServerOptions, "minVersion" | "maxVersion" | "ciphers" | "ecdhCurve">,
): tls.SecureContextOptions {
  const opts: tls.SecureContextOptions = {
    cert: chainToPem(id.chain),
    key: id.key.keyPem,
    ciphers: o.ciphers ?? LEGACY_CIPHERS,
  };
  if (o.minVersion) opts.minVersion = o.minVersion;
  if (o.maxVersion) opts.maxVersion = o.maxVersion;
  if (o.ecdhCurve) opts.ecdhCurve = o.ecdhCurve;
  return opts;
}

function createHttpsServer(opts: TlsServerOptions): tls.Server {
  const base = secureContextOptions(opts, opts);
  const sni = new Map<string, tls.SecureContext>();
  for (const [name, id] of Object.entries(opts.sniCerts ?? {})) {
    sni.set(name.toLowerCase(), tls.createSecureContext(secureContextOptions(id, opts)));
  }
  const serverOpts: tls.TlsOptions = { ...base };
  if (sni.size > 0) {
    serverOpts.SNICallback = (servername, cb) => cb(null, sni.get(servername.toLowerCase()));
  }
  const server = tls.createServer(serverOpts, (socket) => {
    onRequestHead(socket, () => {
      const body = "ok\n";
      const answer = () =>
        socket.end(responseHead(opts.status ?? 200, opts.hsts, body, opts.fillerHeaderBytes) + body);
      if (opts.responseDelayMs === undefined) answer();
      else setTimeout(answer, opts.responseDelayMs).unref();
    });
  });
  const staple = opts.ocspStaple;
  if (staple) {
    server.on(
      "OCSPRequest",
      (_cert: Buffer, _issuer: Buffer, cb: (err: Error | null, resp: Buffer) => void) =>
        cb(null, Buffer.from(staple)),
    );
  }
  return server;
}

/** An HTTPS server that answers every request with `status` and the given HSTS headers. */
export async function startTlsServer(opts: TlsServerOptions): Promise<RunningServer> {
  return start(createHttpsServer(opts), opts.host ?? "127.0.0.1", opts.port ?? 0);
}

/**
 * Starts one HTTPS server per option set on the SAME port, each on its own loopback address
 * (default 127.0.0.1, 127.0.0.2, ...). Retries with a new port when one is taken on another address.
 */
export async function startTlsServersOnSamePort(
  list: readonly TlsServerOptions[],
  attempts = 8,
): Promise<RunningServer[]> {
  const hosts: LoopbackHost[] = ["127.0.0.1", "127.0.0.2", "127.0.0.3"];
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const started: RunningServer[] = [];
    try {
      let port = 0;
      for (const [i, o] of list.entries()) {
        const s = await startTlsServer({ ...o, host: o.host ?? hosts[i] ?? "127.0.0.1", port });
        started.push(s);
        port = s.port;
      }
      return started;
    } catch (e) {
      lastError = e;
      await Promise.all(started.map((s) => s.close()));
      if (!isAddrInUse(e)) throw e;
    }
  }
  throw lastError instanceof Error ? lastError : new Error("could not find a free common port");
}

/** A plain-HTTP server (no TLS); a TLS ClientHello gets Node's "400 Bad Request". */
export async function startPlainHttpServer(
  opts: { host?: LoopbackHost; port?: number; hsts?: string | null } = {},
): Promise<RunningServer> {
  const server = http.createServer((_req, res) => {
    if (opts.hsts) res.setHeader("Strict-Transport-Security", opts.hsts);
    res.end("plain\n");
  });
  return start(server, opts.host ?? "127.0.0.1", opts.port ?? 0);
}

/**
 * A TCP server that, once the client has spoken, writes bytes that are neither TLS nor HTTP and closes.
 * `bytes` replaces the random garbage (e.g. an SSH banner).
 */
export async function startGarbageServer(
  opts: { host?: LoopbackHost; port?: number; bytes?: Uint8Array } = {},
): Promise<RunningServer> {
  const server = net.createServer((socket) => {
    socket.once("data", () => {
      const garbage = opts.bytes ? Buffer.from(opts.bytes) : randomBytes(512);
      // A first byte of 0x00 is no TLS record type and no HTTP: the reply is never mistaken for either.
      if (!opts.bytes) garbage[0] = 0x00;
      socket.end(garbage);
    });
  });
  return start(server, opts.host ?? "127.0.0.1", opts.port ?? 0);
}

/** Accepts TCP connections, reads and discards, never answers. */
export async function startSilentServer(
  opts: { host?: LoopbackHost; port?: number } = {},
): Promise<RunningServer> {
  const server = net.createServer((socket) => {
    socket.resume();
  });
  return start(server, opts.host ?? "127.0.0.1", opts.port ?? 0);
}

/** Valid TLS, then an HTTP response head of `headerBytes` bytes that never ends (the connection stays open). */
export async function startHugeHeaderServer(
  opts: ServedIdentity & { host?: LoopbackHost; port?: number; headerBytes: number },
): Promise<RunningServer> {
  const server = tls.createServer(secureContextOptions(opts, {}), (socket) => {
    onRequestHead(socket, () => {
      socket.write("HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=31536000\r\n");
      const line = `X-Filler: ${"a".repeat(1000)}\r\n`;
      const chunk = line.repeat(16);
      let sent = 0;
      // Write in chunks, honouring back-pressure, and never send the blank line that ends the head.
      const pump = (): void => {
        while (sent < opts.headerBytes && !socket.destroyed) {
          sent += chunk.length;
          if (!socket.write(chunk)) {
            socket.once("drain", pump);
            return;
          }
        }
      };
      pump();
    });
  });
  return start(server, opts.host ?? "127.0.0.1", opts.port ?? 0);
}

export interface TlsAlertServerOptions {
  host?: LoopbackHost;
  port?: number;
  /**
   * "no-shared-cipher" (default): a real TLS server that offers only PSK suites, which a client without a
   * PSK never offers, so OpenSSL answers every ClientHello with a handshake_failure alert.
   * "raw-alert": after the ClientHello, writes one fatal alert record by hand and closes.
   */
  kind?: "no-shared-cipher" | "raw-alert";
  /** Alert description for "raw-alert"; default 40 (handshake_failure). */
  alertDescription?: number;
}

/** A TLS server that rejects every handshake with a TLS alert. */
export async function startTlsAlertServer(opts: TlsAlertServerOptions = {}): Promise<RunningServer> {
  const host = opts.host ?? "127.0.0.1";
  if (opts.kind === "raw-alert") {
    const server = net.createServer((socket) => {
      socket.once("data", () => {
        socket.end(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, opts.alertDescription ?? 40]));
      });
    });
    return start(server, host, opts.port ?? 0);
  }
  const server = tls.createServer({
    maxVersion: "TLSv1.2",
    ciphers: "PSK-AES128-GCM-SHA256:PSK-AES256-GCM-SHA384",
    pskCallback: () => null,
  });
  return start(server, host, opts.port ?? 0);
}
