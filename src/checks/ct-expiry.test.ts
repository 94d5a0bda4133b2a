import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CertificateSummary } from "../domain/certificate.js";
import type { InventoryCertificate } from "../store/store.js";
import { DEFAULT_THRESHOLDS } from "./context.js";
import { newestCertificateFindings } from "./ct-expiry.js";

const NOW = new Date("2026-11-25T00:00:00Z");
const day = (n: number) => new Date(NOW.getTime() + n * 86_400_000).toISOString().replace(/\.000Z$/, "Z");

function cert(sha: string, names: string[], from: number, to: number, o: Partial<InventoryCertificate> = {}) {
  const summary: CertificateSummary = {
    sha256: sha.repeat(64 / sha.length),
    serialNumber: sha,
    subject: `CN=${names[0] ?? ""}`,
    issuer: "CN=CA",
    dnsNames: names,
    ipAddresses: [],
    notBefore: day(from),
    notAfter: day(to),
  };
  return { summary, identity: null, precertificate: false, ...o } satisfies InventoryCertificate;
}

const watched = (n: string) => n === "contoso.com" || n.endsWith(".contoso.com");
const run = (certs: InventoryCertificate[]) =>
  newestCertificateFindings(certs, watched, NOW, DEFAULT_THRESHOLDS).map((f) => [
    f.key.slice(0, 2),
    f.details["namesNotRenewed"],
  ]);

void describe("certificate-expiring-not-renewed from the inventory (99)", () => {
  void it("raises for the newest certificate of a name when it expires within the threshold", () => {
    assert.deepEqual(run([cert("a1", ["www.contoso.com"], -80, 10)]), [["a1", ["www.contoso.com"]]]);
  });

  void it("is quiet when a newer certificate covers the name, or the certificate is healthy or expired", () => {
    assert.deepEqual(
      run([cert("a1", ["www.contoso.com"], -80, 10), cert("b2", ["www.contoso.com"], -5, 85)]),
      [],
    );
    assert.deepEqual(run([cert("a1", ["www.contoso.com"], -10, 80)]), []);
    assert.deepEqual(run([cert("a1", ["www.contoso.com"], -90, -1)]), []);
  });

  void it("lists the names no newer certificate lists; a wildcard renews only the same wildcard", () => {
    const old = cert("a1", ["www.contoso.com", "shop.contoso.com", "other.example"], -80, 10);
    const wildcard = cert("b2", ["*.contoso.com"], -5, 85);
    const partial = cert("c3", ["www.contoso.com"], -5, 85);
    const full = cert("d4", ["shop.contoso.com", "www.contoso.com", "api.contoso.com"], -5, 85);
    assert.deepEqual(run([old, partial]), [["a1", ["shop.contoso.com"]]]);
    assert.deepEqual(run([old, wildcard]), [["a1", ["www.contoso.com", "shop.contoso.com"]]]);
    assert.deepEqual(run([old, partial, wildcard, full]), [], "unwatched names need not be renewed");
    const oldWild = cert("e5", ["*.contoso.com"], -80, 10);
    assert.deepEqual(run([oldWild, full]), [["e5", ["*.contoso.com"]]]);
    assert.deepEqual(run([oldWild, cert("f6", ["*.contoso.com", "contoso.com"], -5, 85)]), []);
  });

  void it("names newer certificates that cover the names without renewing them, as a hint", () => {
    const old = cert("a1", ["www.contoso.com", "shop.contoso.com"], -80, 10);
    const wildcard = cert("b2", ["*.contoso.com"], -5, 85);
    const [finding] = newestCertificateFindings(
      [old, wildcard, cert("c3", ["www.example.org"], -5, 85)],
      watched,
      NOW,
      DEFAULT_THRESHOLDS,
    );
    assert.deepEqual(finding?.details["otherCoveringCertificates"], [
      {
        sha256: wildcard.summary.sha256,
        notAfter: wildcard.summary.notAfter,
        names: ["*.contoso.com"],
        nameCount: 1,
      },
    ]);
    assert.equal(typeof finding?.details["hint"], "string");
  });

  void it("counts a precertificate and its certificate once, keyed by the certificate", () => {
    const pre = cert("e5", ["www.contoso.com"], -80, 10, { identity: "id", precertificate: true });
    const fin = cert("f6", ["www.contoso.com"], -80, 10, { identity: "id" });
    assert.deepEqual(run([pre, fin]), [["f6", ["www.contoso.com"]]]);
    assert.deepEqual(run([pre]), [["e5", ["www.contoso.com"]]]);
  });
});
