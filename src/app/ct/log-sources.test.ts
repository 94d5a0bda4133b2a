import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openStore } from "../../store/open.js";
import type { Store } from "../../store/store.js";
import { HttpClient } from "../../util/http-get.js";
import { FileReadError } from "../../util/read-bounded-file.js";
import { startHttpFixtureServer, type HttpFixtureServer } from "../../../test/helpers/http-fixture-server.js";
import { selectLogs, type LogSourceDeps } from "./log-sources.js";

/** A v3 list with one usable RFC 6962 log, one retired log and one qualified tiled log. */
function logList(): Buffer {
  const key = () =>
    generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "der" });
  const id = (k: Buffer) => createHash("sha256").update(k).digest("base64");
  const [k1, k2, k3] = [key(), key(), key()];
  const doc = {
    version: "1.0",
    log_list_timestamp: "2026-11-25T00:00:00Z",
    operators: [
      {
        name: "Example",
        email: ["ct@example.org"],
        logs: [
          {
            description: "Usable",
            log_id: id(k1),
            key: k1.toString("base64"),
            url: "https://ct.example/a/",
            mmd: 86400,
            state: { usable: { timestamp: "2026-01-01T00:00:00Z" } },
          },
          {
            description: "Retired",
            log_id: id(k2),
            key: k2.toString("base64"),
            url: "https://ct.example/b/",
            mmd: 86400,
            state: { retired: { timestamp: "2026-01-01T00:00:00Z" } },
          },
        ],
        tiled_logs: [
          {
            description: "Tiled",
            log_id: id(k3),
            key: k3.toString("base64"),
            submission_url: "https://log.example/t/",
            monitoring_url: "https://mon.example/t/",
            mmd: 60,
            state: { qualified: { timestamp: "2026-01-01T00:00:00Z" } },
          },
        ],
      },
    ],
  };
  return Buffer.from(JSON.stringify(doc));
}

