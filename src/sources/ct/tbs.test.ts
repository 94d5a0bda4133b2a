/**
 * @module sources/ct/tbs.test
 * CT identity of precertificates and their certificates (generated with a real CA, cross-checked with asn1-x509), and
 * readTbsFields against readCertificateFields / parseCertificate on generated leaves and Node's bundled roots;
 * readTbsNames (the names-only fast path) against readTbsFields, on the same certificates and on mutants.
 */
import assert from "node:assert/strict";
import { createHash, X509Certificate } from "node:crypto";
import { before, describe, it } from "node:test";
import { rootCertificates } from "node:tls";
import {
  createRootCa,
  issueIntermediate,
  issueLeaf,
  selfSignedLeaf,
  type Issued,
} from "../../../test/helpers/pki.js";
import {
  issuePrecertPair,
  POISON_OID,
  SCT_LIST_OID,
  sctListExtension,
  tbsWithout,
  type PrecertPair,
} from "../../../test/helpers/precert.js";
import { NotOnFastPath, readCertificateFields } from "../../pki/certificate-der.js";
import { parseCertificate } from "../../pki/certificate.js";
import { Der, MalformedDer } from "../../pki/der.js";
import { CtEntryError } from "./entry.js";
import {
  identityOfCertificate,
  identityOfTbs,
  readTbsFields,
  readTbsNames,
  stripCtExtensions,
  tbsOfCertificate,
  tbsOfEntry,
  type LoggedCertificateFields,
} from "./tbs.js";

const sha256Hex = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
const buf = (b: Uint8Array): Buffer => Buffer.from(b);

/** The tags of the TBSCertificate's top-level fields. */
function topLevelTags(tbs: Buffer): number[] {
  const d = new Der(tbs);
  d.whole(0, tbs.length, 0x30, "TBSCertificate");
  const tags: number[] = [];
  for (let p = d.vs, end = d.ve; p < end; p = d.ve) {
    d.at(p, end, "field");
    tags.push(d.tag);
  }
  return tags;
}

/** The reference: readCertificateFields, or parseCertificate's full parser when the fast path declines. */
function reference(der: Uint8Array): LoggedCertificateFields {
  try {
    const f = readCertificateFields(der);
    return {
      serialNumber: f.serialNumber,
      subject: f.subject,
      issuer: f.issuer,
      issuerDer: f.issuerDer,
      notBefore: f.notBefore,
      notAfter: f.notAfter,
      dnsNames: f.dnsNames,
      ipAddresses: f.ipAddresses,
      commonNames: f.commonNames,
      authorityKeyId: f.authorityKeyId,
      spkiSha256: sha256Hex(f.spki),
    };
  } catch (e) {
    if (!(e instanceof NotOnFastPath)) throw e;
    const r = parseCertificate(der);
    assert.ok(r.ok, r.ok ? "" : r.error);
    const c = r.cert;
    return {
      serialNumber: c.serialNumber,
      subject: c.subject,
      issuer: c.issuer,
      issuerDer: c.issuerDer,
      notBefore: new Date(c.notBefore),
      notAfter: new Date(c.notAfter),
      dnsNames: c.dnsNames,
      ipAddresses: c.ipAddresses,
      commonNames: c.commonNames,
      authorityKeyId: c.authorityKeyId,
      spkiSha256: c.spkiSha256,
    };
  }
}

function agrees(der: Uint8Array, label: string): void {
  const got = readTbsFields(tbsOfCertificate(buf(der)));
  const want = reference(der);
  for (const k of Object.keys(want) as (keyof LoggedCertificateFields)[]) {
    assert.deepEqual(got[k], want[k], `${label}: ${k}`);
  }
  assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort(), label);
}

let root: Issued;
let int: Issued;
let rsaInt: Issued;

before(async () => {
  root = await createRootCa({ subject: "CN=TBS Root, O=Acme\\, Inc, C=US" });
  int = await issueIntermediate(root);
  rsaInt = await issueIntermediate(root, { keyType: "rsa-2048" });
});

