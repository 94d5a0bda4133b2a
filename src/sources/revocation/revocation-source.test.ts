/**
 * @module sources/revocation/revocation-source.test
 * The run-wide limits of the revocation source against a real CRL server on loopback and a real SQLite store:
 * at most `concurrency` downloads in flight, and at most `maxDistributionPoints` CRLs fetched per certificate
 * (http first, duplicates once), the rest reported as skipped.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { parseCertificate, type ParsedCertificate } from "../../pki/certificate.js";
import { openStore } from "../../store/open.js";
import type { Store } from "../../store/store.js";
import { issueCrl } from "../../../test/helpers/crl-ca.js";
import { createRootCa, issueIntermediate, issueLeaf, type Issued } from "../../../test/helpers/pki.js";
import { RevocationSource, type RevocationOptions } from "./revocation-source.js";

const OPTIONS: RevocationOptions = {
  crl: true,
  ocsp: false,
  timeoutMs: 5000,
  crlMaxBytes: 1024 * 1024,
  ocspMaxBytes: 65536,
  // The CRL server is on loopback.
  allowPrivateAddresses: true,
  maxDistributionPoints: 3,
  concurrency: 8,
};

function parsed(i: Issued): ParsedCertificate {
  const p = parseCertificate(i.certDer);
  if (!p.ok) throw new Error(p.error);
  return p.cert;
}

describe("RevocationSource limits", () => {
  let int: Issued;
  let store: Store;
  let server: Server;
  let origin: string;
  const hits = new Map<string, number>();
  let inFlight = 0;
  let maxInFlight = 0;

  before(async () => {
    const root = await createRootCa({ subject: "CN=Limits Root" });
    int = await issueIntermediate(root, { subject: "CN=Limits CA" });
    const crl = Buffer.from(await issueCrl(int, { entries: [] }));
    store = await openStore("sqlite::memory:");
    // Every path answers the same CRL after 50 ms, counting the requests in flight.
    server = createServer((req, res) => {
      hits.set(req.url ?? "", (hits.get(req.url ?? "") ?? 0) + 1);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        res.writeHead(200, { "content-type": "application/pkix-crl", "content-length": crl.length }).end(crl);
      }, 50);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await store.close();
  });

  it("keeps at most `concurrency` downloads in flight for the whole run", async () => {
    const leaves = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        issueLeaf(int, { dnsNames: [`c${i}.test`], crlDistributionPoints: [`${origin}/c${i}.crl`] }),
      ),
    );
    const source = new RevocationSource(store, () => new Date(), { ...OPTIONS, concurrency: 2 });
    const evidence = await Promise.all(leaves.map((l) => source.evidenceFor([parsed(l), parsed(int)], null)));
    assert.deepEqual(
      evidence.map((e) => e[0]?.crls.map((c) => c.kind)),
      leaves.map(() => ["ok"]),
    );
    assert.equal([...hits.keys()].filter((k) => /^\/c\d\.crl$/.test(k)).length, 6);
    assert.equal(maxInFlight, 2);
  });

  it("fetches at most `maxDistributionPoints` per certificate, http first, and names the skipped ones", async () => {
    const dps = [
      "ldap://ldap.test/cn=Limits%20CA?certificateRevocationList",
      ...[1, 2, 3, 4, 5].map((i) => `${origin}/dp${i}.crl`),
      `${origin}/dp1.crl`,
    ];
    const leaf = await issueLeaf(int, { dnsNames: ["many.test"], crlDistributionPoints: dps });
    const source = new RevocationSource(store, () => new Date(), OPTIONS);
    const [ev] = await source.evidenceFor([parsed(leaf), parsed(int)], null);
    assert.ok(ev);
    assert.deepEqual(
      ev.crls.map((c) => [c.url, c.kind === "ok" ? "ok" : c.reason]),
      [
        [`${origin}/dp1.crl`, "ok"],
        [`${origin}/dp2.crl`, "ok"],
        [`${origin}/dp3.crl`, "ok"],
        [`${origin}/dp4.crl`, "too-many-distribution-points"],
      ],
    );
    const skipped = ev.crls[3];
    assert.ok(skipped?.kind === "unusable");
    assert.equal(skipped.stage, "download");
    assert.match(skipped.error, /names 6 CRL distribution points and revocation\.maxDistributionPoints is 3/);
    assert.match(skipped.error, /dp4\.crl, .*dp5\.crl, ldap:\/\/ldap\.test/);
    assert.deepEqual(
      ["/dp1.crl", "/dp2.crl", "/dp3.crl", "/dp4.crl", "/dp5.crl"].map((p) => hits.get(p) ?? 0),
      [1, 1, 1, 0, 0],
    );
  });
});
