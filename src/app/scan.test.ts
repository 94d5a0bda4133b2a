import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createRootCa, issueIntermediate, issueLeaf } from "../../test/helpers/pki.js";
import { startTlsServer } from "../../test/helpers/tls-servers.js";
import { DEFAULT_THRESHOLDS } from "../checks/context.js";
import type { Endpoint } from "../domain/endpoint.js";
import { parseCertificate } from "../pki/certificate.js";
import { TrustStore } from "../pki/trust-store.js";
import { probeEndpoint } from "../sources/tls/prober.js";
import { openStore } from "../store/open.js";
import { FAST_PROBE } from "../../test/e2e/scan-world.js";
import { scan } from "./scan.js";

const PROBE = { ...FAST_PROBE, legacyProtocols: false };

describe("scan use case", () => {
  it("connects to IP-literal hosts without DNS and sends no SNI", async () => {
    const root = await createRootCa({ freshKey: true });
    const int = await issueIntermediate(root, { freshKey: true });
    const leaf = await issueLeaf(int, { ipAddresses: ["127.0.0.1"] });
    const server = await startTlsServer({ chain: [leaf, int], key: leaf, hsts: "max-age=31536000" });
    const dir = mkdtempSync(join(tmpdir(), "certwatch-scan-"));
    const store = await openStore(`sqlite:${join(dir, "db.sqlite")}`);
    const root0 = parseCertificate(root.certDer);
    assert.ok(root0.ok);
    const probed: { endpoint: Endpoint; serverName: string | null }[] = [];
    try {
      const report = await scan(
        {
          store,
          trust: new TrustStore([root0.cert]),
          resolveAddresses: () => Promise.reject(new Error("DNS must not be asked about an IP literal")),
          probe: (endpoint, serverName) => {
            probed.push({ endpoint, serverName });
            return probeEndpoint(endpoint, serverName, PROBE);
          },
          now: () => new Date(),
        },
        {
          targets: [{ host: "127.0.0.1", port: server.port }],
          concurrency: 4,
          thresholds: DEFAULT_THRESHOLDS,
        },
      );
      assert.deepEqual(probed, [
        { endpoint: { host: "127.0.0.1", port: server.port, address: "127.0.0.1" }, serverName: null },
      ]);
      assert.deepEqual(report.outcomes, { served: 1, "no-certificate": 0, unreachable: 0 });
      assert.deepEqual(await store.listAlerts({ status: "all" }), [], "the IP SAN matches the IP endpoint");
    } finally {
      await store.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a renewal served by another host counts in the first scan, whatever order the hosts finish in", async () => {
    const root = await createRootCa({ freshKey: true });
    const int = await issueIntermediate(root, { freshKey: true });
    const day = 86_400_000;
    const old = await issueLeaf(int, {
      dnsNames: ["a.wild.test"],
      notBefore: new Date(Date.now() - 80 * day),
      notAfter: new Date(Date.now() + 5 * day),
    });
    // A renewal lists the same names (here one more): served by the other host.
    const renewed = await issueLeaf(int, { dnsNames: ["b.wild.test", "a.wild.test"] });
    const a = await startTlsServer({ chain: [old, int], key: old, hsts: "max-age=31536000" });
    const b = await startTlsServer({ chain: [renewed, int], key: renewed, hsts: "max-age=31536000" });
    const dir = mkdtempSync(join(tmpdir(), "certwatch-scan-"));
    const store = await openStore(`sqlite:${join(dir, "db.sqlite")}`);
    const anchor = parseCertificate(root.certDer);
    assert.ok(anchor.ok);
    try {
      await scan(
        {
          store,
          trust: new TrustStore([anchor.cert]),
          resolveAddresses: () => Promise.resolve({ kind: "ok", addresses: ["127.0.0.1"] }),
          probe: async (endpoint, serverName) => {
            // The host serving the renewal answers last.
            if (endpoint.host === "b.wild.test") await new Promise((r) => setTimeout(r, 300));
            return probeEndpoint(endpoint, serverName, PROBE);
          },
          now: () => new Date(),
        },
        {
          targets: [
            { host: "a.wild.test", port: a.port },
            { host: "b.wild.test", port: b.port },
          ],
          concurrency: 4,
          thresholds: DEFAULT_THRESHOLDS,
        },
      );
      const names = (await store.listAlerts({ status: "all" })).map((x) => `${x.subject} ${x.name}`).sort();
      assert.deepEqual(names, [
        "a.wild.test installed-certificate-expiring",
        "a.wild.test renewal-not-installed",
      ]);
    } finally {
      await store.close();
      await a.close();
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
