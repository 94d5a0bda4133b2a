/**
 * @module notify/sentinel.test
 * The Sentinel target against a real local Azure (Entra token endpoint, Logs Ingestion API, Data Collector API):
 * the columns a KQL rule sees on both APIs, tokens, 1 MB parts, signatures, error statuses, time bounds, hostile text.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { SentinelTargetConfig } from "../config/notify-schema.js";
import { notifySchema } from "../config/notify-schema.js";
import { EVENTS } from "../events.js";
import type { Notification } from "./notification.js";
import { notificationId } from "./notification.js";
import type { Notifier, NotifierContext } from "./notifier.js";
import { sampleNotification } from "./sample.js";
import { readSecret } from "./secrets.js";
import { createSentinelNotifier } from "./sentinel.js";
import { logsIngestionColumns } from "./sentinel-record.js";
import {
  LOGS_INGESTION_CAP,
  startSentinelReceiver,
  type SentinelReceiver,
  type SentinelReceiverOptions,
} from "../../test/helpers/sentinel-receiver.js";

const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT_ID = "0b5c6f3e-1111-4222-8333-944455556666";
const CLIENT_SECRET = `cs~${randomBytes(18).toString("base64url")}`;
const DCR = "dcr-00a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0";
const STREAM = "Custom-Certwatch_CL";
const WORKSPACE = "b3b2c1d0-aaaa-4bbb-8ccc-123456789abc";
const SHARED_KEY = randomBytes(64).toString("base64");
const ENV = { CW_SENTINEL_SECRET: CLIENT_SECRET, CW_SENTINEL_KEY: SHARED_KEY };
/** JSON, KQL and HTML metacharacters, line breaks, a bidi override, and non-ASCII text. */
const HOSTILE =
  '<script>alert("x")</script> | a=b \\back\\slash "quoted" \'single\' {"json":1} ${x} %s\r\nsecond line\r' +
  "third\t\u0000nul \u202egnp.exe ñ 証明書 🔒 \u2028sep";

function config(raw: Record<string, unknown>): SentinelTargetConfig {
  const t = notifySchema.parse({ soc: { type: "sentinel", timeoutMs: 2000, ...raw } }).soc;
  assert.ok(t !== undefined && t.type === "sentinel");
  return t;
}

function liConfig(r: SentinelReceiver, over: Record<string, unknown> = {}): SentinelTargetConfig {
  return config({
    endpoint: r.url,
    dcrImmutableId: DCR,
    tenantId: TENANT,
    clientId: CLIENT_ID,
    clientSecret: { env: "CW_SENTINEL_SECRET" },
    authorityUrl: r.authorityUrl,
    ...over,
  });
}

function dcConfig(r: SentinelReceiver, over: Record<string, unknown> = {}): SentinelTargetConfig {
  return config({
    api: "data-collector",
    workspaceId: WORKSPACE,
    sharedKey: { env: "CW_SENTINEL_KEY" },
    dataCollectorUrl: r.url,
    ...over,
  });
}

function context(r: SentinelReceiver | null, over: Partial<NotifierContext> = {}): NotifierContext {
  return {
    ca: r?.ca !== null && r?.ca !== undefined ? [r.ca] : [],
    secret: (ref, field) => readSecret(ref, field, { env: ENV, configDir: process.cwd() }),
    log: { warn: () => undefined },
    now: () => new Date(),
    ...over,
  };
}

async function receiver(over: SentinelReceiverOptions = {}): Promise<SentinelReceiver> {
  return startSentinelReceiver({
    tls: true,
    tenantId: TENANT,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    dcrImmutableId: DCR,
    stream: STREAM,
    streamColumns: logsIngestionColumns(),
    workspaceId: WORKSPACE,
    sharedKey: SHARED_KEY,
    logType: "Certwatch",
    ...over,
  });
}

