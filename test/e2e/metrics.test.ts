/**
 * End to end: a real scan of TLS servers on loopback (one serving a certificate whose subject is hostile), then
 * a scrape of the metrics registry over the same SQLite store, parsed as Prometheus would parse it.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { metricsHandler, metricsRegistry } from "../../src/metrics/index.js";
import { createRootCa, issueIntermediate, issueLeaf, type Issued } from "../helpers/pki.js";
import { parseExposition, samplesOf, type Exposition } from "../helpers/prom-text.js";
import { startTlsServer, type RunningServer } from "../helpers/tls-servers.js";
import { scanWorld, type ScanWorld } from "./scan-world.js";

const DAY = 86_400_000;
const days = (n: number) => new Date(Date.now() + n * DAY);
const seconds = (c: Issued) => Math.floor(c.cert.notAfter.getTime() / 1000);
/** Quote, closing brace, newline, backslash: what would break a label written without escaping. */
const HOSTILE_SUBJECT = 'CN=evil"} injected{x=\\"1\\"}\\0Anext line \\\\ end, O=Evil';
const HOSTILE_CN = 'evil"} injected{x="1"}\nnext line \\ end';

describe("/metrics over a real scan", () => {
  let world: ScanWorld;
  let int: Issued;
  let good: Issued;
  let hostile: Issued;
  const servers: RunningServer[] = [];
  let exposition: Exposition;
  let body: string;

  before(async () => {
    const root = await createRootCa({ subject: "CN=certwatch Metrics Root", freshKey: true });
    int = await issueIntermediate(root, {
      subject: "CN=certwatch Metrics Intermediate, O=Test PKI, C=US",
      notAfter: days(60),
    });
    good = await issueLeaf(int, {
      dnsNames: ["good.test"],
      subject: "C=US, ST=Washington, L=Redmond, O=Contoso, OU=Web, CN=good.test",
      serialNumber: "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
      notAfter: days(90),
    });
    hostile = await issueLeaf(int, {
      dnsNames: ["hostile.test"],
      subject: HOSTILE_SUBJECT,
      notAfter: days(30),
    });
    assert.equal(hostile.cert.subjectName.getField("CN")[0], HOSTILE_CN, "the test certificate's CN");
    servers.push(await startTlsServer({ chain: [good, int], key: good, hsts: "max-age=31536000" }));
    servers.push(await startTlsServer({ chain: [hostile, int], key: hostile, hsts: null }));
    world = await scanWorld([root], {
      "good.test": { A: ["127.0.0.1"] },
      "hostile.test": { A: ["127.0.0.1"] },
    });
    await world.run([
      { host: "good.test", port: servers[0]!.port },
      { host: "hostile.test", port: servers[1]!.port },
    ]);
    const scrape = metricsHandler(metricsRegistry({ store: world.store, now: () => new Date() }));
    body = (await scrape()).body;
    exposition = parseExposition(body);
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await world?.close();
  });

  it("probe_ssl_earliest_cert_expiry: per endpoint, the earliest notAfter of the chain it served", () => {
    assert.deepEqual(
      samplesOf(exposition, "probe_ssl_earliest_cert_expiry").map((s) => [
        s.labels.instance,
        s.labels.address,
        s.value,
      ]),
      [
        [`good.test:${servers[0]!.port}`, "127.0.0.1", seconds(int)], // the intermediate expires first
        [`hostile.test:${servers[1]!.port}`, "127.0.0.1", seconds(hostile)],
      ],
    );
  });

  it("x509_cert_not_after: one series per served certificate, labelled as x509-certificate-exporter does", () => {
    const series = samplesOf(exposition, "x509_cert_not_after");
    assert.equal(series.length, 3);
    const leaf = samplesOf(exposition, "x509_cert_not_after", { subject_CN: "good.test" });
    assert.equal(leaf.length, 1);
    assert.deepEqual(leaf[0]!.labels, {
      serial_number: "13433369256225207278633426983318972665",
      subject_C: "US",
      subject_ST: "Washington",
      subject_L: "Redmond",
      subject_O: "Contoso",
      subject_OU: "Web",
      subject_CN: "good.test",
      issuer_C: "US",
      issuer_ST: "",
      issuer_L: "",
      issuer_O: "Test PKI",
      issuer_OU: "",
      issuer_CN: "certwatch Metrics Intermediate",
      // the certificate's SHA-256, as the inventory and the API name it
      sha256: createHash("sha256").update(good.certDer).digest("hex"),
    });
    assert.equal(leaf[0]!.value, seconds(good));
    assert.equal(samplesOf(exposition, "x509_cert_expired", { subject_CN: "good.test" })[0]?.value, 0);
  });

  it("a hostile subject stays inside its label: escaped by the exposition, control characters shown", () => {
    const evil = samplesOf(exposition, "x509_cert_not_after", { subject_O: "Evil" });
    assert.equal(evil.length, 1);
    // The newline is written as a visible \n (as the CLI shows it); quotes and braces are quoted by the format.
    assert.equal(evil[0]!.labels.subject_CN, HOSTILE_CN.replace("\n", "\\n"));
    assert.equal(evil[0]!.value, seconds(hostile));
    // No sample was forged from the CN's text, and every line of the body is one the parser accepted.
    assert.deepEqual(samplesOf(exposition, "injected"), []);
    assert.equal(body.split("\n").filter((l) => l.includes("evil")).length, 3); // not_after, not_before, expired
  });

  it("certwatch_alerts_open counts what the scan raised, by event and severity", async () => {
    const open = await world.store.listAlerts({ status: "open" });
    assert.ok(open.length > 0);
    const expected = new Map<string, number>();
    for (const a of open) {
      const k = `${a.eventId}/${a.severity}`;
      expected.set(k, (expected.get(k) ?? 0) + 1);
    }
    const got = new Map(
      samplesOf(exposition, "certwatch_alerts_open").map((s) => [
        `${s.labels.event_id}/${s.labels.severity}`,
        s.value,
      ]),
    );
    assert.deepEqual(got, expected);
    assert.ok(got.has("42/medium"), "hostile.test serves no HSTS header");
  });
});
