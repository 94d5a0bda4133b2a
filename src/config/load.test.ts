/**
 * @module config/load.test
 * Reading config files from disk: path resolution against the file's directory, and file-level errors.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ConfigError, defaultConfigPath, loadConfig } from "./load.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "certwatch-config-"));
  await mkdir(join(dir, "etc"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(path: string): Promise<ConfigError> {
  try {
    await loadConfig(path);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail(`expected ${path} to be rejected`);
}

describe("loadConfig", () => {
  it("resolves every path against the config file's directory, not the working directory", async () => {
    const file = join(dir, "etc", "certwatch.yaml");
    await writeFile(
      file,
      [
        "trust: { extraRoots: [./roots/internal.pem, /abs/root.pem] }",
        "ct: { logList: ../lists/log_list.json }",
        "zoneFiles: [contoso.com.zone]",
        "allowedRoots: ['~/roots/other.pem']",
        "store: sqlite:data/cw.db",
      ].join("\n"),
    );
    const c = await loadConfig(file);
    assert.equal(c.configPath, file);
    assert.equal(c.configDir, join(dir, "etc"));
    assert.deepEqual(c.trust.extraRoots, [join(dir, "etc", "roots", "internal.pem"), "/abs/root.pem"]);
    assert.equal(c.ct.logList, join(dir, "lists", "log_list.json"));
    assert.deepEqual(c.zoneFiles, [join(dir, "etc", "contoso.com.zone")]);
    assert.deepEqual(c.allowedRoots, [join(homedir(), "roots", "other.pem")]);
    assert.deepEqual(c.store, { kind: "sqlite", path: join(dir, "etc", "data", "cw.db") });
  });

  it("puts the default SQLite file beside the config, and keeps :memory:", async () => {
    const file = join(dir, "etc", "default.yaml");
    await writeFile(file, "endpoints: [https://example.com]\n");
    assert.deepEqual((await loadConfig(file)).store, {
      kind: "sqlite",
      path: join(dir, "etc", "certwatch.db"),
    });
    await writeFile(file, "store: 'sqlite::memory:'\n");
    assert.deepEqual((await loadConfig(file)).store, { kind: "sqlite", path: ":memory:" });
  });

  it("reads a .json file as JSON", async () => {
    const file = join(dir, "certwatch.json");
    await writeFile(file, JSON.stringify({ zoneFiles: ["z.zone"] }));
    assert.deepEqual((await loadConfig(file)).zoneFiles, [join(dir, "z.zone")]);
  });

  it("a missing file says so and hints certwatch init", async () => {
    const err = await rejection(join(dir, "nope.yaml"));
    assert.equal(err.code, "CONFIG_NOT_FOUND");
    assert.equal(err.file, join(dir, "nope.yaml"));
    assert.match(err.message, /nope\.yaml: file not found; run "certwatch init"/);
  });

  it("a directory or an oversized file is unreadable", async () => {
    assert.equal((await rejection(join(dir, "etc"))).code, "CONFIG_UNREADABLE");
    const big = join(dir, "big.yaml");
    await writeFile(big, `# ${"x".repeat(2 * 1024 * 1024)}\n`);
    const err = await rejection(big);
    assert.equal(err.code, "CONFIG_UNREADABLE");
    assert.match(err.message, /is larger than/);
  });

  it("validation errors carry the file's path", async () => {
    const file = join(dir, "bad.yaml");
    await writeFile(file, "endpoints:\n  - url: ftp://x\n");
    const err = await rejection(file);
    assert.equal(err.code, "CONFIG_INVALID");
    assert.deepEqual(err.issues, [
      { path: "endpoints[0].url", message: 'must be an https:// URL (got "ftp://x")', line: 2, column: 10 },
    ]);
    assert.ok(
      err.message.endsWith(`bad.yaml:2:10: endpoints[0].url: must be an https:// URL (got "ftp://x")`),
    );
  });

  it("defaultConfigPath is ./certwatch.yaml", () => {
    assert.equal(defaultConfigPath("/srv"), "/srv/certwatch.yaml");
    assert.equal(defaultConfigPath(), join(process.cwd(), "certwatch.yaml"));
  });
});
