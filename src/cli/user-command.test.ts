/**
 * @module cli/user-command.test
 * The user and token commands in process, on a real SQLite store and real streams: parsing (no password on the
 * command line, and none echoed in an error), the password from a pipe, a file or a terminal without echo, user
 * and token administration, and refusals with exit status 2.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, it } from "node:test";
import { verifyPassword } from "../auth/password.js";
import { openStore } from "../store/open.js";
import type { Store } from "../store/store.js";
import { FileReadError } from "../util/read-bounded-file.js";
import { parseCli, UsageError } from "./args.js";
import { isUserCommandLine, parseUserCommand, runUserCommand, type UserIo } from "./user-command.js";

/** A terminal as the command sees one: isTTY, raw mode recorded, keys typed by the test. */
class FakeTty extends PassThrough {
  readonly isTTY = true;
  readonly modes: boolean[] = [];
  setRawMode(raw: boolean): this {
    this.modes.push(raw);
    return this;
  }
}

interface Captured extends UserIo {
  out(): string;
  err(): string;
}

function io(stdin: UserIo["stdin"]): Captured {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d: Buffer) => (out += d.toString()));
  stderr.on("data", (d: Buffer) => (err += d.toString()));
  return { stdin, stdout, stderr, out: () => out, err: () => err };
}

const piped = (text: string): PassThrough => {
  const s = new PassThrough();
  s.end(text);
  return s;
};

const usage = (argv: string[]): string => {
  try {
    parseCli(argv);
  } catch (e) {
    assert.ok(e instanceof UsageError, String(e));
    return e.message;
  }
  assert.fail(`${argv.join(" ")} parsed`);
};

void describe("certwatch user/token: the command line", () => {
  void it("finds the command after --config", () => {
    assert.ok(isUserCommandLine(["--config", "user", "user", "add"]));
    assert.ok(isUserCommandLine(["token", "list"]));
    assert.ok(!isUserCommandLine(["--config", "user"]));
    assert.ok(!isUserCommandLine(["scan", "user"]));
    const args = parseCli(["--config", "x.yaml", "user", "add", "Alice", "--role", "admin"]);
    assert.equal(args.command, "user");
    assert.equal(args.config, "x.yaml");
    assert.deepEqual(args.userCommand, { action: "user-add", name: "alice", role: "admin" });
  });

  void it("never takes a password from argv, and never repeats one in an error", () => {
    assert.match(
      usage(["user", "add", "bob", "--role", "viewer", "--password", "hunter2"]),
      /never given on the command line/,
    );
    assert.match(
      usage(["user", "add", "bob", "--role", "viewer", "--password=hunter2"]),
      /never given on the command line/,
    );
    const extra = usage(["user", "add", "bob", "hunter2", "--role", "viewer"]);
    assert.ok(!extra.includes("hunter2"), extra);
    assert.ok(!usage(["user", "passwd", "bob", "hunter2"]).includes("hunter2"));
  });

  void it("says what is wrong", () => {
    assert.match(usage(["user"]), /user needs an action: add, list, passwd, disable, enable/);
    assert.match(usage(["user", "add", "bob"]), /--role viewer\|operator\|admin/);
    assert.match(usage(["user", "add", "bob", "--role", "root"]), /--role viewer\|operator\|admin/);
    assert.match(usage(["user", "add", "bad name", "--role", "viewer"]), /user name: .*letters/);
    assert.match(usage(["user", "list", "--role", "admin"]), /user list does not take --role/);
    assert.match(usage(["token", "create", "--name", "x"]), /needs --user NAME/);
    assert.match(usage(["token", "create", "--user", "bob"]), /needs --name LABEL/);
    assert.match(
      usage(["token", "create", "--user", "bob", "--name", "x", "--expires-days", "0"]),
      /1 to 3650/,
    );
    assert.match(usage(["token", "revoke", "cw_abc"]), /token id/);
    assert.deepEqual(
      parseUserCommand(["token", "create", "--user", "Bob", "--name", "ci", "--expires-days", "7"]).command,
      {
        action: "token-create",
        user: "bob",
        name: "ci",
        expiresDays: 7,
      },
    );
  });
});

