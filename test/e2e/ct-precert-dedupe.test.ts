/**
 * End to end: a precertificate and its certificate are one certificate (SPEC §1), wherever they are logged —
 * back to back in one batch, split across two batches of one log, in two logs read at the same time, or in
 * two runs. Under a CAA policy that forbids their issuer each pair raises exactly one caa-mismatch (29),
 * evaluated once (one CAA lookup), many pairs at a time so that a race could not hide.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { AlertChange } from "../../src/alerts/reconcile.js";
import { startCtLog, type CtLog } from "../helpers/ct-log.js";
import { issuePrecertPair, type PrecertPair } from "../helpers/precert.js";
import { ctWorld, testCa, type CtWorld, type TestCa } from "./ct-world.js";

const PAIRS = 20;

let allowed: TestCa;
let forbidden: TestCa;
const logs: CtLog[] = [];

before(async () => {
  allowed = await testCa("Alpha");
  forbidden = await testCa("Beta");
});
after(async () => {
  for (const l of logs) await l.close();
});

async function world(commitEvery: number): Promise<CtWorld> {
  return ctWorld({
    roots: [allowed.root, forbidden.root],
    zone: { "contoso.com": { CAA: [{ tag: "issue", value: "alpha.test" }] } },
    caaIssuers: { [allowed.issuerKey]: ["alpha.test"], [forbidden.issuerKey]: ["beta.test"] },
    commitEvery,
  });
}

async function newLog(): Promise<CtLog> {
  const log = await startCtLog();
  logs.push(log);
  return log;
}

async function pairs(prefix: string): Promise<{ name: string; pair: PrecertPair }[]> {
  const out: { name: string; pair: PrecertPair }[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const name = `${prefix}${i}.contoso.com`;
    out.push({ name, pair: await issuePrecertPair(forbidden.issuer, { dnsNames: [name] }) });
  }
  return out;
}

const sha256 = (der: Uint8Array) => createHash("sha256").update(der).digest("hex");
const chain = () => [forbidden.issuer.certDer, forbidden.root.certDer];
const addPrecert = (log: CtLog, p: PrecertPair) =>
  log.addPrecert(p.loggedTbs, p.issuerKeyHash, chain(), { precertificate: p.precertDer });
const addCert = (log: CtLog, p: PrecertPair) => log.addX509(p.certDer, chain());

/** The caa-mismatch changes of a run, by subject. */
function caaChanges(changes: readonly AlertChange[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const c of changes) {
    if (c.alert.name !== "caa-mismatch") continue;
    out.set(c.alert.subject, [...(out.get(c.alert.subject) ?? []), c.kind]);
  }
  return out;
}

/** Each name raised one caa-mismatch, opened once in the run, after one CAA lookup. */
async function assertOncePerPair(w: CtWorld, changes: readonly AlertChange[], names: readonly string[]) {
  const byName = caaChanges(changes);
  for (const name of names)
    assert.deepEqual(byName.get(name), ["opened"], `${name}: ${JSON.stringify(byName.get(name))}`);
  const open = (await w.openAlerts()).filter((a) => a.name === "caa-mismatch" && names.includes(a.subject));
  assert.equal(open.length, names.length, "one caa-mismatch per precertificate and certificate pair");
  for (const name of names) {
    const lookups = w.dns.queries.filter((q) => q.name === name && q.type === "CAA").length;
    assert.equal(lookups, 1, `${name} was evaluated ${lookups} times`);
  }
}

for (const commitEvery of [4096, 3]) {
  void describe(`ct: a precertificate and its certificate raise one alert (batches of ${commitEvery})`, () => {
    void it("back to back in one log, split between two logs read at once, or between two runs", async () => {
      const [a, b] = [await newLog(), await newLog()];
      const w = await world(commitEvery);
      try {
        await w.run([a, b]);
        const together = await pairs("t");
        const split = await pairs("s");
        const later = await pairs("r");
        for (const { pair } of together) {
          addPrecert(a, pair);
          addCert(a, pair);
        }
        // The precertificates in one log, the certificates in the other: both read in the same run.
        for (const { pair } of split) addPrecert(a, pair);
        for (const { pair } of split) addCert(b, pair);
        // These certificates are logged only after the run has read their precertificates.
        for (const { pair } of later) addPrecert(b, pair);
        const first = await w.run([a, b]);
        assert.deepEqual(
          first.logs.map((l) => l.outcome),
          ["ok", "ok"],
        );
        await assertOncePerPair(
          w,
          first.changes,
          [...together, ...split, ...later].map((p) => p.name),
        );
        // In one log the first entry of the pair (the precertificate) is the one that is evaluated.
        const alerts = await w.openAlerts();
        for (const { name, pair } of together) {
          const alert = alerts.find((x) => x.name === "caa-mismatch" && x.subject === name);
          assert.equal(alert?.certificate?.sha256, sha256(pair.precertDer), name);
        }

        for (const { pair } of later) addCert(a, pair);
        const second = await w.run([a, b]);
        assert.equal(second.logs[0]?.matched, PAIRS);
        assert.deepEqual(caaChanges(second.changes), new Map(), "the certificates add nothing");
        for (const { name } of later) {
          assert.equal(w.dns.queries.filter((q) => q.name === name && q.type === "CAA").length, 1, name);
        }
        assert.equal((await w.openAlerts()).filter((x) => x.name === "caa-mismatch").length, 3 * PAIRS);
      } finally {
        await w.close();
      }
    });
  });
}