describe("identityOfTbs / identityOfCertificate", () => {
  it("is shared by a precertificate, its logged TBS and the final certificate", async () => {
    for (const issuer of [int, rsaInt]) {
      const pair: PrecertPair = await issuePrecertPair(issuer, { dnsNames: ["a.id.test", "b.id.test"] });
      const id = identityOfTbs(buf(pair.loggedTbs));
      assert.equal(identityOfCertificate(buf(pair.precertDer)), id, "poisoned precertificate");
      assert.equal(identityOfCertificate(buf(pair.certDer)), id, "final certificate with SCT list");
      // The identity is the hash of exactly the TBS the log records (re-encoded independently by asn1-x509).
      assert.equal(id, sha256Hex(pair.loggedTbs));
      assert.deepEqual(stripCtExtensions(tbsOfCertificate(buf(pair.precertDer))), buf(pair.loggedTbs));
      assert.deepEqual(stripCtExtensions(tbsOfCertificate(buf(pair.certDer))), buf(pair.loggedTbs));
      assert.deepEqual(buf(tbsWithout(pair.certDer, [SCT_LIST_OID])), buf(pair.loggedTbs));
      // The TBS of an x509 entry and of a precert entry lead to the same place.
      assert.equal(identityOfTbs(tbsOfEntry({ type: "x509", certOrTbs: buf(pair.certDer) })), id);
      assert.equal(identityOfTbs(tbsOfEntry({ type: "precert", certOrTbs: buf(pair.loggedTbs) })), id);
    }
  });

  it("differs between different certificates", async () => {
    const a = await issuePrecertPair(int, { dnsNames: ["same.id.test"] });
    const b = await issuePrecertPair(int, { dnsNames: ["same.id.test"] });
    assert.notEqual(identityOfCertificate(buf(a.certDer)), identityOfCertificate(buf(b.certDer)));
    const leaf = await issueLeaf(int, { dnsNames: ["plain.id.test"] });
    const tbs = tbsOfCertificate(buf(leaf.certDer));
    // Nothing to remove: the identity is the hash of the TBS as it is, and no copy is made.
    assert.equal(identityOfCertificate(buf(leaf.certDer)), sha256Hex(tbs));
    assert.equal(stripCtExtensions(tbs), tbs);
  });

  it("drops the [3] wrapper when the poison or the SCT list was the only extension", async () => {
    // 300 bytes of SCTs: the stripped TBS crosses from a 2-byte to a 1-byte DER length.
    const pair = await issuePrecertPair(int, { onlyCtExtension: true, sctBytes: 300 });
    const certTbs = tbsOfCertificate(buf(pair.certDer));
    assert.ok(topLevelTags(certTbs).includes(0xa3));
    assert.ok(certTbs[1] === 0x82, "the final certificate's TBS has a 2-byte length");
    const stripped = stripCtExtensions(certTbs);
    assert.deepEqual(topLevelTags(stripped), [0xa0, 0x02, 0x30, 0x30, 0x30, 0x30, 0x30]);
    assert.ok(stripped[1] === 0x81, "the stripped TBS has a 1-byte length");
    assert.deepEqual(stripped, buf(tbsWithout(pair.precertDer, [POISON_OID])));
    assert.deepEqual(stripped, buf(pair.loggedTbs));
    assert.equal(identityOfCertificate(buf(pair.precertDer)), sha256Hex(stripped));
    assert.equal(identityOfCertificate(buf(pair.certDer)), sha256Hex(stripped));
  });

  // 65,535 bytes of SCTs make the certificate's TBS need a 3-byte DER length; 200 and more make the
  // extensions need a longer one than without them, so the fields before them move.
  it("re-encodes every length right wherever the extension sits and whatever its size", async () => {
    for (const ctPosition of [0, 2, 5]) {
      for (const sctBytes of [1, 60, 120, 200, 300, 65_535]) {
        const label = `position ${ctPosition}, ${sctBytes} bytes of SCTs`;
        const pair = await issuePrecertPair(int, { ctPosition, sctBytes });
        const stripped = stripCtExtensions(tbsOfCertificate(buf(pair.certDer)));
        assert.deepEqual(stripped, buf(tbsWithout(pair.certDer, [SCT_LIST_OID])), label);
        assert.deepEqual(stripped, buf(pair.loggedTbs), label);
        assert.equal(identityOfCertificate(buf(pair.certDer)), identityOfCertificate(buf(pair.precertDer)));
      }
    }
  });

  it("removes every poison and SCT list extension, not just the first", async () => {
    const pair = await issuePrecertPair(int, {
      ctPosition: 0,
      extraExtensions: [sctListExtension(90), sctListExtension(400)],
    });
    const want = buf(tbsWithout(pair.precertDer, [POISON_OID, SCT_LIST_OID]));
    assert.deepEqual(stripCtExtensions(tbsOfCertificate(buf(pair.precertDer))), want);
    assert.equal(identityOfCertificate(buf(pair.precertDer)), sha256Hex(want));
    assert.equal(identityOfCertificate(buf(pair.certDer)), sha256Hex(want));
  });

  it("throws MalformedDer on malformed TBS bytes, never anything else", () => {
    const pair = Buffer.from(tbsOfCertificate(buf(rsaInt.certDer)));
    assert.throws(() => identityOfTbs(pair.subarray(0, pair.length - 1)), MalformedDer);
    assert.throws(() => identityOfTbs(Buffer.concat([pair, Buffer.from([0])])), MalformedDer);
    assert.throws(() => identityOfCertificate(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01])), MalformedDer);
    assert.throws(() => tbsOfCertificate(Buffer.alloc(0)), MalformedDer);
  });
});

