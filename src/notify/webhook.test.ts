/**
 * @module notify/webhook.test
 * The webhook target against a real local receiver: Standard Webhooks signatures verified as the spec says, the
 * Slack and Teams presets' payloads, error statuses, slow and unreachable receivers, and hostile alert text.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import type { WebhookTargetConfig } from "../config/notify-schema.js";
import { notifySchema } from "../config/notify-schema.js";
import type { Notification } from "./notification.js";
import { notificationJson } from "./notification.js";
import type { NotifierContext } from "./notifier.js";
import { sampleNotification } from "./sample.js";
import { readSecret, SecretError } from "./secrets.js";
import { createWebhookNotifier } from "./webhook.js";
import { escapeSlack } from "./webhook-slack.js";
import {
  startWebhookReceiver,
  verifyStandardWebhook,
  type WebhookReceiver,
} from "../../test/helpers/webhook-receiver.js";

const SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const OTHER_SECRET = `whsec_${randomBytes(32).toString("base64")}`;
/** Every metacharacter of the three formats, line breaks, a bidi override, and non-ASCII text. */
const HOSTILE =
  '<script>alert("x")</script> & <!channel> <!here> @here <@U123> [click](https://evil.example) **bold** ' +
  '*x* _y_ `z` |pipe| a=b \\back\\slash "quoted"\r\nsecond line\rthird \u202egnp.exe ñ 証明書 🔒';

function config(raw: Record<string, unknown>): WebhookTargetConfig {
  const t = notifySchema.parse({ hook: { type: "webhook", timeoutMs: 2000, ...raw } }).hook;
  assert.ok(t !== undefined && t.type === "webhook");
  return t;
}

function context(over: Partial<NotifierContext> = {}, env: Record<string, string> = {}): NotifierContext {
  return {
    ca: [],
    secret: (ref, field) => readSecret(ref, field, { env, configDir: process.cwd() }),
    log: { warn: () => undefined },
    now: () => new Date(),
    ...over,
  };
}

function hostileNotification(): Notification {
  const n = sampleNotification(new Date());
  return {
    ...n,
    alert: {
      ...n.alert,
      subject: HOSTILE,
      summary: `Summary ${HOSTILE}`,
      details: { error: HOSTILE, "key<&>": "v", list: ["a|b", "c=d"], nested: { deep: "<x>" }, n: 7 },
    },
  };
}

async function withReceiver(
  opts: Parameters<typeof startWebhookReceiver>[0],
  fn: (r: WebhookReceiver) => Promise<void>,
): Promise<void> {
  const r = await startWebhookReceiver(opts);
  try {
    await fn(r);
  } finally {
    await r.close();
  }
}

test("standard: a signed POST over HTTPS that the receiver verifies, in the documented payload", async () => {
  await withReceiver({ tls: true, secret: SECRET }, async (r) => {
    assert.ok(r.ca !== null);
    const cfg = config({ url: r.url, secret: { env: "WH_SECRET" }, headers: { "X-Team": "secops" } });
    const notifier = createWebhookNotifier("hook", cfg, context({ ca: [r.ca] }, { WH_SECRET: SECRET }));
    assert.equal(notifier.type, "webhook");
    assert.equal(notifier.maxBatch, 1);
    const n = sampleNotification(new Date());
    const before = Math.floor(Date.now() / 1000);
    assert.deepEqual(await notifier.send([n]), { kind: "delivered" });
    await notifier.close();

    const [got] = await r.waitFor(1);
    assert.ok(got);
    assert.equal(got.verified, true);
    assert.equal(got.headers["content-type"], "application/json");
    assert.equal(got.headers["x-team"], "secops");
    assert.equal(got.headers["webhook-id"], n.id);
    const ts = Number(got.headers["webhook-timestamp"]);
    assert.ok(ts >= before && ts <= Math.floor(Date.now() / 1000), "webhook-timestamp is the send time");
    assert.deepEqual(got.parsed, { type: "alert.opened", timestamp: n.createdAt, data: notificationJson(n) });

    // The signature, recomputed here from the raw body bytes as any receiver would.
    const key = Buffer.from(SECRET.slice("whsec_".length), "base64");
    const mac = createHmac("sha256", key).update(`${n.id}.${ts}.`).update(got.body).digest("base64");
    assert.equal(got.headers["webhook-signature"], `v1,${mac}`);
  });
});

