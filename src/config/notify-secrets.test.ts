/**
 * @module config/notify-secrets.test
 * Credentials are never written in the configuration: a credential header (Authorization, X-Api-Key, Cookie…)
 * given as a value, a `user:pass@` URL, or a password in the PostgreSQL store URL is a configuration error that
 * names the field, says how to give it instead, and never shows the value; `{ env }` / `{ file }` headers are sent.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { sampleNotification } from "../notify/sample.js";
import { readSecret } from "../notify/secrets.js";
import { createWebhookNotifier } from "../notify/webhook.js";
import { startWebhookReceiver } from "../../test/helpers/webhook-receiver.js";
import { ConfigError, parseConfig } from "./load.js";
import { isCredentialHeader } from "./notify-schema.js";

const SECRET = "s3cr3t-V4lue-never-shown";

function rejected(text: string): ConfigError {
  try {
    parseConfig(text, "certwatch.yaml");
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.code, "CONFIG_INVALID");
    assert.ok(!e.message.includes(SECRET), `the value is shown:\n${e.message}`);
    return e;
  }
  assert.fail(`accepted:\n${text}`);
}

const webhook = (lines: string[]) =>
  [
    "notify:",
    "  hook:",
    "    type: webhook",
    "    preset: slack",
    "    url: https://hooks.example/in",
    ...lines.map((l) => `    ${l}`),
  ].join("\n");

describe("credentials written in the configuration", () => {
  it("a credential header given as a value is an error at that header, with how to give it instead", () => {
    for (const name of [
      "Authorization",
      "Proxy-Authorization",
      "X-Api-Key",
      "api-key",
      "X-Auth-Token",
      "Cookie",
      "X-Functions-Key",
    ]) {
      const err = rejected(webhook(["headers:", `  ${name}: "Bearer ${SECRET}"`]));
      assert.deepEqual(
        err.issues.map((i) => [i.path, i.message, i.line]),
        [
          [
            `notify.hook.headers.${name}`,
            "carries a credential, which is not written in the configuration: use { env: VARIABLE } or { file: ./path }",
            7,
          ],
        ],
        name,
      );
    }
  });

  it("ordinary headers stay plain values, and a credential header may be a secret reference", () => {
    assert.equal(isCredentialHeader("X-Team"), false);
    assert.equal(isCredentialHeader("X-Request-Id"), false);
    assert.equal(isCredentialHeader("X-Author"), false);
    const c = parseConfig(
      webhook([
        "headers:",
        "  X-Team: secops",
        "  Authorization: { env: HOOK_AUTH }",
        "  X-Api-Key: { file: key.txt }",
      ]),
      "/srv/cw/certwatch.yaml",
    );
    const hook = c.notify.hook;
    assert.ok(hook?.type === "webhook");
    assert.deepEqual(hook.headers, {
      "X-Team": "secops",
      Authorization: { env: "HOOK_AUTH" },
      "X-Api-Key": { file: "key.txt" },
    });
  });

  it("a URL with user:pass@ is an error for every notify URL, and is not shown", () => {
    const cases: [string[], string][] = [
      [
        ["splunk:", `  url: https://admin:${SECRET}@splunk.example:8088`, "  token: { env: HEC }"],
        "notify.splunk.url",
      ],
      [
        ["hook:", "  type: webhook", "  preset: slack", `  url: https://u:${SECRET}@hooks.example/in`],
        "notify.hook.url",
      ],
      [
        [
          "sentinel:",
          `  endpoint: https://x:${SECRET}@dce.example`,
          "  dcrImmutableId: dcr-1",
          "  tenantId: t",
          "  clientId: c",
          "  clientSecret: { env: CS }",
        ],
        "notify.sentinel.endpoint",
      ],
    ];
    for (const [lines, path] of cases) {
      const err = rejected(["notify:", ...lines.map((l) => `  ${l}`)].join("\n"));
      assert.deepEqual(
        err.issues.map((i) => i.path),
        [path],
      );
      assert.match(err.message, /must not hold a user name or password \(user:pass@\).*\{ env: VARIABLE \}/);
    }
  });

  it("a URL with user:pass@ is an error for publicUrl, CT log URLs and endpoints too, and is not shown", () => {
    const key = generateKeyPairSync("ec", { namedCurve: "P-256" })
      .publicKey.export({ type: "spki", format: "der" })
      .toString("base64");
    const cases: [string, string][] = [
      [`publicUrl: https://admin:${SECRET}@certwatch.example`, "publicUrl"],
      [`ct: { logs: [{ url: "https://u:${SECRET}@ct.example/log/", key: "${key}" }] }`, "ct.logs[0].url"],
      [
        `ct: { logs: [{ url: "https://ct.example/log/", submissionUrl: "https://u:${SECRET}@ct.example/", key: "${key}", type: static-ct }] }`,
        "ct.logs[0].submissionUrl",
      ],
      [`endpoints: ["https://u:${SECRET}@www.example.com"]`, "endpoints[0]"],
      [`endpoints: ["http://u:${SECRET}@www.example.com"]`, "endpoints[0]"],
      [`endpoints: ["https://u:${SECRET}@www.example.com/path"]`, "endpoints[0]"],
    ];
    for (const [text, path] of cases) {
      const err = rejected(text);
      assert.deepEqual(
        err.issues.map((i) => i.path),
        [path],
        text,
      );
      assert.match(err.message, /user name|https:\/\/ URL|without a path/, text);
    }
  });

  it("a password in the PostgreSQL store URL is an error pointing at PGPASSWORD, and is not shown", () => {
    for (const url of [
      `postgres://certwatch:${SECRET}@db.example/certwatch`,
      `postgresql://certwatch@db.example/certwatch?sslmode=require&password=${SECRET}`,
    ]) {
      const err = rejected(`store: "${url}"\n`);
      assert.equal(err.issues[0]?.path, "store");
      assert.match(err.message, /must not hold a password .*set PGPASSWORD, or use ~\/\.pgpass/);
    }
    assert.deepEqual(parseConfig("store: postgres://certwatch@db.example/certwatch\n", "c.yaml").store, {
      kind: "postgres",
      url: "postgres://certwatch@db.example/certwatch",
    });
  });
});

describe("credential headers from the environment or a file", () => {
  const dir = mkdtempSync(join(tmpdir(), "certwatch-header-secret-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("are read when the target is built and sent with each request", async () => {
    const token = randomBytes(16).toString("hex");
    writeFileSync(join(dir, "api-key.txt"), `${token}-file\n`);
    const c = parseConfig(
      webhook(["headers:", "  Authorization: { env: HOOK_AUTH }", "  X-Api-Key: { file: api-key.txt }"]),
      join(dir, "certwatch.yaml"),
    );
    const receiver = await startWebhookReceiver({ mode: "slack" });
    try {
      const hook = c.notify.hook;
      assert.ok(hook?.type === "webhook");
      const env = { HOOK_AUTH: `Bearer ${token}` };
      const notifier = createWebhookNotifier(
        "hook",
        { ...hook, url: receiver.url },
        {
          ca: [],
          secret: (ref, field) => readSecret(ref, field, { env, configDir: dir }),
          log: { warn: () => undefined },
          now: () => new Date(),
        },
      );
      assert.deepEqual(await notifier.send([sampleNotification(new Date())]), { kind: "delivered" });
      await notifier.close();
      const [got] = await receiver.waitFor(1);
      assert.equal(got?.headers.authorization, `Bearer ${token}`);
      assert.equal(got?.headers["x-api-key"], `${token}-file`);
    } finally {
      await receiver.close();
    }
  });
});