async function using<T>(
  r: SentinelReceiver,
  n: Notifier,
  body: (r: SentinelReceiver, n: Notifier) => Promise<T>,
): Promise<T> {
  try {
    return await body(r, n);
  } finally {
    await n.close();
    await r.close();
  }
}

/** Event 18 on an endpoint with a certificate: every column has a value. */
function takeoverNotification(i = 0, details: Record<string, unknown> = { cname: "gone.azurewebsites.net" }) {
  const base = sampleNotification(new Date("2024-05-01T10:00:00Z"));
  const ev = EVENTS.find((e) => e.id === 18);
  assert.ok(ev);
  const alert = {
    ...base.alert,
    id: `a${String(i).padStart(31, "0")}`,
    eventId: ev.id,
    name: ev.name,
    severity: ev.severity,
    source: ev.source,
    summary: ev.summary,
    remediation: ev.remediation,
    subject: `shop${i}.example.com`,
    endpoint: { host: `shop${i}.example.com`, port: 8443, address: "2001:db8::7" },
    certificate: {
      sha256: "ab".repeat(32),
      serialNumber: "04e1f2",
      subject: "CN=shop.example.com",
      issuer: "CN=R11,O=Let's Encrypt,C=US",
      dnsNames: ["shop.example.com", "*.shop.example.com"],
      ipAddresses: [],
      notBefore: "2024-03-01T00:00:00Z",
      notAfter: "2024-06-01T00:00:00Z",
    },
    details,
    status: "resolved" as const,
    firstSeen: "2024-04-01T08:00:00Z",
    lastSeen: "2024-05-01T09:59:00Z",
    resolvedAt: "2024-05-01T10:00:00Z",
  };
  const at = "2024-05-01T10:00:05Z";
  return {
    id: notificationId(alert.id, "resolved", at),
    kind: "resolved",
    alert,
    createdAt: at,
  } as Notification;
}

/** What a KQL rule sees of a notification: the same columns on both APIs. */
function expectedColumns(n: Notification): Record<string, unknown> {
  const a = n.alert;
  return {
    TimeGenerated: n.createdAt,
    NotifiedAt_t: n.createdAt,
    VulnerabilityID_d: 18,
    EventName_s: "domain-takeover",
    Severity_s: "critical",
    Source_s: "dns",
    Summary_s: a.summary,
    Remediation_s: a.remediation,
    Subject_s: a.subject,
    AlertId_s: a.id,
    NotificationId_s: n.id,
    Notification_s: "resolved",
    Status_s: "resolved",
    Host_s: a.endpoint?.host,
    Port_d: 8443,
    Address_s: "2001:db8::7",
    CertificateSha256_s: "ab".repeat(32),
    CertificateSubject_s: "CN=shop.example.com",
    CertificateIssuer_s: "CN=R11,O=Let's Encrypt,C=US",
    CertificateSerial_s: "04e1f2",
    CertificateNotAfter_t: "2024-06-01T00:00:00Z",
    DnsNames_s: "shop.example.com,*.shop.example.com",
    FirstSeen_t: "2024-04-01T08:00:00Z",
    LastSeen_t: "2024-05-01T09:59:00Z",
    ResolvedAt_t: "2024-05-01T10:00:00Z",
    Details_s: JSON.stringify(a.details),
    DashboardUrl_s: `https://certwatch.example.com/alerts/${a.id}`,
  };
}

const FIXED = new Date("2024-05-01T10:00:10Z");

