/**
 * @module test/e2e/delivery.test
 * Delivery against a real webhook receiver that verifies Standard Webhooks signatures: alerts recorded in a real
 * SQLite store reach it exactly once despite a target that is down, 429 with Retry-After, 500s, answers slower than
 * the timeout, and a worker killed mid-send; metacharacters arrive intact.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { SplunkTargetConfig } from "../../src/config/notify-schema.js";
import { notifySchema } from "../../src/config/notify-schema.js";
import type { DeliveryDeps } from "../../src/notify/deliver.js";
import { drainOutbox } from "../../src/notify/deliver.js";
import type { NotifierContext } from "../../src/notify/notifier.js";
import { routesFromConfig } from "../../src/notify/routing.js";
import { createSplunkNotifier } from "../../src/notify/splunk.js";
import { sleep } from "../../src/sources/ct/polite-http.js";
import { openStore } from "../../src/store/open.js";
import { draft, run } from "../../src/store/contract-fixtures.js";
import type { Store } from "../../src/store/store.js";
import { startSplunkHecReceiver } from "../helpers/splunk-hec-receiver.js";
import { startWebhookReceiver } from "../helpers/webhook-receiver.js";
import { deps, hookConfig, SECRET, storeFor, tempDbPath } from "./delivery-world.js";
import { certwatch } from "./run-cli.js";

const SCOPE = "tls:www.contoso.com:443";
const soon = (ms: number) => ({ deadline: new Date(Date.now() + ms) });

async function record(store: Store, keys: readonly string[], subject?: string): Promise<void> {
  await store.recordRun(
    run(
      SCOPE,
      new Date(),
      keys.map((k) =>
        draft("hsts-missing", k, subject === undefined ? {} : { subject, details: { note: subject } }),
      ),
    ),
  );
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function pending(store: Store): Promise<number> {
  return (await store.outboxStatus()).reduce((n, s) => n + s.pending, 0);
}

void describe("delivery through the outbox to a real webhook receiver", () => {
  void it("a target down for a while: nothing is lost, nothing doubled, once it is back", async () => {
    const path = tempDbPath();
    const down = hookConfig(`http://127.0.0.1:${await closedPort()}/hook`);
    let store = await storeFor(path, down);
    await record(store, ["a", "b", "c", "d", "e"]);
    const first = await drainOutbox(deps(store, down), soon(1000));
    assert.equal(first.targets[0]?.delivered, 0);
    assert.ok((first.targets[0]?.failedAttempts ?? 0) >= 1);
    assert.equal(first.targets[0]?.pending, 5);
    assert.match(first.targets[0]?.lastError ?? "", /127\.0\.0\.1/);
    await store.close();

    const receiver = await startWebhookReceiver({ secret: SECRET });
    try {
      const up = hookConfig(receiver.url);
      store = await storeFor(path, up);
      const second = await drainOutbox(deps(store, up), soon(5000));
      assert.equal(second.targets[0]?.delivered, 5);
      assert.equal(await pending(store), 0);
      assert.equal(receiver.received.length, 5);
      assert.equal(receiver.duplicates, 0);
      assert.ok(receiver.received.every((r) => r.verified));
      const subjects = receiver.received.map(
        (r) => (r.parsed as { data: { alert: { subject: string } } }).data.alert.subject,
      );
      assert.deepEqual(subjects.sort(), ["a", "b", "c", "d", "e"]);
      await store.close();
    } finally {
      await receiver.close();
    }
  });

  void it("429 with Retry-After: waits at least that long, then delivers once", async () => {
    const receiver = await startWebhookReceiver({ secret: SECRET });
    try {
      receiver.fail(1, { status: 429, headers: { "retry-after": "1" } });
      const cfg = hookConfig(receiver.url);
      const store = await storeFor(tempDbPath(), cfg);
      await record(store, ["www"]);
      const started = Date.now();
      const report = await drainOutbox(deps(store, cfg), soon(5000));
      assert.equal(report.targets[0]?.delivered, 1);
      assert.ok(Date.now() - started >= 1000, "not retried before Retry-After");
      assert.deepEqual(
        receiver.requests.map((r) => r.status),
        [429, 200],
      );
      assert.equal(receiver.received.length, 1);
      await store.close();
    } finally {
      await receiver.close();
    }
  });

  void it("500s are retried with back-off until the target accepts", async () => {
    const receiver = await startWebhookReceiver({ secret: SECRET });
    try {
      receiver.fail(3, { status: 500 });
      const cfg = hookConfig(receiver.url);
      const store = await storeFor(tempDbPath(), cfg);
      await record(store, ["www"]);
      const log: string[] = [];
      const report = await drainOutbox(deps(store, cfg, log), soon(5000));
      assert.equal(report.targets[0]?.delivered, 1);
      assert.equal(report.targets[0]?.failedAttempts, 3);
      assert.equal(receiver.requests.length, 4);
      assert.equal(receiver.received.length, 1);
      assert.equal(log.length, 3);
      assert.match(log[2] ?? "", /attempt 3\b.*HTTP 500/);
      await store.close();
    } finally {
      await receiver.close();
    }
  });

  void it("an answer slower than the timeout fails that attempt; the retry delivers, exactly once", async () => {
    const receiver = await startWebhookReceiver({ secret: SECRET });
    try {
      receiver.fail(1, { delayMs: 1500 });
      const cfg = hookConfig(receiver.url, { timeoutMs: 300 });
      const store = await storeFor(tempDbPath(), cfg);
      await record(store, ["www"]);
      const report = await drainOutbox(deps(store, cfg), soon(5000));
      assert.equal(report.targets[0]?.delivered, 1);
      assert.equal(report.targets[0]?.failedAttempts, 1);
      await new Promise((r) => setTimeout(r, 1600)); // the slow answer comes and goes
      assert.equal(receiver.received.length, 1);
      assert.equal(receiver.duplicates, 0);
      await store.close();
    } finally {
      await receiver.close();
    }
  });

  void it("a worker killed mid-send: `certwatch notify send` with the default drain delivers every row, once", async () => {
    const receiver = await startWebhookReceiver({ secret: SECRET });
    const dir = mkdtempSync(join(tmpdir(), "certwatch-crash-"));
    const path = join(dir, "certwatch.db");
    const keys = ["a", "b", "c", "d", "e", "f"];
    try {
      // The default timeout (10 s), concurrency (4) and drain (30 s): what a team runs.
      const cfg = hookConfig(receiver.url, { timeoutMs: 10_000 });
      const store = await storeFor(path, cfg);
      await record(store, keys);
      const queued = (await store.claimOutbox("hook", 100, new Date(), new Date())).map(
        (i) => i.notification.id,
      );
      await store.close();
      assert.equal(queued.length, keys.length);

      // The worker's requests hang at the receiver; it is killed while they are in flight.
      receiver.fail(cfg.concurrency, { delayMs: 120_000 });
      const child = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          fileURLToPath(new URL("./delivery-child.ts", import.meta.url)),
          path,
          receiver.url,
          String(cfg.timeoutMs),
        ],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      const waitUntil = Date.now() + 60_000;
      while (receiver.inFlight < cfg.concurrency && Date.now() < waitUntil) await sleep(20);
      assert.equal(receiver.inFlight, cfg.concurrency, "the worker's sends are in flight");
      child.kill("SIGKILL");
      await exited;
      assert.equal(receiver.received.length, 0, "nothing was accepted before the kill");

      process.env.CW_TEST_HOOK_SECRET = SECRET;
      writeFileSync(
        join(dir, "certwatch.yaml"),
        `notify:\n  hook: { type: webhook, url: "${receiver.url}", secret: { env: CW_TEST_HOOK_SECRET } }\n`,
      );
      const sent = await certwatch(["notify", "send"], dir);
      assert.equal(sent.code, 0, sent.stderr);
      assert.match(sent.stderr, /notify hook: waiting .* leased by another sender/);
      assert.match(sent.stderr, /notify hook: 6 delivered/);
      assert.equal(receiver.duplicates, 0);
      assert.deepEqual(
        receiver.received.map((r) => r.id).sort(),
        [...queued].sort(),
        "each row once, same ids",
      );
      const after = await storeFor(path, cfg);
      assert.equal(await pending(after), 0);
      await after.close();
    } finally {
      await receiver.close();
    }
  });

  void it("a live sender keeps its rows past the lease: the heartbeat renews it while the send is in flight", async () => {
    const receiver = await startWebhookReceiver({ secret: SECRET });
    const path = tempDbPath();
    try {
      receiver.fail(1, { delayMs: 2000 });
      const cfg = hookConfig(receiver.url, { timeoutMs: 5000 });
      const store = await storeFor(path, cfg);
      await record(store, ["www"]);
      const other = await storeFor(path, cfg); // another sender's connection to the file
      // A lease of 600 ms, four times shorter than the send.
      const draining = drainOutbox({ ...deps(store, cfg), leaseMs: () => 600 }, soon(10_000));
      const stolen: number[] = [];
      while (receiver.inFlight === 0) await sleep(10);
      while (receiver.inFlight > 0) {
        stolen.push(...(await other.claimOutbox("hook", 10, new Date(), new Date())).map((i) => i.rowId));
        await sleep(50);
      }
      const report = await draining;
      assert.deepEqual(stolen, [], "no other sender could claim the row while it was being sent");
      assert.equal(report.targets[0]?.delivered, 1);
      assert.equal(receiver.received.length, 1);
      await other.close();
      await store.close();
    } finally {
      await receiver.close();
    }
  });

  void it("a webhook with concurrency 4 has several requests in flight, never more than 4; each row once", async () => {
    const receiver = await startWebhookReceiver({ secret: SECRET });
    try {
      receiver.fail(40, { delayMs: 200 });
      const cfg = hookConfig(receiver.url, { concurrency: 4, timeoutMs: 5000 });
      const store = await storeFor(tempDbPath(), cfg);
      await record(
        store,
        Array.from({ length: 40 }, (_, i) => `k${i}`),
      );
      const report = await drainOutbox(deps(store, cfg), soon(60_000));
      assert.equal(report.targets[0]?.delivered, 40);
      assert.equal(receiver.received.length, 40);
      assert.equal(receiver.duplicates, 0);
      assert.ok(receiver.maxInFlight > 1, `max in flight ${receiver.maxInFlight}`);
      assert.ok(receiver.maxInFlight <= 4, `max in flight ${receiver.maxInFlight}`);
      assert.equal(await pending(store), 0);
      await store.close();
    } finally {
      await receiver.close();
    }
  });

  void it("concurrency 4: a 429 pauses the whole target, not only its own send; every row delivered once", async () => {
    const receiver = await startWebhookReceiver({ secret: SECRET });
    try {
      // The first request to arrive is refused with Retry-After: 1; the three beside it are answered after 300 ms,
      // when the target is paused: their senders wait for the end of the pause instead of sending the rest.
      receiver.fail(1, { status: 429, headers: { "retry-after": "1" } });
      receiver.fail(3, { delayMs: 300 });
      const cfg = hookConfig(receiver.url, { concurrency: 4, timeoutMs: 5000 });
      const store = await storeFor(tempDbPath(), cfg);
      await record(
        store,
        Array.from({ length: 12 }, (_, i) => `k${i}`),
      );
      const report = await drainOutbox(deps(store, cfg), soon(15_000));
      assert.equal(report.targets[0]?.delivered, 12);
      assert.equal(report.targets[0]?.failedAttempts, 1);
      assert.equal(receiver.received.length, 12);
      assert.equal(receiver.duplicates, 0);
      // Requests are listed as answered. The refused notification is the oldest due one when the pause ends, so it
      // goes out with the first sends after it (were only its own sender paused, it would be sent last, after the
      // other eight).
      const refused = receiver.requests.find((r) => r.status === 429)?.id;
      const retried = receiver.requests.findIndex((r) => r.id === refused && r.status === 200);
      assert.ok(retried >= 4 && retried <= 8, `the refused notification was answered ${retried}th`);
      await store.close();
    } finally {
      await receiver.close();
    }
  });

  void it("metacharacters and newlines in an alert arrive intact, under a valid signature", async () => {
    const receiver = await startWebhookReceiver({ secret: SECRET });
    try {
      const cfg = hookConfig(receiver.url);
      const store = await storeFor(tempDbPath(), cfg);
      const nasty = `<script>alert("x")</script> | a=b \\ c\r\nBcc: evil@example.com ‮ü€`;
      await record(store, ["www"], nasty);
      await drainOutbox(deps(store, cfg), soon(5000));
      const [got] = receiver.received;
      assert.ok(got?.verified);
      const alert = (got?.parsed as { data: { alert: { subject: string; details: { note: string } } } }).data
        .alert;
      assert.equal(alert.subject, nasty);
      assert.equal(alert.details.note, nasty);
      await store.close();
    } finally {
      await receiver.close();
    }
  });
});

void describe("a batch the target refuses permanently", () => {
  const TOKEN = "11111111-2222-3333-4444-555555555555";
  const splunk = (url: string) =>
    notifySchema.parse({ splunk: { url, token: { env: "CW_TEST_HEC_TOKEN" }, batchSize: 50 } })
      .splunk as SplunkTargetConfig;
  const ctx = (token: string): NotifierContext => ({
    ca: [],
    secret: () => token,
    log: { warn: () => undefined },
    now: () => new Date(),
  });
  const worker = (store: Store, cfg: SplunkTargetConfig, token: string): DeliveryDeps => ({
    store,
    notifiers: [createSplunkNotifier("splunk", cfg, ctx(token))],
    now: () => new Date(),
    backoff: { baseMs: 50, maxMs: 400 },
    leaseMs: () => 10_000,
    sleep: (ms, signal) => sleep(ms, signal),
    log: () => undefined,
  });

  void it("one notification over the target's size cap is isolated: the others are delivered", async () => {
    const receiver = await startSplunkHecReceiver({ token: TOKEN });
    try {
      const cfg = splunk(receiver.url);
      const store = await openStore(`sqlite:${tempDbPath()}`, { routes: routesFromConfig({ splunk: cfg }) });
      const keys = Array.from({ length: 9 }, (_, i) => `ok-${i}`);
      await store.recordRun(
        run(SCOPE, new Date(), [
          ...keys.map((k) => draft("hsts-missing", k)),
          draft("hsts-missing", "huge", { details: { blob: "x".repeat(1_200_000) } }),
        ]),
      );
      const report = await drainOutbox(worker(store, cfg, TOKEN), soon(1500));
      assert.equal(report.targets[0]?.delivered, 9);
      assert.equal(report.targets[0]?.pending, 1);
      assert.equal(receiver.receivedCount, 9);
      const [left] = await store.claimOutbox("splunk", 10, new Date(Date.now() + 3_600_000), new Date());
      assert.equal(left?.notification.alert.key, "huge");
      await store.close();
    } finally {
      await receiver.close();
    }
  });

  void it("a target that refuses everything (a revoked token) costs three requests, not one per row", async () => {
    const receiver = await startSplunkHecReceiver({ token: TOKEN });
    try {
      const cfg = splunk(receiver.url);
      const store = await openStore(`sqlite:${tempDbPath()}`, { routes: routesFromConfig({ splunk: cfg }) });
      await store.recordRun(
        run(
          SCOPE,
          new Date(),
          Array.from({ length: 40 }, (_, i) => draft("hsts-missing", `k${i}`)),
        ),
      );
      const report = await drainOutbox(worker(store, cfg, "revoked-token"), soon(1000));
      assert.equal(report.targets[0]?.delivered, 0);
      assert.equal(report.targets[0]?.pending, 40);
      const attempts = report.targets[0]?.failedAttempts ?? 0;
      assert.ok(attempts >= 1);
      assert.equal(receiver.requestCount, 3 * attempts, "the batch, then each half, per attempt");
      assert.match(report.targets[0]?.lastError ?? "", /403/);
      assert.doesNotMatch(report.targets[0]?.lastError ?? "", /revoked-token/);
      await store.close();
    } finally {
      await receiver.close();
    }
  });
});
