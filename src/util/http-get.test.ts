/**
 * @module util/http-get.test
 * Bounded GET against a local server: bodies and statuses, gzip/deflate, caps on wire and decoded size (a
 * gzip bomb), bad encodings, bodies cut short, timeouts, refused connections, aborts and keep-alive reuse;
 * redirects and the address policy (after DNS resolution, on every hop) against servers on 127.0.0.1 and
 * 127.0.0.2, with a test resolver.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { isIP, type AddressInfo, type LookupFunction, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import type { AddressPolicy } from "./address-policy.js";
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

/** A server on `host` that records each request's path and headers, with handlers by path. */
async function recorder(
  host: string,
  port: number,
  routes: Record<string, Handler>,
): Promise<{
  port: number;
  seen: { path: string; headers: IncomingMessage["headers"] }[];
  close(): Promise<void>;
}> {
  const seen: { path: string; headers: IncomingMessage["headers"] }[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    seen.push({ path, headers: req.headers });
    (routes[path] ?? send("not found", {}, 404))(req, res);
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const redirectTo =
  (location: string, status = 302): Handler =>
  (_req, res) => {
    res.writeHead(status, { location, "content-length": 0 });
    res.end();
  };

/** A resolver for test names: each name maps to its addresses (a function of the call count for rebinding). */
function fakeLookup(names: Record<string, (call: number) => string[]>): LookupFunction {
  const calls = new Map<string, number>();
  return (hostname, options, callback) => {
    const answer = names[hostname];
    if (answer === undefined) {
      const e: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
      e.code = "ENOTFOUND";
      setImmediate(() => callback(e, options.all === true ? [] : ""));
      return;
    }
    const n = calls.get(hostname) ?? 0;
    calls.set(hostname, n + 1);
    const list = answer(n).map((address) => ({ address, family: isIP(address) }));
    setImmediate(() => {
      if (options.all === true) callback(null, list);
      else callback(null, list[0]?.address ?? "", list[0]?.family ?? 4);
    });
  };
}

describe("HttpClient: redirects and the address policy", () => {
  // 127.0.0.1 stands for the public internet and 127.0.0.2 for a forbidden address, on the same port: a
  // request that reached the marker would be seen by it, so "refused" is proven by its empty log.
  const MARKER = "127.0.0.2";
  const policy: AddressPolicy = (a) => (a === MARKER || a === "::ffff:7f00:2" ? "the test's marker" : null);
  let marker: Awaited<ReturnType<typeof recorder>>;
  let open: Awaited<ReturnType<typeof recorder>>;
  let port: number;
  const names = {
    "open.test": () => ["127.0.0.1"],
    "marker.test": () => [MARKER],
    "mixed.test": () => [MARKER, "127.0.0.1"],
    "rebind.test": (call: number) => (call === 0 ? ["127.0.0.1"] : [MARKER]),
  };
  let client: HttpClient;
  const on = (host: string, path: string): string => `http://${host}:${port}${path}`;

  before(async () => {
    marker = await recorder(MARKER, 0, { "/x": send("marker"), "/secret": send("metadata") });
    port = marker.port;
    open = await recorder("127.0.0.1", port, {
      "/x": send("open"),
      "/echo": (req, res) => send(JSON.stringify(req.headers))(req, res),
      "/r1": redirectTo("/r2", 301),
      "/r2": redirectTo("/r3", 307),
      "/r3": redirectTo("/x", 308),
      "/see-other": redirectTo("/x", 303),
      "/loop": redirectTo("/loop"),
      "/to-marker-literal": redirectTo(`http://${MARKER}:${port}/secret`),
      "/to-marker-name": redirectTo(`http://marker.test:${port}/secret`),
      "/to-mapped": redirectTo(`http://[::ffff:127.0.0.2]:${port}/secret`),
      "/to-ftp": redirectTo("ftp://files.test/secret-path"),
      "/no-location": (_req, res) => res.writeHead(302, { "content-length": 0 }).end(),
      "/to-other-origin": redirectTo(`http://open.test:${port}/echo`),
      "/der-huge": (_req, res) => {
        res.writeHead(200);
        res.write(Buffer.from([0x30, 0x84, 0x10, 0, 0, 0]));
      },
    });
    client = new HttpClient({ keepAlive: false, addressPolicy: policy, lookup: fakeLookup(names) });
  });
  after(async () => {
    client.destroy();
    await marker.close();
    await open.close();
  });

  const markerSaw = (): string[] => marker.seen.map((s) => s.path);

  it("follows up to maxRedirects redirects of any kind, and returns a redirect as an answer by default", async () => {
    const r = expectOk(await client.get(on("open.test", "/r1"), { ...opts, maxRedirects: 3 }));
    assert.equal(r.body.toString(), "open");
    assert.equal(r.url, on("open.test", "/x"));
    assert.equal(
      expectOk(await client.get(on("open.test", "/see-other"), { ...opts, maxRedirects: 1 })).status,
      200,
    );
    assert.equal(expectOk(await client.get(on("open.test", "/r1"), opts)).status, 301);
  });

  it("stops after maxRedirects, and at a redirect without a usable http(s) Location, without quoting it", async () => {
    assert.match(
      expectError(await client.get(on("open.test", "/loop"), { ...opts, maxRedirects: 3 }), "redirect"),
      /more than 3 redirects/,
    );
    assert.equal(open.seen.filter((s) => s.path === "/loop").length, 4);
    const ftp = expectError(
      await client.get(on("open.test", "/to-ftp"), { ...opts, maxRedirects: 3 }),
      "redirect",
    );
    assert.match(ftp, /ftp: URL/);
    assert.doesNotMatch(ftp, /secret-path|files\.test/);
    expectError(await client.get(on("open.test", "/no-location"), { ...opts, maxRedirects: 3 }), "redirect");
  });

  it("refuses an IP-literal host the policy forbids, before connecting", async () => {
    const e = expectError(await client.get(on(MARKER, "/x"), opts), "forbidden-address");
    assert.match(e, /127\.0\.0\.2 is the test's marker/);
    const mapped = expectError(await client.get(on("[::ffff:127.0.0.2]", "/x"), opts), "forbidden-address");
    assert.match(mapped, /::ffff:7f00:2/);
    assert.deepEqual(markerSaw(), []);
  });

  it("refuses a name whose addresses the policy forbids, judged after DNS resolution", async () => {
    const e = expectError(await client.get(on("marker.test", "/x"), opts), "forbidden-address");
    assert.match(e, /marker\.test resolves to 127\.0\.0\.2, the test's marker/);
    assert.deepEqual(markerSaw(), []);
  });

  it("connects only to the allowed addresses of a name that has both", async () => {
    assert.equal(expectOk(await client.get(on("mixed.test", "/x"), opts)).body.toString(), "open");
    assert.deepEqual(markerSaw(), []);
  });

  it("judges the address each connection resolves to: a name rebound to a forbidden address is refused", async () => {
    assert.equal(expectOk(await client.get(on("rebind.test", "/x"), opts)).body.toString(), "open");
    expectError(await client.get(on("rebind.test", "/x"), opts), "forbidden-address");
    assert.deepEqual(markerSaw(), []);
  });

  it("checks every redirect hop: to a forbidden literal, name or IPv4-mapped form", async () => {
    for (const path of ["/to-marker-literal", "/to-marker-name", "/to-mapped"]) {
      const e = expectError(
        await client.get(on("open.test", path), { ...opts, maxRedirects: 3 }),
        "forbidden-address",
      );
      assert.match(e, /redirect 1 from/, path);
      assert.doesNotMatch(e, /secret/, path);
    }
    assert.deepEqual(markerSaw(), []);
  });

  it("drops Authorization and Cookie on a redirect to another origin", async () => {
    const r = expectOk(
      await client.get(on("127.0.0.1", "/to-other-origin"), {
        ...opts,
        maxRedirects: 1,
        headers: { authorization: "Bearer secret", cookie: "a=b", accept: "text/plain" },
      }),
    );
    const h = JSON.parse(r.body.toString()) as Record<string, string>;
    assert.equal(h.authorization, undefined);
    assert.equal(h.cookie, undefined);
    assert.equal(h.accept, "text/plain");
  });

  it("without a policy (CT, notifiers) any address is fetched", async () => {
    const any = new HttpClient({ keepAlive: false });
    try {
      assert.equal(expectOk(await any.get(on(MARKER, "/x"), opts)).body.toString(), "marker");
      assert.deepEqual(markerSaw(), ["/x"]);
    } finally {
      any.destroy();
      marker.seen.length = 0;
    }
  });

  it("refuses a body whose first bytes announce more than the cap (sizeFromHead)", async () => {
    const sizeFromHead = (h: Buffer): number | "need-more" | null =>
      h.length < 6 ? "need-more" : 6 + h.readUInt32BE(2);
    const e = expectError(
      await client.get(on("open.test", "/der-huge"), { ...opts, sizeFromHead }),
      "too-large",
    );
    assert.match(e, /announce 268435462 bytes, over the 1048576-byte cap/);
  });
});