test("logs ingestion: a token, then one gzip JSON array to the DCR stream; every column as the analytics rules query it", async () => {
  const r = await receiver({ now: () => FIXED });
  const ctx = context(r, { publicUrl: "https://certwatch.example.com/", now: () => FIXED });
  await using(r, createSentinelNotifier("soc", liConfig(r), ctx), async (r, n) => {
    assert.equal(n.type, "sentinel");
    assert.equal(n.maxBatch, 500);
    const batch = [takeoverNotification(1), takeoverNotification(2)];
    assert.deepEqual(await n.send(batch), { kind: "delivered" });
    assert.equal(r.tokenRequests, 1);
    const token = r.requests.find((q) => q.api === "token");
    assert.deepEqual(token?.parsed, {
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      scope: "https://monitor.azure.com//.default",
      grant_type: "client_credentials",
    });
    const posts = r.requests.filter((q) => q.api === "logs-ingestion");
    assert.equal(posts.length, 1);
    const post = posts[0];
    assert.ok(post);
    assert.equal(post.status, 204);
    assert.equal(post.path, `/dataCollectionRules/${DCR}/streams/${STREAM}?api-version=2023-01-01`);
    assert.equal(post.headers["content-encoding"], "gzip");
    assert.equal(post.headers["content-type"], "application/json");
    assert.match(String(post.headers.authorization), /^Bearer \S+$/);
    assert.deepEqual(post.raw.subarray(0, 2), Buffer.from([0x1f, 0x8b]));
    assert.ok(Array.isArray(post.parsed) && post.parsed.length === 2);
    const rows = await r.waitFor(2);
    for (const [i, row] of rows.entries()) {
      const sent = batch[i];
      assert.ok(sent);
      assert.equal(row.table, "Certwatch_CL");
      assert.deepEqual(row.dropped, [], "every field is a declared column of the stream");
      assert.deepEqual(row.columns, expectedColumns(sent));
      // `Certwatch_CL | where VulnerabilityID_d == 18`: a number, not the string "18".
      assert.equal(typeof row.columns.VulnerabilityID_d, "number");
    }
  });
});

test("data collector: SharedKey-signed JSON array with Log-Type; Azure's inferred columns equal the Logs Ingestion table's", async () => {
  const r = await receiver({ now: () => FIXED });
  const ctx = context(r, { publicUrl: "https://certwatch.example.com", now: () => FIXED });
  await using(r, createSentinelNotifier("soc", dcConfig(r), ctx), async (r, n) => {
    const sent = takeoverNotification(3);
    assert.deepEqual(await n.send([sent]), { kind: "delivered" });
    const post = r.requests[0];
    assert.ok(post);
    assert.equal(post.api, "data-collector");
    assert.equal(post.status, 200);
    assert.equal(post.path, "/api/logs?api-version=2016-04-01");
    assert.equal(post.headers["log-type"], "Certwatch");
    assert.equal(post.headers["x-ms-date"], FIXED.toUTCString());
    assert.equal(post.headers["time-generated-field"], "NotifiedAt");
    assert.match(String(post.headers.authorization), new RegExp(`^SharedKey ${WORKSPACE}:[A-Za-z0-9+/]+=*$`));
    const [row] = await r.waitFor(1);
    assert.ok(row);
    assert.equal(row.table, "Certwatch_CL");
    assert.deepEqual(row.columns, expectedColumns(sent));
    assert.equal(row.columns.VulnerabilityID_d, 18);
  });
});

test("absent values (no endpoint, no certificate, still open, no publicUrl) are left out, not sent as null", async () => {
  const r = await receiver();
  await using(r, createSentinelNotifier("soc", dcConfig(r), context(r)), async (r, n) => {
    const s = sampleNotification(new Date());
    const bare = { ...s, alert: { ...s.alert, endpoint: null, certificate: null } };
    assert.deepEqual(await n.send([bare]), { kind: "delivered" });
    const [row] = await r.waitFor(1);
    assert.ok(row);
    for (const c of [
      "Host_s",
      "Port_d",
      "CertificateSha256_s",
      "DnsNames_s",
      "ResolvedAt_t",
      "DashboardUrl_s",
    ]) {
      assert.equal(c in row.columns, false, c);
    }
    assert.equal(row.columns.VulnerabilityID_d, 42);
    assert.equal(row.columns.Status_s, "open");
    const parsed = r.requests[0]?.parsed as Record<string, unknown>[];
    assert.equal(Object.values(parsed[0] ?? {}).includes(null), false);
  });
});

