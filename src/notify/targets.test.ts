/**
 * @module notify/targets.test
 * A target's `tls.caFile`: read at start (relative to the configuration's directory), regular files only, at least
 * one PEM certificate, each parsing; every problem is a configuration error naming the field and the file.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigFileError } from "../util/read-bounded-file.js";
import { createRootCa } from "../../test/helpers/pki.js";
import { readCaFile } from "./targets.js";

const FIELD = "notify.siem.tls.caFile";

function expectConfigError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigFileError, String(e));
    assert.ok(e.message.startsWith(`${FIELD}: `), e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

void describe("readCaFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "certwatch-cafile-"));

  void it("reads every certificate of a bundle, relative to the configuration's directory", async () => {
    const a = await createRootCa({ subject: "CN=CA one", freshKey: true });
    const b = await createRootCa({ subject: "CN=CA two", freshKey: true });
    writeFileSync(join(dir, "bundle.pem"), `# our CAs\n${a.certPem}\n${b.certPem}`);
    const got = readCaFile("./bundle.pem", FIELD, dir);
    assert.equal(got.length, 2);
    assert.ok(got.every((p) => p.startsWith("-----BEGIN CERTIFICATE-----")));
  });

  void it("refuses a file without a certificate, a broken certificate, a directory and a missing file", () => {
    writeFileSync(join(dir, "empty.pem"), "not a certificate\n");
    expectConfigError(() => readCaFile("empty.pem", FIELD, dir), /empty\.pem: holds no PEM certificate/);
    writeFileSync(join(dir, "broken.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    expectConfigError(() => readCaFile("broken.pem", FIELD, dir), /certificate 1 of 1 does not parse/);
    mkdirSync(join(dir, "a-directory"));
    expectConfigError(() => readCaFile("a-directory", FIELD, dir), /is a directory/);
    expectConfigError(() => readCaFile("missing.pem", FIELD, dir), /no such file/);
  });
});
