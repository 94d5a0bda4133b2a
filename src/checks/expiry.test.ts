import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CertificateSummary } from "../domain/certificate.js";
import { DEFAULT_THRESHOLDS } from "./context.js";
import { expiresWithinThreshold, expiryFindings, newerCertificateFor } from "./expiry.js";

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
  it("raises 68 and 19 when a newer certificate covering the host is known", () => {
    const renewed = cert("new", -1, 89, ["*.contoso.com"]);
    const f = expiryFindings(endpoint, old, [renewed], now, DEFAULT_THRESHOLDS);
    assert.deepEqual(
      f.map((x) => x.event),
      ["installed-certificate-expiring", "renewal-not-installed"],
    );
    assert.equal((f[1]?.details.newerCertificate as { sha256: string }).sha256, "new");
  });
  it("ignores certificates that are older, not yet valid, or for other names", () => {
    const known = [cert("older", -100, 5), cert("future", 3, 90), cert("other", -1, 89, ["api.contoso.com"])];
    assert.equal(newerCertificateFor(old, endpoint.host, known, now), null);
  });
  it("raises nothing for a healthy certificate", () => {
    assert.deepEqual(expiryFindings(endpoint, cert("ok", -10, 80), [], now, DEFAULT_THRESHOLDS), []);
  });
});
