/**
 * @module pki/crl.test
 * The hand-rolled CRL parser agrees with @peculiar/x509 on generated CRLs, reads reasons, IDP and delta
 * indicators, verifies RSA/RSA-PSS/ECDSA/Ed25519 signatures, and turns malformed input into errors.
 */
import "reflect-metadata";
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { parseCertificate } from "./certificate.js";
import { normalizeSerial, parseCrl, verifyCrlSignature, type ParsedCrl } from "./crl.js";
import { createRootCa, issueLeaf, type Issued } from "../../test/helpers/pki.js";
import {
  CRL_REASONS,
  issueCrl,
  largeCrl,
  rawSigner,
  writeCrl,
  type CrlSpec,
} from "../../test/helpers/crl-ca.js";

/** X509Crl refuses more than 10,000 ASN.1 nodes by default (about 2,000 entries). */
const X509_LIMITS = { berOptions: { maxNodes: 50_000_000, maxContentLength: 1 << 30 } };
const DAY_MS = 86_400_000;

let ec: Issued;
let ec384: Issued;
let rsa: Issued;
let other: Issued;

before(async () => {
  [ec, ec384, rsa, other] = await Promise.all([
    createRootCa(),
    createRootCa({ keyType: "ec-p384" }),
    createRootCa({ keyType: "rsa-2048" }),
    createRootCa(),
  ]);
});

function parsed(der: Uint8Array): ParsedCrl {
  const r = parseCrl(der);
  if (!r.ok) assert.fail(r.error);
  return r.crl;
}

function cert(i: Issued): ReturnType<typeof parseCertificate> & { ok: true } {
  const c = parseCertificate(i.certDer);
  assert.ok(c.ok);
  return c;
}

const publicKey = (i: Issued): KeyObject => cert(i).cert.node.publicKey;

/** Same issuer, dates, serials, reasons and signature verdict as @peculiar/x509's X509Crl. */
async function crossCheck(der: Uint8Array, ca: Issued): Promise<ParsedCrl> {
  const ours = parsed(der);
  const theirs = new x509.X509Crl(der, X509_LIMITS);
  const theirIssuer = Buffer.from(theirs.issuerName.toArrayBuffer()).toString("hex");
  assert.equal(ours.issuerDer, theirIssuer);
  assert.equal(ours.thisUpdate.getTime(), theirs.thisUpdate.getTime());
  assert.equal(ours.nextUpdate?.getTime(), theirs.nextUpdate?.getTime());
  const theirEntries = theirs.entries.map((e) => ({
    serialHex: normalizeSerial(e.serialNumber),
    revokedAt: e.revocationDate.getTime(),
    reason: e.reason === undefined ? null : x509.X509CrlReason[e.reason],
  }));
  const ourEntries = [...ours.entries()].map((e) => ({
    serialHex: e.serialHex,
    revokedAt: e.revokedAt.getTime(),
    reason: e.reason,
  }));
  assert.deepEqual(ourEntries, theirEntries);
  assert.equal(ours.revokedCount, theirs.entries.length);
  // X509Crl.verify({ publicKey: cert }) imports the key for the certificate's own hash, so it fails
  // SHA-384/SHA-1 CRLs from a SHA-256 RSA certificate; the bare public key works.
  assert.equal(
    verifyCrlSignature(ours, publicKey(ca)),
    await theirs.verify({ publicKey: ca.cert.publicKey }),
  );
  return ours;
}

const spec = (over: Partial<CrlSpec> = {}): CrlSpec => ({
  entries: [
    { serialHex: "0a0b0c", reason: "keyCompromise" },
    { serialHex: "11223344556677", revokedAt: new Date(Date.UTC(2024, 4, 6, 7, 8, 9)) },
  ],
  ...over,
});

