/**
 * @module config/load.test
 * Reading config files from disk: path resolution against the file's directory, and file-level errors (syntax,
 * duplicate keys, nesting) with a position, one line each.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ConfigError, defaultConfigPath, loadConfig, parseConfig } from "./load.js";

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

function syntaxError(text: string, file: string): ConfigError {
  try {
    parseConfig(text, file);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    assert.equal(e.code, "CONFIG_SYNTAX", e.message);
    return e;
  }
  assert.fail(`expected ${JSON.stringify(text.slice(0, 40))} to be rejected`);
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

  it(
    "a FIFO or /dev/zero is refused at once, not waited on or read forever",
    { timeout: 10_000 },
    async () => {
      const fifo = join(dir, "fifo.yaml");
      execFileSync("mkfifo", [fifo]);
      const err = await rejection(fifo);
      assert.equal(err.code, "CONFIG_UNREADABLE");
      assert.match(err.message, /fifo\.yaml: is a named pipe \(FIFO\), not a regular file/);
      const zero = await rejection("/dev/zero");
      assert.equal(zero.code, "CONFIG_UNREADABLE");
      assert.match(zero.message, /character device/);
    },
  );

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

  it("a JSON syntax error has file:line:column and no quoted text, whatever V8 would have said", async () => {
    const file = join(dir, "quotes.json");
    // V8 reports these two without a position and quotes the text around them (newlines included).
    await writeFile(file, "{\n  \"domains\": [\n    'a.example'\n  ]\n}\n");
    const err = await rejection(file);
    assert.equal(err.code, "CONFIG_SYNTAX");
    assert.deepEqual(err.issues, [
      {
        path: "",
        message: 'JSON syntax error: expected a value, found "\'" (JSON strings use double quotes)',
        line: 3,
        column: 5,
      },
    ]);
    assert.ok(err.message.endsWith("quotes.json:3:5: " + (err.issues[0]?.message ?? "")), err.message);
    assert.match(
      syntaxError('{"domains": [tru]}', "c.json").message,
      /^c\.json:1:14: JSON syntax error: expected a value, found "t"$/,
    );
    assert.match(
      syntaxError('{\n  "domains": []\n', "c.json").message,
      /^c\.json:3:1: JSON syntax error: expected "," or "}", found the end of the file$/,
    );
    // What only YAML allows stays refused in a .json file.
    assert.match(
      syntaxError('{\n  # a comment\n  "domains": []\n}', "c.json").message,
      /^c\.json:2:3: JSON syntax error: expected a "quoted" key, found "#"$/,
    );
  });

  it("a key given twice in a JSON file is an error at the second, like in YAML", () => {
    const err = syntaxError('{\n  "domains": ["a.example"],\n  "scan": {},\n  "domains": []\n}', "c.json");
    assert.deepEqual(err.issues, [
      {
        path: "",
        message: 'JSON syntax error: key "domains" appears twice (first at 2:3)',
        line: 4,
        column: 3,
      },
    ]);
    assert.match(
      syntaxError('{"scan": {"hsts": true, "hsts": false}}', "c.json").message,
      /^c\.json:1:25: JSON syntax error: key "hsts" appears twice/,
    );
  });

  it("100,000 levels of nesting are a syntax error with a position, in JSON and in YAML", () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    for (const [text, file, line, column] of [
      [`{"domains": ${deep}}`, "c.json", 1, 76],
      [deep, "c.json", 1, 65],
      [`domains: ${deep}\n`, "c.yaml", 1, 73],
      [`notify: ${"{a: ".repeat(100_000)}1${"}".repeat(100_000)}\n`, "c.yaml", 1, 261],
      // Block nesting: each level indented one more space.
      [
        `a:\n${Array.from({ length: 5000 }, (_, i) => `${" ".repeat(i + 1)}- `).join("\n")}x\n`,
        "c.yaml",
        65,
        65,
      ],
    ] as const) {
      const err = syntaxError(text, file);
      const kind = file.endsWith(".json") ? "JSON" : "YAML";
      assert.deepEqual(
        err.issues,
        [{ path: "", message: `${kind} syntax error: nesting deeper than 64 levels`, line, column }],
        `${file}: ${text.slice(0, 30)}`,
      );
    }
    // 64 levels pass (the top-level mapping is the first): the schema judges the value.
    const ok = `${"[".repeat(63)}${"]".repeat(63)}`;
    for (const [text, file] of [
      [`{"domains": ${ok}}`, "c.json"],
      [`domains: ${ok}`, "c.yaml"],
    ] as const) {
      assert.throws(
        () => parseConfig(text, file),
        (e: unknown) => e instanceof ConfigError && e.code === "CONFIG_INVALID",
      );
    }
  });

  it("two ct.logs entries with one key are an error at the second key (one key is one log)", () => {
    const key = generateKeyPairSync("ec", { namedCurve: "P-256" })
      .publicKey.export({ type: "spki", format: "der" })
      .toString("base64");
    const other = generateKeyPairSync("ec", { namedCurve: "P-256" })
      .publicKey.export({ type: "spki", format: "der" })
      .toString("base64");
    const text = [
      "ct:",
      "  logs:",
      `    - { url: "https://a.example/log/", key: "${key}" }`,
      `    - { url: "https://b.example/log/", key: "${other}" }`,
      "    - url: https://mirror.example/log/",
      // The same key, wrapped differently: still the same DER.
      `      key: "${key.slice(0, 40)} ${key.slice(40)}"`,
    ].join("\n");
    try {
      parseConfig(text, "c.yaml");
      assert.fail("accepted");
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      assert.deepEqual(e.issues, [
        {
          path: "ct.logs[2].key",
          message: 'is the key of ct.logs[0] ("https://a.example/log/"): one key is one log; keep one entry',
          line: 6,
          column: 12,
        },
      ]);
    }
  });

  it("defaultConfigPath is ./certwatch.yaml", () => {
    assert.equal(defaultConfigPath("/srv"), "/srv/certwatch.yaml");
    assert.equal(defaultConfigPath(), join(process.cwd(), "certwatch.yaml"));
  });
});
