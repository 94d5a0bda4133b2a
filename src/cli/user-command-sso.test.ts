/**
 * @module cli/user-command-sso.test
 * `certwatch user add NAME --role R --sso` on a real SQLite store: an invited user (no password, no identity) made
 * without asking for a password, only when single sign-on is configured; `user list` shows it as invited.
 */
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { after, before, describe, it } from "node:test";
import { openStore } from "../store/open.js";
import type { Store } from "../store/store.js";
import { UsageError } from "./args.js";
import { parseUserCommand, runUserCommand, type UserIo } from "./user-command.js";

/** Stdin that fails the test if the command reads a password from it. */
function untouchedStdin(): PassThrough {
  const s = new PassThrough();
  s.on("resume", () => assert.fail("the command read stdin"));
  return s;
}

void describe("certwatch user add --sso", () => {
  let store: Store;
  before(async () => {
    store = await openStore("sqlite::memory:");
  });
  after(() => store.close());

  const run = async (argv: string[], ssoConfigured: boolean) => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = "";
    let err = "";
    stdout.on("data", (d: Buffer) => (out += d.toString()));
    stderr.on("data", (d: Buffer) => (err += d.toString()));
    const io: UserIo = { stdin: untouchedStdin(), stdout, stderr };
    try {
      const code = await runUserCommand(parseUserCommand(argv).command, store, io, { ssoConfigured });
      return { code, out, err };
    } catch (e) {
      assert.ok(e instanceof UsageError, String(e));
      return { code: 2, out, err: e.message };
    }
  };

  void it("parses --sso, and refuses it with a password file", () => {
    assert.deepEqual(parseUserCommand(["user", "add", "Ivy", "--role", "viewer", "--sso"]).command, {
      action: "user-add",
      name: "ivy",
      role: "viewer",
      sso: true,
    });
    assert.throws(
      () => parseUserCommand(["user", "add", "ivy", "--role", "viewer", "--sso", "--password-file", "f"]),
      /user add --sso makes a user without a password: leave out --password-file/,
    );
    assert.throws(
      () => parseUserCommand(["user", "passwd", "ivy", "--sso"]),
      /user passwd does not take --sso/,
    );
  });

  void it("without single sign-on configured: exit 2, nothing created", async () => {
    const r = await run(["user", "add", "ivy", "--role", "viewer", "--sso"], false);
    assert.equal(r.code, 2);
    assert.match(r.err, /needs single sign-on \(auth\.oidc in the configuration\)/);
    assert.equal(await store.auth.getUser("ivy"), undefined);
  });

  void it("with it: an invited user, no password asked, audited; listed as invited", async () => {
    const r = await run(["user", "add", "Ivy", "--role", "operator", "--sso"], true);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /^invited ivy \(operator\): their first single sign-on as ivy links their account/);
    const ivy = await store.auth.getUser("ivy");
    assert.deepEqual(
      [ivy?.role, ivy?.passwordHash, ivy?.oidc, ivy?.disabled],
      ["operator", null, null, false],
    );
    const [entry] = await store.auth.listAudit({ action: "user.create" });
    assert.deepEqual(entry?.details, { role: "operator", hasPassword: false, sso: false, invited: true });

    const again = await run(["user", "add", "ivy", "--role", "viewer", "--sso"], true);
    assert.deepEqual([again.code, again.err], [2, "user ivy exists"]);

    const table = await run(["user", "list"], true);
    assert.match(table.out, /\nivy +operator +enabled +invited +\d{4}-/);
  });
});
