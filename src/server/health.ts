/**
 * @module server/health
 * `/healthz` (the process is up and answering) and `/readyz` (it can do its work: the store answers, its
 * migrations are applied, the scheduler runs). A load balancer or Kubernetes sends traffic on readyz and
 * restarts on healthz, so healthz never touches the store: a slow database must not get the process killed.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { ReadyCheck, ServerDeps } from "./deps.js";

/** The checks must answer within this time; a store that takes longer is not ready. */
export const READY_TIMEOUT_MS = 2000;

export function mountHealth(app: OpenAPIHono, deps: Pick<ServerDeps, "readiness">): void {
  app.get("/healthz", (c) => {
    c.header("cache-control", "no-store");
    return c.json({ status: "ok" });
  });
  app.get("/readyz", async (c) => {
    c.header("cache-control", "no-store");
    const checks = await withTimeout(deps.readiness(), READY_TIMEOUT_MS);
    const ready = checks.length > 0 && checks.every((ch) => ch.ok);
    return c.json({ status: ready ? "ready" : "not ready", checks }, ready ? 200 : 503);
  });
}

async function withTimeout(p: Promise<readonly ReadyCheck[]>, ms: number): Promise<readonly ReadyCheck[]> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<readonly ReadyCheck[]>((resolve) => {
    timer = setTimeout(
      () => resolve([{ name: "readiness", ok: false, detail: `no answer within ${ms} ms` }]),
      ms,
    );
  });
  try {
    return await Promise.race([
      p.catch((e: unknown) => [
        { name: "readiness", ok: false, detail: e instanceof Error ? e.message : String(e) },
      ]),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
