/**
 * @module test/helpers/ocsp-responder
 * A real OCSP responder on loopback (GET and POST, faults, request log) and the DER responses it signs.
 */
import "reflect-metadata";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { createHash, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier, Certificate, CRLReason, CRLReasons, Extension } from "@peculiar/asn1-x509";
import {
  BasicOCSPResponse,
  CertID,
  CertStatus,
  id_pkix_ocsp_basic,
  id_pkix_ocsp_nonce,
  KeyHash,
  OCSPRequest,
  OCSPResponse,
  OCSPResponseStatus,
  ResponderID,
  ResponseBytes,
  ResponseData,
  RevokedInfo,
  SingleResponse,
} from "@peculiar/asn1-ocsp";
import type { Issued, KeyType } from "./pki.js";

export type OcspTestStatus =
  | { status: "good" }
  | { status: "revoked"; revokedAt: Date; reason?: keyof typeof CRLReasons }
  | { status: "unknown" };

export interface OcspSigning {
  /** The CA whose certificates are answered for. */
  issuer: Issued;
  /** Who signs: the issuer (default) or a delegated responder, which is then included in `certs`. */
  signer?: Issued;
  /** Sign with an unrelated key of the same type: the signature verifies with no certificate. */
  wrongKey?: boolean;
  /** How the ResponderID names the signer; default "key" (RFC 5019). */
  responderId?: "key" | "name";
}

export interface OcspTimes {
  /** Default: one minute ago, whole seconds. */
  thisUpdate?: Date;
  /** Default thisUpdate + 1 day; null for none. */
  nextUpdate?: Date | null;
  /** Default thisUpdate. */
  producedAt?: Date;
}

export interface OcspAnswer {
  certId: CertID;
  status: OcspTestStatus;
}

const SHA_OIDS = { "SHA-1": "1.3.14.3.2.26", "SHA-256": "2.16.840.1.101.3.4.2.1" } as const;
export type CertIdHash = keyof typeof SHA_OIDS;

const seconds = (d: Date): Date => new Date(Math.floor(d.getTime() / 1000) * 1000);

function tbsOf(c: Issued) {
  return AsnConvert.parse(c.certDer, Certificate).tbsCertificate;
}

/** SHA-1 of the certificate's public key bits (ResponderID byKey, CertID issuerKeyHash). */
function keyHash(c: Issued, alg = "sha1"): Buffer {
  return createHash(alg)
    .update(new Uint8Array(tbsOf(c).subjectPublicKeyInfo.subjectPublicKey))
    .digest();
}

/** The CertID of `leaf` under `issuer`, computed here independently of src/ (and checked against OpenSSL). */
export function testCertId(leaf: Issued, issuer: Issued, hash: CertIdHash = "SHA-1"): CertID {
  const alg = hash === "SHA-1" ? "sha1" : "sha256";
  const nameDer = new Uint8Array(AsnConvert.serialize(tbsOf(issuer).subject));
  return new CertID({
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: SHA_OIDS[hash], parameters: null }),
    issuerNameHash: new OctetString(createHash(alg).update(nameDer).digest()),
    issuerKeyHash: new OctetString(keyHash(issuer, alg)),
    serialNumber: tbsOf(leaf).serialNumber,
  });
}

const wrongKeys = new Map<KeyType, KeyObject>();

function unrelatedKey(t: KeyType): KeyObject {
  let k = wrongKeys.get(t);
  if (!k) {
    const pair = t.startsWith("rsa")
      ? generateKeyPairSync("rsa", { modulusLength: Number(t.slice(4)) })
      : generateKeyPairSync("ec", { namedCurve: t === "ec-p384" ? "P-384" : "P-256" });
    k = pair.privateKey;
    wrongKeys.set(t, k);
  }
  return k;
}

function signatureOf(signer: Issued, key: KeyObject, data: Uint8Array): [AlgorithmIdentifier, Buffer] {
  if (signer.keyType.startsWith("rsa")) {
    const alg = new AlgorithmIdentifier({ algorithm: "1.2.840.113549.1.1.11", parameters: null });
    return [alg, sign("sha256", data, key)];
  }
  const p384 = signer.keyType === "ec-p384";
  const alg = new AlgorithmIdentifier({ algorithm: p384 ? "1.2.840.10045.4.3.3" : "1.2.840.10045.4.3.2" });
  return [alg, sign(p384 ? "sha384" : "sha256", data, { key, dsaEncoding: "der" })];
}

