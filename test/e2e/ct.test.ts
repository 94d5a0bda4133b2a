/**
 * End to end: the CT use case against real local logs (RFC 6962 and Static CT API), a DNS server for CAA
 * and an SQLite store. Each event of the CT family, precertificate + certificate, backfill, and the faults.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { issueLeaf } from "../helpers/pki.js";
import { issuePrecertPair } from "../helpers/precert.js";
import { startCtLog, type CtLog } from "../helpers/ct-log.js";
import { scan } from "../../src/app/scan.js";
import { DEFAULT_THRESHOLDS } from "../../src/checks/context.js";
import { TrustStore } from "../../src/pki/trust-store.js";
import { probeEndpoint } from "../../src/sources/tls/prober.js";
import { startTlsServer } from "../helpers/tls-servers.js";
import { asStatic, byEvent, ctWorld, parsed, testCa, type TestCa } from "./ct-world.js";
import { FAST_PROBE } from "./scan-world.js";

let caA: TestCa;
let caB: TestCa;
const logs: CtLog[] = [];

async function newLog(opts: Parameters<typeof startCtLog>[0] = {}): Promise<CtLog> {
  const log = await startCtLog(opts);
  logs.push(log);
  return log;
}

async function leaf(ca: TestCa, dnsNames: string[], o: { notBefore?: Date; notAfter?: Date } = {}) {
  const l = await issueLeaf(ca.issuer, { dnsNames, ...o });
  return l.certDer;
}

before(async () => {
  caA = await testCa("Alpha");
  caB = await testCa("Beta");
});
after(async () => {
  for (const l of logs) await l.close();
});

void describe("ct: following a log", () => {
  void it("starts at the end: history raises nothing, new names raise new-subdomain once", async () => {
    const log = await newLog();
    log.addX509(await leaf(caA, ["www.contoso.com"]), [caA.issuer.certDer, caA.root.certDer]);
    const w = await ctWorld({ roots: [caA.root] });
    try {
      const first = await w.run([log]);
      assert.equal(first.logs[0]?.outcome, "ok");
      assert.equal(first.logs[0]?.entriesRead, 0, "startAt end reads nothing of the past");
      assert.deepEqual(await w.openAlerts(), []);

      log.addX509(await leaf(caA, ["shop.contoso.com", "unrelated.example"]), [
        caA.issuer.certDer,
        caA.root.certDer,
      ]);
      log.addX509(await leaf(caA, ["other.example"]), [caA.issuer.certDer]);
      const second = await w.run([log]);
      assert.equal(second.logs[0]?.entriesRead, 2);
      assert.equal(second.logs[0]?.matched, 1);
      assert.deepEqual(byEvent(await w.openAlerts()), { "new-subdomain": ["shop.contoso.com"] });
      const [alert] = await w.openAlerts();
      assert.equal(alert?.source, "ct");
      assert.deepEqual(alert?.certificate?.dnsNames, ["shop.contoso.com", "unrelated.example"]);
      assert.equal(alert?.details["index"], 1);

      // Nothing new: nothing read, nothing raised, the log is caught up.
      const third = await w.run([log]);
      assert.equal(third.logs[0]?.entriesRead, 0);
      assert.equal(third.logs[0]?.lagEntries, 0);
      assert.deepEqual(
        third.changes.filter((c) => c.kind === "opened"),
        [],
      );
    } finally {
      await w.close();
    }
  });

  void it("a precertificate and its certificate are one certificate: one alert, both stored", async () => {
    const log = await newLog();
    const w = await ctWorld({ roots: [caA.root] });
    try {
      await w.run([log]);
      const pair = await issuePrecertPair(caA.issuer, { dnsNames: ["api.contoso.com"] });
      log.addPrecert(pair.loggedTbs, pair.issuerKeyHash, [caA.issuer.certDer, caA.root.certDer], {
        precertificate: pair.precertDer,
      });
      const r1 = await w.run([log]);
      assert.deepEqual(
        r1.changes.map((c) => [c.kind, c.alert.name]),
        [["opened", "new-subdomain"]],
      );
      log.addX509(pair.certDer, [caA.issuer.certDer, caA.root.certDer]);
      const r2 = await w.run([log]);
      assert.equal(r2.logs[0]?.matched, 1);
      assert.deepEqual(
        r2.changes.filter((c) => c.kind !== "resolved" && c.alert.eventId !== 99),
        [],
      );
      assert.equal((await w.openAlerts()).length, 1);
      // Both forms are known for event 19 ("newer certificate seen in CT").
      assert.equal((await w.store.certificatesForName("api.contoso.com")).length, 2);
    } finally {
      await w.close();
    }
  });

  void it("backfill (startAt beginning) records history without alerts, then following raises them", async () => {
    const log = await newLog();
    for (const name of ["a", "b", "c"]) {
      log.addX509(await leaf(caA, [`${name}.contoso.com`]), [caA.issuer.certDer, caA.root.certDer]);
    }
    const w = await ctWorld({ startAt: "beginning", roots: [caA.root] });
    try {
      const r = await w.run([log]);
      assert.equal(r.logs[0]?.entriesRead, 3);
      assert.equal(r.logs[0]?.matched, 3);
      assert.deepEqual(await w.openAlerts(), []);
      assert.equal((await w.store.knownNames(["a.contoso.com", "b.contoso.com"])).size, 2);

      log.addX509(await leaf(caA, ["a.contoso.com", "d.contoso.com"]), [
        caA.issuer.certDer,
        caA.root.certDer,
      ]);
      await w.run([log]);
      assert.deepEqual(byEvent(await w.openAlerts()), { "new-subdomain": ["d.contoso.com"] });
    } finally {
      await w.close();
    }
  });

  void it("different-root: a root outside the baseline built by backfill, unless allowed", async () => {
    const log = await newLog();
    log.addX509(await leaf(caA, ["www.contoso.com"]), [caA.issuer.certDer, caA.root.certDer]);
    const w = await ctWorld({ startAt: "beginning", roots: [caA.root, caB.root] });
    try {
      await w.run([log]);
      log.addX509(await leaf(caB, ["www.contoso.com"]), [caB.issuer.certDer, caB.root.certDer]);
      log.addX509(await leaf(caA, ["www.contoso.com"]), [caA.issuer.certDer, caA.root.certDer]);
      await w.run([log]);
      const alerts = await w.openAlerts();
      assert.deepEqual(byEvent(alerts), { "different-root": ["www.contoso.com"] });
      const root = alerts[0]?.details["root"] as { subject: string; spkiSha256: string };
      assert.equal(root.spkiSha256, caB.rootKey);
      assert.match(root.subject, /Beta Root/);
      // The chain in extra_data may stop at the intermediate: the trust store supplies the root.
      log.addX509(await leaf(caB, ["api.contoso.com"]), [caB.issuer.certDer]);
      const r = await w.run([log]);
      assert.deepEqual(
        r.changes.filter((c) => c.alert.name === "different-root").length,
        0,
        "B is in the baseline now",
      );
    } finally {
      await w.close();
    }
    const allowed = await ctWorld({
      startAt: "beginning",
      roots: [caA.root, caB.root],
      allowedRoots: [caA.rootKey, caB.rootKey],
    });
    try {
      const log2 = await newLog();
      log2.addX509(await leaf(caA, ["www.contoso.com"]), [caA.issuer.certDer, caA.root.certDer]);
      await allowed.run([log2]);
      log2.addX509(await leaf(caB, ["x.contoso.com"]), [caB.issuer.certDer, caB.root.certDer]);
      await allowed.run([log2]);
      assert.deepEqual(byEvent(await allowed.openAlerts()), { "new-subdomain": ["x.contoso.com"] });
    } finally {
      await allowed.close();
    }
  });

  void it("caa-mismatch: issuer not authorised by the name's CAA set (tree climbing), or unmapped", async () => {
    const log = await newLog();
    const caC = await testCa("Gamma");
    const w = await ctWorld({
      roots: [caA.root, caB.root, caC.root],
      zone: {
        "contoso.com": {
          CAA: [
            { tag: "issue", value: "alpha.test" },
            { tag: "iodef", value: "mailto:sec@contoso.com" },
          ],
        },
        "open.contoso.com": { CAA: [{ tag: "issue", value: "beta.test; validationmethods=dns-01" }] },
      },
      caaIssuers: { [caA.issuerKey]: ["alpha.test"], [caB.issuerKey]: ["beta.test"] },
    });
    try {
      await w.run([log]);
      log.addX509(await leaf(caA, ["www.contoso.com"]), [caA.issuer.certDer, caA.root.certDer]);
      log.addX509(await leaf(caB, ["pay.contoso.com"]), [caB.issuer.certDer, caB.root.certDer]);
      log.addX509(await leaf(caB, ["x.open.contoso.com"]), [caB.issuer.certDer, caB.root.certDer]);
      log.addX509(await leaf(caC, ["mail.contoso.com"]), [caC.issuer.certDer, caC.root.certDer]);
      await w.run([log]);
      const caa = (await w.openAlerts()).filter((a) => a.name === "caa-mismatch");
      assert.deepEqual(caa.map((a) => [a.subject, a.details["reason"]]).sort(), [
        ["mail.contoso.com", "unmapped-issuer"],
        ["pay.contoso.com", "not-authorised"],
      ]);
      const pay = caa.find((a) => a.subject === "pay.contoso.com");
      const names = pay?.details["names"] as {
        name: string;
        owner: string;
        records: { tag: string; value: string }[];
      }[];
      assert.equal(names[0]?.owner, "contoso.com", "the record set found by climbing from pay.contoso.com");
      assert.deepEqual(
        names[0]?.records.map((r) => `${r.tag} ${r.value}`),
        ["issue alpha.test", "iodef mailto:sec@contoso.com"],
      );
    } finally {
      await w.close();
    }
  });

  void it("a CAA lookup that fails (SERVFAIL) raises no caa-mismatch, and says so in the log", async () => {
    const log = await newLog();
    const w = await ctWorld({
      roots: [caB.root],
      zone: { "contoso.com": { servfail: true, behaviourTypes: ["CAA"] } },
      caaIssuers: { [caA.issuerKey]: ["alpha.test"] },
    });
    try {
      await w.run([log]);
      log.addX509(await leaf(caB, ["dark.contoso.com"]), [caB.issuer.certDer, caB.root.certDer]);
      await w.run([log]);
      assert.deepEqual(byEvent(await w.openAlerts()), { "new-subdomain": ["dark.contoso.com"] });
      assert.ok(
        w.lines.some((l) => /CAA lookup for dark\.contoso\.com .*inconclusive/.test(l)),
        w.lines.join("\n"),
      );
    } finally {
      await w.close();
    }
  });

  void it("certificate-expiring-not-renewed for a watched name's newest certificate, resolved by a renewal", async () => {
    const log = await newLog();
    const now = new Date();
    const day = 86_400_000;
    log.addX509(
      await leaf(caA, ["www.contoso.com"], {
        notBefore: new Date(now.getTime() - 80 * day),
        notAfter: new Date(now.getTime() + 10 * day),
      }),
      [caA.issuer.certDer, caA.root.certDer],
    );
    const w = await ctWorld({ startAt: "beginning", roots: [caA.root] });
    try {
      await w.run([log]);
      assert.deepEqual(byEvent(await w.openAlerts()), {
        "certificate-expiring-not-renewed": ["www.contoso.com"],
      });
      log.addX509(await leaf(caA, ["www.contoso.com"]), [caA.issuer.certDer, caA.root.certDer]);
      const r = await w.run([log]);
      assert.deepEqual(
        r.changes.filter((c) => c.kind === "resolved").map((c) => c.alert.name),
        ["certificate-expiring-not-renewed"],
      );
      assert.deepEqual(await w.openAlerts(), []);
    } finally {
      await w.close();
    }
  });
});

void describe("ct: a Static CT API (tiled) log", () => {
  void it("reads tiles (partial and gzip), fetches issuers, and raises the same events", async () => {
    const log = asStatic(await newLog({ staticApi: { gzip: true } }));
    for (let i = 0; i < 300; i++)
      log.addX509(await leaf(caA, [`filler${i}.example`]), [caA.issuer.certDer, caA.root.certDer]);
    const w = await ctWorld({ roots: [caA.root, caB.root], startAt: "beginning" });
    try {
      log.addX509(await leaf(caA, ["www.contoso.com"]), [caA.issuer.certDer, caA.root.certDer]);
      const first = await w.run([log]);
      assert.equal(first.logs[0]?.outcome, "ok", first.logs[0]?.error ?? "");
      assert.equal(first.logs[0]?.entriesRead, 301);
      const pair = await issuePrecertPair(caB.issuer, { dnsNames: ["tiles.contoso.com"] });
      log.addPrecert(pair.loggedTbs, pair.issuerKeyHash, [caB.issuer.certDer, caB.root.certDer], {
        precertificate: pair.precertDer,
      });
      log.addX509(pair.certDer, [caB.issuer.certDer, caB.root.certDer]);
      const second = await w.run([log]);
      assert.equal(second.logs[0]?.entriesRead, 2);
      assert.deepEqual(byEvent(await w.openAlerts()), {
        "different-root": ["tiles.contoso.com"],
        "new-subdomain": ["tiles.contoso.com"],
      });
    } finally {
      await w.close();
    }
  });
});

void describe("ct: a log that misbehaves or fails", () => {
  void it("a bad tree head signature raises ct-log-misbehaving and reads nothing; a good one resolves it", async () => {
    const log = await newLog();
    const w = await ctWorld({ roots: [caA.root] });
    try {
      await w.run([log]);
      log.addX509(await leaf(caA, ["sig.contoso.com"]), [caA.issuer.certDer, caA.root.certDer]);
      log.faults = { badSthSignature: true };
      const bad = await w.run([log]);
      assert.equal(bad.logs[0]?.outcome, "misbehaving");
      assert.deepEqual(byEvent(await w.openAlerts()), {
        "ct-log-misbehaving": [bad.logs[0]?.description ?? ""],
      });
      assert.equal((await w.openAlerts())[0]?.details["reason"], "sth-signature");
      log.faults = {};
      const good = await w.run([log]);
      assert.equal(good.logs[0]?.outcome, "ok");
      assert.deepEqual(byEvent(await w.openAlerts()), { "new-subdomain": ["sig.contoso.com"] });
    } finally {
      await w.close();
    }
  });

  void it("entries that do not hash to the signed root: 102, position rolled back, nothing skipped later", async () => {
    const log = await newLog();
    const w = await ctWorld({ roots: [caA.root] });
    try {
      await w.run([log]);
      log.addX509(await leaf(caA, ["root.contoso.com"]), [caA.issuer.certDer, caA.root.certDer]);
      log.faults = { wrongRoot: true };
      const bad = await w.run([log]);
      assert.equal(bad.logs[0]?.outcome, "misbehaving");
      const state = await w.store.getCtLogState(bad.logs[0]?.logId ?? "");
      assert.equal(state?.position, 0, "back to the last verified head");
      log.faults = {};
      const good = await w.run([log]);
      assert.equal(good.logs[0]?.entriesRead, 1, "the entry is read again");
      const open = byEvent(await w.openAlerts());
      assert.deepEqual(open, { "new-subdomain": ["root.contoso.com"] });
    } finally {
      await w.close();
    }
  });

  void it("a log that rewrites its history is inconsistent: 102 with the consistency failure", async () => {
    const log = await newLog();
    log.addX509(await leaf(caA, ["one.example"]), []);
    log.addX509(await leaf(caA, ["two.example"]), []);
    const w = await ctWorld({ roots: [caA.root] });
    try {
      await w.run([log]);
      log.rewrite(0, await leaf(caA, ["evil.example"]));
      log.addX509(await leaf(caA, ["three.example"]), []);
      const r = await w.run([log]);
      assert.equal(r.logs[0]?.outcome, "misbehaving");
      const [alert] = await w.openAlerts();
      assert.equal(alert?.name, "ct-log-misbehaving");
      assert.equal(alert?.details["reason"], "consistency");
    } finally {
      await w.close();
    }
  });

  void it("a truncated get-entries answer is retried later: no alert, no skipped entry", async () => {
    const log = await newLog();
    const w = await ctWorld({ roots: [caA.root] });
    try {
      await w.run([log]);
      log.addX509(await leaf(caA, ["cut.contoso.com"]), [caA.issuer.certDer, caA.root.certDer]);
      log.faults = { truncateEntries: true };
      const cut = await w.run([log]);
      assert.equal(cut.logs[0]?.outcome, "unavailable");
      assert.equal(cut.logs[0]?.entriesRead, 0);
      assert.deepEqual(await w.openAlerts(), []);
      log.faults = {};
      await w.run([log]);
      assert.deepEqual(byEvent(await w.openAlerts()), { "new-subdomain": ["cut.contoso.com"] });
    } finally {
      await w.close();
    }
  });

  void it("a malformed leaf is recorded with its log and index; the entries after it are processed", async () => {
    const log = await newLog();
    const w = await ctWorld({ roots: [caA.root] });
    try {
      await w.run([log]);
      log.addRaw(Buffer.from("0001deadbeef", "hex"), Buffer.alloc(3));
      log.addX509(await leaf(caA, ["after.contoso.com"]), [caA.issuer.certDer, caA.root.certDer]);
      const r = await w.run([log]);
      assert.equal(r.logs[0]?.outcome, "ok");
      assert.equal(r.logs[0]?.entryErrors, 1);
      assert.ok(
        w.lines.some((l) => /entry 0: .*/.test(l)),
        w.lines.join("\n"),
      );
      assert.deepEqual(byEvent(await w.openAlerts()), { "new-subdomain": ["after.contoso.com"] });
    } finally {
      await w.close();
    }
  });
});