test("logs ingestion: the token is reused, renewed shortly before it expires, and fetched again once after a 401", async () => {
  let clock = new Date("2024-05-01T10:00:00Z");
  const now = () => clock;
  const r = await receiver({ now, tokenLifetimeSeconds: 60 });
  await using(r, createSentinelNotifier("soc", liConfig(r), context(r, { now })), async (r, n) => {
    assert.equal((await n.send([takeoverNotification(1)])).kind, "delivered");
    assert.equal((await n.send([takeoverNotification(2)])).kind, "delivered");
    assert.equal(r.tokenRequests, 1, "one token for both sends");
    clock = new Date(clock.getTime() + 45_000); // past the renewal point (half of a 60 s life), not yet expired
    assert.equal((await n.send([takeoverNotification(3)])).kind, "delivered");
    assert.equal(r.tokenRequests, 2);
    clock = new Date(clock.getTime() + 120_000); // every token issued so far has expired at the receiver
    assert.equal((await n.send([takeoverNotification(4)])).kind, "delivered");
    assert.equal(r.tokenRequests, 3);
    r.revokeTokens();
    assert.equal((await n.send([takeoverNotification(5)])).kind, "delivered");
    assert.equal(r.tokenRequests, 4, "a 401 fetches a new token");
    const statuses = r.requests.filter((q) => q.api === "logs-ingestion").map((q) => q.status);
    assert.deepEqual(statuses, [204, 204, 204, 204, 401, 204]);
    assert.equal(r.rows.length, 5);
  });
});

test("logs ingestion: a second 401 in a row is a permanent failure; a refused client secret too, never quoted", async () => {
  const r = await receiver();
  await using(r, createSentinelNotifier("soc", liConfig(r), context(r)), async (r, n) => {
    r.fail(2, { status: 401, body: '{"error":{"code":"InvalidToken"}}' }, "logs-ingestion");
    const out = await n.send([takeoverNotification(1)]);
    assert.equal(out.kind, "failed");
    assert.ok(
      out.kind === "failed" && out.permanent === true && /HTTP 401/.test(out.error),
      JSON.stringify(out),
    );
    assert.equal(r.tokenRequests, 2);
  });
  const wrong = await receiver({ clientSecret: "another secret" });
  await using(wrong, createSentinelNotifier("soc", liConfig(wrong), context(wrong)), async (r, n) => {
    const out = await n.send([takeoverNotification(1)]);
    assert.ok(out.kind === "failed" && out.permanent === true, JSON.stringify(out));
    assert.match(out.error, /token endpoint 127\.0\.0\.1:\d+ answered HTTP 401.*AADSTS7000215/);
    assert.equal(out.error.includes(CLIENT_SECRET), false);
    assert.equal(
      r.requests.some((q) => q.api === "logs-ingestion"),
      false,
    );
  });
});

test("logs ingestion: a batch over 1 MB goes as several calls under the cap, every record arriving once", async () => {
  const r = await receiver();
  const cfg = liConfig(r, { timeoutMs: 10_000 });
  await using(r, createSentinelNotifier("soc", cfg, context(r)), async (r, n) => {
    // Random text does not compress: the parts are near 1 MB on the wire too.
    const batch = Array.from({ length: 40 }, (_, i) =>
      takeoverNotification(i, { blob: randomBytes(45_000).toString("base64") }),
    );
    assert.deepEqual(await n.send(batch), { kind: "delivered" });
    const posts = r.requests.filter((q) => q.api === "logs-ingestion");
    assert.ok(posts.length >= 3, `${posts.length} calls`);
    for (const p of posts) {
      assert.equal(p.status, 204);
      assert.ok(p.body !== null && p.body.length <= 1_000_000 && p.raw.length <= LOGS_INGESTION_CAP);
    }
    assert.equal(r.rows.length, 40);
    assert.equal(r.duplicates, 0);
    assert.deepEqual(
      r.rows.map((x) => x.columns.NotificationId_s),
      batch.map((b) => b.id),
    );
    assert.equal(r.tokenRequests, 1);
  });
});

