/**
 * @module sources/tls/chain-capture
 * Reads the certificates a server sent, leaf first, as DER; and the placeholder trust anchor that keeps
 * Node from appending a root of its own store to that list.
 */
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import type { DetailedPeerCertificate, TLSSocket } from "node:tls";
import * as x509 from "@peculiar/x509";

/** Far more than any real chain; bounds the walk over what the server sent. */
const MAX_CHAIN = 32;

let placeholder: Promise<string> | null = null;

/**
 * A throwaway self-signed certificate, generated once per process, given to TLS as the only trusted CA.
 * Without it Node's getPeerCertificate(true) completes a chain that lacks its root with a root from the
 * default store, which the server never sent. It never verifies anything: validation is done by pki/.
 */
export function placeholderTrustAnchor(): Promise<string> {
  placeholder ??= (async () => {
    const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
    const keys = await webcrypto.subtle.generateKey(alg, false, ["sign", "verify"]);
    const cert = await x509.X509CertificateGenerator.createSelfSigned(
      {
        name: "CN=certwatch probe placeholder (trusts nothing)",
        keys,
        signingAlgorithm: alg,
        notBefore: new Date(Date.now() - 86_400_000),
        notAfter: new Date(Date.now() + 86_400_000),
      },
      webcrypto,
    );
    return cert.toString("pem");
  })();
  placeholder.catch(() => {
    placeholder = null;
  });
  return placeholder;
}

/**
 * The chain the server sent, leaf first, each certificate's DER as received. Node links each certificate
 * to its issuer among those sent, so the order is the issuer path; a certificate sent that is no link of
 * that path is not returned.
 */
export function captureChain(socket: TLSSocket): Uint8Array[] {
  const chain: Uint8Array[] = [];
  const seen = new Set<string>();
  let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (cert && Buffer.isBuffer(cert.raw) && chain.length < MAX_CHAIN) {
    const id = cert.fingerprint256;
    if (seen.has(id)) break;
    seen.add(id);
    chain.push(new Uint8Array(cert.raw));
    cert = cert.issuerCertificate;
  }
  return chain;
}
