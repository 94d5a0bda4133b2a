/**
 * CT discovery adds hosts as managed endpoints within schedule.maxManagedEndpoints (the bound the API keeps too),
 * skipping wildcards, names that are not host names and targets already scheduled; hosts past the bound are
 * left out in one warning, not a line each.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { AppContext } from "../app/context.js";
import { configFromObject } from "../config/load.js";
import { addDiscoveredHosts } from "./jobs.js";
import { jsonLog } from "./json-log.js";

describe("CT-discovered hosts as scan targets", () => {
  let dir: string;
  let ctx: AppContext;
  const lines: Record<string, unknown>[] = [];
  const log = jsonLog((l) => lines.push(JSON.parse(l) as Record<string, unknown>));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "cw-discovered-"));
    const config = configFromObject(
      {
        domains: ["contoso.com"],
        store: `sqlite:${join(dir, "db.sqlite")}`,
        schedule: { scanDiscoveredHosts: true, maxManagedEndpoints: 3 },
      },
      join(dir, "certwatch.yaml"),
    );
    ctx = await AppContext.open(config, { logLine: () => undefined, notifiers: false });
  });
  after(async () => {
    await ctx.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("adds up to schedule.maxManagedEndpoints, then warns once with how many were left out", async () => {
    const names = [
      "*.contoso.com",
      "a.contoso.com",
      "bad name.contoso.com",
      "scheduled.contoso.com",
      "b.contoso.com",
      "a.contoso.com",
      ...Array.from({ length: 50 }, (_, i) => `h${i}.contoso.com`),
    ];
    const scheduled = (scope: string) => scope === "tls:scheduled.contoso.com:443";
    assert.equal(await addDiscoveredHosts(ctx, names, scheduled, Date.now(), log), 3);
    const managed = await ctx.store.schedule.listManagedEndpoints();
    assert.deepEqual(managed.map((m) => `${m.host}:${m.port}:${m.origin}`).sort(), [
      "a.contoso.com:443:ct",
      "b.contoso.com:443:ct",
      "h0.contoso.com:443:ct",
    ]);
    const warnings = lines.filter((l) => l.level === "warn");
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.deepEqual(
      { ...warnings[0], time: undefined },
      {
        time: undefined,
        level: "warn",
        msg: "discovered hosts not scanned: schedule.maxManagedEndpoints reached",
        leftOut: 49,
        hosts: ["h1.contoso.com", "h2.contoso.com", "h3.contoso.com", "h4.contoso.com", "h5.contoso.com"],
        max: 3,
      },
    );
    // Full: a later batch adds nothing and warns again, once.
    assert.equal(await addDiscoveredHosts(ctx, ["z.contoso.com"], scheduled, Date.now(), log), 0);
    assert.equal(lines.filter((l) => l.level === "warn").length, 2);
  });
});
