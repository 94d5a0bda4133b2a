/**
 * @module sources/ct/checkpoint.test
 * Checkpoints: the local log's notes verify; origins, foreign and bad signatures, and every structural rule
 * of signed notes and tlog-checkpoint bodies are enforced with a clear error.
 */
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { noteKeyId, startCtLog, type CtLog } from "../../../test/helpers/ct-log.js";
import {
  parseCheckpointText,
  parseSignedNote,
  rfc6962NoteKeyId,
  strictBase64,
  verifyCheckpoint,
  type CheckpointResult,
} from "./checkpoint.js";
import { logKeyFromSpki, treeHeadSignatureInput, type LogKey } from "./tree-head.js";

interface Signer {
  priv: KeyObject;
  key: LogKey;
}

function newSigner(): Signer {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { priv: privateKey, key: logKeyFromSpki(publicKey.export({ type: "spki", format: "der" })) };
}

/** The base64 of an RFC6962NoteSignature over (size, root, timestamp). */
function noteSig(s: Signer, name: string, size: number, root: Buffer, timestamp: number): string {
  const der = sign("sha256", treeHeadSignatureInput({ size, rootHash: root, timestamp }), s.priv);
  const ds = Buffer.concat([Buffer.from([4, 3, der.length >> 8, der.length & 0xff]), der]);
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64BE(BigInt(timestamp));
  return Buffer.concat([rfc6962NoteKeyId(name, s.key.logId), ts, ds]).toString("base64");
}

const ROOT = createHash("sha256").update("root").digest();
const TS = 1_750_000_000_000;

function note(
  s: Signer,
  opts: { origin?: string; size?: number; extra?: string[]; sigs?: string[] } = {},
): string {
  const origin = opts.origin ?? "example.com/log";
  const size = opts.size ?? 1234;
  const body = [origin, String(size), ROOT.toString("base64"), ...(opts.extra ?? [])].join("\n") + "\n";
  const own = `\u2014 ${origin} ${noteSig(s, origin, size, ROOT, TS)}`;
  return `${body}\n${[...(opts.sigs ?? []), own].join("\n")}\n`;
}

function kind(r: CheckpointResult): string {
  return r.kind === "ok" ? "ok" : `${r.kind}: ${r.error}`;
}

