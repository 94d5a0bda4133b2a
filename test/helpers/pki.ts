/**
 * @module test/helpers/pki
 * A test PKI generated at run time: roots, intermediates, leaves (RSA/EC, SHA-1/256/384), broken signatures.
 */
import "reflect-metadata";
import { webcrypto, randomBytes } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto);

/** Key algorithms the helper can issue. P-224 is absent: WebCrypto (Node 20) cannot generate or sign with it. */
export type KeyType = "rsa-1024" | "rsa-2048" | "rsa-3072" | "ec-p256" | "ec-p384";
export type SignatureHash = "SHA-256" | "SHA-384" | "SHA-1";

export interface Issued {
  certPem: string;
  certDer: Uint8Array;
  /** PKCS#8 PEM of the certificate's private key. */
  keyPem: string;
  /** The same key pair for WebCrypto; RSA keys are imported for SHA-256. */
  key: webcrypto.CryptoKeyPair;
  cert: x509.X509Certificate;
  keyType: KeyType;
}

export interface CertOptions {
  /** Subject DN, e.g. "CN=www.example.com, O=Test"; default CN from the first dnsName. */
  subject?: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  /** Defaults: now - 1 day .. now + 90 days. */
  notBefore?: Date;
  notAfter?: Date;
  /** Default "ec-p256" (fast). */
  keyType?: KeyType;
  /** Hash of the signature made by the issuer (or by the key itself when self-signed). Default SHA-256. */
  hash?: SignatureHash;
  isCa?: boolean;
  pathLength?: number;
  /** Hex; default random positive 16 bytes. */
  serialNumber?: string;
  crlDistributionPoints?: string[];
  ocspUrl?: string;
  caIssuersUrl?: string;
  omitBasicConstraints?: boolean;
  omitAuthorityKeyId?: boolean;
  /** Generate a new key instead of taking one from the per-type pool. */
  freshKey?: boolean;
  /** Extended key usage OIDs, replacing the default (serverAuth for non-CA certificates, none for CAs). */
  extendedKeyUsages?: string[];
}

interface PooledKey {
  pkcs8: Uint8Array;
  spki: Uint8Array;
}

const DAY_MS = 86_400_000;
const POOL_SIZE = 4;

const pool = new Map<KeyType, { keys: Promise<PooledKey>[]; next: number }>();

function rsaBits(t: KeyType): number | null {
  return t === "rsa-1024" ? 1024 : t === "rsa-2048" ? 2048 : t === "rsa-3072" ? 3072 : null;
}

function importAlgorithm(
  t: KeyType,
  hash: SignatureHash,
): webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams {
  if (rsaBits(t) !== null) return { name: "RSASSA-PKCS1-v1_5", hash };
  return { name: "ECDSA", namedCurve: t === "ec-p384" ? "P-384" : "P-256" };
}

async function generateKey(t: KeyType): Promise<PooledKey> {
  const bits = rsaBits(t);
  const alg =
    bits !== null
      ? {
          name: "RSASSA-PKCS1-v1_5",
          modulusLength: bits,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: "SHA-256",
        }
      : { name: "ECDSA", namedCurve: t === "ec-p384" ? "P-384" : "P-256" };
  const pair = await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  const [pkcs8, spki] = await Promise.all([
    webcrypto.subtle.exportKey("pkcs8", pair.privateKey),
    webcrypto.subtle.exportKey("spki", pair.publicKey),
  ]);
  return { pkcs8: new Uint8Array(pkcs8), spki: new Uint8Array(spki) };
}

/** A pooled key of type `t`, round-robin; never the key whose SPKI is `avoid` (so a leaf never shares its issuer's key). */
async function takeKey(t: KeyType, fresh: boolean, avoid?: Uint8Array): Promise<PooledKey> {
  if (fresh) return generateKey(t);
  let slot = pool.get(t);
  if (!slot) {
    slot = { keys: [], next: 0 };
    pool.set(t, slot);
  }
  for (let attempt = 0; attempt < POOL_SIZE + 1; attempt++) {
    let p: Promise<PooledKey>;
    if (slot.keys.length < POOL_SIZE) {
      p = generateKey(t);
      slot.keys.push(p);
    } else {
      p = slot.keys[slot.next % POOL_SIZE] as Promise<PooledKey>;
      slot.next++;
    }
    const k = await p;
    if (!avoid || Buffer.compare(Buffer.from(k.spki), Buffer.from(avoid)) !== 0) return k;
  }
  return generateKey(t);
}

async function importPair(t: KeyType, k: PooledKey, hash: SignatureHash): Promise<webcrypto.CryptoKeyPair> {
  const alg = importAlgorithm(t, hash);
  const [privateKey, publicKey] = await Promise.all([
    webcrypto.subtle.importKey("pkcs8", k.pkcs8, alg, true, ["sign"]),
    webcrypto.subtle.importKey("spki", k.spki, alg, true, ["verify"]),
  ]);
  return { privateKey, publicKey };
}

function pem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** PEM of a DER certificate. */
export function derToPem(der: Uint8Array): string {
  return pem("CERTIFICATE", der);
}

function pemToDer(text: string): Uint8Array {
  const b64 = text.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  return new Uint8Array(Buffer.from(b64, "base64"));
}

function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = ((b[0] ?? 0) & 0x7f) | 0x10; // positive, no leading zero byte
  return b.toString("hex");
}

function signingAlgorithm(
  t: KeyType,
  hash: SignatureHash,
): webcrypto.RsaHashedImportParams | webcrypto.EcdsaParams {
  return rsaBits(t) !== null ? { name: "RSASSA-PKCS1-v1_5", hash } : { name: "ECDSA", hash };
}

