import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { createRootCa, issueLeaf } from "../../test/helpers/pki.js";
import { parseCertificate, type ParsedCertificate } from "../pki/certificate.js";
import type {
  CertRevocationEvidence,
  CrlEvidence,
  CrlView,
  OcspEvidence,
  RevocationEntry,
} from "../sources/revocation/evidence.js";
import { revocationFindings } from "./revocation.js";

const endpoint = { host: "www.contoso.test", port: 443, address: "192.0.2.1" };
const now = new Date("2026-11-25T12:00:00Z");
const URL_A = "http://crl.contoso.test/a.crl";

function crl(revoked: Record<string, RevocationEntry>, extra: Partial<CrlView> = {}): CrlView {
  return {
    thisUpdate: new Date("2026-11-24T00:00:00Z"),
    nextUpdate: new Date("2026-12-01T00:00:00Z"),
    scope: null,
    lookup: (s) => revoked[s],
    entries: Object.keys(revoked).length,
    ...extra,
  };
}

describe("revocation check (30, 32, 35, 104)", () => {
  let leaf: ParsedCertificate;
  const ev = (
    crls: CrlEvidence[],
    ocsp: OcspEvidence = { kind: "none" },
    role: "leaf" | "intermediate" = "leaf",
  ): CertRevocationEvidence[] => [{ cert: leaf, role, crls, ocsp }];
  const events = (e: CertRevocationEvidence[]) => revocationFindings(endpoint, e, now).map((f) => f.event);

  before(async () => {
    const ca = await createRootCa();
    const p = parseCertificate(
      (await issueLeaf(ca, { dnsNames: ["www.contoso.test"], serialNumber: "0abc" })).certDer,
    );
    assert.ok(p.ok);
    leaf = p.cert;
  });

  it("a good chain raises nothing", () => {
    assert.deepEqual(events(ev([{ url: URL_A, kind: "ok", crl: crl({}), fromCache: false }])), []);
  });

  it("a serial listed on the CRL raises 30 with date and reason", () => {
    const entry = { revokedAt: new Date("2026-11-20T00:00:00Z"), reason: "keyCompromise" };
    const f = revocationFindings(
      endpoint,
      ev([{ url: URL_A, kind: "ok", crl: crl({ [leaf.serialNumber]: entry }), fromCache: false }]),
      now,
    );
    assert.deepEqual(
      f.map((x) => x.event),
      ["revoked"],
    );
    assert.equal(f[0]?.key, leaf.sha256);
    assert.deepEqual(
      [f[0]?.details.revokedAt, f[0]?.details.reason, f[0]?.details.crlUrl],
      ["2026-11-20T00:00:00.000Z", "keyCompromise", URL_A],
    );
  });

  it("an unusable CRL raises 32 keyed by its URL, saying which step failed", () => {
    const f = revocationFindings(
      endpoint,
      ev([
        {
          url: URL_A,
          kind: "unusable",
          stage: "signature",
          reason: "bad-signature",
          error: "does not verify",
        },
      ]),
      now,
    );
    assert.deepEqual(
      f.map((x) => [x.event, x.key, x.details.stage]),
      [["crl-unreachable", URL_A, "signature"]],
    );
  });

  it("a CRL past its nextUpdate raises 35", () => {
    assert.deepEqual(
      events(
        ev([
          {
            url: URL_A,
            kind: "ok",
            crl: crl({}, { nextUpdate: new Date("2026-11-25T00:00:00Z") }),
            fromCache: true,
          },
        ]),
      ),
      ["crl-expired"],
    );
  });

  it("a partitioned CRL for CA certificates only does not vouch for a leaf", () => {
    const scoped = crl({}, { scope: { onlyUserCerts: false, onlyCaCerts: true, uris: [URL_A] } });
    const f = revocationFindings(
      endpoint,
      ev([{ url: URL_A, kind: "ok", crl: scoped, fromCache: false }]),
      now,
    );
    assert.deepEqual(
      f.map((x) => [x.event, x.details.reason]),
      [["crl-unreachable", "out-of-scope"]],
    );
    const forLeaves = crl({}, { scope: { onlyUserCerts: true, onlyCaCerts: false, uris: [URL_A] } });
    assert.deepEqual(events(ev([{ url: URL_A, kind: "ok", crl: forLeaves, fromCache: false }])), []);
  });

  it("OCSP revoked raises 30; a failed responder raises 104; disagreement is reported", () => {
    const revoked: OcspEvidence = {
      kind: "verdict",
      url: "http://ocsp.test",
      status: "revoked",
      revokedAt: new Date("2026-11-21T00:00:00Z"),
      reason: "superseded",
      thisUpdate: now,
      nextUpdate: null,
    };
    const f = revocationFindings(
      endpoint,
      ev([{ url: URL_A, kind: "ok", crl: crl({}), fromCache: false }], revoked),
      now,
    );
    assert.deepEqual(
      f.map((x) => x.event),
      ["revoked"],
    );
    assert.deepEqual(f[0]?.details.sources, ["ocsp"]);
    assert.match(String(f[0]?.details.disagreement), /does not list it/);
    const down = revocationFindings(
      endpoint,
      ev([], { kind: "failed", url: "http://ocsp.test", error: "timeout" }),
      now,
    );
    assert.deepEqual(
      down.map((x) => [x.event, x.subject]),
      [["ocsp-unreachable", "http://ocsp.test"]],
    );
  });
});
