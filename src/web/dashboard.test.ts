/**
 * @module web/dashboard.test
 * Serving the dashboard without a browser: the shell's CSP and its fresh nonce, the security headers, the static
 * files' content types and ETags, the allow-list (no other file, no path traversal, also over a raw socket), a
 * missing web/ folder, the daemon's app mounting it all, and web/js/roles.js in step with src/auth/roles.ts.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { Hono } from "hono";
import { ACTIONS, can as serverCan, ROLES } from "../auth/roles.js";
import { configFromObject } from "../config/load.js";
import { jsonLog } from "../daemon/json-log.js";
import { createHttpApp } from "../server/app.js";
import { listen, type RunningHttpServer } from "../server/listen.js";
import { openStore } from "../store/open.js";
import type { Store } from "../store/store.js";
import { loadAssets, WEB_ROOT } from "./assets.js";
import { mountDashboard } from "./dashboard.js";

const SECRET = "top-secret-outside-web-root";

function dashboardApp(root?: string, warnings: string[] = []): Hono {
  const app = new Hono();
  mountDashboard(app, {
    ...(root !== undefined && { root }),
    log: { info: () => {}, warn: (m) => warnings.push(m) },
  });
  return app;
}

/** The nonce of the policy's script-src. */
function nonceOf(csp: string | null): string {
  const m = /script-src 'nonce-([A-Za-z0-9+/=]+)' 'strict-dynamic'/.exec(csp ?? "");
  assert.ok(m?.[1], `a nonce in script-src: ${csp}`);
  return m[1];
}

function assertSecurityHeaders(res: Response, what: string): void {
  const csp = res.headers.get("content-security-policy") ?? "";
  assert.match(csp, /default-src 'none'/, `${what}: CSP`);
  assert.match(csp, /frame-ancestors 'none'/, `${what}: frame-ancestors`);
  assert.match(csp, /base-uri 'none'/, `${what}: base-uri`);
  assert.equal(res.headers.get("x-frame-options"), "DENY", what);
  assert.equal(res.headers.get("referrer-policy"), "no-referrer", what);
  assert.equal(res.headers.get("x-content-type-options"), "nosniff", what);
}

