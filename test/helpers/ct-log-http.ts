/**
 * @module test/helpers/ct-log-http
 * The HTTP side both local CT logs share (test/helpers/ct-log.ts and bench/ct/log-server.ts): which Static CT
 * API resource a path names, the signed checkpoint note, and the small answers (JSON, 400, checkpoint text,
 * integer query parameters, the consistency proof) their RFC 6962 endpoints give, and the loopback server.
 */
import { createServer, type IncomingMessage, type ServerOptions, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** A Static CT API read-path resource, as a path names it. */
export type StaticCtResource =
  | { kind: "checkpoint" }
  | { kind: "issuer"; fingerprintHex: string }
  | { kind: "data-tile"; first: number; width: number }
  | { kind: "hash-tile"; level: number; first: number; width: number };

const TILE = /^\/tile\/(data|[0-5])\/((?:x\d{3}\/)*\d{3})(?:\.p\/([1-9]\d{0,2}))?$/;

/** `<N>` of a tile path: 3-digit elements, all but the last prefixed with `x` (1234067 → `x001/x234/067`). */
export function tileIndexPath(n: number): string {
  const parts: string[] = [];
  let x = n;
  do {
    parts.unshift(String(x % 1000).padStart(3, "0"));
    x = Math.floor(x / 1000);
  } while (x > 0);
  return parts.map((p, i) => (i < parts.length - 1 ? `x${p}` : p)).join("/");
}

/**
 * The resource `pathname` names in a log whose published head has `treeSize` entries; null for any other
 * path, a non-canonical tile index, a partial tile of 256 or more, or a tile the head does not cover.
 */
export function staticCtResource(pathname: string, treeSize: number): StaticCtResource | null {
  if (pathname === "/checkpoint") return { kind: "checkpoint" };
  const issuer = /^\/issuer\/([0-9a-f]{64})$/.exec(pathname);
  if (issuer !== null) return { kind: "issuer", fingerprintHex: issuer[1] as string };
  const tile = TILE.exec(pathname);
  if (tile === null) return null;
  const [, kind, nPath, wText] = tile as unknown as [string, string, string, string | undefined];
  const n = Number(nPath.replace(/[x/]/g, ""));
  if (tileIndexPath(n) !== nPath) return null;
  const width = wText === undefined ? 256 : Number(wText);
  if (width > 255 && wText !== undefined) return null;
  const level = kind === "data" ? 0 : Number(kind);
  // Only tiles that the published head covers exist.
  if ((n * 256 + width) * 256 ** level > treeSize) return null;
  const first = n * 256;
  return kind === "data" ? { kind: "data-tile", first, width } : { kind: "hash-tile", level, first, width };
}

/** The signed note a log serves at /checkpoint (c2sp.org/static-ct-api, c2sp.org/signed-note). */
export function checkpointNote(
  origin: string,
  head: { treeSize: number; rootHash: Buffer; timestamp: number; signature: Buffer },
  keyId: Buffer,
): string {
  const body = `${origin}\n${head.treeSize}\n${head.rootHash.toString("base64")}\n`;
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64BE(BigInt(head.timestamp));
  const sig = Buffer.concat([keyId, ts, head.signature]);
  return `${body}\n\u2014 ${origin} ${sig.toString("base64")}\n`;
}

export function sendCheckpoint(res: ServerResponse, text: string): void {
  res.writeHead(200, {
    "content-type": "text/plain; charset=utf-8",
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export function sendBadRequest(res: ServerResponse, what: string): void {
  res.writeHead(400, { "content-type": "text/plain" });
  res.end(what);
}

/** A query parameter of up to 15 digits as a number; null when absent or anything else. */
export function intParam(u: URL, name: string): number | null {
  const v = u.searchParams.get(name);
  return v === null || !/^\d{1,15}$/.test(v) ? null : Number(v);
}

/** get-sth-consistency: the proof between the sizes asked, or 400 unless 0 <= first <= second <= treeSize. */
export function answerConsistency(
  u: URL,
  res: ServerResponse,
  treeSize: number,
  proof: (first: number, second: number) => readonly Uint8Array[],
): void {
  const first = intParam(u, "first");
  const second = intParam(u, "second");
  if (first === null || second === null || first > second || second > treeSize) {
    sendBadRequest(res, "bad first/second");
    return;
  }
  sendJson(res, 200, { consistency: proof(first, second).map((b) => Buffer.from(b).toString("base64")) });
}

export interface LoopbackLog {
  readonly port: number;
  /** Destroys the open connections and closes the server. */
  close(): Promise<void>;
}

/** Serves `handle` on 127.0.0.1, a free port; a handler that throws answers 500 with the error. */
export async function listenLoopback(
  handle: (req: IncomingMessage, res: ServerResponse) => void,
  options: ServerOptions = {},
): Promise<LoopbackLog> {
  const server = createServer(options, (req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(err));
    }
  });
  const sockets = new Set<Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
