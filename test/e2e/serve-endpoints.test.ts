/**
 * @module test/e2e/serve-endpoints.test
 * `certwatch serve` with managed endpoints: one added over the REST API is scanned without a restart (its alert
 * opens), a configured one stays read-only, and one deleted leaves the schedule.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openStore } from "../../src/store/open.js";
import type { Store } from "../../src/store/store.js";
import { createRootCa, issueLeaf } from "../helpers/pki.js";
import { startTlsServer, type RunningServer } from "../helpers/tls-servers.js";
import { endpointsConfig, operatorToken, scanned, startDaemon, waitReady, type Daemon } from "./serve-kit.js";

describe("certwatch serve: endpoints managed over the REST API", () => {
  let dir: string;
  let store: Store;
  const servers: RunningServer[] = [];
  let daemon: Daemon | undefined;
  let configured: string;
  let managed: RunningServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "certwatch-serve-endpoints-"));
    const root = await createRootCa({ subject: "CN=Serve Endpoints Test Root", freshKey: true });
    for (const name of ["conf.test", "api.test"]) {
      const leaf = await issueLeaf(root, { dnsNames: [name] });
      servers.push(await startTlsServer({ chain: [leaf], key: leaf, hsts: null }));
    }
    configured = `conf.test:${servers[0]?.port}`;
    managed = servers[1] as RunningServer;
    writeFileSync(join(dir, "root.pem"), root.certPem);
    writeFileSync(join(dir, "certwatch.yaml"), endpointsConfig([configured]));
    store = await openStore(`sqlite:${join(dir, "certwatch.db")}`);
  });

  after(async () => {
    if (daemon && daemon.child.exitCode === null) daemon.child.kill("SIGKILL");
    await store?.close();
    await Promise.all(servers.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("an endpoint added over the API is scanned at once; a configured one is read-only; deleted, it is gone", async () => {
    daemon = startDaemon(dir);
    const url = await daemon.url();
    await waitReady(url);
    await daemon.line(scanned(configured));

    // An operator's API token, made as `certwatch token create` would.
    const token = await operatorToken(store);
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${url}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });

    const target = `api.test:${managed.port}`;
    const from = daemon.lines.length;
    const added = await call("POST", "/endpoints", {
      host: "api.test",
      port: managed.port,
      addresses: ["127.0.0.1"],
      scanIntervalMinutes: 30,
    });
    assert.equal(added.status, 201, await added.clone().text());
    assert.equal(((await added.json()) as { target: string }).target, target);
    await daemon.line(scanned(target), from);
    const alerts = await store.listAlerts({ status: "open" });
    assert.deepEqual(alerts.map((a) => [a.name, a.subject]).sort(), [
      ["hsts-missing", "api.test"],
      ["hsts-missing", "conf.test"],
    ]);

    const list = async () =>
      (
        (await (await call("GET", "/endpoints")).json()) as {
          items: { target: string; origin: string; intervalMinutes: number; lastRunAt: string | null }[];
        }
      ).items;
    assert.deepEqual(
      (await list()).map((i) => [i.target, i.origin, i.intervalMinutes, i.lastRunAt !== null]).sort(),
      [
        [target, "managed", 30, true],
        [configured, "config", 60, true],
      ],
    );

    const readOnly = await call("DELETE", `/endpoints/${encodeURIComponent(configured)}`);
    assert.equal(readOnly.status, 409);
    assert.equal(((await readOnly.json()) as { error: { code: string } }).error.code, "ENDPOINT_READ_ONLY");

    const deleted = await call("DELETE", `/endpoints/${encodeURIComponent(target)}`);
    assert.equal(deleted.status, 204);
    assert.deepEqual(
      (await list()).map((i) => i.target),
      [configured],
    );
    const scanNow = await call("POST", `/endpoints/${encodeURIComponent(target)}/scan`);
    assert.equal(scanNow.status, 404, "no longer scheduled");
    const audit = await store.auth.listAudit({ limit: 10 });
    assert.deepEqual(
      audit.filter((e) => e.action.startsWith("endpoint.")).map((e) => [e.action, e.target]),
      [
        ["endpoint.delete", target],
        ["endpoint.create", target],
      ],
    );

    daemon.signal("SIGTERM");
    assert.equal((await daemon.done).code, 0);
  });
});
