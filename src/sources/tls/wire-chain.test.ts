/**
 * @module sources/tls/wire-chain.test
 * The Certificate message read off the wire gives the chain exactly as sent, for TLS 1.0–1.3 and every suite.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createRootCa, issueIntermediate, issueLeaf, type Issued } from "../../../test/helpers/pki.js";
import { startTlsServer, type TlsServerOptions } from "../../../test/helpers/tls-servers.js";
import { placeholderTrustAnchor, walkPeerChain } from "./chain-capture.js";
import { connectTcp } from "./tcp-connect.js";
import { handshake } from "./tls-handshake.js";
import {
  chainFromWire,
  hkdfExpandLabel,
  readCertificateMessage,
  serverHandshakeSecretFromKeylog,
  serverHelloOf,
  type WireChainInput,
} from "./wire-chain.js";

function hex(list: readonly Uint8Array[] | null): string[] | null {
  return list ? list.map((d) => Buffer.from(d).toString("hex")) : null;
}

/** Handshakes with a server and returns what the wire parser and Node's walk each see. */
async function observe(
  opts: TlsServerOptions,
): Promise<{ wire: Uint8Array[] | null; walked: Uint8Array[]; protocol: string; input: WireChainInput }> {
  const server = await startTlsServer(opts);
  try {
    const tcp = await connectTcp(server.host, server.port, 1500);
    assert.ok(tcp.ok);
    const hs = await handshake({
      socket: tcp.socket,
      serverName: "wire.example.test",
      timeoutMs: 1500,
      minVersion: "TLSv1",
      maxVersion: "TLSv1.3",
      ca: await placeholderTrustAnchor(),
      requestOcsp: false,
    });
    assert.ok(hs.ok, JSON.stringify(hs));
    try {
      const protocol = hs.socket.getProtocol() ?? "";
      assert.ok(hs.serverFlight);
      const input: WireChainInput = {
        serverBytes: hs.serverFlight,
        protocol,
        cipher: hs.socket.getCipher().standardName,
        serverHandshakeSecret: hs.serverHandshakeSecret,
      };
      return { wire: chainFromWire(input), walked: walkPeerChain(hs.socket), protocol, input };
    } finally {
      hs.socket.destroy();
    }
  } finally {
    await server.close();
  }
}

