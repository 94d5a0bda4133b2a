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

/**
 * The body of the Certificate message in a handshake byte stream; "incomplete" (with the message's
 * announced length once its header is there) when not whole yet.
 */
function certificateBody(hs: Buffer): Buffer | { incomplete: number | null } | null {
  let o = 0;
  while (o + 4 <= hs.length) {
    const type = hs[o] ?? 0;
    const length = hs.readUIntBE(o + 1, 3);
    if (o + 4 + length > hs.length) return { incomplete: type === CERTIFICATE ? length : null };
    if (type === CERTIFICATE) return hs.subarray(o + 4, o + 4 + length);
    // Messages that come after Certificate (no certificate was sent), or CompressedCertificate (RFC 8879).
    if (type === 12 || type === 14 || type === 15 || type === 20 || type === 25) return null;
    o += 4 + length;
  }
  return { incomplete: null };
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
  const r = readCertificateMessage(input);
  return r.kind === "chain" ? r.chain : null;
}

/** What the server's flight holds of its Certificate message. */
export type CertificateMessageRead =
  | { readonly kind: "chain"; readonly chain: Uint8Array[]; readonly messageBytes: number }
  /** Not whole yet; `messageBytes` is the length its header announces, once the header is there. */
  | { readonly kind: "incomplete"; readonly messageBytes: number | null }
  | { readonly kind: "unreadable" };

export function readCertificateMessage(input: WireChainInput): CertificateMessageRead {
  const unreadable = { kind: "unreadable" } as const;
  const tls13 = input.protocol === "TLSv1.3";
  const hs: Buffer[] = [];
  let keys: { suite: Tls13Suite; key: Buffer; iv: Buffer } | null = null;
  if (tls13) {
    const suite = TLS13_SUITES[input.cipher];
    if (!suite || !input.serverHandshakeSecret) return unreadable;
    keys = {
      suite,
      key: hkdfExpandLabel(suite.hash, input.serverHandshakeSecret, "key", suite.keyLength),
      iv: hkdfExpandLabel(suite.hash, input.serverHandshakeSecret, "iv", 12),
    };
  }
  let seq = 0;
  let announced: number | null = null;
  for (const r of records(input.serverBytes)) {
    if (r.type === CHANGE_CIPHER_SPEC) {
      if (tls13) continue; // TLS 1.3 middlebox-compatibility record
      return unreadable; // TLS <= 1.2: encrypted from here on, and no Certificate seen
    }
    if (tls13) {
      if (r.type === HANDSHAKE) continue; // ServerHello / HelloRetryRequest, plaintext
      if (r.type !== APPLICATION_DATA || !keys) return unreadable;
      const plain = decrypt(keys.suite, keys.key, keys.iv, seq++, r);
      const inner = plain && unwrapInner(plain);
      if (!inner || inner.type !== HANDSHAKE) return unreadable;
      hs.push(inner.content);
    } else {
      if (r.type !== HANDSHAKE) return unreadable;
      hs.push(r.body);
    }
    if (hs.length > 1) hs.splice(0, hs.length, Buffer.concat(hs));
    const body = certificateBody(hs[0] as Buffer);
    if (body === null) return unreadable;
    if ("incomplete" in body) {
      announced = body.incomplete ?? announced;
      continue;
    }
    const chain = parseCertificateList(body, tls13);
    return chain === null ? unreadable : { kind: "chain", chain, messageBytes: body.length };
  }
  return { kind: "incomplete", messageBytes: announced };
}

/** What the ServerHello chose. */
export interface ServerHello {
  /** "TLSv1" … "TLSv1.3", as Node names them. */
  readonly protocol: string;
  /** IANA name of the suite, or its code (`0xc02f`) when this module does not know it. */
  readonly cipher: string;
}

const PROTOCOLS: Readonly<Record<number, string>> = {
  0x0301: "TLSv1",
  0x0302: "TLSv1.1",
  0x0303: "TLSv1.2",
  0x0304: "TLSv1.3",
};

const SUITES: Readonly<Record<number, string>> = {
  0x1301: "TLS_AES_128_GCM_SHA256",
  0x1302: "TLS_AES_256_GCM_SHA384",
  0x1303: "TLS_CHACHA20_POLY1305_SHA256",
  0x002f: "TLS_RSA_WITH_AES_128_CBC_SHA",
  0x0035: "TLS_RSA_WITH_AES_256_CBC_SHA",
  0x009c: "TLS_RSA_WITH_AES_128_GCM_SHA256",
  0x009d: "TLS_RSA_WITH_AES_256_GCM_SHA384",
  0xc009: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
  0xc00a: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
  0xc013: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
  0xc014: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
  0xc02b: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
  0xc02c: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
  0xc02f: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
  0xc030: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
  0xcca8: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
  0xcca9: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
};

const SUPPORTED_VERSIONS = 0x002b;
const SERVER_HELLO = 2;

/**
 * The protocol and suite of the server's first ServerHello (a HelloRetryRequest names the same), read
 * from its plaintext records; null when the bytes do not start with a whole ServerHello.
 */
export function serverHelloOf(serverBytes: Buffer): ServerHello | null {
  const hs: Buffer[] = [];
  for (const r of records(serverBytes)) {
    if (r.type !== HANDSHAKE) return null;
    hs.push(r.body);
    const b = Buffer.concat(hs);
    if (b.length < 4) continue;
    if (b[0] !== SERVER_HELLO) return null;
    const end = 4 + b.readUIntBE(1, 3);
    if (b.length < end) continue;
    return parseServerHello(b.subarray(4, end));
  }
  return null;
}

function parseServerHello(m: Buffer): ServerHello | null {
  // legacy_version(2) random(32) legacy_session_id<0..32> cipher_suite(2) compression(1) extensions<..>
  if (m.length < 35) return null;
  let o = 34;
  o += 1 + (m[o] ?? 0);
  if (o + 3 > m.length) return null;
  const suite = m.readUInt16BE(o);
  o += 3;
  let version = m.readUInt16BE(0);
  if (o + 2 <= m.length) {
    const end = Math.min(m.length, o + 2 + m.readUInt16BE(o));
    for (o += 2; o + 4 <= end;) {
      const type = m.readUInt16BE(o);
      const length = m.readUInt16BE(o + 2);
      if (type === SUPPORTED_VERSIONS && length === 2 && o + 6 <= end) version = m.readUInt16BE(o + 4);
      o += 4 + length;
    }
  }
  const protocol = PROTOCOLS[version];
  if (protocol === undefined) return null;
  return { protocol, cipher: SUITES[suite] ?? `0x${suite.toString(16).padStart(4, "0")}` };
}

/** "SERVER_HANDSHAKE_TRAFFIC_SECRET <client random> <secret>" → the secret. */
export function serverHandshakeSecretFromKeylog(line: Buffer): Buffer | null {
  const m = /^SERVER_HANDSHAKE_TRAFFIC_SECRET [0-9a-fA-F]+ ([0-9a-fA-F]+)\s*$/.exec(line.toString("latin1"));
  return m?.[1] ? Buffer.from(m[1], "hex") : null;
}