function certStatus(s: OcspTestStatus): CertStatus {
  if (s.status === "good") return new CertStatus({ good: null });
  if (s.status === "unknown") return new CertStatus({ unknown: null });
  const info = new RevokedInfo({ revocationTime: seconds(s.revokedAt) });
  if (s.reason !== undefined) info.revocationReason = new CRLReason(CRLReasons[s.reason]);
  return new CertStatus({ revoked: info });
}

function nonceExtension(nonce: Uint8Array): Extension {
  return new Extension({
    extnID: id_pkix_ocsp_nonce,
    extnValue: new OctetString(AsnConvert.serialize(new OctetString(nonce))),
  });
}

/** A successful, signed OCSPResponse with one SingleResponse per answer. */
export function buildOcspResponse(
  signing: OcspSigning,
  answers: readonly OcspAnswer[],
  times: OcspTimes = {},
  nonce?: Uint8Array,
): Uint8Array {
  const signer = signing.signer ?? signing.issuer;
  const thisUpdate = seconds(times.thisUpdate ?? new Date(Date.now() - 60_000));
  const nextUpdate =
    times.nextUpdate === undefined ? new Date(thisUpdate.getTime() + 86_400_000) : times.nextUpdate;
  const responderID =
    signing.responderId === "name"
      ? new ResponderID({ byName: tbsOf(signer).subject })
      : new ResponderID({ byKey: new KeyHash(keyHash(signer)) });
  const data = new ResponseData({
    responderID,
    producedAt: seconds(times.producedAt ?? thisUpdate),
    responses: answers.map((a) => {
      const single = new SingleResponse({ certID: a.certId, certStatus: certStatus(a.status), thisUpdate });
      if (nextUpdate !== null) single.nextUpdate = seconds(nextUpdate);
      return single;
    }),
  });
  if (nonce !== undefined) data.responseExtensions = [nonceExtension(nonce)];
  const tbs = new Uint8Array(AsnConvert.serialize(data));
  const key = signing.wrongKey ? unrelatedKey(signer.keyType) : createPrivateKey(signer.keyPem);
  const [signatureAlgorithm, signature] = signatureOf(signer, key, tbs);
  const basic = new BasicOCSPResponse({
    tbsResponseData: data,
    signatureAlgorithm,
    signature: new Uint8Array(signature).buffer,
  });
  if (signer !== signing.issuer) basic.certs = [AsnConvert.parse(signer.certDer, Certificate)];
  return new Uint8Array(
    AsnConvert.serialize(
      new OCSPResponse({
        responseStatus: OCSPResponseStatus.successful,
        responseBytes: new ResponseBytes({
          responseType: id_pkix_ocsp_basic,
          response: new OctetString(AsnConvert.serialize(basic)),
        }),
      }),
    ),
  );
}

/** An unsuccessful OCSPResponse (no responseBytes), e.g. tryLater. */
export function ocspErrorResponse(
  status: Exclude<OCSPResponseStatus, OCSPResponseStatus.successful>,
): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(new OCSPResponse({ responseStatus: status })));
}

/** A DER response about one leaf, e.g. for a TLS server to staple. */
export function ocspResponseFor(
  leaf: Issued,
  signing: OcspSigning,
  status: OcspTestStatus,
  options: OcspTimes & { certIdHash?: CertIdHash } = {},
): Uint8Array {
  return buildOcspResponse(
    signing,
    [{ certId: testCertId(leaf, signing.issuer, options.certIdHash), status }],
    options,
  );
}

// ---------------------------------------------------------------------------------------------------
// The responder

/** How the responder misbehaves: every request gets this treatment. */
export type OcspFault =
  | "none"
  /** thisUpdate two days ago, nextUpdate an hour ago. */
  | "stale"
  /** responseStatus tryLater, no responseBytes. */
  | "try-later"
  /** HTTP 200 with an HTML page. */
  | "garbage"
  /** Reads the request and never answers. */
  | "silent"
  /** HTTP 200 whose body never ends (chunked, no length). */
  | "endless"
  /** HTTP 200 with a declared 1 MiB body of zeros. */
  | "big"
  | "http-500";

export interface OcspResponderOptions extends OcspSigning {
  /** Status per serial (hex, any case, leading zeros ignored); other serials are "unknown". */
  statuses?: Record<string, OcspTestStatus>;
  fault?: OcspFault;
  /** Answer GET with 405 (a POST-only responder). */
  rejectGet?: boolean;
}

export interface LoggedOcspRequest {
  method: string;
  url: string;
  /** Serials asked about (hex, lowercase, no leading zeros); empty when the request did not parse. */
  serials: string[];
}

