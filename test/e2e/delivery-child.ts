/**
 * @module test/e2e/delivery-child
 * A delivery worker in its own process, for the test that kills it mid-send: drains the store at argv[2] into the
 * webhook at argv[3] and prints "draining" when it starts.
 */
import { drainOutbox } from "../../src/notify/deliver.js";
import { deps, hookConfig, storeFor } from "./delivery-world.js";

const [path, url] = process.argv.slice(2);
if (path === undefined || url === undefined) throw new Error("usage: delivery-child DB URL");
const cfg = hookConfig(url, { timeoutMs: 1000 });
const store = await storeFor(path, cfg);
process.stdout.write("draining\n");
await drainOutbox(deps(store, cfg), { deadline: new Date(Date.now() + 60_000) });
await store.close();