test("standard: a secret without the whsec_ prefix signs the same way; every kind has its type", async () => {
  await withReceiver({ secret: SECRET }, async (r) => {
    const bare = SECRET.slice("whsec_".length);
    const notifier = createWebhookNotifier(
      "hook",
      config({ url: r.url, secret: { env: "S" } }),
      context({}, { S: bare }),
    );
    const base = sampleNotification(new Date());
    const kinds = ["opened", "reopened", "resolved", "reminder"] as const;
    for (const [i, kind] of kinds.entries()) {
      const outcome = await notifier.send([{ ...base, id: `${base.id.slice(0, 30)}0${i}`, kind }]);
      assert.deepEqual(outcome, { kind: "delivered" });
    }
    await notifier.close();
    const got = await r.waitFor(4);
    assert.deepEqual(
      got.map((g) => (g.parsed as { type: string }).type),
      ["alert.opened", "alert.reopened", "alert.resolved", "alert.reminder"],
    );
    assert.ok(got.every((g) => g.verified));
  });
});

test("standard: a wrong secret is refused by the receiver (401) and is a permanent failure", async () => {
  await withReceiver({ secret: SECRET }, async (r) => {
    const notifier = createWebhookNotifier(
      "hook",
      config({ url: r.url, secret: { env: "S" } }),
      context({}, { S: OTHER_SECRET }),
    );
    const outcome = await notifier.send([sampleNotification(new Date())]);
    await notifier.close();
    assert.equal(outcome.kind, "failed");
    assert.ok(outcome.kind === "failed");
    assert.equal(outcome.permanent, true);
    assert.match(outcome.error, /HTTP 401/);
    assert.ok(!outcome.error.includes(OTHER_SECRET.slice(6, 20)));
    assert.equal(r.received.length, 0);
    assert.equal(r.requests[0]?.problem, "no signature matches");
  });
});

test("standard: the receiver refuses a timestamp more than 5 minutes off (replay protection)", async () => {
  await withReceiver({ secret: SECRET }, async (r) => {
    const late = () => new Date(Date.now() - 6 * 60_000);
    const notifier = createWebhookNotifier(
      "hook",
      config({ url: r.url, secret: { env: "S" } }),
      context({ now: late }, { S: SECRET }),
    );
    const outcome = await notifier.send([sampleNotification(new Date())]);
    await notifier.close();
    assert.ok(outcome.kind === "failed" && outcome.permanent === true);
    assert.match(r.requests[0]?.problem ?? "", /webhook-timestamp is 36\d s off/);
  });
});

test("receiver: verifies one of several space-separated signatures, and rejects a changed body", () => {
  const key = Buffer.from(SECRET.slice(6), "base64");
  const body = Buffer.from('{"type":"alert.opened"}');
  const ts = Math.floor(Date.now() / 1000);
  const good = createHmac("sha256", key).update(`msg1.${ts}.`).update(body).digest("base64");
  const headers = (sig: string) => ({
    "webhook-id": "msg1",
    "webhook-timestamp": String(ts),
    "webhook-signature": sig,
  });
  const list = `v1,${Buffer.alloc(32).toString("base64")} v1a,${good} v1,${good}`;
  assert.deepEqual(verifyStandardWebhook(headers(list), body, [OTHER_SECRET, SECRET], new Date()), {
    ok: true,
  });
  // v1a is the asymmetric scheme: the same bytes under another version do not count.
  assert.equal(verifyStandardWebhook(headers(`v1a,${good}`), body, [SECRET], new Date()).ok, false);
  assert.equal(
    verifyStandardWebhook(headers(`v1,${good}`), Buffer.from('{"type":"x"}'), [SECRET], new Date()).ok,
    false,
  );
  assert.equal(verifyStandardWebhook(headers(`v1,${good}`), body, [OTHER_SECRET], new Date()).ok, false);
});

