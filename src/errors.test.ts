import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { PasswordBusyError, PasswordPolicyError } from "./auth/password.js";
import { UsageError } from "./cli/args.js";
import { CONFIG_ERROR_CODES, ConfigError } from "./config/load.js";
import { CertwatchError, ERROR_CODES, isErrorCode, type ErrorCodeInfo } from "./errors.js";
import { SecretError } from "./notify/secrets.js";
import { TrustFileError } from "./pki/trust-store.js";
import { ZoneFileError } from "./sources/dns/zone-file.js";
import { AuthStoreError } from "./store/auth-records.js";
import { MigrateError } from "./store/copy-store.js";
import { StoreCorruptError, StoreOpenError } from "./store/open.js";
import { ConfigFileError, FileReadError } from "./util/read-bounded-file.js";

/** The rows of every table in docs/errors.md whose first cell is a `CODE`. */
function documentedCodes(): Map<string, ErrorCodeInfo> {
  const doc = readFileSync(new URL("../docs/errors.md", import.meta.url), "utf8");
  const rows = new Map<string, ErrorCodeInfo>();
  for (const line of doc.split("\n")) {
    const m = /^\|\s*`([A-Z_]+)`\s*\|(.*)\|\s*$/.exec(line);
    if (m === null) continue;
    const [exit, http, summary] = m[2]!.split("|").map((c) => c.trim());
    assert.ok(!rows.has(m[1]!), `docs/errors.md lists ${m[1]} twice`);
    const status = (cell: string | undefined) => (cell === "—" ? null : Number(cell));
    rows.set(m[1]!, { exit: status(exit), http: status(http), summary: summary ?? "" });
  }
  return rows;
}

describe("the error catalogue", () => {
  it("is what docs/errors.md lists: every code, its exit status, HTTP status and description", () => {
    const documented = documentedCodes();
    const catalogue = new Map<string, ErrorCodeInfo>(Object.entries(ERROR_CODES));
    for (const code of catalogue.keys()) assert.ok(documented.has(code), `docs/errors.md lacks ${code}`);
    for (const code of documented.keys()) assert.ok(catalogue.has(code), `${code} is not in src/errors.ts`);
    for (const [code, info] of catalogue) assert.deepEqual(documented.get(code), info, code);
  });

  it("gives every code a description of one line and statuses in range", () => {
    for (const [code, info] of Object.entries(ERROR_CODES) as [string, ErrorCodeInfo][]) {
      assert.match(code, /^[A-Z][A-Z_]*[A-Z]$/);
      assert.ok(info.summary.length > 0 && !info.summary.includes("\n"), code);
      assert.ok(info.exit !== null || info.http !== null, `${code} is reported by no surface`);
      if (info.exit !== null) assert.ok(Number.isInteger(info.exit) && info.exit >= 0 && info.exit < 126);
      if (info.http !== null) assert.ok(info.http >= 400 && info.http <= 599, code);
    }
  });

  it("holds every code the configuration loader throws", () => {
    for (const code of CONFIG_ERROR_CODES) assert.ok(isErrorCode(code), code);
  });

  it("is what each error class carries: a code, hence an exit status", () => {
    const cases: [CertwatchError, string, number | null][] = [
      [new UsageError("unknown flag --x"), "USAGE", 2],
      [
        new ConfigError("CONFIG_INVALID", "/etc/certwatch.yaml", [{ path: "x", message: "bad" }]),
        "CONFIG_INVALID",
        2,
      ],
      [new ConfigFileError("notify.x.tls.caFile", "holds no PEM certificate"), "CONFIG_FILE_UNUSABLE", 2],
      [new FileReadError("ct.logList", "/nope", "missing", "no such file"), "CONFIG_FILE_UNREADABLE", 2],
      [new TrustFileError("/roots.pem", "no certificate", "trust.extraRoots"), "TRUST_FILE_INVALID", 2],
      [new ZoneFileError("/z.zone", 3, 1, "bad record"), "ZONE_FILE_INVALID", 2],
      [new SecretError("notify.siem.token", "environment variable T is not set"), "SECRET_INVALID", 2],
      [new StoreOpenError("STORE_URL_INVALID", "bad url"), "STORE_URL_INVALID", 2],
      [new StoreOpenError("STORE_OPEN_FAILED", "cannot open"), "STORE_OPEN_FAILED", 3],
      [new StoreCorruptError("/db.sqlite", "SQLITE_CORRUPT"), "STORE_CORRUPT", 3],
      [new AuthStoreError("LAST_ADMIN", "no admin would remain"), "LAST_ADMIN", 2],
      [new PasswordPolicyError("empty"), "PASSWORD_POLICY", 2],
      [new PasswordBusyError(), "BUSY", 2],
      [new MigrateError("MIGRATE_TARGET_NOT_EMPTY", "target holds data"), "MIGRATE_TARGET_NOT_EMPTY", 2],
      [new MigrateError("MIGRATE_VERIFY_FAILED", "alerts differ"), "MIGRATE_VERIFY_FAILED", 4],
    ];
    for (const [error, code, exit] of cases) {
      assert.ok(error instanceof CertwatchError, error.name);
      assert.equal(error.code, code, error.name);
      assert.equal(error.info.exit, exit, error.name);
      assert.ok(isErrorCode(error.code));
    }
  });

  it("tells its codes from other errors' code fields", () => {
    assert.equal(isErrorCode("ENOENT"), false);
    assert.equal(isErrorCode("SQLITE_CORRUPT"), false);
    assert.equal(isErrorCode("toString"), false);
  });
});