describe("dashboard serving", () => {
  let dir: string;
  let fixture: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "certwatch-web-"));
    fixture = join(dir, "web");
    mkdirSync(join(fixture, "js", "pages"), { recursive: true });
    writeFileSync(join(dir, "secret.js"), `// ${SECRET}`);
    writeFileSync(join(fixture, "app.css"), "body{}");
    writeFileSync(join(fixture, "js", "main.js"), "export {};");
    writeFileSync(join(fixture, "js", "pages", "a.js"), "export default 1;");
    writeFileSync(join(fixture, "tsconfig.json"), `{"secret":"${SECRET}"}`);
    writeFileSync(join(fixture, "notes.txt"), SECRET);
    writeFileSync(join(fixture, ".hidden.js"), SECRET);
    writeFileSync(join(fixture, "Upper.js"), SECRET);
    writeFileSync(join(fixture, "main.js.bak"), SECRET);
    symlinkSync(join(dir, "secret.js"), join(fixture, "link.js"));
    symlinkSync(dir, join(fixture, "up"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("serves the shell with a strict CSP whose nonce is new for every answer and is the script's", async () => {
    const app = dashboardApp();
    const first = await app.request("/");
    assert.equal(first.status, 200);
    assert.match(first.headers.get("content-type") ?? "", /^text\/html; charset=utf-8/i);
    assert.equal(first.headers.get("cache-control"), "no-store");
    assertSecurityHeaders(first, "shell");
    const csp = first.headers.get("content-security-policy") ?? "";
    for (const directive of [
      "style-src 'self' 'nonce-",
      "img-src 'self' data:",
      "connect-src 'self'",
      "font-src 'none'",
      "form-action 'self'",
      "require-trusted-types-for 'script'",
    ]) {
      assert.ok(csp.includes(directive), `CSP has ${directive}: ${csp}`);
    }
    assert.ok(!/unsafe-inline|unsafe-eval|https?:|\*/.test(csp), `nothing loose: ${csp}`);
    const nonce = nonceOf(csp);
    assert.ok(Buffer.from(nonce, "base64").length >= 16, "128 bits at least");
    const html = await first.text();
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    assert.deepEqual(scripts, [`<script type="module" nonce="${nonce}" src="/assets/js/main.js">`]);
    assert.ok(!/\son[a-z]+=|style=|javascript:/i.test(html), "no inline handler, style or javascript: URL");

    const second = await app.request("/");
    assert.notEqual(nonceOf(second.headers.get("content-security-policy")), nonce);
    assert.ok(
      (await second.text()).includes(`nonce="${nonceOf(second.headers.get("content-security-policy"))}"`),
    );
  });

  it("serves web/'s files with their content types, an ETag and 304 when unchanged", async () => {
    const app = dashboardApp();
    const types: Record<string, RegExp> = {
      "/assets/js/main.js": /^text\/javascript; charset=utf-8$/,
      "/assets/js/pages/alerts.js": /^text\/javascript; charset=utf-8$/,
      "/assets/app.css": /^text\/css; charset=utf-8$/,
      "/assets/icon.svg": /^image\/svg\+xml$/,
    };
    for (const [path, type] of Object.entries(types)) {
      const res = await app.request(path);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get("content-type") ?? "", type, path);
      assertSecurityHeaders(res, path);
      assert.equal(res.headers.get("cache-control"), "no-cache", path);
      const etag = res.headers.get("etag") ?? "";
      assert.match(etag, /^"[A-Za-z0-9_-]{20,}"$/, path);
      assert.ok((await res.arrayBuffer()).byteLength > 0, path);
      const again = await app.request(path, { headers: { "If-None-Match": `W/"x", ${etag}` } });
      assert.equal(again.status, 304, `${path} revalidated`);
      assert.equal(await again.text(), "");
      const changed = await app.request(path, { headers: { "If-None-Match": '"something-else"' } });
      assert.equal(changed.status, 200, path);
    }
    const head = await app.request("/assets/app.css", { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
  });

  it("serves only the allow-listed files: no other extension, hidden file, link or path out of web/", async () => {
    const app = dashboardApp(fixture);
    const loaded = [...loadAssets(fixture).keys()].sort();
    assert.deepEqual(loaded, ["app.css", "js/main.js", "js/pages/a.js"]);
    assert.equal((await app.request("/assets/js/pages/a.js")).status, 200);
    const refused = [
      "/assets/tsconfig.json",
      "/assets/notes.txt",
      "/assets/.hidden.js",
      "/assets/Upper.js",
      "/assets/main.js.bak",
      "/assets/link.js",
      "/assets/up/secret.js",
      "/assets/",
      "/assets",
      "/assets/js",
      "/assets/js/",
      "/assets//js/main.js",
      "/assets/js//main.js",
      "/assets/%2e%2e/secret.js",
      "/assets/..%2fsecret.js",
      "/assets/js/..%2f..%2fsecret.js",
      "/assets/%2e%2e%2fsecret.js",
      "/assets/%252e%252e/secret.js",
      "/assets/js%2fmain.js%00",
      "/assets/js\\..\\..\\secret.js",
      "/assets/js/main.js/",
      "/assets/JS/MAIN.JS",
      "/secret.js",
      "/web/js/main.js",
    ];
    for (const path of refused) {
      const res = await app.request(path);
      const body = await res.text();
      assert.equal(res.status, 404, path);
      assert.ok(!body.includes(SECRET), `${path} leaked the file`);
    }
    const notFound = await app.request("/assets/notes.txt");
    assertSecurityHeaders(notFound, "404");
  });

  it("refuses traversal sent raw over a socket, where no URL parser has cleaned the path", async () => {
    const server: RunningHttpServer = await listen(dashboardApp(fixture), {
      host: "127.0.0.1",
      port: 0,
      headersTimeoutMs: 5000,
      requestTimeoutMs: 5000,
    });
    const raw = (path: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(server.port, "127.0.0.1");
        let answer = "";
        socket.setTimeout(5000, () => socket.destroy(new Error("timeout")));
        socket.on("data", (d: Buffer) => (answer += d.toString("latin1")));
        socket.on("end", () => resolve(answer));
        socket.on("error", reject);
        socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      });
    try {
      for (const path of [
        "/assets/../secret.js",
        "/assets/../../secret.js",
        "/assets/js/../../secret.js",
        "/assets/%2e%2e/secret.js",
        "/assets/..%2f..%2fsecret.js",
        "/assets/..\\secret.js",
      ]) {
        const answer = await raw(path);
        assert.match(answer, /^HTTP\/1\.1 (404|400)/, `${path}: ${answer.slice(0, 40)}`);
        assert.ok(!answer.includes(SECRET), `${path} leaked the file`);
      }
      assert.match(await raw("/assets/js/main.js"), /^HTTP\/1\.1 200/);
    } finally {
      await server.close(1000);
    }
  });

  it("answers 503 at / and warns once when web/ has no entry module", async () => {
    const warnings: string[] = [];
    const app = dashboardApp(join(dir, "nowhere"), warnings);
    const res = await app.request("/");
    assert.equal(res.status, 503);
    assert.match(await res.text(), /files are missing/);
    assertSecurityHeaders(res, "503");
    assert.equal(warnings.length, 1);
  });

  it("web/js/roles.js says what src/auth/roles.ts says, for every role and action", async () => {
    const web = (await import(pathToFileURL(join(WEB_ROOT, "js", "roles.js")).href)) as {
      MINIMUM_ROLE: Record<string, string>;
      can: (role: string, action: string) => boolean;
    };
    assert.deepEqual(Object.keys(web.MINIMUM_ROLE).sort(), [...ACTIONS].sort());
    for (const role of [...ROLES, "nobody", "__proto__"]) {
      for (const action of [...ACTIONS, "toString", "unknown.action"]) {
        assert.equal(web.can(role, action), serverCan(role, action), `${role} ${action}`);
      }
    }
  });
});

describe("the daemon's HTTP app mounts the dashboard", () => {
  let store: Store;
  before(async () => {
    store = await openStore("sqlite::memory:");
  });
  after(() => store.close());

  it("serves / and /assets/ beside the API, health and a JSON 404 for anything else", async () => {
    const app = createHttpApp({
      store,
      config: () => configFromObject({}, join(tmpdir(), "certwatch.yaml")),
      now: () => new Date(),
      log: jsonLog(() => {}),
      readiness: () => Promise.resolve([{ name: "store", ok: true }]),
    });
    const shell = await app.request("/");
    assert.equal(shell.status, 200);
    assert.match(await shell.text(), /<div id="app">/);
    assert.equal((await app.request("/assets/js/main.js")).status, 200);
    assert.equal((await app.request("/healthz")).status, 200);
    assert.equal((await app.request("/api/v1/session")).status, 401);
    const other = await app.request("/alerts");
    assert.equal(other.status, 404, "pages are hash routes: the server knows no page names");
    assert.deepEqual(await other.json(), { error: "not found" });
    const api = await app.request("/api/v1/openapi.json");
    assert.equal(api.headers.get("content-security-policy"), null, "the API's JSON carries no page policy");
  });
});