test("standard: a retry carries the same webhook-id, and the receiver counts it as a duplicate", async () => {
  await withReceiver({ secret: SECRET }, async (r) => {
    const notifier = createWebhookNotifier(
      "hook",
      config({ url: r.url, secret: { env: "S" } }),
      context({}, { S: SECRET }),
    );
    const n = sampleNotification(new Date());
    assert.deepEqual(await notifier.send([n]), { kind: "delivered" });
    assert.deepEqual(await notifier.send([n]), { kind: "delivered" });
    await notifier.close();
    assert.equal(r.requests.length, 2);
    assert.equal(r.requests[0]?.headers["webhook-id"], n.id);
    assert.equal(r.requests[1]?.headers["webhook-id"], n.id);
    assert.equal(r.received.length, 1);
    assert.equal(r.duplicates, 1);
  });
});

test("429 and 503 with Retry-After (seconds or an HTTP date) tell the worker how long to wait", async () => {
  await withReceiver({ secret: SECRET }, async (r) => {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const notifier = createWebhookNotifier(
      "hook",
      config({ url: r.url, secret: { env: "S" } }),
      context({ now: () => now }, { S: SECRET }),
    );
    const n = sampleNotification(now);
    r.fail(1, { status: 429, headers: { "Retry-After": "7" }, body: "slow down" });
    r.fail(1, { status: 503, headers: { "Retry-After": new Date(now.getTime() + 30_000).toUTCString() } });
    const first = await notifier.send([n]);
    const second = await notifier.send([n]);
    const third = await notifier.send([n]);
    await notifier.close();
    assert.deepEqual(first, {
      kind: "failed",
      error: `webhook hook (http://127.0.0.1:${r.port}/…) answered HTTP 429: slow down`,
      retryAfterMs: 7000,
    });
    assert.ok(second.kind === "failed");
    assert.equal(second.retryAfterMs, 30_000);
    assert.equal(second.permanent, undefined);
    assert.deepEqual(third, { kind: "delivered" });
    assert.equal(r.received.length, 1);
  });
});

test("500 is retryable; 404 is permanent", async () => {
  await withReceiver({ secret: SECRET }, async (r) => {
    const notifier = createWebhookNotifier(
      "hook",
      config({ url: r.url, secret: { env: "S" } }),
      context({}, { S: SECRET }),
    );
    r.fail(1, { status: 500, body: "boom" });
    r.fail(1, { status: 404 });
    const a = await notifier.send([sampleNotification(new Date())]);
    const b = await notifier.send([sampleNotification(new Date())]);
    await notifier.close();
    assert.ok(a.kind === "failed" && b.kind === "failed");
    assert.match(a.error, /HTTP 500: boom$/);
    assert.equal(a.permanent, undefined);
    assert.equal(b.permanent, true);
    assert.equal(r.received.length, 0);
  });
});

test("a receiver slower than timeoutMs is a failure within the timeout, and nothing counts as received", async () => {
  await withReceiver({ secret: SECRET }, async (r) => {
    const notifier = createWebhookNotifier(
      "hook",
      config({ url: r.url, secret: { env: "S" }, timeoutMs: 300 }),
      context({}, { S: SECRET }),
    );
    r.fail(1, { delayMs: 3000 });
    const started = Date.now();
    const outcome = await notifier.send([sampleNotification(new Date())]);
    const took = Date.now() - started;
    assert.ok(outcome.kind === "failed");
    assert.match(outcome.error, /within 300 ms/);
    assert.equal(outcome.permanent, undefined);
    assert.ok(took >= 290 && took < 1500, `took ${took} ms`);
    // The fault is spent: the retry goes through.
    assert.deepEqual(await notifier.send([sampleNotification(new Date())]), { kind: "delivered" });
    await notifier.close();
    await r.waitFor(1);
    assert.equal(r.requests[0]?.status, 0);
    assert.equal(r.received.length, 1);
  });
});

