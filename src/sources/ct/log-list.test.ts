/**
 * @module sources/ct/log-list.test
 * The v3 log list parser, signature check, follow selection and diff, on small documents built with fresh keys.
 */
import assert from "node:assert/strict";
import { createPublicKey, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { describe, it } from "node:test";
import { GOOGLE_LOG_LIST_PUBLIC_KEY_PEM } from "./log-list-key.js";
import type { CtLogDescriptor, LogState, ParsedLogList } from "./log-list.js";
import {
  LOG_LIST_MAX_BYTES,
  diffLogSelections,
  logIdOf,
  parseLogList,
  selectFollowedLogs,
  verifyLogListSignature,
} from "./log-list.js";

type Json = Record<string, unknown>;

interface TestKey {
  readonly b64: string;
  readonly der: Buffer;
  readonly id: string;
}

function ecKey(): TestKey {
  const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const der = publicKey.export({ type: "spki", format: "der" });
  return { b64: der.toString("base64"), der, id: logIdOf(der) };
}

const TS = "2025-01-02T03:04:05Z";

function rfcLog(name: string, state: LogState | null = "usable", extra: Json = {}): Json {
  const k = ecKey();
  return {
    description: `Test '${name}' log`,
    log_id: k.id,
    key: k.b64,
    url: `https://ct.example.com/logs/${name}/`,
    mmd: 86400,
    ...(state === null ? {} : { state: { [state]: { timestamp: TS } } }),
    temporal_interval: { start_inclusive: "2026-01-01T00:00:00Z", end_exclusive: "2026-07-01T00:00:00Z" },
    ...extra,
  };
}

function tiledLog(name: string, state: LogState | null = "usable", extra: Json = {}): Json {
  const k = ecKey();
  return {
    description: `Test '${name}' tiled log`,
    log_id: k.id,
    key: k.b64,
    submission_url: `https://${name}.log.example.net/`,
    monitoring_url: `https://${name}.mon.example.net/`,
    mmd: 60,
    ...(state === null ? {} : { state: { [state]: { timestamp: TS } } }),
    ...extra,
  };
}

function docOf(
  operators: { name: string; logs?: unknown[]; tiled_logs?: unknown[] }[],
  extra: Json = {},
): Json {
  return {
    version: "1.2",
    log_list_timestamp: "2026-08-20T13:34:57Z",
    operators: operators.map((o) => ({ email: ["ct@example.com"], logs: [], tiled_logs: [], ...o })),
    ...extra,
  };
}

const bytes = (v: unknown): Buffer => Buffer.from(typeof v === "string" ? v : JSON.stringify(v));

function parseOk(v: unknown): ParsedLogList {
  const r = parseLogList(bytes(v));
  if (r.kind === "error") assert.fail(r.error);
  return r.list;
}

function parseError(v: unknown): string {
  const r = parseLogList(typeof v === "string" || Buffer.isBuffer(v) ? Buffer.from(v) : bytes(v));
  assert.equal(r.kind, "error");
  return r.kind === "error" ? r.error : "";
}

describe("parseLogList", () => {
  it("reads an RFC 6962 log with every field", () => {
    const entry = rfcLog("alpha", "usable", { url: "https://ct.example.com/logs/alpha" });
    const list = parseOk(docOf([{ name: "Example CA", logs: [entry] }]));
    assert.equal(list.version, "1.2");
    assert.equal(list.timestamp, "2026-08-20T13:34:57Z");
    assert.equal(list.isAllLogs, null);
    assert.deepEqual(list.warnings, []);
    assert.equal(list.logs.length, 1);
    const log = list.logs[0];
    assert.ok(log);
    assert.equal(log.logId, entry.log_id);
    assert.equal(log.description, "Test 'alpha' log");
    assert.equal(log.operator, "Example CA");
    assert.equal(log.protocol, "rfc6962");
    assert.equal(log.url, "https://ct.example.com/logs/alpha/", "a trailing slash is added");
    assert.equal(log.submissionUrl, log.url);
    assert.equal(log.key.toString("base64"), entry.key);
    assert.equal(log.state, "usable");
    assert.equal(log.stateSince, TS);
    assert.equal(log.readonlyTreeHead, null);
    assert.equal(log.mmdSeconds, 86400);
    assert.deepEqual(log.temporalInterval, { start: "2026-01-01T00:00:00Z", end: "2026-07-01T00:00:00Z" });
    assert.equal(log.logType, null);
    assert.equal(log.source, "list");
  });

  it("reads tiled logs as Static CT, following monitoring_url", () => {
    const entry = tiledLog("beta", "qualified");
    const list = parseOk(docOf([{ name: "Tiles Inc", tiled_logs: [entry] }]));
    const log = list.logs[0];
    assert.ok(log);
    assert.equal(log.protocol, "static-ct");
    assert.equal(log.url, "https://beta.mon.example.net/");
    assert.equal(log.submissionUrl, "https://beta.log.example.net/");
    assert.equal(log.state, "qualified");
    assert.equal(log.mmdSeconds, 60);
    assert.equal(log.temporalInterval, null);
  });

  it("reads the readonly state's final tree head", () => {
    const root = randomBytes(32).toString("base64");
    const entry = rfcLog("frozen", null, {
      state: {
        readonly: {
          timestamp: "2025-09-18T17:20:00Z",
          final_tree_head: { sha256_root_hash: root, tree_size: 57634084 },
        },
      },
    });
    const log = parseOk(docOf([{ name: "Op", logs: [entry] }])).logs[0];
    assert.ok(log);
    assert.equal(log.state, "readonly");
    assert.equal(log.stateSince, "2025-09-18T17:20:00Z");
    assert.deepEqual(log.readonlyTreeHead, {
      treeSize: 57634084,
      timestamp: "2025-09-18T17:20:00Z",
      sha256RootHash: root,
    });
  });

  it("keeps logs without a state (test, monitoring-only) with state null and their log_type", () => {
    const list = parseOk(
      docOf([{ name: "Op", tiled_logs: [tiledLog("t", null, { log_type: "monitoring_only" })] }], {
        is_all_logs: true,
      }),
    );
    assert.equal(list.isAllLogs, true);
    assert.equal(list.logs[0]?.state, null);
    assert.equal(list.logs[0]?.logType, "monitoring_only");
  });

  it("accepts RSA log keys and operators without tiled_logs (older v3 lists)", () => {
    const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const der = publicKey.export({ type: "spki", format: "der" });
    const entry = rfcLog("rsa", "usable", { key: der.toString("base64"), log_id: logIdOf(der) });
    const list = parseOk({ operators: [{ name: "Old", logs: [entry] }] });
    assert.equal(list.logs.length, 1);
    assert.equal(list.version, null);
    assert.equal(list.timestamp, null);
  });

  it("ignores unknown fields everywhere", () => {
    const entry = rfcLog("u", "usable", { dns: "u.example.com", previous_operators: [], future: { x: 1 } });
    const state = entry.state as Json;
    (state.usable as Json).note = "hello";
    const list = parseOk(docOf([{ name: "Op", logs: [entry], extra: true } as never], { whatever: [1, 2] }));
    assert.deepEqual(list.warnings, []);
    assert.equal(list.logs.length, 1);
  });

  it("rejects an entry whose log_id disagrees with its key, naming operator and log", () => {
    const good = rfcLog("good");
    const bad = rfcLog("liar", "usable", { log_id: ecKey().id });
    const list = parseOk(docOf([{ name: "Shady Ops", logs: [bad, good] }]));
    assert.deepEqual(
      list.logs.map((l) => l.description),
      ["Test 'good' log"],
    );
    assert.equal(list.warnings.length, 1);
    const w = list.warnings[0] ?? "";
    assert.match(w, /Shady Ops/);
    assert.match(w, /Test 'liar' log/);
    assert.match(w, /\$\.operators\[0\]\.logs\[0\]/);
    assert.match(w, /log_id .* does not match its key/);
    assert.match(w, /skipped$/);
  });

  it("skips malformed entries with a warning each and keeps the others", () => {
    const notSpki = Buffer.from("30" + "00".repeat(40), "hex").toString("base64");
    const { publicKey: ed } = generateKeyPairSync("ed25519");
    const edDer = ed.export({ type: "spki", format: "der" });
    const cases: [string, Json | string][] = [
      ["key: missing", (({ key: _k, ...rest }) => rest)(rfcLog("nokey"))],
      ["key: not base64", rfcLog("b64", "usable", { key: "not base64 at all!" })],
      ["key: not a DER SubjectPublicKeyInfo", rfcLog("spki", "usable", { key: notSpki })],
      [
        "key: unsupported key type ed25519",
        rfcLog("ed", "usable", { key: edDer.toString("base64"), log_id: logIdOf(edDer) }),
      ],
      ["key: must be a base64 string", rfcLog("num", "usable", { key: 42 })],
      ["log_id: missing", (({ log_id: _i, ...rest }) => rest)(rfcLog("noid"))],
      ["url: not a URL", rfcLog("badurl", "usable", { url: "not a url" })],
      ["url: must be an https:// URL", rfcLog("ftp", "usable", { url: "ftp://ct.example.com/" })],
      ["url: must not carry credentials", rfcLog("cred", "usable", { url: "https://u:p@ct.example.com/" })],
      ["url: missing", (({ url: _u, ...rest }) => rest)(rfcLog("nourl"))],
      [
        "state: more than one state",
        rfcLog("two", null, { state: { usable: { timestamp: TS }, retired: { timestamp: TS } } }),
      ],
      ["state.usable.timestamp", rfcLog("ts", null, { state: { usable: { timestamp: "yesterday" } } })],
      ["final_tree_head: missing", rfcLog("ro", null, { state: { readonly: { timestamp: TS } } })],
      ["mmd: must be a positive integer", rfcLog("mmd", "usable", { mmd: -5 })],
      [
        "temporal_interval: start_inclusive is not before",
        rfcLog("ti", "usable", {
          temporal_interval: {
            start_inclusive: "2027-01-01T00:00:00Z",
            end_exclusive: "2026-01-01T00:00:00Z",
          },
        }),
      ],
      ["must be an object", "just a string"],
    ];
    const tiledCases: [string, Json][] = [
      ["monitoring_url: missing", (({ monitoring_url: _m, ...rest }) => rest)(tiledLog("nomon"))],
      ["submission_url: not a URL", tiledLog("sub", "usable", { submission_url: "::" })],
    ];
    const keep = rfcLog("keeper");
    const keepTiled = tiledLog("keeper2");
    const list = parseOk(
      docOf([
        {
          name: "Messy",
          logs: [...cases.map(([, e]) => e), keep],
          tiled_logs: [...tiledCases.map(([, e]) => e), keepTiled],
        },
      ]),
    );
    assert.deepEqual(
      list.logs.map((l) => l.logId),
      [keep.log_id, keepTiled.log_id],
    );
    const expected = [...cases, ...tiledCases].map(([m]) => m);
    assert.equal(list.warnings.length, expected.length, list.warnings.join("\n"));
    for (const [i, m] of expected.entries()) {
      const w = list.warnings[i] ?? "";
      assert.ok(w.includes(m), `warning ${i} ${JSON.stringify(w)} should mention ${JSON.stringify(m)}`);
      assert.ok(w.startsWith('operator "Messy", log '), w);
    }
    assert.match(list.warnings[cases.length - 1] ?? "", /log #\d+ \(\$\.operators\[0\]\.logs\[\d+\]\)/);
  });

  it("keeps a log with an unknown state name, unfollowed, with a warning", () => {
    const list = parseOk(
      docOf([{ name: "Op", logs: [rfcLog("f", null, { state: { frozen: { timestamp: TS } } })] }]),
    );
    assert.equal(list.logs.length, 1);
    assert.equal(list.logs[0]?.state, null);
    assert.match(list.warnings[0] ?? "", /unknown state "frozen"/);
    assert.deepEqual(selectFollowedLogs(list, []), []);
  });

  it("keeps the first of two entries with the same key", () => {
    const a = rfcLog("a");
    const list = parseOk(
      docOf([
        { name: "One", logs: [a] },
        { name: "Two", logs: [{ ...a, description: "copy" }] },
      ]),
    );
    assert.equal(list.logs.length, 1);
    assert.equal(list.logs[0]?.operator, "One");
    assert.match(list.warnings[0] ?? "", /operator "Two".*same log id/);
  });

  it("returns an error naming the JSON path for a structurally wrong document", () => {
    assert.match(parseError("{not json"), /not JSON/);
    assert.match(parseError(""), /not JSON/);
    assert.match(parseError(Buffer.from([0xff, 0xfe, 0x7b, 0x7d])), /not UTF-8/);
    assert.match(parseError([1, 2]), /\$: must be an object/);
    assert.match(parseError("null"), /\$: must be an object/);
    assert.match(parseError({ version: "1" }), /\$\.operators: must be an array/);
    assert.match(parseError({ operators: {} }), /\$\.operators: must be an array/);
    assert.match(
      parseError({ operators: [{ name: "A", logs: [] }, 7] }),
      /\$\.operators\[1\]: must be an object/,
    );
    assert.match(parseError({ operators: [{ logs: [] }] }), /\$\.operators\[0\]\.name: must be a string/);
    assert.match(
      parseError({ operators: [{ name: "A", logs: {} }] }),
      /\$\.operators\[0\]\.logs: must be an array/,
    );
    assert.match(
      parseError({ operators: [{ name: "A", logs: [], tiled_logs: "x" }] }),
      /\$\.operators\[0\]\.tiled_logs: must be an array/,
    );
  });

  it("rejects input over 8 MiB without parsing it", () => {
    const big = Buffer.alloc(LOG_LIST_MAX_BYTES + 1, 0x20);
    assert.match(parseError(big), /too large/);
  });

  it("never throws, whatever the bytes", () => {
    const doc = bytes(docOf([{ name: "Op", logs: [rfcLog("a")], tiled_logs: [tiledLog("b")] }]));
    for (let i = 0; i < 300; i++) {
      const b = Buffer.from(doc);
      const cut = i % 3 === 0 ? b.subarray(0, Math.floor(Math.random() * b.length)) : b;
      for (let j = 0; j < 3; j++)
        cut[Math.floor(Math.random() * cut.length)] = Math.floor(Math.random() * 256);
      const r = parseLogList(cut);
      assert.ok(r.kind === "ok" || r.kind === "error");
    }
    for (const v of [
      "1",
      '"x"',
      "true",
      '{"operators":[null]}',
      '{"operators":[{"name":"a","logs":[null,1,[]]}]}',
    ]) {
      assert.doesNotThrow(() => parseLogList(Buffer.from(v)));
    }
  });
});

describe("verifyLogListSignature", () => {
  const doc = bytes(docOf([{ name: "Op", logs: [rfcLog("a")] }]));

  it("verifies an RSA PKCS#1 v1.5 SHA-256 signature of the exact bytes", () => {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = publicKey.export({ type: "spki", format: "pem" }) as string;
    const sig = sign("sha256", doc, privateKey);
    assert.equal(verifyLogListSignature(doc, sig, pem), true);

    const changed = Buffer.from(doc);
    changed[10] = (changed[10] ?? 0) ^ 0x01;
    assert.equal(verifyLogListSignature(changed, sig, pem), false, "one byte of the list changed");
    const badSig = Buffer.from(sig);
    badSig[0] = (badSig[0] ?? 0) ^ 0x80;
    assert.equal(verifyLogListSignature(doc, badSig, pem), false, "one byte of the signature changed");
    assert.equal(verifyLogListSignature(Buffer.concat([doc, Buffer.from("\n")]), sig, pem), false);
  });

  it("verifies an ECDSA P-256 SHA-256 signature", () => {
    const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const pem = publicKey.export({ type: "spki", format: "pem" }) as string;
    const sig = sign("sha256", doc, privateKey);
    assert.equal(verifyLogListSignature(doc, sig, pem), true);
    const changed = Buffer.from(doc);
    changed[changed.length - 1] = 0x20;
    assert.equal(verifyLogListSignature(changed, sig, pem), false);
  });

  it("returns false, never throws, for a wrong key, a garbage key or a garbage signature", () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const sig = sign("sha256", doc, privateKey);
    assert.equal(verifyLogListSignature(doc, sig), false, "not signed by Google's key");
    assert.equal(verifyLogListSignature(doc, randomBytes(512)), false);
    assert.equal(verifyLogListSignature(doc, new Uint8Array(0)), false);
    assert.equal(verifyLogListSignature(doc, sig, "not a pem"), false);
    const { publicKey: ed, privateKey: edPriv } = generateKeyPairSync("ed25519");
    const edSig = sign(null, doc, edPriv);
    assert.equal(
      verifyLogListSignature(doc, edSig, ed.export({ type: "spki", format: "pem" }) as string),
      false,
    );
  });

  it("embeds Google's log list key, an RSA 4096 SubjectPublicKeyInfo", () => {
    const key = createPublicKey(GOOGLE_LOG_LIST_PUBLIC_KEY_PEM);
    assert.equal(key.asymmetricKeyType, "rsa");
    assert.equal(key.asymmetricKeyDetails?.modulusLength, 4096);
    const der = key.export({ type: "spki", format: "der" });
    const body = GOOGLE_LOG_LIST_PUBLIC_KEY_PEM.replace(/-----[A-Z ]+-----|\s/g, "");
    assert.equal(der.toString("base64"), body, "the PEM is exactly the SPKI DER");
  });
});

describe("selectFollowedLogs", () => {
  it("follows usable, qualified and readonly logs only", () => {
    const root = randomBytes(32).toString("base64");
    const states: (LogState | null)[] = ["pending", "qualified", "usable", "retired", "rejected", null];
    const logs = states.map((s) => rfcLog(`s-${s ?? "none"}`, s));
    logs.push(
      rfcLog("s-readonly", null, {
        state: { readonly: { timestamp: TS, final_tree_head: { sha256_root_hash: root, tree_size: 10 } } },
      }),
    );
    const list = parseOk(
      docOf([{ name: "Op", logs, tiled_logs: [tiledLog("tp", "pending"), tiledLog("tu")] }]),
    );
    assert.equal(list.logs.length, 9);
    const followed = selectFollowedLogs(list, []);
    assert.deepEqual(
      followed.map((l) => `${l.protocol}:${l.state}`),
      ["rfc6962:qualified", "rfc6962:usable", "rfc6962:readonly", "static-ct:usable"],
    );
  });

  it("adds inline logs first, always followed; a duplicate of a list log collapses with inline winning", () => {
    const listed = rfcLog("shared");
    const other = tiledLog("other");
    const list = parseOk(docOf([{ name: "Op", logs: [listed], tiled_logs: [other] }]));
    const mine = ecKey();
    const inline = [
      { url: "https://my.example.org/ct", key: mine.b64, type: "static-ct" as const },
      {
        url: "https://mirror.example.org/shared/",
        key: listed.key as string,
        name: "Mirror",
        type: "rfc6962" as const,
      },
      { url: "https://again.example.org/", key: mine.b64, name: "Again", type: "rfc6962" as const },
    ];
    const followed = selectFollowedLogs(list, inline);
    assert.deepEqual(
      followed.map((l) => [l.description, l.source, l.url]),
      [
        ["https://my.example.org/ct/", "inline", "https://my.example.org/ct/"],
        ["Mirror", "inline", "https://mirror.example.org/shared/"],
        ["Test 'other' tiled log", "list", "https://other.mon.example.net/"],
      ],
    );
    const first = followed[0];
    assert.ok(first);
    assert.equal(first.logId, mine.id);
    assert.equal(first.protocol, "static-ct");
    assert.equal(first.submissionUrl, null);
    assert.equal(first.state, null);
    assert.equal(first.operator, null);
    assert.equal(followed[1]?.logId, listed.log_id);
    assert.equal(followed[1]?.submissionUrl, "https://mirror.example.org/shared/");
  });

  it("works without a list, and reports an unusable inline log instead of following it", () => {
    const warnings: string[] = [];
    const good = ecKey();
    const followed = selectFollowedLogs(
      null,
      [
        {
          url: "https://bad.example.org/",
          key: Buffer.from("30ffff", "hex").toString("base64"),
          name: "Bad",
          type: "rfc6962",
        },
        { url: "https://good.example.org/", key: good.b64, type: "rfc6962" },
      ],
      (m) => warnings.push(m),
    );
    assert.deepEqual(
      followed.map((l) => l.logId),
      [good.id],
    );
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? "", /"Bad".*key/);
  });
});

