/**
 * @module test/helpers/http-fixture-server
 * A local HTTP server (127.0.0.1, port 0) with configurable routes for download tests: static bodies with
 * ETag/Last-Modified (304s), endless, slow and huge streams, silence, redirects and error statuses.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type FixtureRoute =
  | {
      kind: "static";
      body: Uint8Array | string;
      contentType?: string;
      /** Sent as given, e.g. `"v1"` with its quotes. */
      etag?: string;
      lastModified?: string;
      status?: number;
      /** Send without Content-Length (chunked). */
      chunked?: boolean;
    }
  /** A small HTML page, as a captive portal or a web server's error page would send. */
  | { kind: "html" }
  /** `prefix`, then filler bytes: `bytes` in total (forever when absent); Content-Length only when `declareLength`. */
  | {
      kind: "stream";
      bytes?: number;
      declareLength?: boolean;
      prefix?: Uint8Array;
      chunkBytes?: number;
      intervalMs?: number;
    }
  /** Accepts the request and never answers. */
  | { kind: "silent" }
  | { kind: "redirect"; location: string; status?: number }
  | { kind: "status"; status: number };

export interface HttpFixtureServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  url(path: string): string;
  route(path: string, route: FixtureRoute): void;
  /** Requests received for `path` (304s included). */
  hits(path: string): number;
  /** Headers of the last request for `path`. */
  lastHeaders(path: string): IncomingHttpHeaders | undefined;
  close(): Promise<void>;
}

const HTML = "<!DOCTYPE html>\n<html><head><title>Welcome</title></head><body>Please log in</body></html>\n";

function notModified(route: Extract<FixtureRoute, { kind: "static" }>, h: IncomingHttpHeaders): boolean {
  const inm = h["if-none-match"];
  if (inm !== undefined) {
    return (
      route.etag !== undefined && inm.split(",").some((t) => t.trim().replace(/^W\//, "") === route.etag)
    );
  }
  const ims = h["if-modified-since"];
  if (ims === undefined || route.lastModified === undefined) return false;
  return Date.parse(ims) >= Date.parse(route.lastModified);
}

/** Writes with backpressure until `total` bytes are sent or the client goes away. */
function stream(res: ServerResponse, route: Extract<FixtureRoute, { kind: "stream" }>): void {
  const chunk = Buffer.alloc(route.chunkBytes ?? 64 * 1024, 0x41);
  const total = route.bytes ?? Infinity;
  const interval = route.intervalMs ?? 0;
  let sent = 0;
  if (route.prefix) {
    res.write(route.prefix);
    sent = route.prefix.length;
  }
  let timer: NodeJS.Timeout | undefined;
  res.on("close", () => clearTimeout(timer));
  const pump = (): void => {
    while (!res.destroyed && sent < total) {
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      const more = res.write(n === chunk.length ? chunk : chunk.subarray(0, n));
      if (interval > 0) {
        timer = setTimeout(pump, interval);
        return;
      }
      if (!more) {
        res.once("drain", pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

export async function startHttpFixtureServer(
  initial: Record<string, FixtureRoute> = {},
): Promise<HttpFixtureServer> {
  const routes = new Map(Object.entries(initial));
  const hits = new Map<string, number>();
  const headers = new Map<string, IncomingHttpHeaders>();
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    hits.set(path, (hits.get(path) ?? 0) + 1);
    headers.set(path, req.headers);
    const route = routes.get(path);
    if (route === undefined) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    switch (route.kind) {
      case "static": {
        const h: Record<string, string> = {};
        if (route.etag !== undefined) h["etag"] = route.etag;
        if (route.lastModified !== undefined) h["last-modified"] = route.lastModified;
        if (notModified(route, req.headers)) {
          res.writeHead(304, h).end();
          return;
        }
        const body = typeof route.body === "string" ? Buffer.from(route.body) : route.body;
        h["content-type"] = route.contentType ?? "application/pkix-crl";
        if (!route.chunked) h["content-length"] = String(body.length);
        res.writeHead(route.status ?? 200, h).end(body);
        return;
      }
      case "html":
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(HTML);
        return;
      case "stream": {
        const h: Record<string, string> = { "content-type": "application/pkix-crl" };
        if (route.declareLength && route.bytes !== undefined) h["content-length"] = String(route.bytes);
        res.writeHead(200, h);
        stream(res, route);
        return;
      }
      case "silent":
        return;
      case "redirect":
        res.writeHead(route.status ?? 302, { location: route.location }).end();
        return;
      case "status":
        res.writeHead(route.status, { "content-type": "text/plain" }).end(`status ${route.status}\n`);
        return;
    }
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    url: (path) => `${origin}${path}`,
    route: (path, route) => void routes.set(path, route),
    hits: (path) => hits.get(path) ?? 0,
    lastHeaders: (path) => headers.get(path),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