test("logs ingestion: a failed part fails the whole batch; the retry sends it all again and NotificationId dedupes", async () => {
  const r = await receiver();
  await using(
    r,
    createSentinelNotifier("soc", liConfig(r, { timeoutMs: 10_000 }), context(r)),
    async (r, n) => {
      const batch = Array.from({ length: 30 }, (_, i) =>
        takeoverNotification(i, { blob: randomBytes(45_000).toString("base64") }),
      );
      await n.send([takeoverNotification(99)]); // the token, and a first call that passes
      const before = r.rows.length;
      const original = r.requests.length;
      r.fail(1, { delayMs: 0 }); // part 1 is answered normally
      r.fail(1, { status: 500, body: "busy" }); // part 2 fails
      const out = await n.send(batch);
      const calls = r.requests.length - original;
      assert.equal(out.kind, "failed");
      assert.ok(
        out.kind === "failed" && out.permanent !== true && /part 2 of \d+/.test(out.error),
        JSON.stringify(out),
      );
      assert.match(
        out.kind === "failed" ? out.error : "",
        /1 of \d+ parts were delivered and will be sent again/,
      );
      assert.equal(calls, 2, "nothing is sent after the failed part");
      assert.deepEqual(await n.send(batch), { kind: "delivered" });
      assert.equal(r.rows.length, before + 30);
      assert.ok(r.duplicates > 0, "the first part arrived twice and was deduped");
    },
  );
});

test("a single record over the 1 MB cap is refused before anything is sent, naming the alert", async () => {
  const r = await receiver();
  await using(r, createSentinelNotifier("soc", liConfig(r), context(r)), async (r, n) => {
    const huge = takeoverNotification(7, { blob: "x".repeat(1_100_000) });
    const out = await n.send([takeoverNotification(1), huge]);
    assert.ok(out.kind === "failed" && out.permanent === true, JSON.stringify(out));
    assert.ok(out.error.includes(huge.alert.id) && out.error.includes(huge.id), out.error);
    assert.equal(r.requests.length, 0);
  });
});

