/**
 * @module work/worker-id
 * Who a worker is, in logs and on the leases it holds: `host:pid:random`, unique per process start (a restarted
 * worker with the same pid is another worker: it holds none of its predecessor's leases).
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";

export function newWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
}