test("a dropped connection and an unreachable receiver are retryable failures", async () => {
  await withReceiver({ secret: SECRET }, async (r) => {
    const notifier = createWebhookNotifier(
      "hook",
      config({ url: r.url, secret: { env: "S" } }),
      context({}, { S: SECRET }),
    );
    r.fail(1, { drop: true });
    const dropped = await notifier.send([sampleNotification(new Date())]);
    await notifier.close();
    assert.ok(dropped.kind === "failed" && dropped.permanent === undefined);
    assert.equal(r.received.length, 0);
  });

  const closed = await startWebhookReceiver({ secret: SECRET });
  const url = closed.url;
  await closed.close();
  const notifier = createWebhookNotifier(
    "hook",
    config({ url, secret: { env: "S" } }),
    context({}, { S: SECRET }),
  );
  const started = Date.now();
  const outcome = await notifier.send([sampleNotification(new Date())]);
  await notifier.close();
  assert.ok(outcome.kind === "failed" && outcome.permanent === undefined);
  assert.match(outcome.error, /ECONNREFUSED/);
  assert.ok(Date.now() - started < 2000);
});

test("standard: hostile alert text arrives byte for byte in the signed JSON", async () => {
  await withReceiver({ secret: SECRET }, async (r) => {
    const notifier = createWebhookNotifier(
      "hook",
      config({ url: r.url, secret: { env: "S" } }),
      context({}, { S: SECRET }),
    );
    const n = hostileNotification();
    const subject = `${HOSTILE} \x9b31m \x85 \u2028 \u2066`;
    const hostile = { ...n, alert: { ...n.alert, subject } };
    assert.deepEqual(await notifier.send([hostile]), { kind: "delivered" });
    await notifier.close();
    const [got] = await r.waitFor(1);
    assert.ok(got?.verified);
    const data = (got.parsed as { data: { alert: { subject: string; details: unknown } } }).data;
    assert.equal(data.alert.subject, subject);
    assert.deepEqual(data.alert.details, n.alert.details);
    // A log viewer showing the raw body meets no C1 control, bidi override or line separator: they are \u escapes.
    assert.doesNotMatch(got.text, /[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]/u);
    assert.match(got.text, /\\u202e.*\\u009b31m \\u0085 \\u2028 \\u2066/u);
  });
});

/** Every mrkdwn/plain text of a Slack payload. */
function slackTexts(p: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === "object" && v !== null) {
      const o = v as Record<string, unknown>;
      if ((o.type === "mrkdwn" || o.type === "plain_text") && typeof o.text === "string") out.push(o.text);
      Object.values(o).forEach(walk);
    }
  };
  walk(p);
  return out;
}

