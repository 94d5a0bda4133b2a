/**
 * @module sources/tls/chain-capture
 * The certificates a server sent, leaf first, as DER: off the wire, else from Node's issuer walk.
 */
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import type { DetailedPeerCertificate, TLSSocket } from "node:tls";
import * as x509 from "@peculiar/x509";
import { chainFromWire, type WireChainInput } from "./wire-chain.js";

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
 * The chain the server sent, leaf first, each certificate's DER as received. The Certificate message
 * read from the wire gives the exact list (order, extras, duplicates). When it cannot be read, Node's
 * getPeerCertificate(true) walk is used: it keeps only the issuer path, in path order, and (Node 20)
 * stops early when an issuer was sent last but out of order.
 */
export function captureChain(socket: TLSSocket, wire: WireChainInput | null): Uint8Array[] {
  const sent = wire ? chainFromWire(wire) : null;
  // The wire read is authentic: TLS 1.3 records pass their AEAD tag check, and TLS 1.2's plaintext
  // flight is what OpenSSL's Finished check covered. Asking Node for the peer certificate to compare
  // would parse it again on every probe, so Node's view is used only when the wire read found nothing.
  if (sent && sent.length > 0) return sent;
  return walkPeerChain(socket);
}

/** Node's view: the peer certificate and its issuers among those sent, each at most once. */
export function walkPeerChain(socket: TLSSocket): Uint8Array[] {
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