void describe("ct: politeness, bootstrap faults and follow mode", () => {
  void it("a log answering 429 with Retry-After is waited for, then read", async () => {
    const log = await newLog();
    const w = await ctWorld({ roots: [caA.root] });
    try {
      await w.run([log]);
      log.addX509(await leaf(caA, ["busy.contoso.com"]), [caA.issuer.certDer, caA.root.certDer]);
      log.faults = { failNext: { count: 2, status: 429, retryAfter: "1", path: "get-entries" } };
      const started = Date.now();
      const r = await w.run([log]);
      assert.equal(r.logs[0]?.outcome, "ok", r.logs[0]?.error ?? "");
      assert.ok(Date.now() - started >= 1900, "Retry-After: 1 was honoured twice");
      assert.deepEqual(byEvent(await w.openAlerts()), { "new-subdomain": ["busy.contoso.com"] });
    } finally {
      await w.close();
    }
  });

  void it("a tiled log whose hash tiles do not reproduce its checkpoint is never followed: 102", async () => {
    const log = asStatic(await newLog({ staticApi: {} }));
    for (let i = 0; i < 5; i++) log.addX509(await leaf(caA, [`t${i}.example`]), []);
    log.faults = { corruptHashTile: true };
    const w = await ctWorld({ roots: [caA.root] });
    try {
      const r = await w.run([log]);
      assert.equal(r.logs[0]?.outcome, "misbehaving");
      const [alert] = await w.openAlerts();
      assert.equal(alert?.name, "ct-log-misbehaving");
      assert.equal(alert?.details["reason"], "hash-tile");
      assert.equal(await w.store.getCtLogState(r.logs[0]?.logId ?? ""), undefined, "no position was saved");
      log.faults = {};
      const healed = await w.run([log]);
      assert.equal(healed.logs[0]?.outcome, "ok");
      assert.deepEqual(await w.openAlerts(), []);
    } finally {
      await w.close();
    }
  });

  void it("follow mode reads new entries as they come and picks up a log added to the list", async () => {
    const first = await newLog();
    const second = await newLog();
    const w = await ctWorld({ roots: [caA.root] });
    const following: CtLog[] = [first];
    const abort = new AbortController();
    const opened: string[] = [];
    let runs = 0;
    try {
      const done = w.follow(() => [...following], {
        pollMs: 50,
        refreshMs: 0,
        signal: abort.signal,
        onRun: (r) => {
          runs++;
          for (const c of r.changes) if (c.kind === "opened") opened.push(c.alert.subject);
        },
      });
      const waitFor = async (what: () => boolean) => {
        for (let i = 0; i < 200 && !what(); i++) await new Promise((r) => setTimeout(r, 25));
        assert.ok(what());
      };
      await waitFor(() => runs >= 1);
      first.addX509(await leaf(caA, ["f1.contoso.com"]), [caA.issuer.certDer, caA.root.certDer]);
      await waitFor(() => opened.includes("f1.contoso.com"));
      following.push(second);
      await waitFor(() => runs >= 4);
      second.addX509(await leaf(caA, ["f2.contoso.com"]), [caA.issuer.certDer, caA.root.certDer]);
      await waitFor(() => opened.includes("f2.contoso.com"));
      abort.abort();
      await done;
      assert.deepEqual(opened.sort(), ["f1.contoso.com", "f2.contoso.com"]);
    } finally {
      abort.abort();
      await w.close();
    }
  });
});