describe("checkpoints", () => {
  let log: CtLog;
  const signer = newSigner();
  before(async () => {
    log = await startCtLog({ staticApi: {} });
    for (let i = 0; i < 3; i++) log.addRaw(Buffer.from(`entry ${i}`));
  });
  after(() => log.close());

  it("derives key IDs as static-ct-api says", () => {
    assert.deepEqual(rfc6962NoteKeyId("a.example/log", log.logId), noteKeyId("a.example/log", log.logId));
  });

  it("verifies the local log's checkpoint and returns its head", () => {
    const r = verifyCheckpoint(log.checkpoint(), {
      key: logKeyFromSpki(log.publicKeyDer),
      origin: log.origin,
    });
    assert.equal(r.kind, "ok", kind(r));
    if (r.kind !== "ok") return;
    assert.equal(r.checkpoint.origin, log.origin);
    assert.deepEqual(r.head, { size: 3, rootHash: log.sth.rootHash, timestamp: log.sth.timestamp });
    assert.deepEqual(r.checkpoint.extensions, []);
    // Bytes and text alike.
    const bytes = verifyCheckpoint(Buffer.from(log.checkpoint()), { key: logKeyFromSpki(log.publicKeyDer) });
    assert.equal(bytes.kind, "ok");
  });

  it("refuses the local log's flipped signature", () => {
    log.faults = { badSthSignature: true };
    try {
      const r = verifyCheckpoint(log.checkpoint(), { key: logKeyFromSpki(log.publicKeyDer) });
      assert.equal(r.kind, "signature", kind(r));
    } finally {
      log.faults = {};
    }
  });

  it("checks the origin when one is expected", () => {
    const r = verifyCheckpoint(note(signer), { key: signer.key, origin: "example.com/other" });
    assert.equal(r.kind, "origin");
    assert.equal(verifyCheckpoint(note(signer), { key: signer.key, origin: "example.com/log" }).kind, "ok");
  });

  it("ignores signatures by other keys, before or after the log's", () => {
    const other = newSigner();
    const witness = `\u2014 witness.example ${noteSig(other, "witness.example", 1234, ROOT, TS)}`;
    // Same name, other key: a different key ID, ignored.
    const sameName = `\u2014 example.com/log ${noteSig(other, "example.com/log", 1234, ROOT, TS)}`;
    const r = verifyCheckpoint(note(signer, { sigs: [witness, sameName] }), { key: signer.key });
    assert.equal(r.kind, "ok", kind(r));
    // Only other keys: nothing verifies.
    const alone = note(other);
    const none = verifyCheckpoint(alone, { key: signer.key });
    assert.equal(none.kind, "signature");
    assert.match(none.kind === "signature" ? none.error : "", /no signature by the log key/);
  });

  it("rejects the note when the log's key signed something else", () => {
    const forged = note(signer).replace("\n1234\n", "\n1235\n");
    const r = verifyCheckpoint(forged, { key: signer.key });
    assert.equal(r.kind, "signature", kind(r));
  });

  it("refuses extension lines unless allowed (RFC 6962 signatures do not cover them)", () => {
    const n = note(signer, { extra: ["ext one", "ext two"] });
    assert.equal(verifyCheckpoint(n, { key: signer.key }).kind, "malformed");
    const r = verifyCheckpoint(n, { key: signer.key, allowExtensions: true });
    assert.equal(r.kind, "ok", kind(r));
    assert.deepEqual(r.kind === "ok" && r.checkpoint.extensions, ["ext one", "ext two"]);
  });

  it("is strict about the signed-note structure", () => {
    const good = note(signer);
    const cases: [string, string | Uint8Array, RegExp][] = [
      ["no final newline", good.slice(0, -1), /end with a newline/],
      ["no blank line", good.replace("\n\n", "\n"), /no blank line/],
      ["a carriage return", good.replace("\n", "\r\n"), /control character U\+000d/],
      ["a tab", good.replace("example", "exa\tmple"), /control character U\+0009/],
      ["invalid UTF-8", Buffer.concat([Buffer.from([0xff]), Buffer.from(good)]), /UTF-8/],
      ["too large", good + " ".repeat(200), /over the 100-byte limit/],
      ["a hyphen for the dash", good.replace("\u2014 ", "- "), /does not start with/],
      ["no signature", good.replace(/\u2014[^\n]*\n$/, ""), /does not start with|no blank line/],
      [
        "a plus in the key name",
        good.replace("\u2014 example.com/log", "\u2014 example.com/l+g"),
        /key name/,
      ],
      ["three fields", good.replace(/(\u2014 \S+ )/, "$1extra "), /is not/],
      ["non-canonical base64", good.replace(/ \S+\n$/, " AAAAAAF=\n"), /canonical base64/],
    ];
    for (const [what, n, re] of cases) {
      const max = what === "too large" ? 100 : undefined;
      const r = verifyCheckpoint(n, { key: signer.key, ...(max !== undefined ? { maxBytes: max } : {}) });
      assert.equal(r.kind, "malformed", `${what}: ${kind(r)}`);
      assert.match(r.kind === "malformed" ? r.error : "", re, what);
    }
  });

  it("is strict about the checkpoint body", () => {
    const cases: [string, string, RegExp][] = [
      ["two lines", "origin\n1\n", /at least 3 lines/],
      ["an empty origin", `\n1\n${ROOT.toString("base64")}\n`, /line 1 is empty/],
      ["a leading zero", `o\n01\n${ROOT.toString("base64")}\n`, /not a decimal/],
      ["a sign", `o\n+1\n${ROOT.toString("base64")}\n`, /not a decimal/],
      ["a huge size", `o\n9007199254740993\n${ROOT.toString("base64")}\n`, /too large/],
      ["a short root", `o\n1\n${ROOT.subarray(1).toString("base64")}\n`, /31 bytes/],
      ["a bad root", `o\n1\n!!!!\n`, /canonical base64/],
      ["an empty extension", `o\n1\n${ROOT.toString("base64")}\n\next\n`, /line 4 is empty/],
    ];
    for (const [what, text, re] of cases) {
      const r = parseCheckpointText(text);
      assert.equal(typeof r, "string", what);
      assert.match(r as string, re, what);
    }
    assert.deepEqual(parseCheckpointText(`o\n0\n${ROOT.toString("base64")}\n`), {
      origin: "o",
      size: 0,
      rootHash: ROOT,
      extensions: [],
    });
  });

  it("keeps empty lines of the text and splits at the last blank line", () => {
    const n = parseSignedNote("a\n\nb\n\n\u2014 k AAAAAAA=\n");
    assert.equal(typeof n, "object");
    if (typeof n === "string") return;
    assert.equal(n.text, "a\n\nb\n");
    assert.equal(n.signatures.length, 1);
    assert.deepEqual(n.signatures[0]?.keyId, Buffer.alloc(4));
  });

  it("decodes only canonical base64", () => {
    assert.deepEqual(strictBase64("AAE="), Buffer.from([0, 1]));
    assert.equal(strictBase64("AAF="), null);
    assert.equal(strictBase64("AAE"), null);
    assert.equal(strictBase64("AA-_"), null);
    assert.deepEqual(strictBase64(""), Buffer.alloc(0));
  });
});
