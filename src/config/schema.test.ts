/**
 * @module config/schema.test
 * Validation and normalisation of config text: defaults, every key, and the wording of every kind of error.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import { ConfigError, configFromObject, parseConfig } from "./load.js";

function fails(text: string, file = "certwatch.yaml"): ConfigError {
  try {
    parseConfig(text, file);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail(`expected ${JSON.stringify(text)} to be rejected`);
}

/** The one message line for a field (so a test says which field, not which position in the list). */
function lineFor(err: ConfigError, path: string): string {
  const issue = err.issues.find((i) => i.path === path);
  assert.ok(issue, `no issue for ${path} in:\n${err.message}`);
  const line = err.message.split("\n").find((l) => l.includes(`: ${path}: ${issue.message}`));
  assert.ok(line, `message does not show ${path}:\n${err.message}`);
  return line;
}

const spki = generateKeyPairSync("ec", { namedCurve: "P-256" })
  .publicKey.export({ type: "spki", format: "der" })
  .toString("base64");

describe("valid configs", () => {
  it("fills every default for a minimal config", () => {
    const c = parseConfig("endpoints: [https://example.com]\n", "/etc/certwatch/certwatch.yaml");
    assert.deepEqual(c.endpoints, [{ host: "example.com", port: 443 }]);
    assert.deepEqual(c.domains, []);
    assert.deepEqual(c.trust, { extraRoots: [], systemRoots: true });
    assert.deepEqual(c.dns, { servers: [], timeoutMs: 5000, tries: 2 });
    assert.deepEqual(c.scan, {
      concurrency: 32,
      connectTimeoutMs: 5000,
      handshakeTimeoutMs: 8000,
      httpTimeoutMs: 5000,
      maxResponseHeaderBytes: 65536,
      legacyProtocols: true,
      hsts: true,
    });
    assert.deepEqual(c.thresholds, {
      expiringSoonDays: 30,
      expiringSoonFraction: 0.33,
      minRsaBits: 2048,
      minEcBits: 256,
      minHstsMaxAge: 15552000,
    });
    assert.deepEqual(c.ct, {
      logList: "google",
      logs: [],
      startAt: "end",
      batchSize: 256,
      concurrency: 4,
      requestsPerSecond: 20,
      adaptive: true,
      maxRequestsPerSecond: 100,
      logConcurrency: 8,
      timeoutMs: 30_000,
      maxRetryAfterSeconds: 300,
      pollSeconds: 60,
      logListRefreshMinutes: 360,
      caaCacheSeconds: 3600,
    });
    assert.deepEqual([c.names, c.zoneFiles, c.allowedRoots], [[], [], []]);
    assert.deepEqual([c.severity, c.caa, c.notify, c.publicUrl], [{}, { issuers: {} }, {}, undefined]);
    assert.deepEqual(c.store, { kind: "sqlite", path: "/etc/certwatch/certwatch.db" });
    assert.equal(c.configPath, "/etc/certwatch/certwatch.yaml");
    assert.equal(c.configDir, "/etc/certwatch");
  });

  it("accepts an empty file, and empty values as the default", () => {
    assert.deepEqual(parseConfig("", "c.yaml").endpoints, []);
    const c = parseConfig("domains:\nendpoints:\n  # - https://x.example\nscan:\n", "c.yaml");
    assert.deepEqual([c.domains, c.endpoints, c.scan.concurrency], [[], [], 32]);
  });

  it("reads every key", () => {
    const c = parseConfig(
      `domains: [Contoso.COM, bücher.de, contoso.com.]
endpoints:
  - https://www.contoso.com
  - url: https://api.contoso.com:8443/
    addresses: [203.0.113.7, "2001:DB8:0::7"]
    serverName: API.contoso.com
trust: { extraRoots: [./root.pem], systemRoots: false }
dns: { servers: ["127.0.0.1:5353", "::1", "[2001:db8::53]:5300"], timeoutMs: 100, tries: 1 }
scan:
  concurrency: 4
  connectTimeoutMs: 1000
  handshakeTimeoutMs: 2000
  httpTimeoutMs: 3000
  maxResponseHeaderBytes: 4096
  legacyProtocols: false
  hsts: false
thresholds: { expiringSoonDays: 14, expiringSoonFraction: 0.5, minRsaBits: 3072, minEcBits: 384, minHstsMaxAge: 86400 }
severity: { wildcard-certificate: info, 42: high }
ct:
  logList: ./log_list.json
  logs: [{ url: "https://ct.example/2026", key: "${spki}", name: Example, type: static-ct }]
  startAt: beginning
  batchSize: 1000
  requestsPerSecond: 2.5
names: [Legacy.Contoso.com]
zoneFiles: [zones/contoso.com.zone]
caa: { issuers: { "${"AB".repeat(32)}": [LetsEncrypt.org] } }
allowedRoots: [/etc/ssl/other.pem]
publicUrl: https://certwatch.contoso.com
notify: { webhook: { url: "https://hooks.contoso.com/x", secret: { env: HOOK_SECRET } } }
delivery: { drainTimeoutSeconds: 5 }
store: postgres://certwatch@db.contoso.com/certwatch
`,
      "/srv/cw/certwatch.yaml",
    );
    assert.deepEqual(c.domains, ["contoso.com", "xn--bcher-kva.de"]);
    assert.deepEqual(c.endpoints, [
      { host: "www.contoso.com", port: 443 },
      {
        host: "api.contoso.com",
        port: 8443,
        addresses: ["203.0.113.7", "2001:db8::7"],
        serverName: "api.contoso.com",
      },
    ]);
    assert.deepEqual(c.trust, { extraRoots: ["/srv/cw/root.pem"], systemRoots: false });
    assert.deepEqual(c.dns, {
      servers: ["127.0.0.1:5353", "[::1]:53", "[2001:db8::53]:5300"],
      timeoutMs: 100,
      tries: 1,
    });
    assert.equal(c.scan.concurrency, 4);
    assert.equal(c.scan.hsts, false);
    assert.equal(c.thresholds.expiringSoonFraction, 0.5);
    assert.deepEqual(c.severity, { "wildcard-certificate": "info", "hsts-missing": "high" });
    assert.equal(c.ct.logList, "/srv/cw/log_list.json");
    assert.deepEqual(c.ct.logs, [
      { url: "https://ct.example/2026/", key: spki, name: "Example", type: "static-ct" },
    ]);
    assert.equal(c.ct.startAt, "beginning");
    assert.equal(c.ct.batchSize, 1000);
    assert.equal(c.ct.requestsPerSecond, 2.5);
    assert.deepEqual(c.names, ["legacy.contoso.com"]);
    assert.deepEqual(c.zoneFiles, ["/srv/cw/zones/contoso.com.zone"]);
    assert.deepEqual(c.caa.issuers, { ["ab".repeat(32)]: ["letsencrypt.org"] });
    assert.deepEqual(c.allowedRoots, ["/etc/ssl/other.pem"]);
    assert.equal(c.publicUrl, "https://certwatch.contoso.com/");
    assert.deepEqual(c.notify, {
      webhook: {
        type: "webhook",
        url: "https://hooks.contoso.com/x",
        secret: { env: "HOOK_SECRET" },
        preset: "standard",
        minSeverity: "info",
        resolved: true,
        timeoutMs: 10_000,
        concurrency: 4,
      },
    });
    assert.deepEqual(c.delivery, {
      drainTimeoutSeconds: 5,
      retryDelaySeconds: 1,
      maxRetryDelaySeconds: 3600,
    });
    assert.deepEqual(c.store, { kind: "postgres", url: "postgres://certwatch@db.contoso.com/certwatch" });
  });

  it("normalises every form of endpoint", () => {
    const cases: [string, { host: string; port: number }][] = [
      ["https://WWW.Example.com", { host: "www.example.com", port: 443 }],
      ["https://example.com:8443/", { host: "example.com", port: 8443 }],
      ["example.com", { host: "example.com", port: 443 }],
      ["localhost:8443", { host: "localhost", port: 8443 }],
      ["https://münchen.example", { host: "xn--mnchen-3ya.example", port: 443 }],
      ["https://192.0.2.1:444", { host: "192.0.2.1", port: 444 }],
      ["https://[2001:DB8::1]:8443", { host: "2001:db8::1", port: 8443 }],
      ["[::1]", { host: "::1", port: 443 }],
      ["::1", { host: "::1", port: 443 }],
    ];
    for (const [input, want] of cases) {
      assert.deepEqual(configFromObject({ endpoints: [input] }, "c.yaml").endpoints, [want], input);
    }
  });

  it("reads JSON", () => {
    const c = parseConfig('{ "endpoints": ["https://example.com"], "scan": { "hsts": false } }', "c.json");
    assert.deepEqual([c.endpoints, c.scan.hsts], [[{ host: "example.com", port: 443 }], false]);
  });
});