void describe("certwatch user/token: running", () => {
  let dir: string;
  let store: Store;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "certwatch-user-cmd-"));
    store = await openStore(`sqlite:${join(dir, "certwatch.db")}`);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const run = (argv: string[], stdin: UserIo["stdin"] = piped("")) => {
    const streams = io(stdin);
    return runUserCommand(parseUserCommand(argv).command, store, streams).then(
      (code) => ({ code, out: streams.out(), err: streams.err() }),
      (e: unknown) => {
        // Both end the CLI with exit status 2.
        assert.ok(e instanceof UsageError || e instanceof FileReadError, String(e));
        return { code: 2, out: streams.out(), err: e.message };
      },
    );
  };

  void it("user add: the password from a terminal, without echo, asked twice", async () => {
    const tty = new FakeTty();
    const streams = io(tty);
    const done = runUserCommand(
      parseUserCommand(["user", "add", "alice", "--role", "admin"]).command,
      store,
      streams,
    );
    // Keys as a terminal in raw mode sends them: a typo erased with Backspace, Enter as CR.
    setImmediate(() => {
      tty.write("s3cret-typx\u007fo\r");
      setImmediate(() => tty.write("s3cret-typo\r"));
    });
    assert.equal(await done, 0);
    assert.equal(streams.err(), "New password for alice: \nRepeat it: \ncreated user alice (admin)\n");
    assert.ok(!streams.out().includes("s3cret") && !streams.err().includes("s3cret"));
    assert.deepEqual(tty.modes, [true, false, true, false], "raw mode on while typing, then restored");
    const alice = await store.auth.getUser("alice");
    assert.ok(await verifyPassword("s3cret-typo", alice?.passwordHash ?? ""));
  });

  void it("user add: two different passwords typed, or Ctrl-C, create nothing", async () => {
    const tty = new FakeTty();
    const streams = io(tty);
    const done = runUserCommand(
      parseUserCommand(["user", "add", "bob", "--role", "viewer"]).command,
      store,
      streams,
    );
    setImmediate(() => {
      tty.write("one\r");
      setImmediate(() => tty.write("two\r"));
    });
    await assert.rejects(done, /the passwords do not match/);
    const cancelled = new FakeTty();
    const c = runUserCommand(
      parseUserCommand(["user", "add", "bob", "--role", "viewer"]).command,
      store,
      io(cancelled),
    );
    setImmediate(() => cancelled.write("abc\u0003"));
    await assert.rejects(c, /cancelled/);
    assert.deepEqual(cancelled.modes, [true, false]);
    assert.equal(await store.auth.getUser("bob"), undefined);
  });

  void it("user add: from a pipe (first line) or --password-file; an existing name is refused before reading", async () => {
    const r = await run(["user", "add", "bob", "--role", "viewer"], piped("bob-pipe-pw\r\nignored\n"));
    assert.equal(r.code, 0, r.err);
    assert.ok(await verifyPassword("bob-pipe-pw", (await store.auth.getUser("bob"))?.passwordHash ?? ""));
    writeFileSync(join(dir, "carol.pw"), "carol-file-pw\n");
    const f = await run([
      "user",
      "add",
      "carol",
      "--role",
      "operator",
      "--password-file",
      join(dir, "carol.pw"),
    ]);
    assert.equal(f.code, 0, f.err);
    assert.ok(await verifyPassword("carol-file-pw", (await store.auth.getUser("carol"))?.passwordHash ?? ""));
    const missing = await run([
      "user",
      "add",
      "dave",
      "--role",
      "viewer",
      "--password-file",
      join(dir, "none"),
    ]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /--password-file/);

    const exists = await run(["user", "add", "BOB", "--role", "admin"], piped("x\n"));
    assert.deepEqual([exists.code, exists.err], [2, "user bob exists"]);
    const empty = await run(["user", "add", "erin", "--role", "viewer"], piped("\n"));
    assert.deepEqual([empty.code, empty.err], [2, "the password must not be empty"]);
    const long = await run(["user", "add", "erin", "--role", "viewer"], piped(`${"x".repeat(2000)}\n`));
    assert.equal(long.code, 2);
    assert.match(long.err, /longer than 1024 bytes/);
    assert.equal(await store.auth.getUser("erin"), undefined);
  });

  void it("user list, disable, enable, passwd; never the last admin", async () => {
    const list = await run(["user", "list", "--json"]);
    const users = list.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      users.map((u) => [u.name, u.role, u.disabled, u.hasPassword]),
      [
        ["alice", "admin", false, true],
        ["bob", "viewer", false, true],
        ["carol", "operator", false, true],
      ],
    );
    assert.ok(!list.out.includes("scrypt"));
    const table = await run(["user", "list"]);
    assert.match(table.out, /^NAME +ROLE +STATE +LOCAL +SSO +CREATED\nalice +admin +enabled +password/);

    assert.equal((await run(["user", "disable", "bob"])).code, 0);
    assert.equal((await store.auth.getUser("bob"))?.disabled, true);
    assert.equal((await run(["user", "enable", "bob"])).code, 0);
    assert.equal((await store.auth.getUser("bob"))?.disabled, false);
    const last = await run(["user", "disable", "alice"]);
    assert.equal(last.code, 2);
    assert.match(last.err, /alice is the last enabled admin/);
    assert.match((await run(["user", "disable", "nobody"])).err, /no user nobody/);

    const passwd = await run(["user", "passwd", "bob"], piped("bob-new-pw\n"));
    assert.equal(passwd.code, 0, passwd.err);
    const bob = await store.auth.getUser("bob");
    assert.ok(await verifyPassword("bob-new-pw", bob?.passwordHash ?? ""));
    assert.equal((await run(["user", "passwd", "nobody"], piped("x\n"))).code, 2);
  });

  void it("token create prints it once; token list never shows the secret; token revoke", async () => {
    const created = await run(["token", "create", "--user", "bob", "--name", "grafana"]);
    assert.equal(created.code, 0, created.err);
    const token = created.out.trim();
    assert.match(token, /^cw_[a-z2-7]{10}_[A-Za-z0-9_-]{43}$/);
    const id = token.slice(3, 13);
    const list = await run(["token", "list"]);
    assert.match(list.out, new RegExp(`^${id} +bob +grafana +active +never +never$`, "m"));
    assert.ok(!list.out.includes(token.slice(14)) && !created.err.includes(token.slice(14)));
    assert.match((await run(["token", "create", "--user", "nobody", "--name", "x"])).err, /no user nobody/);
    assert.equal((await run(["token", "revoke", id])).code, 0);
    assert.match((await run(["token", "revoke", id])).err, /no active token/);
    const json = await run(["token", "list", "--user", "bob", "--json"]);
    assert.notEqual((JSON.parse(json.out.trim()) as { revokedAt: string | null }).revokedAt, null);
  });

  void it("audits every change as system", async () => {
    const entries = await store.auth.listAudit({ limit: 100 });
    assert.ok(entries.length >= 8);
    assert.ok(entries.every((e) => e.actor.kind === "system" && e.ip === null));
    const actions = new Set(entries.map((e) => e.action));
    assert.deepEqual([...actions].sort(), ["token.create", "token.revoke", "user.create", "user.update"]);
  });
});