void describe("parseCrl against X509Crl", () => {
  void it("reads issuer, dates, serials, reasons and the signature as X509Crl does", async () => {
    const thisUpdate = new Date(Date.UTC(2025, 0, 2, 3, 4, 5));
    const nextUpdate = new Date(Date.UTC(2025, 0, 9, 3, 4, 5));
    const crl = await crossCheck(await issueCrl(ec, spec({ thisUpdate, nextUpdate, crlNumber: 42 })), ec);
    assert.equal(crl.issuerDer, cert(ec).cert.subjectDer);
    assert.equal(crl.authorityKeyId, cert(ec).cert.subjectKeyId);
    assert.deepEqual([crl.thisUpdate, crl.nextUpdate], [thisUpdate, nextUpdate]);
    assert.equal(crl.crlNumber, 42n);
    assert.equal(crl.signatureAlgorithm.name, "ecdsa-with-SHA256");
    assert.equal(crl.revocation("0A0B0C")?.reason, "keyCompromise");
    assert.deepEqual(crl.revocation("11223344556677"), {
      revokedAt: new Date(Date.UTC(2024, 4, 6, 7, 8, 9)),
      reason: null,
    });
    assert.equal(crl.issuingDistributionPoint, null);
    assert.equal(crl.deltaBaseCrlNumber, null);
    assert.deepEqual(crl.unsupportedCriticalExtensions, []);
  });

  void it("keeps views into the one buffer, not copies", async () => {
    const der = await issueCrl(ec, spec());
    const crl = parsed(der);
    assert.equal(crl.tbs.buffer, der.buffer);
    assert.equal(crl.signature.buffer, der.buffer);
  });

  void it("cross-checks every RFC 5280 reason, and an entry without one", async () => {
    const entries = CRL_REASONS.map((reason, i) => ({ serialHex: (0x100 + i).toString(16), reason }));
    const crl = await crossCheck(await issueCrl(rsa, { entries: [...entries, { serialHex: "0fff" }] }), rsa);
    for (const [i, reason] of CRL_REASONS.entries()) {
      assert.equal(crl.revocation((0x100 + i).toString(16))?.reason, reason);
    }
    assert.equal(crl.revocation("0fff")?.reason, null);
  });

  void it("cross-checks a 10,000-entry CRL and finds every serial in O(1)", async () => {
    const { der, serials } = largeCrl(ec, 10_000);
    const crl = await crossCheck(der, ec);
    assert.equal(crl.revokedCount, 10_000);
    assert.ok(serials.every((s) => crl.isRevoked(s)));
    for (let i = 0; i < 1000; i++) assert.equal(crl.isRevoked(randomBytes(16).toString("hex")), false);
  });

  void it("reads GeneralizedTime (2050 and later)", async () => {
    const revokedAt = new Date(Date.UTC(2051, 1, 3, 4, 5, 6));
    const nextUpdate = new Date(Date.UTC(2052, 0, 1));
    const crl = await crossCheck(
      await issueCrl(ec, { entries: [{ serialHex: "01", revokedAt }], nextUpdate }),
      ec,
    );
    assert.deepEqual([crl.revocation("01")?.revokedAt, crl.nextUpdate], [revokedAt, nextUpdate]);
  });

  void it("keeps the entries of a CRL without nextUpdate (X509Crl 2.2.0 loses them all)", async () => {
    const der = await issueCrl(ec, {
      entries: [{ serialHex: "01", reason: "keyCompromise" }],
      nextUpdate: null,
    });
    const crl = parsed(der);
    assert.equal(crl.nextUpdate, null);
    assert.equal(crl.revocation("01")?.reason, "keyCompromise");
    assert.equal(verifyCrlSignature(crl, publicKey(ec)), true);
    assert.equal(new x509.X509Crl(der).entries.length, 0, "if X509Crl now agrees, fold this into crossCheck");
  });
});

void describe("serial lookup", () => {
  void it("matches ParsedCertificate.serialNumber, including serials DER pads with 00", async () => {
    const leaf = await issueLeaf(ec, { dnsNames: ["revoked.test"], serialNumber: "8f0102030405060708" });
    const serial = cert(leaf).cert.serialNumber;
    assert.equal(serial, "8f0102030405060708");
    const crl = parsed(await issueCrl(ec, { entries: [{ serialHex: serial, reason: "superseded" }] }));
    assert.equal(crl.isRevoked(serial), true);
    assert.equal(crl.isRevoked("008F0102030405060708"), true);
    assert.equal(crl.isRevoked("0102030405060708"), false);
    assert.equal(crl.isRevoked("not hex"), false);
    assert.equal(crl.isRevoked(""), false);
  });

  void it("keys entries of an indirect CRL by the certificateIssuer they follow", async () => {
    const otherDer = cert(other).cert.subjectDer;
    const crl = parsed(
      await issueCrl(ec, {
        idp: { indirectCRL: true },
        entries: [
          { serialHex: "01" },
          { serialHex: "02", certificateIssuer: other },
          { serialHex: "03" }, // still the other issuer's (RFC 5280 §5.3.3)
          { serialHex: "04", certificateIssuer: ec },
        ],
      }),
    );
    assert.equal(crl.issuingDistributionPoint?.indirectCRL, true);
    assert.deepEqual(
      ["01", "02", "03", "04"].map((s) => [crl.isRevoked(s), crl.isRevoked(s, otherDer)]),
      [
        [true, false],
        [false, true],
        [false, true],
        [true, false],
      ],
    );
    assert.deepEqual(
      [...crl.entries()].map((e) => e.issuerDer === otherDer),
      [false, true, true, false],
    );
  });

  void it("lists an unknown critical entry extension", async () => {
    const crl = parsed(
      await issueCrl(ec, { entries: [{ serialHex: "01", unknownCriticalOid: "1.2.3.4.5" }] }),
    );
    assert.deepEqual(crl.unsupportedCriticalExtensions, ["1.2.3.4.5"]);
  });
});

