/**
 * @module test/helpers/http-receiver-kit
 * The plumbing the local HTTP(S) test receivers share: a loopback server (test-time certificate over HTTPS), socket
 * tracking, a body read under a byte cap, a fault queue and applying a fault, sending an answer, waitFor and close.
 */
import * as http from "node:http";
import * as https from "node:https";
import type { Socket } from "node:net";
import { createRootCa, issueLeaf } from "./pki.js";

/** What a receiver does to one request instead of (or before) its normal answer. */
export type HttpFault =
  /** Answer this status (with these headers, e.g. Retry-After, and body) without looking at the request. */
  | { readonly status: number; readonly headers?: Readonly<Record<string, string>>; readonly body?: string }
  /** Wait this long, then answer normally (nothing is kept if the client has gone by then). */
  | { readonly delayMs: number }
  /** Read the request, then destroy the connection without answering. */
  | { readonly drop: true };

/** An answer to one request: its status, headers and body (default empty). */
export interface Answer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface ListenOptions {
  /** Serve HTTPS with a certificate for 127.0.0.1 and localhost issued at start by a test root. */
  readonly tls?: boolean | undefined;
  /** The subject of that test root, e.g. "CN=certwatch webhook test root". */
  readonly rootSubject: string;
  /** server.keepAliveTimeout, when the receiver sets one (default Node's). */
  readonly keepAliveTimeoutMs?: number;
}

export interface Listening {
  readonly port: number;
  /** PEM of the test root that issued the HTTPS certificate (null over HTTP). */
  readonly ca: string | null;
  /** `http(s)://127.0.0.1:<port>`. */
  readonly origin: string;
}

export interface HttpReceiverKit {
  /** True once close() was called. */
  readonly closing: boolean;
  /** Starts the server on 127.0.0.1, a free port; once only. */
  listen(opts: ListenOptions, onRequest: http.RequestListener): Promise<Listening>;
  /** Resolves when the response closes (the client left or the answer went out). */
  gone(res: http.ServerResponse): Promise<void>;
  /** Waits `ms`, or less if `gone` resolves first; close() cancels the timer. */
  sleep(ms: number, gone: Promise<void>): Promise<void>;
  /** The receiver is closing or the client has left: no answer can be given. */
  clientLeft(req: http.IncomingMessage, res: http.ServerResponse): boolean;
  /** Wakes the pending waitFor calls so they look again. */
  wake(): void;
  /**
   * Resolves with `result()` once `have()` reaches `count`; rejects after `timeoutMs` with
   * "waited <timeoutMs> ms for <count> <what>, <have()> arrived".
   */
  waitFor<T>(count: number, timeoutMs: number, have: () => number, result: () => T, what: string): Promise<T>;
  /** Cancels the sleeps, destroys the connections and closes the server. */
  close(): Promise<void>;
}

export function httpReceiverKit(): HttpReceiverKit {
  const waiters = new Set<() => void>();
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();
  let closing = false;
  let server: http.Server | null = null;

  return {
    get closing() {
      return closing;
    },
    async listen(opts, onRequest) {
      let ca: string | null = null;
      let s: http.Server;
      if (opts.tls === true) {
        const root = await createRootCa({ subject: opts.rootSubject });
        const leaf = await issueLeaf(root, { dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });
        ca = root.certPem;
        s = https.createServer({ cert: leaf.certPem, key: leaf.keyPem }, onRequest);
      } else {
        s = http.createServer(onRequest);
      }
      server = s;
      s.requestTimeout = 30_000;
      if (opts.keepAliveTimeoutMs !== undefined) s.keepAliveTimeout = opts.keepAliveTimeoutMs;
      // Over TLS only sockets past the handshake are tracked (and destroyed on close), never one mid-handshake.
      const track = (sock: Socket): void => {
        sockets.add(sock);
        sock.on("close", () => sockets.delete(sock));
        sock.on("error", () => undefined);
      };
      s.on(opts.tls === true ? "secureConnection" : "connection", track);
      s.on("clientError", (_e, socket) => socket.destroy());

      const port = await new Promise<number>((resolve, reject) => {
        s.once("error", reject);
        s.listen({ host: "127.0.0.1", port: 0 }, () => {
          s.off("error", reject);
          const a = s.address();
          if (a === null || typeof a === "string") reject(new Error("no address"));
          else resolve(a.port);
        });
      });
      return { port, ca, origin: `${opts.tls === true ? "https" : "http"}://127.0.0.1:${port}` };
    },
    gone(res) {
      return new Promise<void>((resolve) => res.on("close", () => resolve()));
    },
    sleep(ms, gone) {
      return Promise.race([
        new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            timers.delete(t);
            resolve();
          }, ms);
          timers.add(t);
        }),
        gone,
      ]);
    },
    clientLeft(req, res) {
      return closing || res.destroyed || req.socket.destroyed;
    },
    wake() {
      for (const w of [...waiters]) w();
    },
    waitFor(count, timeoutMs, have, result, what) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (have() < count) return;
          finish();
          resolve(result());
        };
        const finish = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`waited ${timeoutMs} ms for ${count} ${what}, ${have()} arrived`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close() {
      closing = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      return new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        if (server === null) resolve();
        else server.close(() => resolve());
      });
    },
  };
}

