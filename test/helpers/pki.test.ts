/**
 * @module test/helpers/pki.test
 * The generated test PKI parses with Node/OpenSSL, verifies, and honours every option.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  chainPem,
  createRootCa,
  issueIntermediate,
  issueLeaf,
  selfSignedLeaf,
  withBadSignature,
  type Issued,
} from "./pki.js";

const execFileP = promisify(execFile);

/** `x509.X509Certificate.signatureAlgorithm` is typed with DOM types this project does not load. */
function sigAlg(i: Issued): { name: string; hash: { name: string } } {
  return i.cert.signatureAlgorithm as unknown as { name: string; hash: { name: string } };
}

function node(i: Issued): X509Certificate {
  return new X509Certificate(i.certDer);
}

async function opensslVerify(
  root: Issued,
  untrusted: Issued[],
  leaf: Issued,
): Promise<{ ok: boolean; out: string }> {
  const dir = await mkdtemp(join(tmpdir(), "certwatch-pki-"));
  try {
    await writeFile(join(dir, "root.pem"), root.certPem);
    await writeFile(join(dir, "leaf.pem"), leaf.certPem);
    const args = ["verify", "-CAfile", join(dir, "root.pem")];
    if (untrusted.length > 0) {
      await writeFile(join(dir, "untrusted.pem"), chainPem(...untrusted));
      args.push("-untrusted", join(dir, "untrusted.pem"));
    }
    args.push(join(dir, "leaf.pem"));
    try {
      const r = await execFileP("openssl", args, { timeout: 10_000 });
      return { ok: true, out: r.stdout + r.stderr };
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string };
      return { ok: false, out: `${err.stdout ?? ""}${err.stderr ?? ""}` };
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void describe("test PKI", () => {
  void it("builds root -> intermediate -> leaf that Node parses and verifies", async () => {
    const root = await createRootCa({ subject: "CN=Test Root, O=certwatch" });
    const inter = await issueIntermediate(root, { subject: "CN=Test Intermediate" });
    const leaf = await issueLeaf(inter, { dnsNames: ["www.example.test", "*.api.example.test"] });

    const r = node(root);
    const i = node(inter);
    const l = node(leaf);
    assert.equal(r.ca, true);
    assert.equal(i.ca, true);
    assert.equal(l.ca, false);
    assert.ok(r.verify(r.publicKey), "root is self-signed");
    assert.ok(i.verify(r.publicKey));
    assert.ok(l.verify(i.publicKey));
    assert.ok(!l.verify(r.publicKey));
    assert.ok(l.checkIssued(i));
    assert.equal(l.subjectAltName, "DNS:www.example.test, DNS:*.api.example.test");
    assert.match(l.subject, /CN=www\.example\.test/);
    assert.deepEqual(l.keyUsage, ["1.3.6.1.5.5.7.3.1"]);
    assert.equal(l.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
    // The PKCS#8 key matches the certificate.
    assert.ok(l.checkPrivateKey(createPrivateKey(leaf.keyPem)));
    assert.equal(Buffer.from(leaf.certDer).toString("base64"), l.raw.toString("base64"));
  });

  void it("is accepted by `openssl verify` root -> intermediate -> leaf, and rejected without the intermediate", async () => {
    const root = await createRootCa();
    const inter = await issueIntermediate(root, { pathLength: 0 });
    const leaf = await issueLeaf(inter, { dnsNames: ["a.example.test"] });
    const good = await opensslVerify(root, [inter], leaf);
    assert.ok(good.ok, good.out);
    assert.match(good.out, /OK/);
    const missing = await opensslVerify(root, [], leaf);
    assert.ok(!missing.ok, missing.out);
  });

  void it("honours validity, serial, IP SANs and extension URLs", async () => {
    const root = await createRootCa();
    const notBefore = new Date("2020-01-01T00:00:00Z");
    const notAfter = new Date("2021-01-01T00:00:00Z");
    const leaf = await issueLeaf(root, {
      dnsNames: ["old.example.test"],
      ipAddresses: ["127.0.0.1", "::1"],
      notBefore,
      notAfter,
      serialNumber: "0badc0ffee",
      crlDistributionPoints: ["http://127.0.0.1:1/ca.crl"],
      ocspUrl: "http://127.0.0.1:1/ocsp",
      caIssuersUrl: "http://127.0.0.1:1/ca.crt",
    });
    const l = node(leaf);
    assert.equal(new Date(l.validFrom).getTime(), notBefore.getTime());
    assert.equal(new Date(l.validTo).getTime(), notAfter.getTime());
    assert.equal(l.serialNumber.toLowerCase(), "0badc0ffee");
    assert.equal(l.subjectAltName, "DNS:old.example.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1");
    assert.match(l.infoAccess ?? "", /OCSP - URI:http:\/\/127\.0\.0\.1:1\/ocsp/);
    assert.match(l.infoAccess ?? "", /CA Issuers - URI:http:\/\/127\.0\.0\.1:1\/ca\.crt/);
    assert.match(l.toLegacyObject().ext_key_usage?.join(",") ?? "", /1\.3\.6\.1\.5\.5\.7\.3\.1/);
    assert.ok(leaf.cert.getExtension("2.5.29.31"), "CRL distribution points present");
  });

  void it("signs with SHA-1 and RSA-1024 when asked", async () => {
    const root = await createRootCa({ keyType: "rsa-2048" });
    const leaf = await issueLeaf(root, {
      dnsNames: ["sha1.example.test"],
      keyType: "rsa-1024",
      hash: "SHA-1",
    });
    const l = node(leaf);
    assert.equal(l.publicKey.asymmetricKeyType, "rsa");
    assert.equal(l.publicKey.asymmetricKeyDetails?.modulusLength, 1024);
    assert.equal(sigAlg(leaf).hash.name, "SHA-1");
    assert.equal(sigAlg(leaf).name, "RSASSA-PKCS1-v1_5");
    assert.ok(l.verify(node(root).publicKey));

    const ecRoot = await createRootCa({ keyType: "ec-p384", hash: "SHA-384" });
    const ecSha1 = await issueLeaf(ecRoot, { dnsNames: ["ec-sha1.example.test"], hash: "SHA-1" });
    assert.equal(sigAlg(ecSha1).hash.name, "SHA-1");
    assert.equal(sigAlg(ecRoot).hash.name, "SHA-384");
    assert.equal(node(ecRoot).publicKey.asymmetricKeyDetails?.namedCurve, "secp384r1");
    assert.ok(node(ecSha1).verify(node(ecRoot).publicKey));
  });

  void it("issues RSA-3072 and self-signed non-CA leaves", async () => {
    const self = await selfSignedLeaf({ dnsNames: ["self.example.test"], keyType: "rsa-3072" });
    const s = node(self);
    assert.equal(s.ca, false);
    assert.equal(s.publicKey.asymmetricKeyDetails?.modulusLength, 3072);
    assert.equal(s.issuer, s.subject);
    assert.ok(s.verify(s.publicKey));
  });

  void it("can omit basic constraints and the authority key id", async () => {
    const root = await createRootCa();
    const inter = await issueIntermediate(root, { omitBasicConstraints: true, omitAuthorityKeyId: true });
    assert.equal(inter.cert.getExtension("2.5.29.19"), null);
    assert.equal(inter.cert.getExtension("2.5.29.35"), null);
    assert.equal(node(inter).ca, false);
  });

  void it("reuses pooled keys but never the issuer's, and makes fresh keys on request", async () => {
    const root = await createRootCa();
    const spkis = new Set<string>();
    for (let n = 0; n < 10; n++) {
      const leaf = await issueLeaf(root, { dnsNames: [`k${n}.example.test`] });
      const spki = Buffer.from(leaf.cert.publicKey.rawData).toString("hex");
      assert.notEqual(spki, Buffer.from(root.cert.publicKey.rawData).toString("hex"));
      spkis.add(spki);
    }
    assert.ok(spkis.size <= 4, `pool reused (${spkis.size} keys)`);
    const fresh = await issueLeaf(root, { dnsNames: ["fresh.example.test"], freshKey: true });
    assert.ok(!spkis.has(Buffer.from(fresh.cert.publicKey.rawData).toString("hex")));
  });

  void it("withBadSignature parses but no longer verifies", async () => {
    const root = await createRootCa({ keyType: "rsa-2048" });
    for (const keyType of ["ec-p256", "rsa-2048"] as const) {
      const leaf = await issueLeaf(root, { dnsNames: ["bad.example.test"], keyType });
      const bad = new X509Certificate(withBadSignature(leaf));
      assert.equal(bad.subject, node(leaf).subject);
      assert.ok(!bad.verify(node(root).publicKey));
      assert.ok(node(leaf).verify(node(root).publicKey), "original untouched");
    }
  });
});