void describe("CRL extensions", () => {
  void it("reads a partitioning issuing distribution point", async () => {
    const uris = ["http://crl.test/part1.crl", "http://crl2.test/part1.crl"];
    const crl = parsed(await issueCrl(ec, spec({ idp: { uris, onlyContainsUserCerts: true } })));
    assert.deepEqual(crl.issuingDistributionPoint, {
      fullNameUris: uris,
      hasRelativeName: false,
      onlyContainsUserCerts: true,
      onlyContainsCACerts: false,
      onlyContainsAttributeCerts: false,
      onlySomeReasons: false,
      indirectCRL: false,
    });
    const ca = parsed(
      await issueCrl(ec, spec({ idp: { onlyContainsCACerts: true, onlySomeReasons: true } })),
    );
    assert.equal(ca.issuingDistributionPoint?.onlyContainsCACerts, true);
    assert.equal(ca.issuingDistributionPoint?.onlySomeReasons, true);
    assert.deepEqual(ca.issuingDistributionPoint?.fullNameUris, []);
  });

  void it("tells a delta CRL by its indicator", async () => {
    const delta = parsed(await issueCrl(ec, spec({ crlNumber: 42, deltaOf: 41 })));
    assert.equal(delta.deltaBaseCrlNumber, 41n);
    assert.equal(delta.crlNumber, 42n);
    const base = parsed(await issueCrl(ec, spec({ crlNumber: null })));
    assert.equal(base.crlNumber, null);
  });
});

void describe("verifyCrlSignature", () => {
  void it("verifies RSA PKCS#1 v1.5 (SHA-256, SHA-384, SHA-1) and ECDSA P-256/P-384", async () => {
    for (const hash of ["SHA-256", "SHA-384", "SHA-1"] as const) {
      const crl = await crossCheck(await issueCrl(rsa, spec({ hash })), rsa);
      assert.equal(crl.signatureAlgorithm.hash, hash);
      assert.equal(verifyCrlSignature(crl, publicKey(rsa)), true);
    }
    const p384 = await crossCheck(await issueCrl(ec384, spec({ hash: "SHA-384" })), ec384);
    assert.equal(p384.signatureAlgorithm.name, "ecdsa-with-SHA384");
    assert.equal(verifyCrlSignature(p384, publicKey(ec384)), true);
  });

  void it("verifies RSASSA-PSS with its parameters", async () => {
    const crl = parsed(await issueCrl(rsa, spec({ pss: true, hash: "SHA-384" })));
    assert.equal(crl.signatureAlgorithm.name, "rsassa-pss-SHA-384");
    assert.deepEqual(crl.pss, { hash: "SHA-384", mgf1Hash: "SHA-384", saltLength: 48 });
    assert.equal(verifyCrlSignature(crl, publicKey(rsa)), true);
    assert.equal(verifyCrlSignature(crl, publicKey(ec)), false);
  });

  void it("verifies Ed25519", () => {
    const { privateKey, publicKey: pub } = generateKeyPairSync("ed25519");
    const signer = { issuerNameDer: Buffer.from(cert(ec).cert.subjectDer, "hex"), privateKey, hash: null };
    const crl = parsed(writeCrl(signer, [{ serial: Buffer.from([1]), revokedAt: new Date(0) }]));
    assert.equal(crl.signatureAlgorithm.name, "Ed25519");
    assert.equal(verifyCrlSignature(crl, pub), true);
    assert.equal(verifyCrlSignature(crl, generateKeyPairSync("ed25519").publicKey), false);
  });

  void it("rejects a CRL signed by another key, or by a key of another type", async () => {
    const der = await issueCrl(ec, spec({ signWith: other }));
    const crl = await crossCheck(der, ec);
    assert.equal(verifyCrlSignature(crl, publicKey(ec)), false);
    assert.equal(verifyCrlSignature(crl, publicKey(other)), true);
    assert.equal(verifyCrlSignature(crl, publicKey(rsa)), false);
  });

  void it("rejects a tampered CRL: a serial changed, or the signature", async () => {
    const der = await issueCrl(ec, spec());
    const at = Buffer.from(der).indexOf(Buffer.from([0x02, 0x03, 0x0a, 0x0b, 0x0c]));
    assert.ok(at > 0);
    const serialChanged = new Uint8Array(der);
    serialChanged[at + 4] = 0x0d;
    const crl = await crossCheck(serialChanged, ec);
    assert.equal(crl.isRevoked("0a0b0d"), true);
    assert.equal(verifyCrlSignature(crl, publicKey(ec)), false);

    const large = largeCrl(ec, 100);
    const sigFlipped = new Uint8Array(large.der);
    sigFlipped[sigFlipped.length - 1] = (sigFlipped[sigFlipped.length - 1] ?? 0) ^ 1;
    assert.equal(verifyCrlSignature(parsed(large.der), publicKey(ec)), true);
    assert.equal(verifyCrlSignature(parsed(sigFlipped), publicKey(ec)), false);
  });
});