void describe("ct feeds the scan", () => {
  void it("a renewal seen in CT makes the scan of a server still serving the old certificate raise 19, not 99", async () => {
    const log = await newLog();
    const now = Date.now();
    const day = 86_400_000;
    const old = await issueLeaf(caA.issuer, {
      dnsNames: ["www.contoso.com"],
      notBefore: new Date(now - 80 * day),
      notAfter: new Date(now + 10 * day),
    });
    const server = await startTlsServer({ chain: [old, caA.issuer], key: old, hsts: "max-age=31536000" });
    const w = await ctWorld({ roots: [caA.root] });
    try {
      await w.run([log]);
      log.addX509(await leaf(caA, ["www.contoso.com"]), [caA.issuer.certDer, caA.root.certDer]);
      await w.run([log]);
      const target = {
        host: "www.contoso.com",
        port: server.port,
        addresses: ["127.0.0.1"],
      };
      await scan(
        {
          store: w.store,
          trust: new TrustStore([parsed(caA.root)]),
          resolveAddresses: () => Promise.resolve({ kind: "ok", addresses: ["127.0.0.1"] }),
          probe: (endpoint, serverName) => probeEndpoint(endpoint, serverName, FAST_PROBE),
          now: () => new Date(),
        },
        { targets: [target], concurrency: 1, thresholds: DEFAULT_THRESHOLDS },
      );
      const names = (await w.openAlerts())
        .filter((a) => a.source === "tls")
        .map((a) => a.name)
        .sort();
      assert.deepEqual(names, ["installed-certificate-expiring", "renewal-not-installed"]);
      const renewal = (await w.openAlerts()).find((a) => a.name === "renewal-not-installed");
      assert.ok(renewal?.details["newerCertificate"], "names the renewal seen in CT");
    } finally {
      await server.close();
      await w.close();
    }
  });
});

void describe("ct: the checkpoint origin of a tiled log is its submission prefix", () => {
  void it("reads a log whose origin is its submission URL; the monitoring URL alone is the wrong origin (102)", async () => {
    const opts = { staticApi: { origin: "log.contoso-ct.example/2026h2" } };
    const right = asStatic(await newLog(opts), { submissionUrl: "https://log.contoso-ct.example/2026h2/" });
    right.addX509(await leaf(caA, ["o.example"]), []);
    const wrong = asStatic(await newLog(opts));
    const w = await ctWorld({ roots: [caA.root] });
    try {
      const r = await w.run([right, wrong]);
      const outcome = Object.fromEntries(r.logs.map((l) => [l.url, [l.outcome, l.error]]));
      assert.equal(outcome[right.url]?.[0], "ok", String(outcome[right.url]?.[1]));
      assert.equal(outcome[wrong.url]?.[0], "misbehaving");
      const [alert] = await w.openAlerts();
      assert.equal(alert?.details["reason"], "checkpoint-origin");
    } finally {
      await w.close();
    }
  });
});
