/**
 * @module test/e2e/store-file.test
 * The files certwatch creates are private (0600), and a damaged database file stops every command with one line
 * naming it and exit status 3, never a stack trace.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { draft, endpoint, run, T0 } from "../../src/store/contract-fixtures.js";
import { openStore } from "../../src/store/open.js";
import { certwatch, type CliRun } from "./run-cli.js";

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "certwatch-store-file-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);

function project(name: string): string {
  const d = join(dir, name);
  mkdirSync(d);
  return d;
}

function assertStoreUnusable(r: CliRun, file: string, code: RegExp): void {
  assert.equal(r.code, 3, r.stderr);
  assert.equal(r.stdout, "");
  const lines = r.stderr.trimEnd().split("\n");
  const last = lines[lines.length - 1] ?? "";
  assert.ok(last.startsWith(`certwatch: the database file ${file} `), r.stderr);
  assert.match(last, code);
  assert.match(last, /restore it from a backup, or move it aside/);
  assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace");
}

describe("the store file", () => {
  it("init writes the config 0600, and the first command creates the database 0600", async () => {
    const d = project("modes");
    const init = await certwatch(["init"], d);
    assert.equal(init.code, 0, init.stderr);
    assert.equal(mode(join(d, "certwatch.yaml")), "600");
    // The sample scans public sites: keep the run offline by pointing it at a config with nothing to do.
    writeFileSync(join(d, "certwatch.yaml"), "endpoints: []\nct: { logList: none }\n");
    const r = await certwatch(["alerts"], d);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(mode(join(d, "certwatch.db")), "600");
  });

  it("a database damaged in the middle: exit 3 with one line naming the file", async () => {
    const d = project("damaged");
    writeFileSync(join(d, "certwatch.yaml"), "endpoints: []\nct: { logList: none }\n");
    const file = join(d, "certwatch.db");
    const store = await openStore(`sqlite:${file}`);
    const pad = "x".repeat(2000);
    await store.recordRun(
      run(
        "tls:filled",
        T0,
        Array.from({ length: 400 }, (_, i) =>
          draft("hsts-missing", `h${i}`, { endpoint: endpoint(`h${i}.contoso.com`), details: { pad } }),
        ),
      ),
    );
    await store.close();
    // Overwrite the alerts table's leaf pages: the file still opens; listing the alerts meets the damage.
    const db = new Database(file, { readonly: true });
    const pageSize = db.pragma("page_size", { simple: true }) as number;
    const pages = db
      .prepare("select pageno from dbstat where name = 'alerts' and pagetype = 'leaf' order by pageno")
      .pluck()
      .all() as number[];
    db.close();
    const bytes = readFileSync(file);
    for (const p of pages) bytes.fill(0x5a, (p - 1) * pageSize, p * pageSize);
    writeFileSync(file, bytes);

    assertStoreUnusable(
      await certwatch(["alerts", "--status", "all"], d),
      file,
      /is corrupt \(SQLITE_CORRUPT/,
    );
  });

  it("a file that is not a database: exit 3 with one line naming the file", async () => {
    const d = project("notadb");
    writeFileSync(join(d, "certwatch.yaml"), "endpoints: []\nct: { logList: none }\n");
    const file = join(d, "certwatch.db");
    writeFileSync(file, "not a database ".repeat(1000));
    assertStoreUnusable(await certwatch(["scan"], d), file, /is not an SQLite database.*\(SQLITE_NOTADB/);
  });
});
