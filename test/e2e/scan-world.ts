/**
 * @module test/e2e/scan-world
 * A small world for end-to-end scans: a trusted test CA, a DNS server naming every test host, TLS
 * servers on loopback, and a scan wired with the real adapters (SQLite store, DNS client, prober).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { scan, type ScanReport } from "../../src/app/scan.js";
import { DEFAULT_THRESHOLDS } from "../../src/checks/context.js";
import type { Target } from "../../src/domain/endpoint.js";
import { parseCertificate } from "../../src/pki/certificate.js";
import { TrustStore } from "../../src/pki/trust-store.js";
import { createDnsClient } from "../../src/sources/dns/resolver.js";
import { RevocationSource, type RevocationOptions } from "../../src/sources/revocation/revocation-source.js";
import { probeEndpoint, type ProbeOptions } from "../../src/sources/tls/prober.js";
import { openStore } from "../../src/store/open.js";
import type { Store } from "../../src/store/store.js";
import { startDnsServer, type DnsServer, type ZoneSpec } from "../helpers/dns-server.js";
import type { Issued } from "../helpers/pki.js";

export const FAST_PROBE: ProbeOptions = {
  connectTimeoutMs: 1000,
  handshakeTimeoutMs: 1500,
  httpTimeoutMs: 1500,
  maxResponseHeaderBytes: 65536,
  legacyProtocols: true,
  hsts: true,
};

export interface ScanWorld {
  readonly store: Store;
  readonly dns: DnsServer;
  run(targets: readonly Target[], now?: Date): Promise<ScanReport>;
  close(): Promise<void>;
}

export const FAST_REVOCATION: RevocationOptions = {
  crl: true,
  ocsp: true,
  timeoutMs: 1500,
  crlMaxBytes: 8 * 1024 * 1024,
  ocspMaxBytes: 65536,
  // The test CAs publish on 127.0.0.1: loopback must be allowed (the default refuses it).
  allowPrivateAddresses: true,
  maxDistributionPoints: 3,
  concurrency: 8,
};

export async function scanWorld(
  roots: readonly Issued[],
  zone: ZoneSpec,
  opts: { revocation?: RevocationOptions } = {},
): Promise<ScanWorld> {
  const dir = mkdtempSync(join(tmpdir(), "certwatch-e2e-"));
  const store = await openStore(`sqlite:${join(dir, "certwatch.db")}`);
  const dns = await startDnsServer(zone);
  const client = createDnsClient({ servers: [dns.server], timeoutMs: 1000, tries: 2 });
  const trust = new TrustStore(
    roots.map((r) => {
      const p = parseCertificate(r.certDer);
      if (!p.ok) throw new Error(p.error);
      return p.cert;
    }),
  );
  return {
    store,
    dns,
    run: (targets, now) =>
      scan(
        {
          store,
          trust,
          resolveAddresses: (host) => client.resolveAddresses(host),
          probe: (endpoint, serverName) => probeEndpoint(endpoint, serverName, FAST_PROBE),
          now: () => now ?? new Date(),
          ...(opts.revocation
            ? { revocation: () => new RevocationSource(store, () => now ?? new Date(), opts.revocation!) }
            : {}),
        },
        { targets, concurrency: 8, thresholds: DEFAULT_THRESHOLDS },
      ),
    async close() {
      await store.close();
      await dns.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
