/**
 * @module notify/splunk.test
 * The Splunk target against a real local HTTP Event Collector: the event format and metadata, batches split under
 * the request cap, HEC's refusals and busy answers, slow and unreachable collectors, TLS, and hostile alert text.
 */
import { test } from "node:test";
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { hostname } from "node:os";
import { gunzipSync } from "node:zlib";
import type { SplunkTargetConfig } from "../config/notify-schema.js";
import { notifySchema } from "../config/notify-schema.js";
import type { Notification } from "./notification.js";
import { notificationId, notificationJson } from "./notification.js";
import type { NotifierContext, SendOutcome } from "./notifier.js";
import { sampleNotification } from "./sample.js";
import { readSecret, SecretError } from "./secrets.js";
import { createSplunkNotifier, hecEvent, hecEventUrl, SPLUNK_MAX_REQUEST_BYTES } from "./splunk.js";
import { createRootCa } from "../../test/helpers/pki.js";
import {
  parseHecBody,
  startSplunkHecReceiver,
  type HecReceiver,
  type HecReceiverOptions,
} from "../../test/helpers/splunk-hec-receiver.js";

const TOKEN = "6f1c2a9e-3b7d-4e52-9a41-0c8d2f6b7e13";
const ENV = { HEC_TOKEN: TOKEN };
/** JSON's metacharacters, line breaks, SPL's quoting characters, markup, a bidi override and non-ASCII text. */
const HOSTILE =
  '<script>alert("x")</script> | a=b \\back\\slash "quoted" \'single\' {"json":[1]} `tick` $var ' +
  "\r\nsecond line\rthird\ttab \u0000nul \u2028ls \u202egnp.exe ñ 証明書 🔒";

function config(raw: Record<string, unknown>): SplunkTargetConfig {
  const t = notifySchema.parse({
    siem: { type: "splunk", timeoutMs: 2000, token: { env: "HEC_TOKEN" }, ...raw },
  }).siem;
  assert.ok(t !== undefined && t.type === "splunk");
  return t;
}

function context(over: Partial<NotifierContext> = {}, env: Record<string, string> = ENV): NotifierContext {
  return {
    ca: [],
    secret: (ref, field) => readSecret(ref, field, { env, configDir: process.cwd() }),
    log: { warn: () => undefined },
    now: () => new Date(),
    ...over,
  };
}

/** `count` distinct notifications (ids and alert ids differ), created a millisecond apart. */
function notifications(count: number, details: Record<string, unknown> = {}): Notification[] {
  const base = sampleNotification(new Date("2025-03-01T10:00:00.250Z"));
  return Array.from({ length: count }, (_, i) => {
    const at = new Date(Date.parse("2025-03-01T10:00:00.250Z") + i).toISOString();
    const alert = {
      ...base.alert,
      id: `${base.alert.id.slice(0, 24)}${String(i).padStart(8, "0")}`,
      details,
    };
    return { ...base, id: notificationId(alert.id, "opened", at), alert, createdAt: at };
  });
}

async function withReceiver(opts: HecReceiverOptions, fn: (r: HecReceiver) => Promise<void>): Promise<void> {
  const r = await startSplunkHecReceiver({ token: TOKEN, ...opts });
  try {
    await fn(r);
  } finally {
    await r.close();
  }
}

function failed(o: SendOutcome): Extract<SendOutcome, { kind: "failed" }> {
  assert.equal(o.kind, "failed", "the send must fail");
  return o;
}

test("the event endpoint is found from a HEC base, with or without a trailing slash, or given as is", () => {
  const e = (u: string): string => hecEventUrl(u).href;
  assert.equal(e("https://splunk:8088"), "https://splunk:8088/services/collector/event");
  assert.equal(e("https://splunk:8088/"), "https://splunk:8088/services/collector/event");
  assert.equal(
    e("https://splunk:8088/services/collector/event"),
    "https://splunk:8088/services/collector/event",
  );
  assert.equal(
    e("https://splunk:8088/services/collector/event/"),
    "https://splunk:8088/services/collector/event",
  );
  assert.equal(e("https://splunk:8088/services/collector"), "https://splunk:8088/services/collector/event");
  assert.equal(e("https://lb.example/hec/"), "https://lb.example/hec/services/collector/event");
  assert.equal(
    e("https://splunk:8088/services/collector/event/1.0"),
    "https://splunk:8088/services/collector/event/1.0",
  );
});

