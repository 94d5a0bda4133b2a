/**
 * @module config/sample.test
 * The sample `certwatch init` writes is valid, shows a real scan, and never replaces a file unasked.
 */
import assert from "node:assert/strict";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ConfigError, loadConfig, parseConfig } from "./load.js";
import { SAMPLE_CONFIG, writeSampleConfig } from "./sample.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "certwatch-init-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("sample config", () => {
  it("validates, and scans real public sites", () => {
    const c = parseConfig(SAMPLE_CONFIG, "/srv/cw/certwatch.yaml");
    assert.deepEqual(c.endpoints, [
      { host: "example.com", port: 443 },
      { host: "www.wikipedia.org", port: 443 },
    ]);
    assert.deepEqual(c.store, { kind: "sqlite", path: "/srv/cw/certwatch.db" });
  });

  it("is written by writeSampleConfig and loads back", async () => {
    const file = join(dir, "certwatch.yaml");
    assert.equal(await writeSampleConfig(file), file);
    assert.equal(await readFile(file, "utf8"), SAMPLE_CONFIG);
    assert.equal((await loadConfig(file)).endpoints.length, 2);
  });

  it("refuses to overwrite an existing file unless forced", async () => {
    const file = join(dir, "mine.yaml");
    await writeFile(file, "domains: [contoso.com]\n");
    await assert.rejects(writeSampleConfig(file), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.code, "CONFIG_EXISTS");
      assert.match(e.message, /mine\.yaml: already exists; not overwriting it \(use --force to replace it\)/);
      return true;
    });
    assert.equal(await readFile(file, "utf8"), "domains: [contoso.com]\n");
    await writeSampleConfig(file, { force: true });
    assert.equal(await readFile(file, "utf8"), SAMPLE_CONFIG);
  });

  it("creates the file 0600 whatever the umask, and a forced overwrite keeps the owner's mode", async () => {
    const mode = async (f: string) => ((await stat(f)).mode & 0o777).toString(8);
    const before = process.umask(0);
    try {
      for (const umask of [0o000, 0o022, 0o277]) {
        process.umask(umask);
        const file = join(dir, `private-${umask.toString(8)}.yaml`);
        await writeSampleConfig(file);
        assert.equal(await mode(file), "600", `umask ${umask.toString(8)}`);
      }
    } finally {
      process.umask(before);
    }
    const theirs = join(dir, "theirs.yaml");
    await writeFile(theirs, "domains: []\n");
    await chmod(theirs, 0o640);
    await writeSampleConfig(theirs, { force: true });
    assert.equal(await mode(theirs), "640");
    assert.equal(await readFile(theirs, "utf8"), SAMPLE_CONFIG);
  });

  it("says why it cannot write", async () => {
    await assert.rejects(
      writeSampleConfig(join(dir, "no", "such", "dir", "certwatch.yaml")),
      (e: unknown) =>
        e instanceof ConfigError && e.code === "CONFIG_UNWRITABLE" && /cannot write it/.test(e.message),
    );
  });
});