describe("readTbsFields", () => {
  it("agrees with readCertificateFields on generated certificates", async () => {
    const certs = [
      root,
      int,
      rsaInt,
      await issueLeaf(int, {
        dnsNames: ["A.Fields.test", "*.b.fields.test"],
        ipAddresses: ["127.0.0.1", "2001:db8::1"],
        subject: 'CN=A.Fields.test, O=Quote"s <x>, OU=a+b',
      }),
      await issueLeaf(rsaInt, { dnsNames: ["rsa.fields.test"], keyType: "rsa-2048", hash: "SHA-1" }),
      await issueLeaf(int, { dnsNames: ["noaki.fields.test"], omitAuthorityKeyId: true }),
      await issueLeaf(int, { dnsNames: ["p384.fields.test"], keyType: "ec-p384", serialNumber: "00ff01" }),
      await selfSignedLeaf({ subject: "CN=self.test+OU=Plus", dnsNames: ["self.test"] }),
    ];
    for (const c of certs) agrees(c.certDer, c.cert.subject);
  });

  it("agrees with readCertificateFields (or the full parser) on every root of Node's bundled store", () => {
    let declined = 0;
    for (const [i, pem] of rootCertificates.entries()) {
      const der = new X509Certificate(pem).raw;
      try {
        readCertificateFields(der);
      } catch {
        declined++;
      }
      agrees(der, `root #${i}`);
    }
    assert.ok(declined < rootCertificates.length / 10);
  });

  it("reads a precertificate's logged TBS as the final certificate's fields", async () => {
    const pair = await issuePrecertPair(int, { dnsNames: ["x.pre.test", "y.pre.test"] });
    assert.deepEqual(readTbsFields(buf(pair.loggedTbs)), reference(pair.certDer));
    assert.deepEqual(readTbsFields(buf(pair.loggedTbs)).dnsNames, ["x.pre.test", "y.pre.test"]);
  });

  it("throws MalformedDer or CtEntryError on malformed input (fuzz)", async () => {
    const leaf = await issueLeaf(int, { dnsNames: ["fuzz.test"], ipAddresses: ["10.0.0.1"] });
    const tbs = Buffer.from(tbsOfCertificate(buf(leaf.certDer)));
    assert.throws(() => readTbsFields(tbs.subarray(0, 40)), MalformedDer);
    assert.throws(() => readTbsFields(Buffer.concat([tbs, Buffer.from([5, 0])])), MalformedDer);
    let seed = 12345;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let i = 0; i < 3000; i++) {
      const m = i % 3 === 0 ? tbs.subarray(0, Math.floor(rnd() * tbs.length)) : Buffer.from(tbs);
      if (i % 3 !== 0) {
        for (let k = 0; k < 3; k++) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
      }
      for (const fn of [readTbsFields, identityOfTbs]) {
        try {
          fn(m);
        } catch (e) {
          assert.ok(e instanceof MalformedDer || e instanceof CtEntryError, `mutant ${i}: ${String(e)}`);
        }
      }
    }
  });
});

