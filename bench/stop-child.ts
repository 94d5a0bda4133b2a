/**
 * @module bench/stop-child
 * Stopping a helper child process of a benchmark (the CT log server, the scan server farm): ask it to stop,
 * wait for its exit, SIGKILL it if it has not gone within a bound.
 */
import type { ChildProcess } from "node:child_process";

/** Calls `ask` (close its stdin, send it a message), then resolves once `child` exits, or kills it after `boundMs`. */
export function stopChild(child: ChildProcess, ask: () => void, boundMs = 5_000): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve();
    }, boundMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    ask();
  });
}
