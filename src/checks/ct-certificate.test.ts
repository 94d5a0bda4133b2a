import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CertificateSummary } from "../domain/certificate.js";
import {
  checkLoggedCertificate,
  type LoggedCertificate,
  type LoggedCertificateContext,
} from "./ct-certificate.js";

const ROOT_A = "aa".repeat(32);
const ROOT_B = "bb".repeat(32);

function logged(names: string[], root: string | null = ROOT_A): LoggedCertificate {
  const summary: CertificateSummary = {
    sha256: "cd".repeat(32),
    serialNumber: "01",
    subject: `CN=${names[0] ?? ""}`,
    issuer: "CN=Issuing CA",
    dnsNames: names,
    ipAddresses: [],
    notBefore: "2026-11-01T00:00:00Z",
    notAfter: "2027-01-30T00:00:00Z",
  };
  return {
    summary,
    identity: "ef".repeat(32),
    entryType: "precert",
    log: { id: "log", description: "Test log", index: 42 },
    loggedAt: "2026-11-25T10:00:00Z",
    issuerKeySha256: "12".repeat(32),
    root: root === null ? null : { spkiSha256: root, subject: "CN=Root" },
    watchedNames: names.map((name) => ({ name, domain: "contoso.com" })),
  };
}

function ctx(over: Partial<LoggedCertificateContext> = {}): LoggedCertificateContext {
  return {
    knownNames: new Set(["www.contoso.com"]),
    baseline: new Map([["contoso.com", new Set([ROOT_A])]]),
    allowedRoots: new Set(),
    ...over,
  };
}

const events = (fs: { event: string; key: string }[]) => fs.map((f) => `${f.event}:${f.key}`);

void describe("new-subdomain (25)", () => {
  void it("raises one alert per name never seen, keyed by the name, not for the domain itself", () => {
    const c = logged(["contoso.com", "www.contoso.com", "shop.contoso.com", "*.api.contoso.com"]);
    assert.deepEqual(events(checkLoggedCertificate(c, ctx())), [
      "new-subdomain:shop.contoso.com",
      "new-subdomain:*.api.contoso.com",
    ]);
  });

  void it("says where the certificate was logged and which watched domain the name is under", () => {
    const [f] = checkLoggedCertificate(logged(["shop.contoso.com"]), ctx());
    assert.deepEqual(f?.details, {
      name: "shop.contoso.com",
      watchedDomain: "contoso.com",
      wildcard: false,
      log: "Test log",
      logId: "log",
      index: 42,
      entryType: "precert",
      loggedAt: "2026-11-25T10:00:00Z",
    });
  });
});

void describe("different-root (20)", () => {
  void it("raises for a root outside the baseline, keyed by the CT identity", () => {
    const fs = checkLoggedCertificate(logged(["www.contoso.com"], ROOT_B), ctx());
    assert.deepEqual(events(fs), [`different-root:${"ef".repeat(32)}`]);
    assert.deepEqual(fs[0]?.details["baselineRoots"], { "contoso.com": [ROOT_A] });
  });

  void it("stays quiet for a baseline root, an allowed root, or an unknown root", () => {
    assert.deepEqual(checkLoggedCertificate(logged(["www.contoso.com"], ROOT_A), ctx()), []);
    const allowed = ctx({ allowedRoots: new Set([ROOT_B]) });
    assert.deepEqual(checkLoggedCertificate(logged(["www.contoso.com"], ROOT_B), allowed), []);
    assert.deepEqual(checkLoggedCertificate(logged(["www.contoso.com"], null), ctx()), []);
  });

  void it("learns the first root of a domain without a baseline, unless allowedRoots says which are expected", () => {
    const empty = ctx({ baseline: new Map() });
    assert.deepEqual(checkLoggedCertificate(logged(["www.contoso.com"], ROOT_B), empty), []);
    const pinned = ctx({ baseline: new Map(), allowedRoots: new Set([ROOT_A]) });
    assert.deepEqual(events(checkLoggedCertificate(logged(["www.contoso.com"], ROOT_B), pinned)), [
      `different-root:${"ef".repeat(32)}`,
    ]);
  });
});