/**
 * Reads a request body of at most `maxBytes`, then calls `done` with it. Past the cap, once: sets
 * `connection: close`, lets `tooLarge` answer (it gets the bytes read so far), and closes the socket once written.
 */
export function readBody(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  maxBytes: number,
  tooLarge: (size: number) => void,
  done: (body: Buffer) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  req.on("data", (c: Buffer) => {
    if (over) return;
    size += c.length;
    if (size > maxBytes) {
      over = true;
      res.setHeader("connection", "close");
      tooLarge(size);
      req.socket.destroySoon();
      return;
    }
    chunks.push(c);
  });
  req.on("end", () => {
    if (!over) done(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
  });
  req.on("error", () => undefined);
}

/** Faults queued for the next requests, in order. */
export class FaultQueue<F> {
  private readonly queue: F[] = [];

  /** Queues `fault` for the next `count` requests (after those already queued). */
  add(count: number, fault: F): void {
    for (let i = 0; i < count; i++) this.queue.push(fault);
  }

  /** Takes the first queued fault (the first that `match` accepts, when given). */
  take(match?: (f: F) => boolean): F | undefined {
    if (match === undefined) return this.queue.shift();
    const i = this.queue.findIndex(match);
    return i < 0 ? undefined : this.queue.splice(i, 1)[0];
  }
}

/** The first value of a request header. */
export function firstHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Applies `fault` to a request: a drop is recorded (status 0, "dropped") and the connection destroyed; a status
 * is recorded (that status, "fault") and answered; true then, the request is done. A delay is waited out (or
 * until the client leaves), and false: the receiver answers normally.
 */
export async function applyFault(
  kit: HttpReceiverKit,
  fault: HttpFault | undefined,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  gone: Promise<void>,
  record: (status: number, problem: "dropped" | "fault") => void,
): Promise<boolean> {
  if (fault !== undefined && "drop" in fault) {
    record(0, "dropped");
    req.socket.destroy();
    return true;
  }
  if (fault !== undefined && "status" in fault) {
    record(fault.status, "fault");
    sendAnswer(res, faultAnswer(fault));
    return true;
  }
  if (fault !== undefined && "delayMs" in fault) await kit.sleep(fault.delayMs, gone);
  return false;
}

/** What every receiver offers: queue faults, wait for `count` of what it takes (5 s by default), close. */
export function receiverControls<F, T>(
  kit: HttpReceiverKit,
  faults: FaultQueue<F>,
  have: () => number,
  result: () => T,
  what: string,
): {
  fail(count: number, fault: F): void;
  waitFor(count: number, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
} {
  return {
    fail(count, fault) {
      faults.add(count, fault);
    },
    waitFor(count, timeoutMs = 5000) {
      return kit.waitFor(count, timeoutMs, have, result, what);
    },
    close() {
      return kit.close();
    },
  };
}

/** The answer a `{ status, headers?, body? }` fault gives: that status, those headers, that body (default empty). */
export function faultAnswer(fault: {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}): Answer {
  return {
    status: fault.status,
    ...(fault.headers ? { headers: fault.headers } : {}),
    body: fault.body ?? "",
  };
}

/**
 * Sends `a` with its content-length, unless an answer was already sent or the response is gone; `defaults` are
 * headers the answer's own override.
 */
export function sendAnswer(
  res: http.ServerResponse,
  a: Answer,
  defaults: Readonly<Record<string, string>> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const body = Buffer.from(a.body ?? "", "utf8");
  res.writeHead(a.status, { ...defaults, ...(a.headers ?? {}), "content-length": String(body.length) });
  res.end(body);
}