describe("diffLogSelections", () => {
  function listOf(logs: Json[]): CtLogDescriptor[] {
    return selectFollowedLogs(parseOk(docOf([{ name: "Op", logs }])), []);
  }

  it("reports added, removed and changed logs by log id", () => {
    const a = rfcLog("a", "qualified");
    const b = rfcLog("b", "usable");
    const c = rfcLog("c", "usable");
    const d = rfcLog("d", "usable");
    const before = listOf([a, b, c]);
    const root = randomBytes(32).toString("base64");
    const after = listOf([
      { ...a, state: { usable: { timestamp: TS } } },
      { ...b, description: "renamed only" },
      { ...c, state: { retired: { timestamp: TS } } },
      d,
    ]);
    const diff = diffLogSelections(before, after);
    assert.deepEqual(
      diff.added.map((l) => l.logId),
      [d.log_id],
    );
    assert.deepEqual(
      diff.removed.map((l) => l.logId),
      [c.log_id],
    );
    assert.deepEqual(
      diff.changed.map((l) => [l.logId, l.state]),
      [[a.log_id, "usable"]],
    );

    const later = listOf([
      { ...a, url: "https://new.example.com/a/" },
      {
        ...b,
        state: { readonly: { timestamp: TS, final_tree_head: { sha256_root_hash: root, tree_size: 5 } } },
      },
      d,
    ]);
    const diff2 = diffLogSelections(after, later);
    assert.deepEqual(diff2.added, []);
    assert.deepEqual(diff2.removed, []);
    assert.deepEqual(
      diff2.changed.map((l) => l.logId),
      [a.log_id, b.log_id],
    );
    assert.deepEqual(diffLogSelections(later, later), { added: [], removed: [], changed: [] });
  });

  it("treats a log vanishing from the list as removed and an inline log as added", () => {
    const a = rfcLog("a");
    const before = listOf([a]);
    const k = ecKey();
    const after = selectFollowedLogs(null, [{ url: "https://x.example/", key: k.b64, type: "rfc6962" }]);
    const diff = diffLogSelections(before, after);
    assert.deepEqual(
      diff.added.map((l) => l.logId),
      [k.id],
    );
    assert.deepEqual(
      diff.removed.map((l) => l.logId),
      [a.log_id],
    );
  });
});