test("the receiver refuses a call over 1 MB with 413, as Azure does", async () => {
  const r = await receiver({ tls: false });
  try {
    const token = await fetch(`${r.url}/${TENANT}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        scope: "https://monitor.azure.com//.default",
        grant_type: "client_credentials",
      }),
    });
    const { access_token } = (await token.json()) as { access_token: string };
    const res = await fetch(`${r.url}/dataCollectionRules/${DCR}/streams/${STREAM}?api-version=2023-01-01`, {
      method: "POST",
      headers: { authorization: `Bearer ${access_token}`, "content-type": "application/json" },
      body: JSON.stringify([{ Details_s: "x".repeat(LOGS_INGESTION_CAP) }]),
    });
    assert.equal(res.status, 413);
    assert.equal(r.rows.length, 0);
  } finally {
    await r.close();
  }
});

test("data collector: a wrong shared key is refused 403 by the signature check: a permanent failure", async () => {
  const r = await receiver({ sharedKey: randomBytes(64).toString("base64") });
  await using(r, createSentinelNotifier("soc", dcConfig(r), context(r)), async (r, n) => {
    const out = await n.send([takeoverNotification(1)]);
    assert.ok(out.kind === "failed" && out.permanent === true, JSON.stringify(out));
    assert.match(out.error, /HTTP 403.*InvalidAuthorization/);
    assert.equal(out.error.includes(SHARED_KEY), false);
    assert.equal(r.rows.length, 0);
  });
});

test("data collector: a stale x-ms-date is refused (the clock is signed)", async () => {
  const r = await receiver();
  const ctx = context(r, { now: () => new Date(Date.now() - 3_600_000) });
  await using(r, createSentinelNotifier("soc", dcConfig(r), ctx), async (r, n) => {
    const out = await n.send([takeoverNotification(1)]);
    assert.ok(
      out.kind === "failed" && out.permanent === true && /x-ms-date/.test(out.error),
      JSON.stringify(out),
    );
    assert.equal(r.rows.length, 0);
  });
});

for (const api of ["logs-ingestion", "data-collector"] as const) {
  const cfgFor = (r: SentinelReceiver, over: Record<string, unknown> = {}) =>
    api === "data-collector" ? dcConfig(r, over) : liConfig(r, over);

  test(`${api}: 429 with Retry-After is a retryable failure carrying the wait`, async () => {
    const r = await receiver();
    await using(r, createSentinelNotifier("soc", cfgFor(r), context(r)), async (r, n) => {
      r.fail(1, { status: 429, headers: { "retry-after": "7" }, body: "throttled" });
      const out = await n.send([takeoverNotification(1)]);
      assert.ok(out.kind === "failed", JSON.stringify(out));
      assert.equal(out.retryAfterMs, 7000);
      assert.equal(out.permanent, undefined);
      assert.deepEqual(await n.send([takeoverNotification(1)]), { kind: "delivered" });
    });
  });

  test(`${api}: 500 and 503 are retryable, a dropped connection fails`, async () => {
    const r = await receiver();
    await using(r, createSentinelNotifier("soc", cfgFor(r), context(r)), async (r, n) => {
      r.fail(1, { status: 500, body: "internal" });
      r.fail(1, { status: 503 });
      r.fail(1, { drop: true });
      for (const status of ["HTTP 500", "HTTP 503", "closed|socket hang up|ECONNRESET"]) {
        const out = await n.send([takeoverNotification(1)]);
        assert.ok(out.kind === "failed" && out.permanent !== true, JSON.stringify(out));
        assert.match(out.error, new RegExp(status));
      }
      assert.equal(r.rows.length, 0);
    });
  });

  test(`${api}: a receiver slower than timeoutMs fails within the bound; an unreachable one fails`, async () => {
    const r = await receiver();
    await using(r, createSentinelNotifier("soc", cfgFor(r, { timeoutMs: 300 }), context(r)), async (r, n) => {
      r.fail(1, { delayMs: 3000 });
      const t0 = performance.now();
      const out = await n.send([takeoverNotification(1)]);
      const took = performance.now() - t0;
      assert.ok(
        out.kind === "failed" && /no complete answer .* within \d+ ms/.test(out.error),
        JSON.stringify(out),
      );
      assert.ok(took < 1500, `${Math.round(took)} ms`);
      assert.equal(r.rows.length, 0);
    });
    const gone = await receiver();
    const cfg = cfgFor(gone);
    await gone.close();
    const n = createSentinelNotifier("soc", cfg, context(gone));
    try {
      const out = await n.send([takeoverNotification(1)]);
      assert.ok(out.kind === "failed" && /ECONNREFUSED/.test(out.error), JSON.stringify(out));
    } finally {
      await n.close();
    }
  });

  test(`${api}: metacharacters, line breaks and unicode in the subject and details arrive intact`, async () => {
    const r = await receiver();
    await using(r, createSentinelNotifier("soc", cfgFor(r), context(r)), async (r, n) => {
      const base = takeoverNotification(1);
      const details = {
        error: HOSTILE,
        'key|="\\': HOSTILE,
        list: ["a|b", "c=d"],
        nested: { deep: "<x>" },
        n: 7,
      };
      const hostile: Notification = {
        ...base,
        alert: { ...base.alert, subject: HOSTILE, summary: `S ${HOSTILE}`, details },
      };
      assert.deepEqual(await n.send([hostile]), { kind: "delivered" });
      const [row] = await r.waitFor(1);
      assert.ok(row);
      assert.equal(row.columns.Subject_s, HOSTILE);
      assert.equal(row.columns.Summary_s, `S ${HOSTILE}`);
      assert.deepEqual(JSON.parse(String(row.columns.Details_s)), details);
      assert.equal(row.columns.VulnerabilityID_d, 18);
      // The body as sent holds no raw bidi override or line separator: they travel as \u escapes.
      const sent = r.requests.find(
        (q) => q.api !== "unknown" && q.body !== null && q.body.includes("gnp.exe"),
      );
      assert.ok(sent?.body);
      const text = sent.body.toString("utf8");
      assert.doesNotMatch(text, /[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]/u);
      assert.ok(text.includes("\\u202egnp.exe"));
    });
  });
}

test("batchSize sets maxBatch; a larger batch is refused without a request; an empty one is delivered", async () => {
  const r = await receiver();
  await using(r, createSentinelNotifier("soc", liConfig(r, { batchSize: 2 }), context(r)), async (r, n) => {
    assert.equal(n.maxBatch, 2);
    const out = await n.send([1, 2, 3].map((i) => takeoverNotification(i)));
    assert.ok(out.kind === "failed" && /at most 2/.test(out.error));
    assert.deepEqual(await n.send([]), { kind: "delivered" });
    assert.equal(r.requests.length, 0);
  });
});

test("a shared key that is not base64, or a missing secret, is a configuration error at construction", () => {
  const cfg = config({ api: "data-collector", workspaceId: WORKSPACE, sharedKey: { env: "CW_BAD" } });
  const ctx = (v: string | undefined) => ({
    ...context(null),
    secret: (ref: { env: string } | { file: string }, f: string) =>
      readSecret(ref, f, { env: { CW_BAD: v }, configDir: process.cwd() }),
  });
  assert.throws(
    () => createSentinelNotifier("soc", cfg, ctx("not base64!")),
    /notify\.soc\.sharedKey: is not a base64/,
  );
  assert.throws(
    () => createSentinelNotifier("soc", cfg, ctx(undefined)),
    /notify\.soc\.sharedKey: environment/,
  );
});

test("docs/siem.md ships the custom table and DCR of these columns, and one analytics rule per event", () => {
  const md = readFileSync(new URL("../../docs/siem.md", import.meta.url), "utf8");
  const start = md.indexOf("<!-- sentinel:dcr -->");
  assert.ok(start >= 0, "the DCR block marker");
  const block = /```json\n([\s\S]*?)\n```/.exec(md.slice(start));
  assert.ok(block?.[1]);
  const dcr = JSON.parse(block[1]) as {
    properties: {
      streamDeclarations: Record<string, { columns: { name: string; type: string }[] }>;
      dataFlows: { streams: string[]; transformKql: string; outputStream: string }[];
    };
  };
  assert.deepEqual(dcr.properties.streamDeclarations[STREAM]?.columns, logsIngestionColumns());
  assert.equal(dcr.properties.dataFlows[0]?.transformKql, "source");
  assert.equal(dcr.properties.dataFlows[0]?.outputStream, STREAM);
  const tableStart = md.indexOf("<!-- sentinel:table -->");
  const table = /```json\n([\s\S]*?)\n```/.exec(md.slice(tableStart));
  assert.ok(tableStart >= 0 && table?.[1]);
  const t = JSON.parse(table[1]) as { properties: { schema: { name: string; columns: unknown[] } } };
  assert.equal(t.properties.schema.name, "Certwatch_CL");
  assert.deepEqual(t.properties.schema.columns, logsIngestionColumns());
  for (const e of EVENTS) {
    assert.ok(md.includes(`Certwatch_CL\n| where VulnerabilityID_d == ${e.id}\n`), `rule for event ${e.id}`);
  }
});