/** readTbsNames gives readTbsFields' names, or throws what it throws. */
function namesAgree(tbs: Buffer, label: string): "ok" | "threw" {
  let want: { dnsNames: readonly string[]; commonNames: readonly string[] } | { error: unknown };
  try {
    const f = readTbsFields(tbs);
    want = { dnsNames: f.dnsNames, commonNames: f.commonNames };
  } catch (e) {
    want = { error: e };
  }
  let got: typeof want;
  try {
    const n = readTbsNames(tbs);
    got = { dnsNames: n.dnsNames, commonNames: n.commonNames };
  } catch (e) {
    got = { error: e };
  }
  if ("error" in want) {
    assert.ok("error" in got, `${label}: readTbsFields threw ${String(want.error)}, readTbsNames did not`);
    assert.equal(String(got.error), String(want.error), label);
    assert.equal((got.error as object).constructor, (want.error as object).constructor, label);
    return "threw";
  }
  assert.ok(!("error" in got), `${label}: readTbsNames threw ${"error" in got ? String(got.error) : ""}`);
  assert.deepEqual(got, want, label);
  return "ok";
}

describe("readTbsNames", () => {
  let certs: Uint8Array[] = [];
  before(async () => {
    certs = [
      root.certDer,
      int.certDer,
      rsaInt.certDer,
      (
        await issueLeaf(int, {
          dnsNames: ["A.Fields.test", "*.b.fields.test"],
          ipAddresses: ["127.0.0.1", "2001:db8::1"],
          subject: 'CN=A.Fields.test, O=Quote"s <x>, OU=a+b',
        })
      ).certDer,
      (await issueLeaf(rsaInt, { dnsNames: ["rsa.fields.test"], keyType: "rsa-2048", hash: "SHA-1" }))
        .certDer,
      (await issueLeaf(int, { dnsNames: ["noaki.fields.test"], omitAuthorityKeyId: true })).certDer,
      (await selfSignedLeaf({ subject: "CN=Self.Test+OU=Plus", dnsNames: [] })).certDer,
      (await issuePrecertPair(int, { dnsNames: ["x.pre.test", "y.pre.test"] })).loggedTbs,
      ...rootCertificates.map((pem) => new X509Certificate(pem).raw),
    ];
  });

  /** A certificate's TBSCertificate; a logged TBS (its first field is the [0] version) as it is. */
  const tbsOf = (der: Uint8Array): Buffer =>
    topLevelTags(buf(der))[0] === 0xa0 ? buf(der) : tbsOfCertificate(buf(der));

  it("reads readTbsFields' names on generated certificates, a logged TBS and every bundled root", () => {
    for (const [i, der] of certs.entries()) assert.equal(namesAgree(tbsOf(der), `certificate #${i}`), "ok");
  });

  it("throws what readTbsFields throws, and reads the same names otherwise, on mutants (fuzz)", () => {
    let seed = 424242;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    let threw = 0;
    let total = 0;
    for (const [c, der] of certs.entries()) {
      const tbs = Buffer.from(tbsOf(der));
      const rounds = c < 8 ? 1500 : 40;
      for (let i = 0; i < rounds; i++) {
        const m = i % 4 === 0 ? tbs.subarray(0, Math.floor(rnd() * tbs.length)) : Buffer.from(tbs);
        if (i % 4 !== 0) {
          for (let k = 1 + (i % 3); k > 0; k--) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
        }
        if (namesAgree(m, `certificate #${c} mutant ${i}`) === "threw") threw++;
        total++;
      }
    }
    assert.ok(threw > total / 10 && threw < total, `${threw} of ${total} mutants threw`);
  });
});
