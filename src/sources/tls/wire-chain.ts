/**
 * @module sources/tls/wire-chain
 * Reads the Certificate message from the server's raw handshake bytes (TLS 1.3: decrypted via keylog).
 */
import { createDecipheriv, createHmac } from "node:crypto";

/** More certificates than any server sends; bounds the parse. */
const MAX_CERTIFICATES = 64;

const HANDSHAKE = 0x16;
const CHANGE_CIPHER_SPEC = 0x14;
const APPLICATION_DATA = 0x17;
const CERTIFICATE = 11;

interface Tls13Suite {
  readonly hash: "sha256" | "sha384";
  readonly keyLength: number;
  readonly cipher: "aes-128-gcm" | "aes-256-gcm" | "chacha20-poly1305";
}

/** The TLS 1.3 suites OpenSSL offers by default (the prober does not change them). */
const TLS13_SUITES: Readonly<Record<string, Tls13Suite>> = {
  TLS_AES_128_GCM_SHA256: { hash: "sha256", keyLength: 16, cipher: "aes-128-gcm" },
  TLS_AES_256_GCM_SHA384: { hash: "sha384", keyLength: 32, cipher: "aes-256-gcm" },
  TLS_CHACHA20_POLY1305_SHA256: { hash: "sha256", keyLength: 32, cipher: "chacha20-poly1305" },
};

interface TlsRecord {
  readonly type: number;
  readonly header: Buffer;
  readonly body: Buffer;
}

function* records(buf: Buffer): Generator<TlsRecord> {
  let o = 0;
  while (o + 5 <= buf.length) {
    const length = buf.readUInt16BE(o + 3);
    if (o + 5 + length > buf.length) return;
    yield { type: buf[o] ?? 0, header: buf.subarray(o, o + 5), body: buf.subarray(o + 5, o + 5 + length) };
    o += 5 + length;
  }
}