test("a batch arrives as HEC events with the token, time, host, source, sourcetype, index and the alert JSON", async () => {
  await withReceiver({ indexes: ["security"] }, async (r) => {
    const cfg = config({ url: `${r.url}/`, index: "security", batchSize: 50 });
    const notifier = createSplunkNotifier("siem", cfg, context());
    assert.equal(notifier.type, "splunk");
    assert.equal(notifier.target, "siem");
    assert.equal(notifier.maxBatch, 50);
    const batch = notifications(3);
    assert.deepEqual(await notifier.send(batch), { kind: "delivered" });
    await notifier.close();

    assert.equal(r.requestCount, 1, "one request for a small batch");
    const [req] = r.requests;
    assert.ok(req);
    assert.equal(req.method, "POST");
    assert.equal(req.path, "/services/collector/event");
    assert.equal(req.headers.authorization, `Splunk ${TOKEN}`);
    assert.equal(req.headers["content-type"], "application/json");
    assert.equal(req.headers["content-encoding"], undefined, "a small batch is not compressed");
    assert.equal(req.status, 200);
    assert.deepEqual(JSON.parse(req.answer), { text: "Success", code: 0 });
    // HEC's batch format: one JSON object per event, newline-separated.
    assert.equal(req.body.toString("utf8").split("\n").length, 3);

    const got = await r.waitFor(3);
    for (const [i, n] of batch.entries()) {
      const e = got[i];
      assert.ok(e);
      assert.equal(e.time, Date.parse(n.createdAt) / 1000, "epoch seconds with milliseconds");
      assert.match(e.raw, /^\{"time":1740823200\.25\d?,/);
      assert.equal(e.host, hostname());
      assert.equal(e.source, "certwatch");
      assert.equal(e.sourcetype, "certwatch:alert");
      assert.equal(e.index, "security");
      assert.deepEqual(e.event, notificationJson(n));
      assert.equal(e.id, n.id);
    }
  });
});

test("without index the event has none; a url that already names the endpoint is used as is", async () => {
  await withReceiver({}, async (r) => {
    const cfg = config({ url: r.eventUrl, sourcetype: "certwatch:test", source: "scanner-eu" });
    const notifier = createSplunkNotifier("siem", cfg, context());
    assert.deepEqual(await notifier.send(notifications(1)), { kind: "delivered" });
    await notifier.close();
    const [e] = await r.waitFor(1);
    assert.ok(e);
    assert.equal(r.requests[0]?.path, "/services/collector/event");
    assert.equal(e.index, undefined);
    assert.ok(!("index" in (JSON.parse(e.raw) as object)));
    assert.equal(e.sourcetype, "certwatch:test");
    assert.equal(e.source, "scanner-eu");
  });
});

test("a batch larger than one request is split under the cap, gzip-compressed, every event exactly once", async () => {
  await withReceiver({ maxContentLength: SPLUNK_MAX_REQUEST_BYTES }, async (r) => {
    const notifier = createSplunkNotifier("siem", config({ url: r.url, timeoutMs: 10_000 }), context());
    // About 6 KB per event: 400 events are about 2.4 MB, so three requests or more.
    const batch = notifications(400, { evidence: "x".repeat(5000), note: "é".repeat(200) });
    assert.deepEqual(await notifier.send(batch), { kind: "delivered" });
    await notifier.close();

    assert.ok(r.requestCount >= 3, `${r.requestCount} requests`);
    for (const req of r.requests) {
      assert.equal(req.status, 200);
      assert.equal(req.headers["content-encoding"], "gzip");
      assert.ok(req.body.length < req.decoded.length, "the body is compressed");
      assert.deepEqual(gunzipSync(req.body), req.decoded);
      assert.ok(req.decoded.length <= SPLUNK_MAX_REQUEST_BYTES, `${req.decoded.length} bytes`);
    }
    assert.equal(r.events.length, 400);
    assert.equal(r.duplicates, 0);
    assert.deepEqual(
      r.events.map((e) => e.id),
      batch.map((n) => n.id),
      "every event once, in order",
    );
  });
});

test("an event that alone is over the request cap is refused before sending, naming the alert", async () => {
  await withReceiver({}, async (r) => {
    const notifier = createSplunkNotifier("siem", config({ url: r.url }), context());
    const [big] = notifications(1, { evidence: "y".repeat(SPLUNK_MAX_REQUEST_BYTES) });
    assert.ok(big);
    const o = failed(await notifier.send([...notifications(2), big]));
    await notifier.close();
    assert.equal(o.permanent, true);
    assert.match(o.error, new RegExp(`alert ${big.alert.id}`));
    assert.match(o.error, /over the 1000000-byte limit/);
    assert.equal(r.requestCount, 0, "nothing sent");
  });
});

test("a wrong token is refused (403 code 4) as permanent, and the token is never in the error", async () => {
  await withReceiver({ token: "another-token" }, async (r) => {
    const notifier = createSplunkNotifier("siem", config({ url: r.url }), context());
    const o = failed(await notifier.send(notifications(1)));
    await notifier.close();
    assert.equal(o.permanent, true);
    assert.equal(o.retryAfterMs, undefined);
    assert.match(o.error, /HTTP 403 code 4 "Invalid token"/);
    assert.match(o.error, /notify\.siem\.token/);
    assert.ok(!o.error.includes(TOKEN));
    assert.equal(r.requests[0]?.status, 403);
    assert.equal(r.events.length, 0);
  });
});

test("the receiver refuses a missing or malformed Authorization as HEC does (401 code 2 and 3)", async () => {
  await withReceiver({}, async (r) => {
    const post = (headers: Record<string, string>): Promise<Response> =>
      fetch(r.eventUrl, { method: "POST", headers, body: '{"event":"x"}' });
    const none = await post({});
    assert.equal(none.status, 401);
    assert.deepEqual(await none.json(), { text: "Token is required", code: 2 });
    const bearer = await post({ authorization: `Bearer ${TOKEN}` });
    assert.equal(bearer.status, 401);
    assert.deepEqual(await bearer.json(), { text: "Invalid authorization", code: 3 });
    const ok = await post({ authorization: `Splunk ${TOKEN}` });
    assert.deepEqual(await ok.json(), { text: "Success", code: 0 });
  });
});

test("a token that cannot be read fails at construction, naming the field", () => {
  assert.throws(
    () => createSplunkNotifier("siem", config({ url: "https://splunk:8088" }), context({}, {})),
    (e: unknown) => e instanceof SecretError && e.field === "notify.siem.token",
  );
});

test("503 code 9 (server busy) with Retry-After is retried after that long", async () => {
  await withReceiver({}, async (r) => {
    r.fail(1, {
      status: 503,
      headers: { "retry-after": "7", "content-type": "application/json" },
      body: '{"text":"Server is busy","code":9}',
    });
    const notifier = createSplunkNotifier("siem", config({ url: r.url }), context());
    const o = failed(await notifier.send(notifications(2)));
    assert.equal(o.permanent, undefined);
    assert.equal(o.retryAfterMs, 7000);
    assert.match(o.error, /HTTP 503 code 9 "Server is busy"/);
    // The retry (the worker's) is taken.
    assert.deepEqual(await notifier.send(notifications(2)), { kind: "delivered" });
    await notifier.close();
    assert.equal(r.received.length, 2);
  });
});

test("429 with Retry-After is retried after that long; 500 is retried; 400 code 6 is permanent", async () => {
  await withReceiver({}, async (r) => {
    const notifier = createSplunkNotifier("siem", config({ url: r.url }), context());
    r.fail(1, { status: 429, headers: { "retry-after": "3" } });
    const throttled = failed(await notifier.send(notifications(1)));
    assert.equal(throttled.retryAfterMs, 3000);
    assert.equal(throttled.permanent, undefined);

    r.fail(1, { status: 500, body: '{"text":"Internal server error","code":8}' });
    const internal = failed(await notifier.send(notifications(1)));
    assert.equal(internal.permanent, undefined);
    assert.equal(internal.retryAfterMs, undefined);
    assert.match(internal.error, /HTTP 500 code 8/);

    r.fail(1, { status: 400, body: '{"text":"Invalid data format","code":6,"invalid-event-number":0}' });
    const format = failed(await notifier.send(notifications(1)));
    assert.equal(format.permanent, true);
    assert.match(format.error, /HTTP 400 code 6 "Invalid data format"/);
    await notifier.close();
    assert.equal(r.events.length, 0);
  });
});

test("a request over the collector's max content length (413) is permanent", async () => {
  await withReceiver({ maxContentLength: 2000 }, async (r) => {
    const notifier = createSplunkNotifier("siem", config({ url: r.url }), context());
    const o = failed(await notifier.send(notifications(5)));
    await notifier.close();
    assert.equal(o.permanent, true);
    assert.match(o.error, /HTTP 413 code 413 "Content-Length of \d+ too large \(maximum is 2000\)"/);
    assert.equal(r.requests[0]?.status, 413);
    assert.equal(r.events.length, 0);
  });
});

test("a 200 that is not HEC's code 0 (or not JSON) is a failure, not a delivery", async () => {
  await withReceiver({}, async (r) => {
    const notifier = createSplunkNotifier("siem", config({ url: r.url }), context());
    r.fail(1, { status: 200, body: '{"text":"Incorrect index","code":7}' });
    const wrongCode = failed(await notifier.send(notifications(1)));
    assert.match(wrongCode.error, /HTTP 200 without HEC's code 0 \(code 7 "Incorrect index"\)/);
    r.fail(1, { status: 200, headers: { "content-type": "text/html" }, body: "<html>login portal</html>" });
    const html = failed(await notifier.send(notifications(1)));
    assert.match(html.error, /not a HEC answer/);
    r.fail(1, { status: 204 });
    failed(await notifier.send(notifications(1)));
    await notifier.close();
  });
});

test("a failure in a later request of a split batch fails the send and says what was delivered", async () => {
  await withReceiver({}, async (r) => {
    const notifier = createSplunkNotifier("siem", config({ url: r.url, timeoutMs: 10_000 }), context());
    const batch = notifications(300, { evidence: "z".repeat(5000) });
    r.fail(1, { delayMs: 0 });
    r.fail(1, { status: 503, body: '{"text":"Server is busy","code":9}' });
    const o = failed(await notifier.send(batch));
    assert.match(o.error, /request 2 of \d+: HEC answered HTTP 503 code 9/);
    assert.match(o.error, /1 of \d+ requests were delivered and will be sent again/);
    assert.equal(r.requestCount, 2, "the send stops at the failure");
    // The worker sends the batch again: the receiver sees the first part twice, deduped by notificationId.
    assert.deepEqual(await notifier.send(batch), { kind: "delivered" });
    await notifier.close();
    assert.equal(r.received.length, 300);
    assert.ok(r.duplicates > 0);
    assert.equal(r.events.length, 300 + r.duplicates);
  });
});

test("a collector slower than timeoutMs is a failure within the deadline", async () => {
  await withReceiver({}, async (r) => {
    r.fail(1, { delayMs: 5000 });
    const notifier = createSplunkNotifier("siem", config({ url: r.url, timeoutMs: 300 }), context());
    const t0 = performance.now();
    const o = failed(await notifier.send(notifications(1)));
    const took = performance.now() - t0;
    await notifier.close();
    assert.ok(took < 1500, `took ${Math.round(took)} ms`);
    assert.match(o.error, /no complete answer within timeoutMs \(300 ms\)/);
    assert.equal(r.events.length, 0);
  });
});

test("an unreachable collector or a dropped connection is a failure", async () => {
  const free = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
  const down = createSplunkNotifier("siem", config({ url: `http://127.0.0.1:${free}` }), context());
  const o = failed(await down.send(notifications(1)));
  await down.close();
  assert.match(o.error, /ECONNREFUSED/);
  assert.ok(!o.error.includes(TOKEN));

  await withReceiver({}, async (r) => {
    r.fail(1, { drop: true });
    const notifier = createSplunkNotifier("siem", config({ url: r.url }), context());
    failed(await notifier.send(notifications(1)));
    await notifier.close();
    assert.equal(r.events.length, 0);
  });
});

test("metacharacters, line breaks, quotes and unicode in alert fields arrive byte for byte", async () => {
  await withReceiver({}, async (r) => {
    const notifier = createSplunkNotifier("siem", config({ url: r.url, index: 'sec"urity' }), context());
    const [base] = notifications(1);
    assert.ok(base);
    const n: Notification = {
      ...base,
      alert: {
        ...base.alert,
        subject: HOSTILE,
        summary: `Summary ${HOSTILE}`,
        details: {
          error: HOSTILE,
          [`key ${HOSTILE}`]: "v",
          list: ["a|b", "c=d", "\n"],
          nested: { deep: "<x>" },
        },
      },
    };
    assert.deepEqual(await notifier.send([n]), { kind: "delivered" });
    await notifier.close();
    const [e] = await r.waitFor(1);
    assert.ok(e);
    const event = e.event as {
      alert: { subject: string; summary: string; details: Record<string, unknown> };
    };
    assert.equal(event.alert.subject, HOSTILE);
    assert.equal(event.alert.summary, `Summary ${HOSTILE}`);
    assert.deepEqual(e.event, notificationJson(n));
    assert.equal(e.index, 'sec"urity');
    // One event per line even with line breaks in the text: JSON escapes them.
    assert.equal(r.requests[0]?.decoded.toString("utf8").split("\n").length, 1);
    assert.ok(e.raw.includes("\\r\\n"));
    // Search results show the raw event: a bidi override there is an escape, not a reordering.
    assert.doesNotMatch(e.raw, /[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]/u);
    assert.ok(e.raw.includes("\\u202egnp.exe"));
  });
});

test("HTTPS with the test root in ctx.ca delivers; an unknown root fails", async () => {
  await withReceiver({ tls: true }, async (r) => {
    assert.ok(r.ca !== null);
    assert.match(r.url, /^https:/);
    const trusted = createSplunkNotifier("siem", config({ url: r.url }), context({ ca: [r.ca] }));
    assert.deepEqual(await trusted.send(notifications(1)), { kind: "delivered" });
    await trusted.close();

    const other = await createRootCa({ subject: "CN=some other root" });
    const untrusted = createSplunkNotifier("siem", config({ url: r.url }), context({ ca: [other.certPem] }));
    const o = failed(await untrusted.send(notifications(1)));
    await untrusted.close();
    assert.match(o.error, /certificate/i);
    assert.equal(r.received.length, 1);
  });
});

test("the receiver parses HEC's event stream strictly, as Splunk answers", () => {
  const ok = parseHecBody('{"event":"a"}{"event":{"b":1},"time":"1740823200.5"}\n\n{\n  "event": "c"\n}\n');
  assert.ok(ok.ok);
  assert.deepEqual(
    ok.events.map((e) => e.event),
    ["a", { b: 1 }, "c"],
  );
  const answer = (body: string): unknown => {
    const p = parseHecBody(body, ["security"]);
    assert.ok(!p.ok);
    return { status: p.answer.status, ...(JSON.parse(p.answer.body) as object) };
  };
  assert.deepEqual(answer(""), { status: 400, text: "No data", code: 5 });
  assert.deepEqual(answer('{"event":"a"}\n{"event":'), {
    status: 400,
    text: "Invalid data format",
    code: 6,
    "invalid-event-number": 1,
  });
  assert.deepEqual(answer('{"event":"a"}\n{"host":"h"}'), {
    status: 400,
    text: "Event field is required",
    code: 12,
    "invalid-event-number": 1,
  });
  assert.deepEqual(answer('{"event":""}'), {
    status: 400,
    text: "Event field cannot be blank",
    code: 13,
    "invalid-event-number": 0,
  });
  assert.deepEqual(answer('{"event":"a","index":"main"}'), {
    status: 400,
    text: "Incorrect index",
    code: 7,
    "invalid-event-number": 0,
  });
  assert.deepEqual(answer('{"event":"a","time":"yesterday"}'), {
    status: 400,
    text: "Invalid data format",
    code: 6,
    "invalid-event-number": 0,
  });
});

test("docs/siem.md shows the event certwatch sends for the sample alert", () => {
  const md = readFileSync(new URL("../../docs/siem.md", import.meta.url), "utf8");
  const start = md.indexOf("## Splunk HTTP Event Collector");
  assert.ok(start >= 0, "the Splunk section");
  const block = /```json\n([\s\S]*?)\n```/.exec(md.slice(start));
  assert.ok(block?.[1]);
  const n = sampleNotification(new Date("2025-03-01T10:00:00Z"));
  const meta = { host: "scanner-1", source: "certwatch", sourcetype: "certwatch:alert", index: "security" };
  assert.deepEqual(JSON.parse(block[1]), JSON.parse(hecEvent(n, meta, new Date())));
});
