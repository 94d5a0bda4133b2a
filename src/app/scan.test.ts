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
import { scan } from "./scan.js";

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
            return probeEndpoint(endpoint, serverName, {
              connectTimeoutMs: 1000,
              handshakeTimeoutMs: 1500,
              httpTimeoutMs: 1500,
              maxResponseHeaderBytes: 65536,
              legacyProtocols: false,
              hsts: true,
            });
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
});