/** RFC 8446 §7.1 HKDF-Expand-Label with an empty context. */
export function hkdfExpandLabel(hash: string, secret: Buffer, label: string, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`, "ascii");
  const info = Buffer.concat([
    Buffer.from([length >> 8, length & 0xff, full.length]),
    full,
    Buffer.from([0]),
  ]);
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  for (let i = 1, total = 0; total < length; i++) {
    previous = createHmac(hash, secret)
      .update(Buffer.concat([previous, info, Buffer.from([i])]))
      .digest();
    blocks.push(previous);
    total += previous.length;
  }
  return Buffer.concat(blocks).subarray(0, length);
}

function decrypt(suite: Tls13Suite, key: Buffer, iv: Buffer, seq: number, r: TlsRecord): Buffer | null {
  if (r.body.length < 17) return null;
  const nonce = Buffer.from(iv);
  for (let i = 0, s = seq; i < 8; i++, s = Math.floor(s / 256)) {
    const at = nonce.length - 1 - i;
    nonce[at] = (nonce[at] ?? 0) ^ (s & 0xff);
  }
  const ciphertext = r.body.subarray(0, r.body.length - 16);
  try {
    const tag = r.body.subarray(r.body.length - 16);
    const aad = { plaintextLength: ciphertext.length };
    if (suite.cipher === "chacha20-poly1305") {
      const d = createDecipheriv(suite.cipher, key, nonce, { authTagLength: 16 });
      d.setAAD(r.header, aad).setAuthTag(tag);
      return Buffer.concat([d.update(ciphertext), d.final()]);
    }
    const d = createDecipheriv(suite.cipher, key, nonce, { authTagLength: 16 });
    d.setAAD(r.header, aad).setAuthTag(tag);
    return Buffer.concat([d.update(ciphertext), d.final()]);
  } catch {
    return null;
  }
}

/** TLSInnerPlaintext: content, then the real content type, then zero padding. */
function unwrapInner(plain: Buffer): { type: number; content: Buffer } | null {
  let end = plain.length - 1;
  while (end >= 0 && plain[end] === 0) end--;
  if (end < 0) return null;
  return { type: plain[end] ?? 0, content: plain.subarray(0, end) };
}

/** The body of the Certificate message in a handshake byte stream; "incomplete" when not there yet. */
function certificateBody(hs: Buffer): Buffer | "incomplete" | null {
  let o = 0;
  while (o + 4 <= hs.length) {
    const type = hs[o] ?? 0;
    const length = hs.readUIntBE(o + 1, 3);
    if (o + 4 + length > hs.length) return "incomplete";
    if (type === CERTIFICATE) return hs.subarray(o + 4, o + 4 + length);
    // Messages that come after Certificate (no certificate was sent), or CompressedCertificate (RFC 8879).
    if (type === 12 || type === 14 || type === 15 || type === 20 || type === 25) return null;
    o += 4 + length;
  }
  return "incomplete";
}

function parseCertificateList(body: Buffer, tls13: boolean): Uint8Array[] | null {
  let o = 0;
  if (tls13) {
    const contextLength = body[0];
    if (contextLength === undefined) return null;
    o = 1 + contextLength;
  }
  if (o + 3 > body.length) return null;
  const listEnd = o + 3 + body.readUIntBE(o, 3);
  if (listEnd !== body.length) return null;
  o += 3;
  const chain: Uint8Array[] = [];
  while (o < listEnd) {
    if (o + 3 > listEnd || chain.length >= MAX_CERTIFICATES) return null;
    const length = body.readUIntBE(o, 3);
    o += 3;
    if (length === 0 || o + length > listEnd) return null;
    chain.push(new Uint8Array(body.subarray(o, o + length)));
    o += length;
    if (tls13) {
      if (o + 2 > listEnd) return null;
      o += 2 + body.readUInt16BE(o);
    }
  }
  return o === listEnd ? chain : null;
}

export interface WireChainInput {
  /** Every byte the server sent up to the end of the handshake. */
  readonly serverBytes: Buffer;
  /** Negotiated protocol, e.g. "TLSv1.3". */
  readonly protocol: string;
  /** IANA name of the negotiated suite. */
  readonly cipher: string;
  /** SERVER_HANDSHAKE_TRAFFIC_SECRET from keylog (TLS 1.3 only). */
  readonly serverHandshakeSecret: Buffer | null;
}

/**
 * The certificate list the server sent, in its order, with extras and duplicates (Node's own view keeps
 * only the issuer path). Null when it cannot be read; the caller then falls back to Node's view.
 */
export function chainFromWire(input: WireChainInput): Uint8Array[] | null {
  const tls13 = input.protocol === "TLSv1.3";
  const hs: Buffer[] = [];
  let keys: { suite: Tls13Suite; key: Buffer; iv: Buffer } | null = null;
  if (tls13) {
    const suite = TLS13_SUITES[input.cipher];
    if (!suite || !input.serverHandshakeSecret) return null;
    keys = {
      suite,
      key: hkdfExpandLabel(suite.hash, input.serverHandshakeSecret, "key", suite.keyLength),
      iv: hkdfExpandLabel(suite.hash, input.serverHandshakeSecret, "iv", 12),
    };
  }
  let seq = 0;
  for (const r of records(input.serverBytes)) {
    if (r.type === CHANGE_CIPHER_SPEC) {
      if (tls13) continue; // TLS 1.3 middlebox-compatibility record
      return null; // TLS <= 1.2: encrypted from here on, and no Certificate seen
    }
    if (tls13) {
      if (r.type === HANDSHAKE) continue; // ServerHello / HelloRetryRequest, plaintext
      if (r.type !== APPLICATION_DATA || !keys) return null;
      const plain = decrypt(keys.suite, keys.key, keys.iv, seq++, r);
      const inner = plain && unwrapInner(plain);
      if (!inner || inner.type !== HANDSHAKE) return null;
      hs.push(inner.content);
    } else {
      if (r.type !== HANDSHAKE) return null;
      hs.push(r.body);
    }
    const body = certificateBody(Buffer.concat(hs));
    if (body === null) return null;
    if (body !== "incomplete") return parseCertificateList(body, tls13);
  }
  return null;
}

/** "SERVER_HANDSHAKE_TRAFFIC_SECRET <client random> <secret>" → the secret. */
export function serverHandshakeSecretFromKeylog(line: Buffer): Buffer | null {
  const m = /^SERVER_HANDSHAKE_TRAFFIC_SECRET [0-9a-fA-F]+ ([0-9a-fA-F]+)\s*$/.exec(line.toString("latin1"));
  return m?.[1] ? Buffer.from(m[1], "hex") : null;
}
