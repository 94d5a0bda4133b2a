/**
 * @module auth/oidc/bounded-fetch.test
 * openid-client's fetch over the bounded client, against real servers on 127.0.0.1: answers become Responses
 * (decoded, status and headers kept), form bodies are sent, an answer over the cap or too slow is a rejection whose
 * text never holds the request body, and a private CA is trusted only when given.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { createRootCa, issueLeaf } from "../../../test/helpers/pki.js";
import { boundedFetch } from "./bounded-fetch.js";

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

async function serve(server: Server, handler: { current: Handler }): Promise<string> {
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => handler.current(req, body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const init = (method = "GET", body?: URLSearchParams) => ({
  method,
  headers: { accept: "application/json" },
  redirect: "manual" as const,
  body,
});

void describe("OIDC bounded fetch", () => {
  const handler: { current: Handler } = { current: (_q, _b, res) => res.end() };
  const server = createServer();
  let base: string;
  const fetch = boundedFetch({ timeoutMs: 500, maxBytes: 1000 });

  before(async () => {
    base = `http://${await serve(server, handler)}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  void it("turns an answer into a Response: status, headers, the decoded body", async () => {
    handler.current = (_req, _body, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      res.end(gzipSync(JSON.stringify({ issuer: "https://idp" })));
    };
    const r = await fetch(`${base}/.well-known/openid-configuration`, init());
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-type"), "application/json");
    assert.equal(r.headers.get("content-encoding"), null, "already decoded");
    assert.deepEqual(await r.json(), { issuer: "https://idp" });
  });

  void it("sends a form body with its headers; a 204 has no body; a 400 is an answer, not a failure", async () => {
    let got = "";
    handler.current = (req, body, res) => {
      got = `${req.method} ${req.headers["content-type"]} ${body}`;
      res.writeHead(body.includes("grant_type") ? 400 : 204, { "content-type": "application/json" });
      res.end(body.includes("grant_type") ? '{"error":"invalid_grant"}' : undefined);
    };
    const form = new URLSearchParams({ grant_type: "authorization_code", code: "abc" });
    const r = await fetch(`${base}/token`, {
      ...init("POST", form),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal(got, "POST application/x-www-form-urlencoded grant_type=authorization_code&code=abc");
    assert.equal(r.status, 400);
    assert.deepEqual(await r.json(), { error: "invalid_grant" });
    const none = await fetch(`${base}/revoke`, init("POST", new URLSearchParams({ token: "t" })));
    assert.equal(none.status, 204);
    assert.equal(none.body, null);
  });

  void it("rejects an answer over the cap, and one too slow, without quoting the request body", async () => {
    const form = new URLSearchParams({ client_secret: "never-in-an-error" });
    handler.current = (_req, _body, res) => res.end("x".repeat(5000));
    await assert.rejects(fetch(`${base}/jwks`, init("POST", form)), (e: unknown) => {
      assert.ok(e instanceof TypeError);
      assert.match(e.message, /^identity provider request failed: .*1000-byte cap/);
      assert.ok(!e.message.includes("never-in-an-error"));
      return true;
    });
    handler.current = () => undefined; // never answers
    const started = Date.now();
    await assert.rejects(fetch(`${base}/slow`, init("POST", form)), (e: unknown) => {
      assert.ok(e instanceof TypeError);
      assert.match(e.message, /within 500 ms/);
      assert.ok(!e.message.includes("never-in-an-error"));
      return true;
    });
    assert.ok(Date.now() - started < 3000);
  });

  void it("trusts a private CA only when it is given", async () => {
    const ca = await createRootCa({ subject: "CN=private IdP CA" });
    const leaf = await issueLeaf(ca, { ipAddresses: ["127.0.0.1"] });
    const tls = createHttpsServer({ cert: leaf.certPem, key: leaf.keyPem });
    const tlsHandler: { current: Handler } = { current: (_q, _b, res) => res.end("{}") };
    const origin = `https://${await serve(tls, tlsHandler)}`;
    try {
      const trusting = boundedFetch({ timeoutMs: 2000, maxBytes: 1000, ca: [ca.certPem] });
      assert.equal((await trusting(`${origin}/`, init())).status, 200);
      const bundled = boundedFetch({ timeoutMs: 2000, maxBytes: 1000 });
      await assert.rejects(bundled(`${origin}/`, init()), /identity provider request failed/);
    } finally {
      tls.closeAllConnections();
      tls.close();
    }
  });
});