void describe("chainFromWire", () => {
  let root: Issued;
  let i1: Issued;
  let i2: Issued;
  let leaf: Issued;
  let stray: Issued;
  const servers: { close(): Promise<void> }[] = [];

  before(async () => {
    root = await createRootCa({ subject: "CN=Wire Root" });
    i1 = await issueIntermediate(root, { subject: "CN=Wire I1" });
    i2 = await issueIntermediate(i1, { subject: "CN=Wire I2" });
    leaf = await issueLeaf(i2, { dnsNames: ["wire.example.test"] });
    stray = await createRootCa({ subject: "CN=Unrelated" });
  });
  after(() => Promise.all(servers.map((s) => s.close())));

  const cases: [string, Partial<TlsServerOptions>][] = [
    ["TLS 1.3 AES-256-GCM", {}],
    ["TLS 1.3 AES-128-GCM", { ciphers: "TLS_AES_128_GCM_SHA256" }],
    ["TLS 1.3 ChaCha20-Poly1305", { ciphers: "TLS_CHACHA20_POLY1305_SHA256" }],
    ["TLS 1.3 after a HelloRetryRequest", { ecdhCurve: "P-384" }],
    ["TLS 1.2", { maxVersion: "TLSv1.2" }],
    ["TLS 1.0", { minVersion: "TLSv1", maxVersion: "TLSv1" }],
  ];
  for (const [label, extra] of cases) {
    void it(`reads an out-of-order chain with a stray certificate exactly as sent (${label})`, async () => {
      const sent = [leaf, i1, stray, root, i2];
      const r = await observe({ chain: sent, key: leaf, ...extra });
      if (extra.ecdhCurve) {
        // The HelloRetryRequest is a ServerHello whose random is this fixed value (RFC 8446 §4.1.3).
        assert.ok(
          r.input.serverBytes.includes(
            Buffer.from("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c", "hex"),
          ),
        );
      }
      assert.deepEqual(hex(r.wire), hex(sent.map((c) => c.certDer)));
      // Node's own view loses certificates here: this is why the wire is read.
      assert.ok(r.walked.length < sent.length);
    });
  }

  void it("returns the same list as Node for a well-ordered chain, and a single leaf alone", async () => {
    const ordered = await observe({ chain: [leaf, i2, i1], key: leaf });
    assert.deepEqual(hex(ordered.wire), hex(ordered.walked));
    const alone = await observe({ chain: [leaf], key: leaf, maxVersion: "TLSv1.2" });
    assert.deepEqual(hex(alone.wire), hex([leaf.certDer]));
  });

  void it("reads the protocol and suite from the ServerHello as Node names them (after an HRR too)", async () => {
    for (const [label, extra] of cases) {
      const r = await observe({ chain: [leaf, i2], key: leaf, ...extra });
      assert.deepEqual(
        serverHelloOf(r.input.serverBytes),
        { protocol: r.protocol, cipher: r.input.cipher },
        label,
      );
    }
    assert.equal(serverHelloOf(Buffer.from("HTTP/1.1 400 Bad Request\r\n")), null);
    for (let n = 0; n < 200; n++) assert.doesNotThrow(() => serverHelloOf(randomBytes(1 + n * 7)));
  });

  void it("says how long an unfinished Certificate message is once its header is in", async () => {
    // More than one record (16 KiB) of certificates, so that the message header comes before its end.
    const names = Array.from({ length: 1500 }, (_, i) => `n${i}.wire.example.test`);
    const big = await issueLeaf(i2, { dnsNames: ["wire.example.test", ...names] });
    for (const extra of [{ maxVersion: "TLSv1.2" as const }, {}]) {
      const { input } = await observe({ chain: [big, i2], key: big, ...extra });
      const whole = readCertificateMessage(input);
      assert.equal(whole.kind, "chain");
      const size = whole.kind === "chain" ? whole.messageBytes : 0;
      assert.ok(size > big.certDer.length + i2.certDer.length);
      const seen = new Set<string>();
      for (let cut = 0; cut < input.serverBytes.length; cut += 17) {
        const r = readCertificateMessage({ ...input, serverBytes: input.serverBytes.subarray(0, cut) });
        if (r.kind === "incomplete") seen.add(String(r.messageBytes));
        else assert.notEqual(r.kind, "unreadable", `cut at ${cut}`);
      }
      assert.ok(seen.has("null") && seen.has(String(size)), [...seen].join());
    }
  });

  void it("gives null rather than throwing on truncated, corrupted or foreign input", async () => {
    const { input } = await observe({ chain: [leaf, i2], key: leaf });
    const whole = hex([leaf.certDer, i2.certDer]);
    let nulls = 0;
    for (let cut = 0; cut < input.serverBytes.length; cut += 31) {
      const got = hex(chainFromWire({ ...input, serverBytes: input.serverBytes.subarray(0, cut) }));
      // Cut before the end of the Certificate message: nothing; after it: the whole list, never a part.
      if (got === null) nulls++;
      else assert.deepEqual(got, whole);
    }
    assert.ok(nulls > 10);
    const flipped = Buffer.from(input.serverBytes);
    flipped[flipped.length - 20] = (flipped[flipped.length - 20] ?? 0) ^ 0xff;
    assert.doesNotThrow(() => chainFromWire({ ...input, serverBytes: flipped }));
    assert.equal(chainFromWire({ ...input, serverHandshakeSecret: randomBytes(48) }), null);
    assert.equal(chainFromWire({ ...input, cipher: "TLS_AES_128_CCM_SHA256" }), null);
    for (let n = 0; n < 200; n++) {
      const junk = randomBytes(1 + (n % 64) * 37);
      assert.doesNotThrow(() => chainFromWire({ ...input, serverBytes: junk }));
      assert.doesNotThrow(() => chainFromWire({ ...input, protocol: "TLSv1.2", serverBytes: junk }));
    }
  });

  void it("derives TLS 1.3 traffic keys as RFC 8448 does", () => {
    const secret = Buffer.from("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38", "hex");
    assert.equal(
      hkdfExpandLabel("sha256", secret, "key", 16).toString("hex"),
      "3fce516009c21727d0f2e4e86ee403bc",
    );
    assert.equal(hkdfExpandLabel("sha256", secret, "iv", 12).toString("hex"), "5d313eb2671276ee13000b30");
  });

  void it("picks the server handshake secret out of a keylog line", () => {
    const line = Buffer.from(`SERVER_HANDSHAKE_TRAFFIC_SECRET ${"ab".repeat(32)} ${"cd".repeat(48)}\n`);
    assert.equal(serverHandshakeSecretFromKeylog(line)?.toString("hex"), "cd".repeat(48));
    assert.equal(
      serverHandshakeSecretFromKeylog(Buffer.from(`CLIENT_HANDSHAKE_TRAFFIC_SECRET aa bb\n`)),
      null,
    );
  });

  void it("needs the placeholder anchor: trusting the root makes Node append it to what was sent", async () => {
    const server = await startTlsServer({ chain: [leaf, i2, i1], key: leaf });
    servers.push(server);
    const walk = async (ca: string): Promise<number> => {
      const tcp = await connectTcp(server.host, server.port, 1500);
      assert.ok(tcp.ok);
      const hs = await handshake({
        socket: tcp.socket,
        serverName: "wire.example.test",
        timeoutMs: 1500,
        minVersion: "TLSv1.2",
        maxVersion: "TLSv1.3",
        ca,
        requestOcsp: false,
      });
      assert.ok(hs.ok);
      const n = walkPeerChain(hs.socket).length;
      hs.socket.destroy();
      return n;
    };
    assert.equal(await walk(root.certPem), 4, "Node appended the trusted root");
    assert.equal(await walk(await placeholderTrustAnchor()), 3);
  });
});