describe("errors name the file, the line, the field and the fault", () => {
  it("an unknown key, with the likely key", () => {
    const err = fails("domain: [contoso.com]\nthresholds:\n  expiringSoonDay: 10\n");
    assert.equal(err.code, "CONFIG_INVALID");
    assert.match(err.message, /certwatch\.yaml:1:1: unknown key "domain" \(did you mean "domains"\?\)/);
    assert.match(
      lineFor(err, "thresholds"),
      /:3:3: thresholds: unknown key "expiringSoonDay" \(did you mean/,
    );
    assert.match(fails("colour: red\n").message, /unknown key "colour"; known keys: domains, endpoints,/);
  });

  it("a value of the wrong type", () => {
    const err = fails("domains: contoso.com\nscan: { hsts: yes, concurrency: 2.5 }\nnotify: [a]\n");
    assert.match(lineFor(err, "domains"), /:1:10: domains: must be a list \(got "contoso.com"\)$/);
    assert.match(lineFor(err, "scan.hsts"), /: scan.hsts: must be true or false \(got "yes"\)$/);
    assert.match(lineFor(err, "scan.concurrency"), /must be a whole number \(got 2.5\)$/);
    assert.match(lineFor(err, "notify"), /must be a mapping \(key: value\) \(got a list\)$/);
  });

  it("a number out of range", () => {
    const err = fails("scan: { concurrency: 0 }\nthresholds: { expiringSoonFraction: 1.5 }\n");
    assert.match(lineFor(err, "scan.concurrency"), /must be at least 1 \(got 0\)$/);
    assert.match(lineFor(err, "thresholds.expiringSoonFraction"), /must be at most 1 \(got 1.5\)$/);
  });

  it("a URL that is not https", () => {
    const err = fails("endpoints:\n  - https://ok.example\n  - url: ftp://x\n  - http://plain.example\n");
    assert.match(
      lineFor(err, "endpoints[1].url"),
      /^certwatch\.yaml:3:10: endpoints\[1\]\.url: must be an https:\/\/ URL \(got "ftp:\/\/x"\)$/,
    );
    assert.match(lineFor(err, "endpoints[2]"), /must be an https:\/\/ URL \(got "http:\/\/plain.example"\)$/);
    assert.match(fails("endpoints: [https://x.example/login]\n").message, /without a path/);
    assert.match(fails("endpoints: [https://user@x.example]\n").message, /must not contain a user name/);
    assert.match(fails("endpoints: [https://exa mple.com]\n").message, /with a valid host/);
    assert.match(
      fails("endpoints: [42]\n").message,
      /endpoints\[0\]: must be an https:\/\/ URL, or an object with url/,
    );
  });

  it("a port out of range", () => {
    for (const port of ["0", "65536", "http"]) {
      const err = fails(`endpoints: ["https://x.example:${port}"]\n`);
      assert.match(lineFor(err, "endpoints[0]"), /port must be a number from 1 to 65535/, port);
    }
    assert.match(fails("endpoints: ['2001:db8::1:99999']\n").message, /must be written \[address\]:port/);
    assert.deepEqual(configFromObject({ endpoints: ["2001:db8::1:443"] }, "c.yaml").endpoints, [
      { host: "2001:db8::1:443", port: 443 }, // a bare IPv6 address is all address: ports need [brackets]
    ]);
    assert.match(fails("dns: { servers: ['2001:db8::1:99999'] }\n").message, /dns\.servers\[0\]: /);
  });

  it("a bad IP address", () => {
    const err = fails("endpoints: [{ url: https://x.example, addresses: [203.0.113.999] }]\n");
    assert.match(
      lineFor(err, "endpoints[0].addresses[0]"),
      /must be an IPv4 or IPv6 address \(got "203.0.113.999"\)$/,
    );
    assert.match(
      fails("dns: { servers: [dns.google] }\n").message,
      /dns\.servers\[0\]: must be an IP address/,
    );
    assert.match(
      fails("endpoints: [{ url: https://x.example, addresses: [] }]\n").message,
      /must list at least 1/,
    );
  });

  it("a bad severity, or an event that does not exist", () => {
    const err = fails("severity:\n  hsts-missing: urgent\n  hsts-mising: low\n  999: low\n");
    assert.match(
      lineFor(err, "severity.hsts-missing"),
      /must be one of info, low, medium, high, critical \(got "urgent"\)$/,
    );
    assert.match(
      lineFor(err, "severity.hsts-mising"),
      /unknown event "hsts-mising" \(did you mean "hsts-missing"\?\)/,
    );
    assert.match(lineFor(err, 'severity["999"]'), /unknown event "999"/);
    assert.match(
      fails("severity: { 42: low, hsts-missing: high }\n").message,
      /names the same event as "42"/,
    );
  });

  it("bad names and domains", () => {
    assert.match(
      fails("domains: ['*.contoso.com']\n").message,
      /domains\[0\]: a watched domain covers its subdomains: write "contoso.com"/,
    );
    assert.match(fails("domains: [localhost]\n").message, /must be a domain name like contoso.com/);
    assert.match(
      fails("names: [-bad-.example]\n").message,
      /names\[0\]: must be a host name \(got "-bad-.example"\)/,
    );
    assert.match(
      fails("endpoints: [a.example, 'https://A.example:443/']\n").message,
      /endpoints\[1\]: a.example:443 is already endpoints\[0\]/,
    );
  });

  it("bad CT, CAA and store settings", () => {
    const err = fails(
      "ct: { startAt: now, logs: [{ url: 'ftp://q', key: abc }] }\ncaa: { issuers: { abc: [x.example] } }\npublicUrl: nope\n",
    );
    assert.match(lineFor(err, "ct.startAt"), /must be one of "end", "beginning" \(got "now"\)$/);
    assert.match(lineFor(err, "ct.logs[0].url"), /must be an http:\/\/ or https:\/\/ URL/);
    assert.match(lineFor(err, "ct.logs[0].key"), /base64 of a DER SubjectPublicKeyInfo/);
    assert.match(lineFor(err, "caa.issuers.abc"), /64 hex digits/);
    assert.match(lineFor(err, "publicUrl"), /must be an http:\/\/ or https:\/\/ URL \(got "nope"\)/);
    const store = fails("store: mysql://root:hunter2@db/x\n").message;
    assert.match(store, /store: must be sqlite:<path> or postgres:\/\/user@host\/db \(got "mysql:"\)/);
    assert.doesNotMatch(store, /hunter2/);
  });

  it("bad delivery targets: a secret written in the file, a missing key, an unknown type or event", () => {
    const err = fails(
      [
        "notify:",
        "  splunk: { url: 'https://splunk:8088', token: s3cr3t-token }",
        "  mail: { type: email, host: smtp, from: a@b, to: [c@d], events: [18, nope] }",
        "  azure: { type: sentinel, api: data-collector, workspaceId: w }",
        "  pager: { type: pagerduty }",
        "  hook: { url: 'https://x/' }",
        "delivery: { drainTimeoutSeconds: -1 }",
        "",
      ].join("\n"),
    );
    assert.match(
      lineFor(err, "notify.splunk.token"),
      /:2:\d+: .*use \{ env: VARIABLE \} or \{ file: .\/path \}$/,
    );
    assert.doesNotMatch(err.message, /s3cr3t-token/);
    assert.match(lineFor(err, "notify.mail.events[1]"), /unknown event "nope"/);
    assert.match(lineFor(err, "notify.azure.sharedKey"), /is required with api: data-collector$/);
    assert.match(
      lineFor(err, "notify.pager.type"),
      /type must be one of email, sentinel, splunk, syslog, webhook$/,
    );
    assert.match(lineFor(err, "notify.hook.type"), /type must be one of/);
    assert.match(lineFor(err, "delivery.drainTimeoutSeconds"), /:7:/);
  });

  it("one line per issue, in file order", () => {
    const err = fails("scan: { hsts: 1 }\nendpoints: [ftp://a]\ndomain: x\n");
    assert.deepEqual(
      err.issues.map((i) => [i.line, i.path]),
      [
        [1, "scan.hsts"],
        [2, "endpoints[0]"],
        [3, ""],
      ],
    );
    assert.equal(err.message.split("\n").length, 3);
  });

  it("a YAML syntax error gives line and column", () => {
    const err = fails("domains: [a.example]\nendpoints: [https://x.example\nscan: {}\n");
    assert.equal(err.code, "CONFIG_SYNTAX");
    assert.match(err.message, /^certwatch\.yaml:3:\d+: YAML syntax error: /);
    assert.match(
      fails("domains: []\ndomains: [a.example]\n").message,
      /certwatch\.yaml:2:1: YAML syntax error: Map keys must be unique/,
    );
  });

  it("a JSON syntax error gives line and column", () => {
    const err = fails('{\n  "domains": ["a.example"],\n}\n', "certwatch.json");
    assert.equal(err.code, "CONFIG_SYNTAX");
    assert.match(err.message, /^certwatch\.json:3:1: JSON syntax error: /);
    assert.match(
      fails('{"endpoints": ["ftp://x"]}', "certwatch.json").message,
      /certwatch\.json:1:16: endpoints\[0\]: must be an https/,
    );
  });

  it("a file that is not a mapping", () => {
    assert.match(fails("- a\n- b\n").message, /certwatch\.yaml: must be a mapping of settings .*not a list/);
  });

  it("configFromObject names the file but no position", () => {
    assert.throws(
      () => configFromObject({ scan: { concurrency: "many" } }, "from-test.yaml"),
      (e: unknown) =>
        e instanceof ConfigError &&
        /^from-test\.yaml: scan\.concurrency: must be a number \(got "many"\)$/.test(e.message),
    );
    assert.equal(configFromObject({}, "x/c.yaml").configDir, resolve("x"));
  });
});
