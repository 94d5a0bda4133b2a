/**
 * @module auth/oidc/login-errors.test
 * The `login_error` codes the dashboard is sent back with are a contract: docs/api.md lists exactly these, each
 * with the catalogue's words.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { SSO_LOGIN_ERRORS } from "./login-errors.js";

void describe("login_error codes", () => {
  void it("docs/api.md lists every code with its meaning, and no other", () => {
    const doc = readFileSync(new URL("../../../docs/api.md", import.meta.url), "utf8");
    const section = doc.slice(
      doc.indexOf("## Single sign-on"),
      doc.indexOf("\n## ", doc.indexOf("## Single sign-on") + 1),
    );
    const rows = [...section.matchAll(/^\| `([a-z_]+)` +\| (.+?) +\|$/gm)]
      .map((m) => [m[1], m[2]])
      .filter(([code]) => code !== "login_error"); // the header row
    assert.deepEqual(Object.fromEntries(rows), SSO_LOGIN_ERRORS);
  });

  void it("codes are safe in a URL as they are", () => {
    for (const code of Object.keys(SSO_LOGIN_ERRORS)) assert.match(code, /^[a-z_]{1,32}$/);
  });
});
