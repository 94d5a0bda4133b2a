/**
 * @module server/server.test
 * The HTTP layer over real sockets on loopback: health and readiness, the body cap, unknown routes, HTTPS from
 * the configured files, and a client too slow with its headers being cut off.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { get } from "node:https";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createRootCa, issueLeaf } from "../../test/helpers/pki.js";
import { configFromObject } from "../config/load.js";
import { jsonLog } from "../daemon/json-log.js";
import { openStore } from "../store/open.js";
import type { Store } from "../store/store.js";
import { createHttpApp, MAX_BODY_BYTES, splitTarget } from "./app.js";
import type { ReadyCheck, ServerDeps } from "./deps.js";
import { listen, ListenError, type RunningHttpServer } from "./listen.js";

describe("HTTP server", () => {
  let store: Store;
  let dir: string;
  const logged: string[] = [];
  let checks: ReadyCheck[] = [];

  const deps = (): ServerDeps => ({
    store,
    config: () => configFromObject({}, join(dir, "certwatch.yaml")),
    now: () => new Date(),
    log: jsonLog((l) => logged.push(l)),
    readiness: () => Promise.resolve(checks),
  });

  before(async () => {
    store = await openStore("sqlite::memory:");
    dir = mkdtempSync(join(tmpdir(), "certwatch-server-"));
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("healthz answers while readyz says which check fails", async () => {
    const app = createHttpApp(deps());
    const health = await app.request("/healthz");
    assert.equal(health.status, 200);
    assert.equal(health.headers.get("cache-control"), "no-store");
    checks = [
      { name: "store", ok: true },
      { name: "scheduler", ok: false, detail: "stopping" },
    ];
    const notReady = await app.request("/readyz");
    assert.equal(notReady.status, 503);
    assert.deepEqual(await notReady.json(), { status: "not ready", checks });
    checks = [{ name: "store", ok: true }];
    assert.equal((await app.request("/readyz")).status, 200);
  });

  it("refuses a body over the cap with 413 and answers unknown paths with a JSON 404", async () => {
    const app = createHttpApp(deps());
    const big = await app.request("/healthz", {
      method: "POST",
      body: "x".repeat(MAX_BODY_BYTES + 1),
      headers: { "content-type": "text/plain" },
    });
    assert.equal(big.status, 413);
    const missing = await app.request("/nothing-here");
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { error: "not found" });
    const api = await app.request("/api/v1/openapi.json");
    assert.equal(api.status, 200, "the REST API is mounted under /api/v1");
  });

  it("serves HTTPS with the configured certificate and key files", async () => {
    const root = await createRootCa({ subject: "CN=Server Test Root" });
    const leaf = await issueLeaf(root, { dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });
    writeFileSync(join(dir, "tls.crt"), leaf.certPem);
    writeFileSync(join(dir, "tls.key"), leaf.keyPem);
    const server = await listen(createHttpApp(deps()), {
      host: "127.0.0.1",
      port: 0,
      tls: { certFile: join(dir, "tls.crt"), keyFile: join(dir, "tls.key") },
      headersTimeoutMs: 5000,
      requestTimeoutMs: 5000,
    });
    try {
      assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        get(`${server.url}/healthz`, { ca: root.certPem }, (res) => {
          let body = "";
          res.on("data", (d: Buffer) => (body += d.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        }).on("error", reject);
      });
      assert.equal(status, 200);
      assert.deepEqual(JSON.parse(body), { status: "ok" });
    } finally {
      await server.close(0);
    }
  });

  it("refuses a TLS key file that is not a regular file, naming the field", async () => {
    await assert.rejects(
      listen(createHttpApp(deps()), {
        host: "127.0.0.1",
        port: 0,
        tls: { certFile: join(dir, "tls.crt"), keyFile: dir },
        headersTimeoutMs: 5000,
        requestTimeoutMs: 5000,
      }),
      /server\.tls\.keyFile: .*directory/,
    );
  });

  it("cuts off a client that does not finish its headers within headersTimeout", async () => {
    let server: RunningHttpServer | undefined;
    try {
      server = await listen(createHttpApp(deps()), {
        host: "127.0.0.1",
        port: 0,
        headersTimeoutMs: 1000,
        requestTimeoutMs: 60_000,
      });
      const port = server.port;
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, "127.0.0.1", () => socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
        let got = "";
        socket.on("data", (d: Buffer) => (got += d.toString()));
        socket.on("close", () => resolve(got));
        socket.on("error", reject);
        // Far beyond the configured second, far below Node's own 30 s check: only the configured bound passes.
        setTimeout(() => {
          socket.destroy();
          reject(new Error("the server kept the connection open"));
        }, 15_000).unref();
      });
      assert.match(answer, /^HTTP\/1\.1 408/);
    } finally {
      await server?.close(0);
    }
  });

  it("a port in use is a SERVER_LISTEN_FAILED error that says which setting to change", async () => {
    const opts = { host: "127.0.0.1", port: 0, headersTimeoutMs: 5000, requestTimeoutMs: 5000 };
    const first = await listen(createHttpApp(deps()), opts);
    try {
      await assert.rejects(listen(createHttpApp(deps()), { ...opts, port: first.port }), (e: unknown) => {
        assert.ok(e instanceof ListenError);
        assert.equal(e.code, "SERVER_LISTEN_FAILED");
        assert.equal(e.info.exit, 2);
        assert.match(
          e.message,
          /^server: cannot listen on 127\.0\.0\.1:\d+: the port is in use .*server\.port$/,
        );
        return true;
      });
    } finally {
      await first.close(0);
    }
  });

  it("splits scan-now targets, IPv6 in brackets", () => {
    assert.deepEqual(splitTarget("WWW.Contoso.com:443"), { host: "www.contoso.com", port: 443 });
    assert.deepEqual(splitTarget("[2001:db8::1]:8443"), { host: "2001:db8::1", port: 8443 });
    assert.equal(splitTarget("contoso.com"), null);
    assert.equal(splitTarget("contoso.com:0"), null);
    assert.equal(splitTarget("a:b:443"), null);
  });
});