void describe("which CT logs to follow", () => {
  const signer = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const publicKeyPem = signer.publicKey.export({ type: "spki", format: "pem" }).toString();
  let server: HttpFixtureServer;
  let store: Store;
  let dir: string;
  const http = new HttpClient();
  const json = logList();
  const sig = sign("sha256", json, signer.privateKey);

  before(async () => {
    server = await startHttpFixtureServer({
      "/log_list.json": { kind: "static", body: json },
      "/log_list.sig": { kind: "static", body: sig },
    });
    dir = mkdtempSync(join(tmpdir(), "certwatch-loglist-"));
    store = await openStore("sqlite::memory:");
  });
  after(async () => {
    http.destroy();
    await server.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const deps = (over: Partial<LogSourceDeps> = {}): LogSourceDeps => ({
    store,
    logList: "google",
    inline: [],
    get: (url, maxBytes) => http.get(url, { timeoutMs: 2000, maxBytes }),
    now: () => new Date("2026-11-25T12:00:00Z"),
    listUrl: server.url("/log_list.json"),
    signatureUrl: server.url("/log_list.sig"),
    publicKeyPem,
    ...over,
  });

  void it("follows the usable, qualified and readonly logs of the verified live list, and caches it", async () => {
    const s = await selectLogs(deps());
    assert.equal(s.listSource, "live");
    assert.deepEqual(
      s.logs.map((l) => [l.description, l.protocol, l.url]),
      [
        ["Usable", "rfc6962", "https://ct.example/a/"],
        ["Tiled", "static-ct", "https://mon.example/t/"],
      ],
    );
    assert.ok(await store.getLogListCache(server.url("/log_list.json")));
  });

  void it("falls back to the cached copy when the list cannot be downloaded", async () => {
    server.route("/log_list.json", { kind: "status", status: 503 });
    try {
      const s = await selectLogs(deps());
      assert.equal(s.listSource, "cache (fetched 2026-11-25T12:00:00Z)");
      assert.equal(s.logs.length, 2);
      assert.ok(
        s.warnings.some((w) => /could not download it .*HTTP 503/.test(w)),
        s.warnings.join("\n"),
      );
    } finally {
      server.route("/log_list.json", { kind: "static", body: json });
    }
  });

  void it("refuses a list whose signature does not verify, and never caches it", async () => {
    const tampered = Buffer.from(json.toString().replace("Usable", "Usabl3"));
    server.route("/log_list.json", { kind: "static", body: tampered });
    const empty = await openStore("sqlite::memory:");
    try {
      const s = await selectLogs(deps({ store: empty }));
      assert.equal(s.listSource, "none");
      assert.deepEqual(s.logs, []);
      assert.ok(s.warnings.some((w) => /signature does not verify/.test(w)));
      assert.equal(await empty.getLogListCache(server.url("/log_list.json")), undefined);
    } finally {
      server.route("/log_list.json", { kind: "static", body: json });
      await empty.close();
    }
  });

  void it("an inline log with the key of a listed log replaces it, with a warning naming both URLs", async () => {
    const listed = (JSON.parse(json.toString()) as { operators: { logs: { key: string }[] }[] }).operators[0]
      ?.logs[0]?.key;
    assert.ok(listed !== undefined);
    const mirror = {
      url: "https://mirror.example/a/",
      key: listed,
      name: "Mirror",
      type: "rfc6962" as const,
    };
    const r = await selectLogs(deps({ inline: [mirror] }));
    assert.deepEqual(
      r.logs.map((l) => [l.description, l.url]),
      [
        ["Mirror", "https://mirror.example/a/"],
        ["Tiled", "https://mon.example/t/"],
      ],
    );
    assert.deepEqual(
      r.warnings.filter((w) => w.startsWith("ct.logs:")),
      [
        'ct.logs: https://mirror.example/a/ has the key of "Usable" (https://ct.example/a/) in the log list; following https://mirror.example/a/ only',
      ],
    );
    const same = await selectLogs(deps({ inline: [{ ...mirror, url: "https://ct.example/a/" }] }));
    assert.deepEqual(
      same.warnings.filter((w) => w.startsWith("ct.logs:")),
      [],
    );
  });

  void it("reads a list file without a signature, beside inline logs; 'none' keeps only the inline ones", async () => {
    const file = join(dir, "list.json");
    writeFileSync(file, json);
    const inlineKey = generateKeyPairSync("ec", { namedCurve: "P-256" })
      .publicKey.export({ type: "spki", format: "der" })
      .toString("base64");
    const inline = [{ url: "http://127.0.0.1:9/", key: inlineKey, name: "Mine", type: "rfc6962" as const }];
    const fromFile = await selectLogs(deps({ logList: file, inline }));
    assert.deepEqual(
      fromFile.logs.map((l) => l.description),
      ["Mine", "Usable", "Tiled"],
    );
    const none = await selectLogs(deps({ logList: "none", inline }));
    assert.deepEqual(
      none.logs.map((l) => l.description),
      ["Mine"],
    );
    // A list file that cannot be read is a configuration error naming the field and the file.
    await assert.rejects(
      selectLogs(deps({ logList: join(dir, "nope.json"), inline })),
      (e: unknown) =>
        e instanceof FileReadError && e.field === "ct.logList" && /nope\.json: no such file$/.test(e.message),
    );
    await assert.rejects(
      selectLogs(deps({ logList: "/dev/zero", inline })),
      (e: unknown) => e instanceof FileReadError && /character device/.test(e.message),
    );
    writeFileSync(join(dir, "garbage.json"), "{ not json");
    const garbage = await selectLogs(deps({ logList: join(dir, "garbage.json"), inline }));
    assert.ok(
      garbage.warnings.some((w) => /garbage\.json/.test(w)),
      "a list that does not parse is a warning",
    );
    assert.equal(garbage.logs.length, 1);
  });
});
