/**
 * @module test/e2e/api-cli-user.test
 * `certwatch user add` and `certwatch token create` as an operator runs them on a fresh install (a child process,
 * the password piped on stdin): the first admin signs in to the REST API, the token is printed once. The other
 * actions and refusals are tested in process (src/cli/user-command.test.ts): each child costs seconds of start-up.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { verifyPassword } from "../../src/auth/password.js";
import { parseApiToken, tokenSecretMatches } from "../../src/auth/tokens.js";
import { openStore } from "../../src/store/open.js";
import type { Store } from "../../src/store/store.js";
import { ApiServer } from "../helpers/api-server.js";
import { certwatch, type CliRun } from "./run-cli.js";

const FIRST = "first-admin-Passw0rd!";

void describe("certwatch user and token commands", () => {
  let dir: string;
  const runs: CliRun[] = [];
  /** The CLI with `input` on its stdin (a pipe, not a terminal). */
  const run = async (args: string[], input = ""): Promise<CliRun> => {
    const r = await certwatch(["--config", join(dir, "certwatch.yaml"), ...args], dir, input);
    runs.push(r);
    return r;
  };
  const withStore = async <T>(fn: (store: Store) => Promise<T>): Promise<T> => {
    const store = await openStore(`sqlite:${join(dir, "certwatch.db")}`);
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "certwatch-user-cli-"));
    writeFileSync(join(dir, "certwatch.yaml"), "domains: [contoso.com]\n");
  });
  after(() => {
    try {
      for (const r of runs) {
        assert.ok(!r.stdout.includes(FIRST) && !r.stderr.includes(FIRST), "the password was echoed");
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it("user add reads the password from stdin; the first admin signs in to the API", async () => {
    const r = await run(["user", "add", "Alice", "--role", "admin"], `${FIRST}\n`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^created user alice \(admin\)$/m);
    const user = await withStore((s) => s.auth.getUser("alice"));
    assert.equal(user?.role, "admin");
    assert.match(user?.passwordHash ?? "", /^\$scrypt\$ln=17,r=8,p=1\$/, "production parameters");
    assert.ok(await verifyPassword(FIRST, user?.passwordHash ?? ""));

    const server = await ApiServer.start({ sqlitePath: join(dir, "certwatch.db") });
    try {
      const client = server.client();
      const login = await client.login("alice", FIRST);
      assert.equal(login.status, 200, login.text);
      assert.equal((await client.get("/users")).status, 200);
    } finally {
      await server.close();
    }
  });

  void it("token create prints the token once, on stdout; the store keeps its hash; audited as system", async () => {
    const r = await run(["token", "create", "--user", "alice", "--name", "grafana", "--expires-days", "30"]);
    assert.equal(r.code, 0, r.stderr);
    const token = r.stdout.trim();
    assert.match(token, /^cw_[a-z2-7]{10}_[A-Za-z0-9_-]{43}$/);
    assert.match(r.stderr, /shown this once/);
    const parsed = parseApiToken(token);
    const stored = await withStore((s) => s.auth.getApiToken(parsed?.id ?? ""));
    assert.ok(parsed !== undefined && stored !== undefined && tokenSecretMatches(parsed, stored.secretHash));
    assert.equal(stored.userName, "alice");
    assert.ok(stored.expiresAt !== null);

    const audit = await withStore((s) => s.auth.listAudit({ action: "token.create" }));
    assert.equal(audit[0]?.actor.kind, "system");
  });
});
