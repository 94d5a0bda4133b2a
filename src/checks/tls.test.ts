import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { createRootCa, issueIntermediate, issueLeaf, type Issued } from "../../test/helpers/pki.js";
import { parseCertificate, type ParseResult } from "../pki/certificate.js";
import { TrustStore } from "../pki/trust-store.js";
import type { TlsObservation } from "../sources/tls/observation.js";
import { DEFAULT_THRESHOLDS, type Thresholds } from "./context.js";
import { checkTlsObservation } from "./tls.js";

const endpoint = { host: "www.contoso.test", port: 443, address: "192.0.2.10" };

function served(
  chain: Uint8Array[],
  extra: Partial<Extract<TlsObservation, { kind: "served" }>> = {},
): TlsObservation {
  return {
    kind: "served",
    endpoint,
    serverName: endpoint.host,
    protocol: "TLSv1.3",
    cipher: "TLS_AES_128_GCM_SHA256",
    chain,
    ocspStaple: null,
    http: { kind: "response", status: 200, hsts: ["max-age=31536000"] },
    legacy: { accepted: [] },
    durationMs: 5,
    ...extra,
  };
}

describe("checkTlsObservation", () => {
  let root: Issued;
  let int: Issued;
  let trust: TrustStore;
  const parse = (c: Uint8Array[]): ParseResult[] => c.map(parseCertificate);
  const run = (chain: Uint8Array[], thresholds: Thresholds = DEFAULT_THRESHOLDS, obs?: TlsObservation) =>
    checkTlsObservation(obs ?? served(chain), parse(chain), {
      now: new Date(),
      thresholds,
      trust,
      knownCertificates: [],
    });

  before(async () => {
    root = await createRootCa({ freshKey: true });
    int = await issueIntermediate(root, { freshKey: true });
    const p = parseCertificate(root.certDer);
    assert.ok(p.ok);
    trust = new TrustStore([p.cert]);
  });

  it("a chain too large for OpenSSL clients raises 105 beside the checks of the chain read off the wire", async () => {
    const leaf = await issueLeaf(int, { dnsNames: ["other.contoso.test"] });
    const chainTooLarge = {
      certificateMessageBytes: 210_000,
      clientLimitBytes: 102_400,
      protocol: "TLSv1.3",
      error: "TLS handshake failed: excessive message size",
    };
    const obs = served([leaf.certDer, int.certDer], {
      chainTooLarge,
      http: { kind: "error", error: "not checked" },
    });
    const f = run([leaf.certDer, int.certDer], DEFAULT_THRESHOLDS, obs);
    assert.deepEqual(f.map((x) => x.event).sort(), ["certificate-chain-too-large", "name-mismatch"]);
    assert.equal(f.find((x) => x.event === "certificate-chain-too-large")?.details.chainRead, true);
  });

  it("a chain too large to read at all raises 105, never 27 no-certificate", () => {
    const obs: TlsObservation = {
      kind: "no-certificate",
      endpoint,
      reason: "chain-too-large",
      error: "the chain could not be read either",
      chainTooLarge: { certificateMessageBytes: null, clientLimitBytes: 102_400, protocol: null, error: "x" },
      durationMs: 5,
    };
    const f = run([], DEFAULT_THRESHOLDS, obs);
    assert.deepEqual(
      f.map((x) => [x.event, x.details.chainRead, x.details.error]),
      [["certificate-chain-too-large", false, "the chain could not be read either"]],
    );
  });

  it("a healthy chain raises nothing", async () => {
    const leaf = await issueLeaf(int, { dnsNames: [endpoint.host] });
    assert.deepEqual(run([leaf.certDer, int.certDer]), []);
  });

  it("a SHA-1 signed intermediate raises 33 keyed by the intermediate", async () => {
    const sha1Int = await issueIntermediate(root, { hash: "SHA-1", freshKey: true });
    const leaf = await issueLeaf(sha1Int, { dnsNames: [endpoint.host] });
    const f = run([leaf.certDer, sha1Int.certDer]);
    assert.deepEqual(
      f.map((x) => x.event),
      ["sha1-signature"],
    );
    assert.equal(f[0]?.details.role, "intermediate");
    assert.equal(f[0]?.key, f[0]?.certificate?.sha256);
    assert.equal(f[0]?.certificate?.subject, sha1Int.cert.subject);
  });

  it("key size thresholds come from the configuration", async () => {
    const rsa = await issueLeaf(int, { dnsNames: [endpoint.host], keyType: "rsa-2048" });
    assert.deepEqual(run([rsa.certDer, int.certDer]), []);
    const strict = { ...DEFAULT_THRESHOLDS, minRsaBits: 3072 };
    const f = run([rsa.certDer, int.certDer], strict);
    assert.deepEqual(
      f.map((x) => x.event),
      ["weak-key"],
    );
    assert.deepEqual([f[0]?.details.bits, f[0]?.details.minimum], [2048, 3072]);
    const ec = await issueLeaf(int, { dnsNames: [endpoint.host], keyType: "ec-p384" });
    const ecFindings = run([ec.certDer, int.certDer], { ...DEFAULT_THRESHOLDS, minEcBits: 384 });
    // The P-384 leaf passes; the P-256 intermediate does not.
    assert.deepEqual(
      ecFindings.map((x) => [x.event, x.details.role, x.details.bits]),
      [["weak-key", "intermediate", 256]],
    );
  });

  it("a leaf that is not a certificate at all raises 40 (malformed) and nothing crashes", () => {
    const garbage = new Uint8Array([0x30, 0x82, 0x01, 0x00, 0xde, 0xad]);
    const f = run([garbage]);
    assert.deepEqual(
      f.map((x) => x.event),
      ["invalid-certificate"],
    );
    assert.equal(f[0]?.details.reason, "malformed");
    assert.match(String(f[0]?.details.error), /malformed certificate/);
  });

  it("a malformed intermediate is reported in the 41 details", async () => {
    const leaf = await issueLeaf(int, { dnsNames: [endpoint.host] });
    const f = run([leaf.certDer, new Uint8Array([1, 2, 3])]);
    assert.deepEqual(
      f.map((x) => x.event),
      ["invalid-chain"],
    );
    assert.equal((f[0]?.details.malformedCertificates as unknown[]).length, 1);
  });

  it("an empty chain is 27, unreachable is 100, and a TLS 1.1 best protocol is 101", async () => {
    assert.deepEqual(
      run([]).map((x) => x.event),
      ["no-certificate"],
    );
    const down: TlsObservation = {
      kind: "unreachable",
      endpoint,
      reason: "refused",
      error: "ECONNREFUSED",
      durationMs: 1,
    };
    assert.deepEqual(
      run([], DEFAULT_THRESHOLDS, down).map((x) => x.event),
      ["endpoint-unreachable"],
    );
    const leaf = await issueLeaf(int, { dnsNames: [endpoint.host] });
    const old = served([leaf.certDer, int.certDer], { protocol: "TLSv1.1" });
    const f = run([leaf.certDer, int.certDer], DEFAULT_THRESHOLDS, old);
    assert.deepEqual(
      f.map((x) => x.event),
      ["legacy-tls-protocol"],
    );
    assert.deepEqual(f[0]?.details.protocols, ["TLS 1.1"]);
  });
});