test("slack: a Block Kit message the Slack receiver accepts ('ok'), with every alert text escaped", async () => {
  await withReceiver({ mode: "slack", path: "/services/T0/B0/SECRETPART" }, async (r) => {
    const n = hostileNotification();
    const notifier = createWebhookNotifier(
      "chat",
      config({ url: { env: "SLACK_URL" }, preset: "slack" }),
      context({ publicUrl: "https://certwatch.example/" }, { SLACK_URL: r.url }),
    );
    assert.deepEqual(await notifier.send([n]), { kind: "delivered" });
    await notifier.close();
    const [got] = await r.waitFor(1);
    assert.ok(got?.verified, got?.problem);
    assert.equal(r.requests[0]?.status, 200);
    const p = got.parsed as { text: string; blocks: { type: string; text?: { verbatim?: boolean } }[] };
    assert.deepEqual(
      p.blocks.map((b) => b.type),
      ["header", "section", "section", "section", "context"],
    );
    assert.equal(p.blocks[0]?.text && JSON.stringify(p.blocks[0].text).includes("New: hsts-missing"), true);

    const texts = slackTexts(p).join("\n") + p.text;
    // No alert-made mention, link or tag: the only "<" is our own dashboard link.
    assert.ok(!texts.includes("<!"), "no <!channel> or <!here>");
    assert.ok(!texts.includes("<@"));
    assert.ok(!texts.includes("<script"));
    const links = texts.match(/<[^>]*>/g) ?? [];
    assert.deepEqual(links, [`<https://certwatch.example/alerts/${n.alert.id}|Open in certwatch>`]);
    // Escaped exactly as Slack documents, the rest of the text intact (line breaks normalised, bidi made visible).
    const shown = escapeSlack(HOSTILE.replace(/\r\n?/g, "\n").replace("\u202e", "\\u202E"));
    assert.ok(texts.includes(`*Subject:* ${shown}`), texts);
    assert.ok(texts.includes('&lt;script&gt;alert("x")&lt;/script&gt; &amp; &lt;!channel&gt;'));
    assert.ok(texts.includes("• key&lt;&amp;&gt;: v"));
    assert.ok(texts.includes("• list: a|b, c=d"));
    assert.ok(texts.includes("証明書 🔒"));
    assert.ok(!texts.includes("\u202e"));
    // Slack's automatic parsing of bare @here and URLs is off for every mrkdwn text.
    for (const b of p.blocks.filter((b) => b.type === "section")) assert.equal(b.text?.verbatim, true);
  });
});

test("teams: an Adaptive Card message the Workflows receiver accepts (202), alert text never markdown", async () => {
  await withReceiver(
    { mode: "teams", tls: true, path: "/workflows/abc/triggers/manual/paths/invoke" },
    async (r) => {
      assert.ok(r.ca !== null);
      const n = hostileNotification();
      const notifier = createWebhookNotifier(
        "teams",
        config({ url: { env: "TEAMS_URL" }, preset: "teams" }),
        context(
          { ca: [r.ca], publicUrl: "https://certwatch.example" },
          { TEAMS_URL: `${r.url}?sig=SIGVALUE` },
        ),
      );
      assert.deepEqual(await notifier.send([n]), { kind: "delivered" });
      await notifier.close();
      const [got] = await r.waitFor(1);
      assert.ok(got?.verified, got?.problem);
      assert.equal(r.requests[0]?.status, 202);
      const p = got.parsed as {
        type: string;
        attachments: { contentType: string; content: Record<string, unknown> }[];
      };
      assert.equal(p.type, "message");
      const card = p.attachments[0]?.content as {
        type: string;
        version: string;
        body: { type: string; text?: string; inlines?: { type: string; text: string }[] }[];
        actions: { type: string; url: string }[];
      };
      assert.equal(p.attachments[0]?.contentType, "application/vnd.microsoft.card.adaptive");
      assert.equal(card.type, "AdaptiveCard");
      assert.deepEqual(card.actions, [
        {
          type: "Action.OpenUrl",
          title: "Open in certwatch",
          url: `https://certwatch.example/alerts/${n.alert.id}`,
        },
      ]);
      // TextBlocks (markdown) hold only our own headings; alert text is in TextRuns, which are never markdown.
      const blocks = card.body.filter((b) => b.type === "TextBlock").map((b) => b.text);
      assert.deepEqual(blocks, ["Details", "Remediation"]);
      const runs = card.body.flatMap((b) => b.inlines ?? []).map((i) => i.text);
      const subject = HOSTILE.replace(/\r\n?/g, "\n").replace("\u202e", "\\u202E");
      assert.ok(runs.includes(subject), JSON.stringify(runs));
      assert.ok(runs.includes("key<&>: "));
      assert.ok(runs.includes('{"deep":"<x>"}'));
    },
  );
});

