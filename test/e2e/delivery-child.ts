/**
 * @module test/e2e/delivery-child
 * A delivery worker in its own process, for the test that kills it mid-send: drains the store at argv[2] into the
 * webhook at argv[3] (timeoutMs argv[4], default 1000) and prints "draining" when it starts.
 */
import { drainOutbox } from "../../src/notify/deliver.js";
import { deps, hookConfig, storeFor } from "./delivery-world.js";

const [path, url, timeout] = process.argv.slice(2);
if (path === undefined || url === undefined) throw new Error("usage: delivery-child DB URL [TIMEOUT_MS]");
const cfg = hookConfig(url, { timeoutMs: Number(timeout ?? 1000) });
const store = await storeFor(path, cfg);
process.stdout.write("draining\n");
await drainOutbox(deps(store, cfg), { deadline: new Date(Date.now() + 60_000) });
await store.close();