void describe("malformed CRLs", () => {
  const error = (der: Uint8Array | number[]): string => {
    const r = parseCrl(der instanceof Uint8Array ? der : new Uint8Array(der));
    assert.equal(r.ok, false, "expected a parse error");
    return r.ok ? "" : r.error;
  };

  void it("rejects every truncation of a valid CRL", async () => {
    const der = await issueCrl(ec, spec({ idp: { uris: ["http://crl.test/a.crl"] } }));
    for (let n = 0; n < der.length; n++) assert.match(error(der.subarray(0, n)), /^malformed CRL: /);
  });

  void it("names what is wrong: outer tag, declared length, BER, trailing data, bad time", async () => {
    assert.match(error([]), /CertificateList: truncated/);
    assert.match(error([0x31, 0x00]), /expected tag 0x30, found 0x31/);
    assert.match(
      error([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x30, 0x00]),
      /declared length 2147483647 runs past/,
    );
    assert.match(error([0x30, 0x80, 0x00, 0x00]), /indefinite length/);
    assert.match(error([0x30, 0x85, 1, 0, 0, 0, 0]), /5-byte length field/);
    const der = await issueCrl(ec, spec({ thisUpdate: new Date(Date.UTC(2025, 5, 6, 7, 8, 9)) }));
    assert.match(error([...der, 0]), /1 unexpected bytes after it/);
    const badTime = Buffer.from(der);
    badTime[badTime.indexOf("250606070809Z", 0, "latin1") + 12] = 0x58;
    assert.match(error(badTime), /thisUpdate: time must end in Z/);
  });

  void it("never throws or hangs on garbage or single-byte corruption", async () => {
    for (let i = 0; i < 2000; i++) {
      const junk = randomBytes(1 + (i % 300));
      if (i % 2 === 0) junk[0] = 0x30;
      assert.equal(typeof parseCrl(junk).ok, "boolean");
    }
    const der = await issueCrl(ec, spec({ idp: { uris: ["http://crl.test/a.crl"] }, deltaOf: 1 }));
    for (let i = 0; i < der.length; i++) {
      for (const x of [0x01, 0x80, 0xff]) {
        const mutated = new Uint8Array(der);
        mutated[i] = (mutated[i] ?? 0) ^ x;
        const r = parseCrl(mutated);
        if (r.ok) assert.equal(typeof verifyCrlSignature(r.crl, publicKey(ec)), "boolean");
      }
    }
  });

  void it("rejects a CRL whose inner and outer signature algorithms differ", () => {
    const ca = rawSigner(ec);
    const der = Buffer.from(writeCrl(ca, [], { thisUpdate: new Date(Date.now() - DAY_MS) }));
    const inner = der.indexOf(Buffer.from("2a8648ce3d040302", "hex"));
    der[inner + 7] = 0x03; // ecdsa-with-SHA384 inside the TBS, SHA-256 outside
    assert.match(error(der), /differs from the outer one/);
  });
});
