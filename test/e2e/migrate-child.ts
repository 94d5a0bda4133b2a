/**
 * @module test/e2e/migrate-child
 * One process opening the store at argv[2] (an SQLite file path, or a store URL), for the tests that race several of
 * them on a fresh database: says "ready" once loaded, opens (and so migrates) the store when it reads "go" on stdin,
 * then prints "ok" or the error.
 */
import { openStore } from "../../src/store/open.js";

const [path] = process.argv.slice(2);
if (path === undefined) throw new Error("usage: migrate-child DB|URL");
const url = path.includes("://") ? path : `sqlite:${path}`;
process.stdout.write("ready\n");
process.stdin.once("data", () => {
  void (async () => {
    try {
      const store = await openStore(url);
      await store.close();
      process.stdout.write("ok\n");
    } catch (e) {
      process.stdout.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    }
    process.stdin.destroy();
  })();
});
