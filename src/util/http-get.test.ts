/**
 * @module util/http-get.test
 * Bounded GET against a local server: bodies and statuses, gzip/deflate, caps on wire and decoded size (a
 * gzip bomb), bad encodings, bodies cut short, timeouts, refused connections, aborts and keep-alive reuse.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { HttpClient, httpGet, type HttpGetResult } from "./http-get.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface TestServer {
  url(path: string): string;
  connections(): number;
  close(): Promise<void>;
}

async function serve(routes: Record<string, Handler>): Promise<TestServer> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((req, res) => {
    const h = routes[new URL(req.url ?? "/", "http://x").pathname];
    if (h === undefined) {
      res.writeHead(404, { "content-length": 9 });
      res.end("not found");
      return;
    }
    h(req, res);
  });
  server.on("connection", (s: Socket) => {
    connections++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const send =
  (body: Buffer | string, headers: Record<string, string | number> = {}, status = 200): Handler =>
  (_req, res) => {
    const b = Buffer.from(body);
    res.writeHead(status, { "content-length": b.length, ...headers });
    res.end(b);
  };

function expectOk(r: HttpGetResult): Extract<HttpGetResult, { kind: "ok" }> {
  assert.equal(r.kind, "ok", r.kind === "error" ? `${r.reason}: ${r.error}` : "");
  return r;
}

function expectError(r: HttpGetResult, reason: string): string {
  assert.equal(r.kind, "error", `expected ${reason}, got ${r.kind}`);
  assert.equal(r.reason, reason, JSON.stringify(r));
  return r.error;
}

const TEXT = "hello certificate transparency\n".repeat(100);
const opts = { timeoutMs: 2000, maxBytes: 1024 * 1024 };

describe("httpGet", () => {
  let srv: TestServer;
  const silent: IncomingMessage[] = [];
  before(async () => {
    srv = await serve({
      "/plain": send(TEXT, { "content-type": "text/plain" }),
      "/echo": (req, res) => send(JSON.stringify(req.headers))(req, res),
      "/teapot": send("no coffee", {}, 418),
      "/gzip": send(gzipSync(TEXT), { "content-encoding": "gzip" }),
      "/x-gzip": send(gzipSync(TEXT), { "content-encoding": "x-gzip" }),
      "/deflate": send(deflateSync(TEXT), { "content-encoding": "deflate" }),
      "/deflate-raw": send(deflateRawSync(TEXT), { "content-encoding": "deflate" }),
      "/gzip-empty": send(Buffer.alloc(0), { "content-encoding": "gzip" }),
      "/chunked": (_req, res) => {
        res.writeHead(200);
        res.write(TEXT.slice(0, 100));
        res.end(TEXT.slice(100));
      },
      "/big-declared": (_req, res) => {
        res.writeHead(200, { "content-length": 10 * 1024 * 1024 });
        res.write("x");
      },
      "/endless": (_req, res) => {
        res.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024, 0x41);
        const pump = (): void => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once("drain", pump);
        };
        pump();
      },
      // 32 MiB of zeros in about 32 KiB.
      "/bomb": send(gzipSync(Buffer.alloc(32 * 1024 * 1024)), { "content-encoding": "gzip" }),
      "/bad-gzip": send(Buffer.from("this is not gzip at all"), { "content-encoding": "gzip" }),
      "/brotli": send(Buffer.from("whatever"), { "content-encoding": "br" }),
      "/truncated": (_req, res) => {
        res.writeHead(200, { "content-length": 1000 });
        res.write(Buffer.alloc(500, 0x42));
        setImmediate(() => res.socket?.destroy());
      },
      "/truncated-gzip": (_req, res) => {
        const gz = gzipSync(TEXT);
        res.writeHead(200, { "content-length": gz.length, "content-encoding": "gzip" });
        res.write(gz.subarray(0, gz.length >> 1));
        setImmediate(() => res.socket?.destroy());
      },
      "/silent": (req) => {
        silent.push(req);
      },
    });
  });
  after(() => srv.close());

  it("returns the body, status and headers of a plain answer", async () => {
    const r = expectOk(await httpGet(srv.url("/plain"), opts));
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-type"], "text/plain");
    assert.equal(r.body.toString(), TEXT);
  });

  it("returns other statuses as answers, body included", async () => {
    const r = expectOk(await httpGet(srv.url("/teapot"), opts));
    assert.equal(r.status, 418);
    assert.equal(r.body.toString(), "no coffee");
    assert.equal(expectOk(await httpGet(srv.url("/nowhere"), opts)).status, 404);
  });

  it("sends its default and the caller's headers", async () => {
    const r = expectOk(await httpGet(srv.url("/echo"), { ...opts, headers: { Accept: "application/json" } }));
    const h = JSON.parse(r.body.toString()) as Record<string, string>;
    assert.equal(h.accept, "application/json");
    assert.equal(h["user-agent"], "certwatch");
    assert.match(h["accept-encoding"] ?? "", /gzip/);
  });

  it("reads chunked bodies", async () => {
    assert.equal(expectOk(await httpGet(srv.url("/chunked"), opts)).body.toString(), TEXT);
  });

  for (const path of ["/gzip", "/x-gzip", "/deflate", "/deflate-raw"]) {
    it(`decodes ${path.slice(1)} bodies`, async () => {
      assert.equal(expectOk(await httpGet(srv.url(path), opts)).body.toString(), TEXT);
    });
  }

  it("accepts an empty encoded body", async () => {
    assert.equal(expectOk(await httpGet(srv.url("/gzip-empty"), opts)).body.length, 0);
  });

  it("refuses a declared length over the cap before reading", async () => {
    const e = expectError(await httpGet(srv.url("/big-declared"), opts), "too-large");
    assert.match(e, /declares 10485760 bytes/);
  });

  it("stops an endless body at the cap", async () => {
    const t0 = Date.now();
    expectError(await httpGet(srv.url("/endless"), { timeoutMs: 5000, maxBytes: 256 * 1024 }), "too-large");
    assert.ok(Date.now() - t0 < 2000);
  });

  it("applies the cap to the decoded size: a gzip bomb is stopped", async () => {
    const before = process.memoryUsage().arrayBuffers;
    const e = expectError(
      await httpGet(srv.url("/bomb"), { timeoutMs: 5000, maxBytes: 1024 * 1024 }),
      "too-large",
    );
    assert.match(e, /decoded body/);
    assert.ok(process.memoryUsage().arrayBuffers - before < 16 * 1024 * 1024, "the bomb was not inflated");
  });

  it("reports bodies that do not decode and encodings it does not know", async () => {
    expectError(await httpGet(srv.url("/bad-gzip"), opts), "bad-encoding");
    assert.match(expectError(await httpGet(srv.url("/brotli"), opts), "bad-encoding"), /"br"/);
  });

  it("reports a body cut short as a network error, encoded or not", async () => {
    assert.match(expectError(await httpGet(srv.url("/truncated"), opts), "network"), /before the end/);
    expectError(await httpGet(srv.url("/truncated-gzip"), opts), "network");
  });

  it("gives up on a silent server at the deadline", async () => {
    const t0 = Date.now();
    expectError(await httpGet(srv.url("/silent"), { timeoutMs: 200, maxBytes: 1024 }), "timeout");
    const took = Date.now() - t0;
    assert.ok(took >= 190 && took < 1500, `took ${took} ms`);
  });

  it("reports refused connections and unusable URLs as network errors", async () => {
    const closed = await serve({});
    const url = closed.url("/x");
    await closed.close();
    expectError(await httpGet(url, opts), "network");
    expectError(await httpGet("ftp://127.0.0.1/x", opts), "network");
    expectError(await httpGet("not a url", opts), "network");
  });

  it("stops when its signal is aborted", async () => {
    const ac = new AbortController();
    const p = httpGet(srv.url("/silent"), { ...opts, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    assert.match(expectError(await p, "network"), /aborted/);
    ac.abort();
    assert.match(
      expectError(await httpGet(srv.url("/plain"), { ...opts, signal: ac.signal }), "network"),
      /aborted/,
    );
  });

  it("reuses one connection for sequential requests of a client", async () => {
    const s = await serve({ "/a": send("a"), "/b": send(gzipSync("b"), { "content-encoding": "gzip" }) });
    const client = new HttpClient();
    try {
      for (let i = 0; i < 5; i++) {
        assert.equal(expectOk(await client.get(s.url("/a"), opts)).body.toString(), "a");
        assert.equal(expectOk(await client.get(s.url("/b"), opts)).body.toString(), "b");
      }
      assert.equal(s.connections(), 1);
    } finally {
      client.destroy();
      await s.close();
    }
  });
});
