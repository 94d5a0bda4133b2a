/**
 * The takeover HTTP evidence as the composition root builds it: the request goes to an address the provider's
 * DNS answered, so by default it never reaches loopback, the private network or a cloud metadata service.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startHttpFixtureServer, type HttpFixtureServer } from "../../test/helpers/http-fixture-server.js";
import { configFromObject } from "../config/load.js";
import { httpFingerprint } from "../cli/domains-command.js";
import { AppContext } from "./context.js";

const PAGE = "<h1>There isn't a GitHub Pages site here.</h1>";

describe("takeover HTTP evidence", () => {
  let dir: string;
  let site: HttpFixtureServer;
  let port: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "cw-takeover-http-"));
    site = await startHttpFixtureServer({ "/": { kind: "static", body: PAGE, status: 404 } });
    port = Number(new URL(site.origin).port);
  });
  after(async () => {
    await site.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function context(takeover: Record<string, unknown>): Promise<AppContext> {
    const config = configFromObject(
      { domains: ["contoso.com"], store: `sqlite:${join(dir, "db.sqlite")}`, takeover },
      join(dir, "certwatch.yaml"),
    );
    return AppContext.open(config, { logLine: () => undefined, notifiers: false });
  }

  it("refuses loopback, private, metadata and IPv4-mapped addresses by default, naming the setting", async () => {
    const ctx = await context({});
    try {
      const { deps } = await ctx.domains();
      const fetch = deps.takeover.http;
      assert.ok(fetch !== undefined);
      const cases: [string, RegExp][] = [
        ["127.0.0.1", /loopback/],
        ["169.254.169.254", /link-local/],
        ["10.1.2.3", /private/],
        ["::ffff:192.168.0.1", /private.*IPv4-mapped/],
        ["fd00:ec2::254", /unique-local/],
      ];
      for (const [address, why] of cases) {
        const r = await fetch("docs.contoso.com", address);
        assert.equal(r.kind, "error", address);
        assert.ok(r.kind === "error");
        assert.match(r.error, why, address);
        assert.match(r.error, /takeover\.allowPrivateAddresses/, address);
        assert.equal(r.url, "http://docs.contoso.com/");
      }
      // The same client at the fixture's port: refused before any connection.
      const r = await httpFingerprint(ctx.takeoverHttp, 2000, port)("docs.contoso.com", "127.0.0.1");
      assert.equal(r.kind, "error");
      assert.equal(site.hits("/"), 0);
    } finally {
      await ctx.close();
    }
  });

  it("with allowPrivateAddresses the page is fetched, the name sent as Host", async () => {
    const ctx = await context({ allowPrivateAddresses: true });
    try {
      const r = await httpFingerprint(ctx.takeoverHttp, 2000, port)("docs.contoso.com", "127.0.0.1");
      assert.deepEqual(r, { kind: "ok", url: "http://docs.contoso.com/", status: 404, body: PAGE });
      assert.equal(site.lastHeaders("/")?.host, "docs.contoso.com");
    } finally {
      await ctx.close();
    }
  });
});
