/**
 * @module cli/args.test
 * The worker's --listen flag: parsed like work.listen, refused elsewhere, a bad value a usage error (exit 2).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseCli, UsageError } from "./args.js";

function usageError(argv: string[]): string {
  try {
    parseCli(argv);
  } catch (e) {
    assert.ok(e instanceof UsageError, String(e));
    assert.equal(e.info.exit, 2);
    return e.message;
  }
  return assert.fail(`${argv.join(" ")} accepted`);
}

describe("certwatch worker --listen", () => {
  it("takes host:port and [IPv6]:port", () => {
    assert.deepEqual(parseCli(["worker", "--listen", "127.0.0.1:9464"]).listen, {
      host: "127.0.0.1",
      port: 9464,
    });
    assert.deepEqual(parseCli(["worker", "--listen=[::1]:0", "--config", "c.yaml"]).listen, {
      host: "::1",
      port: 0,
    });
    assert.equal(parseCli(["worker"]).listen, undefined);
  });

  it("a bad address is a usage error that says what is expected", () => {
    assert.match(usageError(["worker", "--listen", "9464"]), /^--listen must be host:port, such as/);
    assert.match(usageError(["worker", "--listen", "::1:9464"]), /\[IPv6 address\]:port/);
    assert.match(usageError(["worker", "--listen", "127.0.0.1:70000"]), /port must be a number from 0/);
    assert.match(usageError(["worker", "--listen"]), /--listen/);
  });

  it("is the worker's flag only", () => {
    assert.equal(usageError(["serve", "--listen", "127.0.0.1:9464"]), "serve does not take --listen");
    assert.equal(usageError(["scan", "--listen", "127.0.0.1:9464"]), "scan does not take --listen");
  });
});
