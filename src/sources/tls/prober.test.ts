/**
 * @module sources/tls/prober.test
 * The prober against real loopback servers: healthy, weak, legacy, broken, silent, huge and non-TLS ones.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import * as net from "node:net";
import type { Endpoint } from "../../domain/endpoint.js";
import {
  createRootCa,
  issueIntermediate,
  issueLeaf,
  selfSignedLeaf,
  withBadSignature,
  type Issued,
} from "../../../test/helpers/pki.js";
import {
  startGarbageServer,
  startHugeHeaderServer,
  startPlainHttpServer,
  startSilentServer,
  startTlsAlertServer,
  startTlsServer,
  startTlsServersOnSamePort,
  type RunningServer,
} from "../../../test/helpers/tls-servers.js";
import type { TlsObservation } from "./observation.js";
import { placeholderTrustAnchor } from "./chain-capture.js";
import { probeLegacyProtocols } from "./legacy-probe.js";
import { probeEndpoint, type ProbeOptions } from "./prober.js";

const OPTS: ProbeOptions = {
  connectTimeoutMs: 1500,
  handshakeTimeoutMs: 1500,
  httpTimeoutMs: 1500,
  maxResponseHeaderBytes: 32 * 1024,
  legacyProtocols: true,
  hsts: true,
};

const HOST = "www.example.test";

function endpointOf(s: RunningServer, host = HOST): Endpoint {
  return { host, port: s.port, address: s.host };
}

type Served = Extract<TlsObservation, { kind: "served" }>;

function served(o: TlsObservation): Served {
  assert.equal(o.kind, "served", JSON.stringify(o));
  return o;
}

function subjects(chain: readonly Uint8Array[]): string[] {
  return chain.map((der) => new X509Certificate(der).subject);
}

function sameDer(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && Buffer.from(a).equals(Buffer.from(b));
}

/** Runs `fn` against a server that is always closed afterwards. */
async function withServer<T>(
  start: Promise<RunningServer>,
  fn: (s: RunningServer) => Promise<T>,
): Promise<T> {
  const s = await start;
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

void describe("probeEndpoint", () => {
  let root: Issued;
  let inter: Issued;
  let leaf: Issued;

  before(async () => {
    root = await createRootCa({ subject: "CN=Prober Test Root" });
    inter = await issueIntermediate(root, { subject: "CN=Prober Test Intermediate" });
    leaf = await issueLeaf(inter, { dnsNames: [HOST] });
  });

  void it("captures the chain as sent, TLS 1.3, the cipher and HSTS from a healthy server", async () => {
    await withServer(
      startTlsServer({ chain: [leaf, inter], key: leaf, hsts: "max-age=31536000; includeSubDomains" }),
      async (s) => {
        const o = served(await probeEndpoint(endpointOf(s), HOST, OPTS));
        assert.equal(o.protocol, "TLSv1.3");
        assert.match(o.cipher, /^TLS_/);
        assert.equal(o.serverName, HOST);
        assert.equal(o.chain.length, 2);
        assert.ok(sameDer(o.chain[0], leaf.certDer));
        assert.ok(sameDer(o.chain[1], inter.certDer));
        assert.deepEqual(o.http, {
          kind: "response",
          status: 200,
          hsts: ["max-age=31536000; includeSubDomains"],
        });
        assert.deepEqual(o.legacy, { accepted: [] });
        assert.equal(o.ocspStaple, null);
        assert.ok(o.durationMs >= 0 && o.durationMs < 3000);
      },
    );
  });

  void it("collects several HSTS headers in order, and the status", async () => {
    await withServer(
      startTlsServer({
        chain: [leaf, inter],
        key: leaf,
        hsts: ["max-age=10", "max-age=20; preload"],
        status: 301,
      }),
      async (s) => {
        const o = served(await probeEndpoint(endpointOf(s), HOST, OPTS));
        assert.deepEqual(o.http, {
          kind: "response",
          status: 301,
          hsts: ["max-age=10", "max-age=20; preload"],
        });
      },
    );
  });

  void it("reports an empty HSTS list when the header is absent, and skips HTTP and legacy when asked", async () => {
    await withServer(startTlsServer({ chain: [leaf, inter], key: leaf, hsts: null }), async (s) => {
      const o = served(await probeEndpoint(endpointOf(s), HOST, OPTS));
      assert.deepEqual(o.http, { kind: "response", status: 200, hsts: [] });
      const quiet = served(
        await probeEndpoint(endpointOf(s), HOST, { ...OPTS, hsts: false, legacyProtocols: false }),
      );
      assert.deepEqual(quiet.http, { kind: "skipped" });
      assert.deepEqual(quiet.legacy, { accepted: [], skipped: true });
    });
  });

  void it("captures only the leaf when the intermediate is missing (no root appended)", async () => {
    await withServer(startTlsServer({ chain: [leaf], key: leaf }), async (s) => {
      const o = served(await probeEndpoint(endpointOf(s), HOST, OPTS));
      assert.equal(o.chain.length, 1);
      assert.ok(sameDer(o.chain[0], leaf.certDer));
    });
  });

  void it("captures the root too when the server sends it", async () => {
    await withServer(startTlsServer({ chain: [leaf, inter, root], key: leaf }), async (s) => {
      const o = served(await probeEndpoint(endpointOf(s), HOST, OPTS));
      assert.deepEqual(subjects(o.chain), [
        "CN=www.example.test",
        "CN=Prober Test Intermediate",
        "CN=Prober Test Root",
      ]);
      assert.ok(sameDer(o.chain[2], root.certDer));
    });
  });

  void it("captures self-signed leaves and certificates whose signature is broken, byte for byte", async () => {
    const self = await selfSignedLeaf({ dnsNames: [HOST] });
    await withServer(startTlsServer({ chain: [self], key: self }), async (s) => {
      const o = served(await probeEndpoint(endpointOf(s), HOST, OPTS));
      assert.equal(o.chain.length, 1);
      assert.ok(sameDer(o.chain[0], self.certDer));
    });
    const bad = withBadSignature(leaf);
    await withServer(startTlsServer({ chain: [bad, inter.certDer], key: leaf }), async (s) => {
      const o = served(await probeEndpoint(endpointOf(s), HOST, OPTS));
      assert.ok(sameDer(o.chain[0], bad));
    });
  });

  void it("still gets the certificate from a TLS 1.0-only server, and records TLS 1.0 as accepted", async () => {
    await withServer(
      startTlsServer({ chain: [leaf, inter], key: leaf, minVersion: "TLSv1", maxVersion: "TLSv1" }),
      async (s) => {
        const o = served(await probeEndpoint(endpointOf(s), HOST, OPTS));
        assert.equal(o.protocol, "TLSv1");
        assert.ok(sameDer(o.chain[0], leaf.certDer));
        assert.deepEqual(o.legacy.accepted, ["TLSv1"]);
        assert.equal(o.http.kind, "response");
      },
    );
  });

  void it("finds TLS 1.1 accepted by a TLS 1.1–1.2 server, and none on a TLS 1.2-only one", async () => {
    await withServer(
      startTlsServer({ chain: [leaf, inter], key: leaf, minVersion: "TLSv1.1", maxVersion: "TLSv1.2" }),
      async (s) => {
        const o = served(await probeEndpoint(endpointOf(s), HOST, OPTS));
        assert.equal(o.protocol, "TLSv1.2");
        assert.deepEqual(o.legacy, { accepted: ["TLSv1.1"] });
      },
    );
    await withServer(
      startTlsServer({ chain: [leaf, inter], key: leaf, minVersion: "TLSv1.2", maxVersion: "TLSv1.2" }),
      async (s) => {
        const o = served(await probeEndpoint(endpointOf(s), HOST, OPTS));
        assert.equal(o.protocol, "TLSv1.2");
        assert.deepEqual(o.legacy, { accepted: [] });
      },
    );
  });

  void it("records a legacy probe that times out as an error, not as a finding", async () => {
    await withServer(startSilentServer(), async (s) => {
      const t0 = Date.now();
      const r = await probeLegacyProtocols({
        address: s.host,
        port: s.port,
        serverName: HOST,
        connectTimeoutMs: 500,
        handshakeTimeoutMs: 500,
        ca: await placeholderTrustAnchor(),
      });
      assert.deepEqual(r.accepted, []);
      assert.match(r.error ?? "", /within 500 ms/);
      assert.ok(Date.now() - t0 < 1500);
    });
  });

  void it("reports an out-of-order chain with a stray certificate exactly as sent", async () => {
    const stray = await createRootCa({ subject: "CN=Stray" });
    const sent = [leaf, root, stray, inter];
    await withServer(startTlsServer({ chain: sent, key: leaf }), async (s) => {
      const o = served(await probeEndpoint(endpointOf(s), HOST, OPTS));
      assert.deepEqual(subjects(o.chain), [
        "CN=www.example.test",
        "CN=Prober Test Root",
        "CN=Stray",
        "CN=Prober Test Intermediate",
      ]);
      sent.forEach((c, i) => assert.ok(sameDer(o.chain[i], c.certDer)));
    });
  });

  void it("captures RSA-1024 and SHA-1 certificates", async () => {
    const rsaRoot = await createRootCa({ keyType: "rsa-2048" });
    const weak = await issueLeaf(rsaRoot, { dnsNames: [HOST], keyType: "rsa-1024", hash: "SHA-1" });
    await withServer(startTlsServer({ chain: [weak, rsaRoot], key: weak }), async (s) => {
      const o = served(await probeEndpoint(endpointOf(s), HOST, OPTS));
      assert.ok(sameDer(o.chain[0], weak.certDer));
      const x = new X509Certificate(o.chain[0] ?? new Uint8Array());
      assert.equal(x.publicKey.asymmetricKeyDetails?.modulusLength, 1024);
    });
  });

  void it("classifies a plain HTTP server as plain-http", async () => {
    await withServer(startPlainHttpServer(), async (s) => {
      const o = await probeEndpoint(endpointOf(s), HOST, OPTS);
      assert.equal(o.kind, "no-certificate");
      assert.equal(o.kind === "no-certificate" && o.reason, "plain-http");
      assert.match(o.kind === "no-certificate" ? o.error : "", /HTTP\/1\.1 400/);
    });
  });

  void it("classifies non-TLS bytes as not-tls, including an SSH banner", async () => {
    await withServer(startGarbageServer(), async (s) => {
      const o = await probeEndpoint(endpointOf(s), HOST, OPTS);
      assert.equal(o.kind === "no-certificate" && o.reason, "not-tls", JSON.stringify(o));
    });
    await withServer(startGarbageServer({ bytes: Buffer.from("SSH-2.0-OpenSSH_9.6\r\n") }), async (s) => {
      const o = await probeEndpoint(endpointOf(s), HOST, OPTS);
      assert.equal(o.kind === "no-certificate" && o.reason, "not-tls", JSON.stringify(o));
      assert.match(o.kind === "no-certificate" ? o.error : "", /SSH-2\.0/);
    });
  });

  void it("reports a server that hangs up on the ClientHello as handshake-failed", async () => {
    await withServer(startGarbageServer({ bytes: new Uint8Array() }), async (s) => {
      const o = await probeEndpoint(endpointOf(s), HOST, OPTS);
      assert.equal(o.kind === "no-certificate" && o.reason, "handshake-failed", JSON.stringify(o));
      assert.match(
        o.kind === "no-certificate" ? o.error : "",
        /closed the connection before answering the ClientHello/,
      );
    });
  });

  void it("classifies a handshake rejected with an alert as tls-alert, naming the alert", async () => {
    await withServer(startTlsAlertServer(), async (s) => {
      const o = await probeEndpoint(endpointOf(s), HOST, OPTS);
      assert.equal(o.kind, "no-certificate", JSON.stringify(o));
      assert.equal(o.kind === "no-certificate" && o.reason, "tls-alert", JSON.stringify(o));
      assert.match(o.kind === "no-certificate" ? o.error : "", /handshake.failure/);
    });
    await withServer(startTlsAlertServer({ kind: "raw-alert", alertDescription: 112 }), async (s) => {
      const o = await probeEndpoint(endpointOf(s), HOST, OPTS);
      assert.equal(o.kind === "no-certificate" && o.reason, "tls-alert", JSON.stringify(o));
      assert.match(o.kind === "no-certificate" ? o.error : "", /unrecognized_name \(alert 112\)/);
    });
  });

  void it("gives up on a silent server within the handshake deadline", async () => {
    await withServer(startSilentServer(), async (s) => {
      const t0 = Date.now();
      const o = await probeEndpoint(endpointOf(s), HOST, OPTS);
      const took = Date.now() - t0;
      assert.ok(took < OPTS.handshakeTimeoutMs + 1000, `took ${took} ms`);
      assert.equal(o.kind, "unreachable");
      assert.equal(o.kind === "unreachable" && o.reason, "timeout");
      assert.match(o.kind === "unreachable" ? o.error : "", /TCP connected.*TLS handshake never completed/);
    });
  });

  void it("stops reading a 1 MB response header at the cap, and still reports the chain", async () => {
    await withServer(
      startHugeHeaderServer({ chain: [leaf, inter], key: leaf, headerBytes: 1_000_000 }),
      async (s) => {
        const t0 = Date.now();
        const o = served(await probeEndpoint(endpointOf(s), HOST, OPTS));
        assert.ok(Date.now() - t0 < OPTS.httpTimeoutMs + 1000);
        assert.equal(o.chain.length, 2);
        // What was read before the cap is kept: the status, and the HSTS header the server sent first.
        assert.deepEqual(o.http, {
          kind: "too-large",
          status: 200,
          hsts: ["max-age=31536000"],
          maxBytes: 32768,
          error: "the HTTP response header exceeds the 32768-byte cap",
        });
      },
    );
  });

  void it("times out an HTTP response head that never completes below the cap", async () => {
    await withServer(
      startHugeHeaderServer({ chain: [leaf, inter], key: leaf, headerBytes: 1_000_000 }),
      async (s) => {
        const t0 = Date.now();
        const opts = { ...OPTS, maxResponseHeaderBytes: 4 * 1024 * 1024, httpTimeoutMs: 700 };
        const o = served(await probeEndpoint(endpointOf(s), HOST, opts));
        assert.ok(Date.now() - t0 < 700 + 1000);
        assert.match(o.http.kind === "error" ? o.http.error : "", /within 700 ms/);
      },
    );
  });

  void it("reports a refused port as unreachable/refused", async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer();
      srv.listen(0, "127.0.0.1", () => {
        const a = srv.address() as net.AddressInfo;
        srv.close(() => resolve(a.port));
      });
    });
    const o = await probeEndpoint({ host: HOST, port, address: "127.0.0.1" }, HOST, OPTS);
    assert.equal(o.kind, "unreachable");
    assert.equal(o.kind === "unreachable" && o.reason, "refused");
    const none = await probeEndpoint({ host: HOST, port, address: null }, HOST, OPTS);
    assert.equal(none.kind === "unreachable" && none.reason, "dns");
  });

  void it("sends SNI so a server with several certificates serves the right one, and none for IPs", async () => {
    const other = await issueLeaf(inter, { dnsNames: ["other.example.test"] });
    const ipLeaf = await issueLeaf(inter, { ipAddresses: ["127.0.0.1"] });
    await withServer(
      startTlsServer({
        chain: [ipLeaf, inter],
        key: ipLeaf,
        sniCerts: {
          [HOST]: { chain: [leaf, inter], key: leaf },
          "other.example.test": { chain: [other], key: other },
        },
      }),
      async (s) => {
        const a = served(await probeEndpoint(endpointOf(s), HOST, OPTS));
        assert.ok(sameDer(a.chain[0], leaf.certDer));
        assert.equal(a.chain.length, 2);
        const b = served(
          await probeEndpoint(endpointOf(s, "other.example.test"), "other.example.test", OPTS),
        );
        assert.ok(sameDer(b.chain[0], other.certDer));
        const ip = served(await probeEndpoint(endpointOf(s, "127.0.0.1"), "127.0.0.1", OPTS));
        assert.ok(
          sameDer(ip.chain[0], ipLeaf.certDer),
          "an IP server name sends no SNI: default certificate",
        );
        const none = served(await probeEndpoint(endpointOf(s), null, OPTS));
        assert.ok(sameDer(none.chain[0], ipLeaf.certDer));
      },
    );
  });

  void it("probes two addresses on the same port separately (127.0.0.1 and 127.0.0.2)", async () => {
    const renewed = await issueLeaf(inter, { dnsNames: [HOST] });
    const servers = await startTlsServersOnSamePort([
      { chain: [leaf, inter], key: leaf },
      { chain: [renewed, inter], key: renewed, hsts: "max-age=1" },
    ]);
    try {
      const [a, b] = servers;
      assert.ok(a && b);
      assert.equal(a.port, b.port);
      assert.equal(b.host, "127.0.0.2");
      const oa = served(await probeEndpoint(endpointOf(a), HOST, OPTS));
      const ob = served(await probeEndpoint(endpointOf(b), HOST, OPTS));
      assert.ok(sameDer(oa.chain[0], leaf.certDer));
      assert.ok(sameDer(ob.chain[0], renewed.certDer));
      assert.deepEqual(ob.http.kind === "response" && ob.http.hsts, ["max-age=1"]);
    } finally {
      await Promise.all(servers.map((s) => s.close()));
    }
  });

  void it("captures a stapled OCSP response, on TLS 1.3 and on TLS 1.2", async () => {
    const staple = new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x00]);
    for (const maxVersion of ["TLSv1.3", "TLSv1.2"] as const) {
      await withServer(
        startTlsServer({ chain: [leaf, inter], key: leaf, ocspStaple: staple, maxVersion }),
        async (s) => {
          const o = served(await probeEndpoint(endpointOf(s), HOST, OPTS));
          assert.equal(o.protocol, maxVersion);
          assert.deepEqual(o.ocspStaple && [...o.ocspStaple], [...staple]);
        },
      );
    }
  });

  void it("works over IPv6 loopback", async () => {
    await withServer(
      startTlsServer({ chain: [leaf, inter], key: leaf, host: "::1", hsts: "max-age=5" }),
      async (s) => {
        const o = served(await probeEndpoint({ host: HOST, port: s.port, address: "::1" }, HOST, OPTS));
        assert.ok(sameDer(o.chain[0], leaf.certDer));
        assert.deepEqual(o.http.kind === "response" && o.http.hsts, ["max-age=5"]);
      },
    );
  });

  void it("leaves no open handles behind after many probes of every kind", async () => {
    const servers = await Promise.all([
      startTlsServer({ chain: [leaf, inter], key: leaf }),
      startPlainHttpServer(),
      startGarbageServer(),
      startTlsAlertServer(),
    ]);
    after(() => Promise.all(servers.map((s) => s.close())));
    const before = process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap").length;
    for (let round = 0; round < 5; round++) {
      await Promise.all(servers.map((s) => probeEndpoint(endpointOf(s), HOST, OPTS)));
    }
    await new Promise((r) => setTimeout(r, 100));
    const afterCount = process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap").length;
    assert.ok(afterCount <= before, `sockets before ${before}, after ${afterCount}`);
  });
});
