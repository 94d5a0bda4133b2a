import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CertificateSummary } from "../domain/certificate.js";
import { DEFAULT_THRESHOLDS } from "./context.js";
import { expiresWithinThreshold, expiryFindings, renewalFor } from "./expiry.js";

const DAY = 86_400_000;
const now = new Date("2026-11-25T12:00:00Z");
const at = (days: number) => new Date(now.getTime() + days * DAY);
const cert = (
  sha: string,
  fromDays: number,
  toDays: number,
  dnsNames = ["www.contoso.com"],
): CertificateSummary => ({
  sha256: sha,
  serialNumber: sha,
  subject: "CN=www.contoso.com",
  issuer: "CN=CA",
  dnsNames,
  ipAddresses: [],
  notBefore: at(fromDays).toISOString(),
  notAfter: at(toDays).toISOString(),
});
const endpoint = { host: "www.contoso.com", port: 443, address: "127.0.0.1" };

describe("expiry threshold: days AND fraction of lifetime", () => {
  it("a 398-day certificate with 20 days left is expiring", () => {
    assert.ok(expiresWithinThreshold({ notBefore: at(-378), notAfter: at(20) }, now, DEFAULT_THRESHOLDS));
  });
  it("a 47-day certificate with 20 days left is healthy (more than a third of its life left)", () => {
    assert.ok(!expiresWithinThreshold({ notBefore: at(-27), notAfter: at(20) }, now, DEFAULT_THRESHOLDS));
  });
  it("a 47-day certificate with 10 days left is expiring", () => {
    assert.ok(expiresWithinThreshold({ notBefore: at(-37), notAfter: at(10) }, now, DEFAULT_THRESHOLDS));
  });
  it("a 90-day certificate with 40 days left is healthy; an expired one is not 'expiring'", () => {
    assert.ok(!expiresWithinThreshold({ notBefore: at(-50), notAfter: at(40) }, now, DEFAULT_THRESHOLDS));
    assert.ok(!expiresWithinThreshold({ notBefore: at(-100), notAfter: at(-1) }, now, DEFAULT_THRESHOLDS));
  });
});

describe("68 with 19 or 99", () => {
  const old = cert("old", -80, 10);
  it("raises 68 and 99 when no renewal is known", () => {
    const f = expiryFindings(endpoint, old, [], now, DEFAULT_THRESHOLDS);
    assert.deepEqual(
      f.map((x) => x.event),
      ["installed-certificate-expiring", "certificate-expiring-not-renewed"],
    );
    assert.equal(f[1]?.key, "old", "99 is keyed by the certificate");
  });
  it("raises 68 and 19 when a newer certificate listing the same names is known", () => {
    const renewed = cert("new", -1, 89, ["www.contoso.com", "contoso.com"]);
    const f = expiryFindings(endpoint, old, [renewed], now, DEFAULT_THRESHOLDS);
    assert.deepEqual(
      f.map((x) => x.event),
      ["installed-certificate-expiring", "renewal-not-installed"],
    );
    assert.equal((f[1]?.details.newerCertificate as { sha256: string }).sha256, "new");
  });
  it("a newer wildcard covering the host is not a renewal: 99, with the wildcard named as a hint", () => {
    const wildcard = cert("wild", -1, 89, ["*.contoso.com"]);
    const f = expiryFindings(endpoint, old, [wildcard], now, DEFAULT_THRESHOLDS);
    assert.deepEqual(
      f.map((x) => x.event),
      ["installed-certificate-expiring", "certificate-expiring-not-renewed"],
    );
    assert.deepEqual(f[1]?.details.otherCoveringCertificates, [
      { sha256: "wild", notAfter: wildcard.notAfter, names: ["*.contoso.com"], nameCount: 1 },
    ]);
    assert.match(String(f[1]?.details.hint), /not counted as a renewal/);
    assert.equal(f[0]?.details.otherCoveringCertificates, undefined, "68 carries no hint");
  });
  it("a wildcard is renewed only by the same wildcard; a renewal may list more names, never fewer", () => {
    const oldWild = cert("oldwild", -80, 10, ["*.contoso.com", "contoso.com"]);
    const narrower = cert("narrow", -1, 89, ["www.contoso.com", "contoso.com"]);
    const fewer = cert("fewer", -1, 89, ["*.contoso.com"]);
    const wider = cert("wider", -1, 89, ["*.contoso.com", "contoso.com", "*.api.contoso.com"]);
    const names = ["*.contoso.com", "contoso.com"];
    assert.equal(renewalFor(oldWild, names, [narrower, fewer], now), null);
    assert.equal(renewalFor(oldWild, names, [narrower, fewer, wider], now)?.sha256, "wider");
    assert.equal(
      renewalFor(old, ["WWW.Contoso.com."], [cert("n", -1, 89, ["www.contoso.com"])], now)?.sha256,
      "n",
    );
  });
  it("ignores certificates that are older, not yet valid, issued before it, or for other names", () => {
    const known = [
      cert("older", -100, 5),
      cert("future", 3, 90),
      cert("before", -90, 20),
      cert("other", -1, 89, ["api.contoso.com"]),
    ];
    assert.equal(renewalFor(old, ["www.contoso.com"], known, now), null);
    const f = expiryFindings(endpoint, old, known, now, DEFAULT_THRESHOLDS);
    assert.equal(f[1]?.details.otherCoveringCertificates, undefined, "none of them covers the host");
  });
  it("names at most three other covering certificates, newest first, with at most ten names each", () => {
    const many = Array.from({ length: 12 }, (_, i) => `n${i}.contoso.com`);
    const wilds = [60, 89, 70, 80].map((d) => cert(`w${d}`, -1, d, ["*.contoso.com", ...many]));
    const f = expiryFindings(endpoint, old, wilds, now, DEFAULT_THRESHOLDS);
    const others = f[1]?.details.otherCoveringCertificates as {
      sha256: string;
      names: string[];
      nameCount: number;
    }[];
    assert.deepEqual(
      others.map((o) => o.sha256),
      ["w89", "w80", "w70"],
    );
    assert.equal(others[0]?.names.length, 10);
    assert.equal(others[0]?.nameCount, 13);
  });
  it("raises nothing for a healthy certificate", () => {
    assert.deepEqual(expiryFindings(endpoint, cert("ok", -10, 80), [], now, DEFAULT_THRESHOLDS), []);
  });
});
