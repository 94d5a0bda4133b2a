import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { describe, it } from "node:test";
import { rootCertificates } from "node:tls";
import { createRootCa, issueIntermediate, issueLeaf, selfSignedLeaf } from "../../test/helpers/pki.js";
import { parseCertificate, parseFast, parseFull, type ParsedCertificate } from "./certificate.js";

/** Everything but Node's object, which is equal in content but not by identity. */
const facts = ({ node: _node, ...rest }: ParsedCertificate) => rest;

function sameAsReference(der: Uint8Array, label: string): void {
  const full = parseFull(der);
  let fast: ParsedCertificate;
  try {
    fast = parseFast(der);
  } catch (e) {
    // The fast path may decline (exotic string types); it must then never disagree.
    assert.match(String(e), /NotOnFastPath|tag 0x/, `${label}: ${String(e)}`);
    return;
  }
  assert.deepEqual(facts(fast), facts(full), label);
}

describe("fast certificate parser, cross-checked with @peculiar/asn1-x509", () => {
  it("agrees on every root of Node's bundled store", () => {
    let onFastPath = 0;
    for (const [i, pem] of rootCertificates.entries()) {
      const der = new X509Certificate(pem).raw;
      sameAsReference(der, `root #${i}`);
      try {
        parseFast(der);
        onFastPath++;
      } catch {
        // counted below
      }
    }
    assert.ok(
      onFastPath > rootCertificates.length * 0.9,
      `only ${onFastPath} of ${rootCertificates.length} on the fast path`,
    );
  });

  it("agrees on generated certificates with every option the checks read", async () => {
    const root = await createRootCa({ subject: "CN=Fast Root, O=Acme\\, Inc, C=US" });
    const int = await issueIntermediate(root, {
      pathLength: 0,
      crlDistributionPoints: ["http://crl.test/a.crl"],
      ocspUrl: "http://ocsp.test",
    });
    const certs = [
      root,
      int,
      await issueLeaf(int, {
        dnsNames: ["a.test", "*.b.test"],
        ipAddresses: ["127.0.0.1", "2001:db8::1"],
        caIssuersUrl: "http://ca.test/i.cer",
      }),
      await issueLeaf(int, { dnsNames: ["sha1.test"], hash: "SHA-1", keyType: "rsa-2048" }),
      await issueLeaf(int, { dnsNames: ["rsa.test"], keyType: "rsa-1024", omitAuthorityKeyId: true }),
      await issueLeaf(int, { dnsNames: ["p384.test"], keyType: "ec-p384", hash: "SHA-384" }),
      await issueIntermediate(root, { omitBasicConstraints: true }),
      await selfSignedLeaf({ subject: 'CN=self.test+OU=Plus, O=Quote"s <x>', dnsNames: ["self.test"] }),
    ];
    for (const c of certs) sameAsReference(c.certDer, c.cert.subject);
  });

  it("declines malformed input, and parseCertificate reports it as malformed", () => {
    for (const bad of [
      new Uint8Array([0x30, 0x82, 0x01, 0x00, 0xde, 0xad]),
      new Uint8Array([0x30, 0x80, 0x00, 0x00]),
      new Uint8Array(0),
    ]) {
      assert.throws(() => parseFast(bad));
      const r = parseCertificate(bad);
      assert.equal(r.ok, false);
    }
  });
});
