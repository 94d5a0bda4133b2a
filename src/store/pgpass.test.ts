/**
 * @module store/pgpass.test
 * The PostgreSQL password lookup: PGPASSWORD first, then the password file's first matching line (wildcards,
 * escapes, comments), and a file others may read refused without showing what it holds.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { findPassword, passwordFromFile, PasswordFileError } from "./pgpass.js";

const dir = mkdtempSync(join(tmpdir(), "certwatch-pgpass-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const target = { host: "db.contoso.com", port: 5432, database: "certwatch", user: "certwatch" };

void describe("PostgreSQL password lookup", () => {
  void it("matches the first line on host, port, database and user, with * and \\ escapes", () => {
    const file = [
      "# comment line: db.contoso.com:5432:certwatch:certwatch:nope",
      "other.contoso.com:5432:certwatch:certwatch:wrong-host",
      "db.contoso.com:6432:*:*:wrong-port",
      "db.contoso.com:*:certwatch:certwatch:pa\\:ss\\\\word:with-colon",
      "*:*:*:*:fallback",
    ].join("\n");
    assert.equal(passwordFromFile(file, target), "pa:ss\\word:with-colon");
    assert.equal(passwordFromFile(file, { ...target, user: "reader" }), "fallback");
    assert.equal(passwordFromFile("db.contoso.com:5432:certwatch:certwatch", target), undefined, "4 fields");
    // A socket directory matches as localhost, as libpq does.
    assert.equal(
      passwordFromFile("localhost:5432:*:certwatch:local\r\n", { ...target, host: "/var/run/postgresql" }),
      "local",
    );
  });

  void it("PGPASSWORD first, then PGPASSFILE; a missing file is no password", () => {
    const file = join(dir, "pgpass");
    writeFileSync(file, "*:*:*:certwatch:from-file\n", { mode: 0o600 });
    chmodSync(file, 0o600);
    assert.equal(findPassword(target, { PGPASSWORD: "from-env", PGPASSFILE: file }), "from-env");
    assert.equal(findPassword(target, { PGPASSFILE: file }), "from-file");
    assert.equal(findPassword({ ...target, user: "x" }, { PGPASSFILE: file }), undefined);
    assert.equal(findPassword(target, { PGPASSFILE: join(dir, "absent") }), undefined);
  });

  void it("refuses a password file others may read, naming it but not its content", () => {
    const file = join(dir, "open-pgpass");
    writeFileSync(file, "*:*:*:*:do-not-show\n");
    chmodSync(file, 0o644);
    assert.throws(
      () => findPassword(target, { PGPASSFILE: file }),
      (e: unknown) => {
        assert.ok(e instanceof PasswordFileError);
        assert.match(e.message, /may be read by others \(mode 644\): chmod 600 it/);
        assert.ok(e.message.includes(file));
        assert.ok(!e.message.includes("do-not-show"));
        return true;
      },
    );
  });
});