test("a URL given as a secret never appears in an error text", async () => {
  const r = await startWebhookReceiver({ mode: "slack", path: "/services/T0/B0/TOPSECRET" });
  const notifier = createWebhookNotifier(
    "chat",
    config({ url: { env: "SLACK_URL" }, preset: "slack" }),
    context({}, { SLACK_URL: `${r.url}?token=QUERYSECRET` }),
  );
  r.fail(1, { status: 403, body: `refused ${r.url}?token=QUERYSECRET` });
  const refused = await notifier.send([sampleNotification(new Date())]);
  await r.close();
  const unreachable = await notifier.send([sampleNotification(new Date())]);
  await notifier.close();
  for (const o of [refused, unreachable]) {
    assert.ok(o.kind === "failed");
    assert.ok(!o.error.includes("TOPSECRET") && !o.error.includes("QUERYSECRET"), o.error);
    assert.ok(!o.error.includes("/services"), o.error);
    assert.ok(o.error.includes(`http://127.0.0.1:${r.port}/…`), o.error);
  }

  // A secret that is not a URL: the error names the field, not the value.
  assert.throws(
    () =>
      createWebhookNotifier(
        "chat",
        config({ url: { env: "SLACK_URL" }, preset: "slack" }),
        context({}, { SLACK_URL: "hooks.slack.com/services/NOTAURL" }),
      ),
    (e: unknown) => e instanceof SecretError && e.message === "notify.chat.url: is not a valid URL",
  );
});

test("configuration errors are thrown at construction, naming the field and never the secret", () => {
  const make = (secret: string) => () =>
    createWebhookNotifier(
      "hook",
      config({ url: "https://x.example/h", secret: { env: "S" } }),
      context({}, { S: secret }),
    );
  for (const [bad, leak] of [
    ["whsec_not base64!", "base64!"],
    ["whsec_", "(nothing to leak)"],
    ["%%%%", "%"],
    ["whsec_QUJD=RA==", "QUJD"],
  ] as const) {
    assert.throws(make(bad), (e: unknown) => {
      assert.ok(e instanceof SecretError);
      assert.equal(e.field, "notify.hook.secret");
      assert.ok(!e.message.includes(leak), e.message);
      return true;
    });
  }
  assert.throws(make(`whsec_${Buffer.alloc(8).toString("base64")}`), /at least 24 random bytes/);
  assert.throws(make(""), /environment variable S is empty/);
  assert.throws(
    () =>
      createWebhookNotifier(
        "hook",
        config({ url: "https://x.example/h", secret: { env: "S" }, headers: { "Webhook-Signature": "x" } }),
        context({}, { S: SECRET }),
      ),
    /cannot be replaced/,
  );
  assert.throws(
    () =>
      createWebhookNotifier(
        "hook",
        config({ url: "https://x.example/h", secret: { env: "S" }, headers: { "X-A": "1\r\nX-B: 2" } }),
        context({}, { S: SECRET }),
      ),
    /control characters/,
  );
});

test("one notification per request: an empty batch is done, a larger one is refused without a request", async () => {
  await withReceiver({ secret: SECRET }, async (r) => {
    const notifier = createWebhookNotifier(
      "hook",
      config({ url: r.url, secret: { env: "S" } }),
      context({}, { S: SECRET }),
    );
    assert.deepEqual(await notifier.send([]), { kind: "delivered" });
    const n = sampleNotification(new Date());
    const two = await notifier.send([n, n]);
    await notifier.close();
    assert.ok(two.kind === "failed" && /one notification per request/.test(two.error));
    assert.equal(r.requests.length, 0);
  });
});