interface Signer {
  name: string;
  keyType: KeyType;
  pkcs8: Uint8Array;
  spki: Uint8Array;
}

async function build(
  opts: CertOptions,
  role: "root" | "intermediate" | "leaf" | "self-signed-leaf",
  issuer: Issued | null,
): Promise<Issued> {
  const keyType = opts.keyType ?? "ec-p256";
  const hash = opts.hash ?? "SHA-256";
  const isCa = opts.isCa ?? (role === "root" || role === "intermediate");
  const subjectKey = await takeKey(
    keyType,
    opts.freshKey ?? false,
    issuer ? new Uint8Array(issuer.cert.publicKey.rawData) : undefined,
  );
  const subject =
    opts.subject ??
    `CN=${opts.dnsNames?.[0] ?? opts.ipAddresses?.[0] ?? `certwatch test ${role} ${randomSerial().slice(0, 8)}`}`;
  const signer: Signer = issuer
    ? {
        name: issuer.cert.subject,
        keyType: issuer.keyType,
        pkcs8: pemToDer(issuer.keyPem),
        spki: new Uint8Array(issuer.cert.publicKey.rawData),
      }
    : { name: subject, keyType, pkcs8: subjectKey.pkcs8, spki: subjectKey.spki };
  const signerPair = await importPair(signer.keyType, { pkcs8: signer.pkcs8, spki: signer.spki }, hash);
  const subjectPair = await importPair(keyType, subjectKey, "SHA-256");

  const extensions: x509.Extension[] = [];
  if (!opts.omitBasicConstraints) {
    extensions.push(new x509.BasicConstraintsExtension(isCa, isCa ? opts.pathLength : undefined, true));
  }
  const rsa = rsaBits(keyType) !== null;
  extensions.push(
    new x509.KeyUsagesExtension(
      isCa
        ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature
        : x509.KeyUsageFlags.digitalSignature | (rsa ? x509.KeyUsageFlags.keyEncipherment : 0),
      true,
    ),
  );
  const ekus = opts.extendedKeyUsages ?? (isCa ? [] : [x509.ExtendedKeyUsage.serverAuth]);
  if (ekus.length > 0) extensions.push(new x509.ExtendedKeyUsageExtension(ekus, false));
  const ski = await x509.SubjectKeyIdentifierExtension.create(subjectPair.publicKey, false, webcrypto);
  extensions.push(ski);
  if (!opts.omitAuthorityKeyId) {
    const akiSource = issuer ? issuer.cert.getExtension(x509.SubjectKeyIdentifierExtension) : ski;
    extensions.push(
      akiSource
        ? new x509.AuthorityKeyIdentifierExtension(akiSource.keyId, false)
        : await x509.AuthorityKeyIdentifierExtension.create(signerPair.publicKey, false, webcrypto),
    );
  }
  const san: x509.JsonGeneralNames = [
    ...(opts.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(opts.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  if (san.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(san, false));
  if (opts.crlDistributionPoints && opts.crlDistributionPoints.length > 0) {
    extensions.push(new x509.CRLDistributionPointsExtension(opts.crlDistributionPoints, false));
  }
  if (opts.ocspUrl !== undefined || opts.caIssuersUrl !== undefined) {
    const aia: x509.AuthorityInfoAccessParams = {};
    if (opts.ocspUrl !== undefined) aia.ocsp = [opts.ocspUrl];
    if (opts.caIssuersUrl !== undefined) aia.caIssuers = [opts.caIssuersUrl];
    extensions.push(new x509.AuthorityInfoAccessExtension(aia, false));
  }

  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: opts.serialNumber ?? randomSerial(),
      subject,
      issuer: signer.name,
      notBefore: opts.notBefore ?? new Date(now - DAY_MS),
      notAfter: opts.notAfter ?? new Date(now + 90 * DAY_MS),
      publicKey: subjectPair.publicKey,
      signingKey: signerPair.privateKey,
      signingAlgorithm: signingAlgorithm(signer.keyType, hash),
      extensions,
    },
    webcrypto,
  );
  const certDer = new Uint8Array(cert.rawData);
  return {
    certPem: derToPem(certDer),
    certDer,
    keyPem: pem("PRIVATE KEY", subjectKey.pkcs8),
    key: subjectPair,
    cert,
    keyType,
  };
}

/** A self-signed root CA. */
export function createRootCa(opts: CertOptions = {}): Promise<Issued> {
  return build({ isCa: true, ...opts }, "root", null);
}

/** An intermediate CA signed by `issuer`. */
export function issueIntermediate(issuer: Issued, opts: CertOptions = {}): Promise<Issued> {
  return build({ isCa: true, ...opts }, "intermediate", issuer);
}

/** A server (EKU serverAuth) certificate signed by `issuer`, with SKI/AKI. */
export function issueLeaf(issuer: Issued, opts: CertOptions): Promise<Issued> {
  return build(opts, "leaf", issuer);
}

/** A self-signed server certificate that is not a CA. */
export function selfSignedLeaf(opts: CertOptions): Promise<Issued> {
  return build({ isCa: false, ...opts }, "self-signed-leaf", null);
}

/** Concatenated PEM of the given certificates, in the order given. */
export function chainPem(...certs: Issued[]): string {
  return certs.map((c) => c.certPem).join("");
}

/** The certificate's DER with the last byte of its signature flipped: parses, but does not verify. */
export function withBadSignature(cert: Issued): Uint8Array {
  const der = new Uint8Array(cert.certDer);
  const last = der.length - 1;
  der[last] = (der[last] ?? 0) ^ 0x01;
  return der;
}