export interface RunningOcspResponder {
  /** Base URL, e.g. http://127.0.0.1:41234/ocsp */
  url: string;
  port: number;
  /** Every request received, in order. */
  requests: LoggedOcspRequest[];
  /** TCP connections accepted: zero proves that nothing reached the responder. */
  readonly connections: number;
  /** Change behaviour between requests. */
  fault: OcspFault;
  setStatus(serial: string, status: OcspTestStatus): void;
  close(): Promise<void>;
}

const MAX_REQUEST_BYTES = 64 * 1024;
const normalSerial = (hex: string): string => hex.toLowerCase().replace(/^(00)+(?=.)/, "");

function parseRequest(der: Uint8Array): OCSPRequest | null {
  try {
    return AsnConvert.parse(der, OCSPRequest);
  } catch {
    return null;
  }
}

function requestNonce(req: OCSPRequest): Uint8Array | undefined {
  const ext = req.tbsRequest.requestExtensions?.find((e) => e.extnID === id_pkix_ocsp_nonce);
  if (!ext) return undefined;
  try {
    return new Uint8Array(AsnConvert.parse(ext.extnValue.buffer, OctetString).buffer);
  } catch {
    return undefined;
  }
}

/** Starts a responder on 127.0.0.1, port 0; requests to any path are OCSP requests. */
export async function startOcspResponder(options: OcspResponderOptions): Promise<RunningOcspResponder> {
  const statuses = new Map<string, OcspTestStatus>();
  for (const [serial, s] of Object.entries(options.statuses ?? {})) statuses.set(normalSerial(serial), s);
  const requests: LoggedOcspRequest[] = [];

  const answer = (res: http.ServerResponse, method: string, url: string, der: Uint8Array | null): void => {
    const parsed = der === null ? null : parseRequest(der);
    const certIds = parsed?.tbsRequest.requestList.map((r) => r.reqCert) ?? [];
    const serials = certIds.map((id) => normalSerial(Buffer.from(id.serialNumber).toString("hex")));
    requests.push({ method, url, serials });
    if (method === "GET" && options.rejectGet) return void res.writeHead(405, { allow: "POST" }).end();
    const fault = responder.fault;
    if (fault === "silent") return;
    if (fault === "http-500") return void res.writeHead(500).end("internal error");
    if (fault === "garbage") {
      return void res
        .writeHead(200, { "content-type": "text/html" })
        .end("<html><body>It works!</body></html>");
    }
    if (fault === "big") {
      const size = 1024 * 1024;
      res.writeHead(200, { "content-type": "application/ocsp-response", "content-length": size });
      return void res.end(Buffer.alloc(size));
    }
    if (fault === "endless") return endless(res);
    let body: Uint8Array;
    if (fault === "try-later") body = ocspErrorResponse(OCSPResponseStatus.tryLater);
    else if (parsed === null || certIds.length === 0)
      body = ocspErrorResponse(OCSPResponseStatus.malformedRequest);
    else {
      const now = Date.now();
      const times: OcspTimes =
        fault === "stale"
          ? { thisUpdate: new Date(now - 2 * 86_400_000), nextUpdate: new Date(now - 3_600_000) }
          : {};
      const answers = certIds.map((certId, i) => ({
        certId,
        status: statuses.get(serials[i] ?? "") ?? { status: "unknown" as const },
      }));
      body = buildOcspResponse(options, answers, times, requestNonce(parsed));
    }
    res.writeHead(200, { "content-type": "application/ocsp-response", "content-length": body.length });
    res.end(Buffer.from(body));
  };

  const server = http.createServer((req, res) => {
    const url = req.url ?? "/";
    if (req.method === "GET") {
      const segment = url.slice(url.lastIndexOf("/") + 1);
      let der: Uint8Array | null = null;
      try {
        der = new Uint8Array(Buffer.from(decodeURIComponent(segment), "base64"));
      } catch {
        der = null;
      }
      return answer(res, "GET", url, der);
    }
    if (req.method !== "POST") return void res.writeHead(405, { allow: "GET, POST" }).end();
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_REQUEST_BYTES) req.destroy();
      else chunks.push(c);
    });
    req.on("end", () => answer(res, "POST", url, new Uint8Array(Buffer.concat(chunks))));
  });
  let connections = 0;
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;

  const responder: RunningOcspResponder = {
    url: `http://127.0.0.1:${port}/ocsp`,
    port,
    requests,
    get connections() {
      return connections;
    },
    fault: options.fault ?? "none",
    setStatus: (serial, s) => void statuses.set(normalSerial(serial), s),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return responder;
}

function endless(res: http.ServerResponse): void {
  res.writeHead(200, { "content-type": "application/ocsp-response" });
  const chunk = Buffer.alloc(64 * 1024, 0x30);
  const pump = (): void => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once("drain", pump);
  };
  pump();
}
