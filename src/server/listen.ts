/**
 * @module server/listen
 * Binds the HTTP application to a socket: plain HTTP on 127.0.0.1:8080 by default, HTTPS when `server.tls`
 * names a certificate and key. The node server is hardened for a process that faces a network: headers must
 * arrive within `headersTimeoutSeconds` and the whole request within `requestTimeoutSeconds` (slowloris), header
 * size is capped, idle keep-alive sockets are closed, and request bodies are capped by the application
 * (server/app.ts). `close` stops accepting, lets requests in flight finish for a bounded time, then cuts
 * whatever remains.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { CertwatchError } from "../errors.js";
import { readBoundedFile } from "../util/read-bounded-file.js";

/** The socket could not be bound: the address is in use, not one of this machine's, or not allowed. */
export class ListenError extends CertwatchError {
  readonly code = "SERVER_LISTEN_FAILED";
  override name = "ListenError";
}

export interface ListenOptions {
  readonly host: string;
  /** 0 picks a free port (tests); the bound one is in the result. */
  readonly port: number;
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** Which settings an error names (what to change); default `server.host` and `server.port`. */
  readonly settings?: ListenSettings;
}

/** The words of a listen error: the prefix, who else may hold the port, and the settings to change. */
export interface ListenSettings {
  /** e.g. `server`, `work.listen`. */
  readonly name: string;
  /** e.g. `another certwatch serve?` */
  readonly inUseBy: string;
  readonly setHost: string;
  readonly setPort: string;
}

const SERVER_SETTINGS: ListenSettings = {
  name: "server",
  inUseBy: "another certwatch serve?",
  setHost: "set server.host",
  setPort: "set server.port",
};

export interface RunningHttpServer {
  /** e.g. `http://127.0.0.1:8080` (IPv6 hosts in brackets). */
  readonly url: string;
  readonly port: number;
  /** Stop accepting; wait up to `graceMs` for requests in flight, then destroy the remaining sockets. */
  close(graceMs: number): Promise<void>;
}

/** A PEM certificate chain or key is a few KiB; this leaves room for long chains and refuses a wrong file. */
const MAX_PEM_BYTES = 1024 * 1024;
/** Request headers, all together (Node's default is 16 KiB). */
const MAX_HEADER_BYTES = 16 * 1024;
/** An idle keep-alive connection is closed after this. */
const KEEP_ALIVE_MS = 5000;
const CHECK_TIMEOUTS_EVERY_MS = 1000;

function listenProblem(code: string | undefined, s: ListenSettings): string | undefined {
  switch (code) {
    case "EADDRINUSE":
      return `the port is in use (${s.inUseBy}); ${s.setPort}`;
    case "EADDRNOTAVAIL":
      return `the address is not one of this machine's; ${s.setHost}`;
    case "EACCES":
      return `not allowed (ports below 1024 need privileges); ${s.setPort}`;
    case "ENOTFOUND":
      return `the host name does not resolve; ${s.setHost}`;
    default:
      return undefined;
  }
}

/** A Hono app's fetch: it gets the node request and response as its env (client address for conninfo). */
type FetchCallback = Parameters<typeof getRequestListener>[0];

export async function listen(app: { fetch: FetchCallback }, o: ListenOptions): Promise<RunningHttpServer> {
  const listener = getRequestListener(app.fetch, { hostname: o.host });
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    // The listener answers errors itself; a failure past that point can only drop the connection.
    listener(req, res).catch(() => res.destroy());
  };
  const common = {
    maxHeaderSize: MAX_HEADER_BYTES,
    requestTimeout: o.requestTimeoutMs,
    headersTimeout: Math.min(o.headersTimeoutMs, o.requestTimeoutMs),
    keepAliveTimeout: KEEP_ALIVE_MS,
    // How often Node looks for requests past those timeouts (its default, 30 s, would let a slow client hold
    // a connection up to 30 s longer than configured).
    connectionsCheckingInterval: CHECK_TIMEOUTS_EVERY_MS,
  };
  let server: Server;
  if (o.tls) {
    const [cert, key] = await Promise.all([
      readBoundedFile(o.tls.certFile, { field: "server.tls.certFile", maxBytes: MAX_PEM_BYTES }),
      readBoundedFile(o.tls.keyFile, { field: "server.tls.keyFile", maxBytes: MAX_PEM_BYTES }),
    ]);
    server = createHttpsServer({ ...common, cert, key, minVersion: "TLSv1.2" }, handle);
  } else {
    server = createHttpServer(common, handle);
  }
  const shownHost = o.host.includes(":") ? `[${o.host}]` : o.host;
  // A socket silent for longer than a whole request may take is closed, whatever state it is in.
  server.setTimeout(o.requestTimeoutMs + KEEP_ALIVE_MS);
  await new Promise<void>((resolve, reject) => {
    const s = o.settings ?? SERVER_SETTINGS;
    const onError = (e: NodeJS.ErrnoException) =>
      reject(
        new ListenError(
          `${s.name}: cannot listen on ${shownHost}:${o.port}: ${listenProblem(e.code, s) ?? e.message}`,
          { cause: e },
        ),
      );
    server.once("error", onError);
    server.listen(o.port, o.host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${o.tls ? "https" : "http"}://${shownHost}:${port}`,
    port,
    close: (graceMs) => closeServer(server, graceMs),
  };
}

async function closeServer(server: Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, graceMs);
  });
  await Promise.race([closed, late]);
  clearTimeout(timer);
  server.closeAllConnections();
  await closed;
}
