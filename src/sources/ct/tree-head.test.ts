/**
 * @module sources/ct/tree-head.test
 * Tree head signatures: the local log's ECDSA heads verify, an RSA-signed head verifies, and flipped bits,
 * wrong algorithms, wrong lengths and wrong keys are each refused with a reason.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync, sign } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  startCtLog,
  treeHeadSignatureInput as helperInput,
  type CtLog,
} from "../../../test/helpers/ct-log.js";
import {
  logKeyFromSpki,
  parseDigitallySigned,
  treeHeadError,
  treeHeadSignatureInput,
  verifyTreeHeadSignature,
  type TreeHead,
} from "./tree-head.js";

function digitallySigned(hash: number, sig: number, body: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(body.length);
  return Buffer.concat([Buffer.from([hash, sig]), len, body]);
}

describe("tree heads", () => {
  let log: CtLog;
  before(async () => {
    log = await startCtLog();
    for (let i = 0; i < 5; i++) log.addRaw(Buffer.from(`entry ${i}`));
  });
  after(() => log.close());

  const headOf = (l: CtLog): TreeHead => ({
    size: l.sth.treeSize,
    rootHash: l.sth.rootHash,
    timestamp: l.sth.timestamp,
  });

  it("reads the log key and its log ID from the SPKI", () => {
    const k = logKeyFromSpki(log.publicKeyDer);
    assert.deepEqual(k.logId, log.logId);
    assert.equal(k.key.asymmetricKeyType, "ec");
    const ed = generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "der" });
    assert.throws(() => logKeyFromSpki(ed), /unsupported/);
    assert.throws(() => logKeyFromSpki(Buffer.from("not a key")));
  });

  it("encodes TreeHeadSignature as RFC 6962 §3.5 does", () => {
    const h = headOf(log);
    assert.deepEqual(treeHeadSignatureInput(h), helperInput(h.timestamp, h.size, h.rootHash));
    assert.equal(treeHeadSignatureInput(h).length, 2 + 8 + 8 + 32);
  });

  it("verifies the log's ECDSA-signed head, with a KeyObject or a LogKey", () => {
    assert.equal(verifyTreeHeadSignature(headOf(log), log.sth.signature, log.publicKey), null);
    assert.equal(
      verifyTreeHeadSignature(headOf(log), log.sth.signature, logKeyFromSpki(log.publicKeyDer)),
      null,
    );
  });

  it("refuses a head that is not the one signed", () => {
    const h = headOf(log);
    assert.match(
      verifyTreeHeadSignature({ ...h, size: h.size + 1 }, log.sth.signature, log.publicKey) ?? "",
      /does not verify/,
    );
    assert.match(
      verifyTreeHeadSignature({ ...h, timestamp: h.timestamp + 1 }, log.sth.signature, log.publicKey) ?? "",
      /does not verify/,
    );
  });

  it("refuses flipped bits, other algorithms, wrong lengths and other keys", () => {
    const h = headOf(log);
    const sig = log.sth.signature;
    const flipped = Buffer.from(sig);
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1;
    assert.ok(verifyTreeHeadSignature(h, flipped, log.publicKey) !== null);
    const body = sig.subarray(4);
    assert.match(verifyTreeHeadSignature(h, digitallySigned(5, 3, body), log.publicKey) ?? "", /not SHA-256/);
    assert.match(
      verifyTreeHeadSignature(h, digitallySigned(4, 1, body), log.publicKey) ?? "",
      /does not match/,
    );
    assert.match(
      verifyTreeHeadSignature(h, sig.subarray(0, sig.length - 1), log.publicKey) ?? "",
      /declares/,
    );
    assert.match(verifyTreeHeadSignature(h, Buffer.from([4, 3]), log.publicKey) ?? "", /at least 4/);
    assert.ok(
      verifyTreeHeadSignature(h, digitallySigned(4, 3, Buffer.from("garbage")), log.publicKey) !== null,
    );
    const other = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey;
    assert.match(verifyTreeHeadSignature(h, sig, other) ?? "", /does not verify/);
  });

  it("verifies RSA (PKCS#1 v1.5) signed heads", () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const h: TreeHead = { size: 42, rootHash: Buffer.alloc(32, 7), timestamp: 1_700_000_000_000 };
    const ds = digitallySigned(4, 1, sign("sha256", treeHeadSignatureInput(h), privateKey));
    const key = logKeyFromSpki(publicKey.export({ type: "spki", format: "der" }));
    assert.equal(verifyTreeHeadSignature(h, ds, key), null);
    assert.match(
      verifyTreeHeadSignature(h, digitallySigned(4, 3, ds.subarray(4)), key) ?? "",
      /does not match/,
    );
  });

  it("checks the shape of a head", () => {
    const good: TreeHead = { size: 1, rootHash: Buffer.alloc(32), timestamp: 1 };
    assert.equal(treeHeadError(good), null);
    assert.match(treeHeadError({ ...good, size: -1 }) ?? "", /tree size/);
    assert.match(treeHeadError({ ...good, size: 2 ** 53 }) ?? "", /tree size/);
    assert.match(treeHeadError({ ...good, timestamp: 1.5 }) ?? "", /timestamp/);
    assert.match(treeHeadError({ ...good, rootHash: Buffer.alloc(31) }) ?? "", /31 bytes/);
    assert.match(
      verifyTreeHeadSignature({ ...good, size: -1 }, log.sth.signature, log.publicKey) ?? "",
      /size/,
    );
  });

  it("parses DigitallySigned", () => {
    assert.deepEqual(parseDigitallySigned(Buffer.from([4, 3, 0, 2, 9, 9])), {
      hashAlgorithm: 4,
      signatureAlgorithm: 3,
      signature: Buffer.from([9, 9]),
    });
    assert.equal(typeof parseDigitallySigned(Buffer.from([4, 3, 0, 3, 9, 9])), "string");
  });
});
