import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { describe, it } from "node:test";
import { createRootCa, issueLeaf } from "../../test/helpers/pki.js";
import { parseCertificate } from "./certificate.js";
import { certificateCoversHost, dnsNameMatches, normalizeHost } from "./hostname.js";

const names = (
  dnsNames: string[],
  extra: Partial<{ ipAddresses: string[]; commonNames: string[]; hasSanExtension: boolean }> = {},
) => ({
  dnsNames,
  ipAddresses: extra.ipAddresses ?? [],
  commonNames: extra.commonNames ?? [],
  hasSanExtension: extra.hasSanExtension ?? true,
});

describe("RFC 6125 name matching", () => {
  it("matches exact names case-insensitively and ignores a trailing dot", () => {
    assert.ok(certificateCoversHost(names(["www.contoso.com"]), "WWW.Contoso.com."));
    assert.ok(!certificateCoversHost(names(["www.contoso.com"]), "contoso.com"));
  });

  it("a wildcard covers exactly one left-most label", () => {
    assert.ok(dnsNameMatches("*.contoso.com", "www.contoso.com"));
    assert.ok(!dnsNameMatches("*.contoso.com", "contoso.com"));
    assert.ok(!dnsNameMatches("*.contoso.com", "a.b.contoso.com"));
    assert.ok(!dnsNameMatches("w*.contoso.com", "www.contoso.com"), "partial wildcards are not honoured");
    assert.ok(!dnsNameMatches("*.com", "contoso.com"), "a wildcard over a TLD never matches");
    assert.ok(!dnsNameMatches("www.*.com", "www.contoso.com"));
  });

  it("IP hosts match only IP SANs", () => {
    assert.ok(certificateCoversHost(names([], { ipAddresses: ["127.0.0.1"] }), "127.0.0.1"));
    assert.ok(!certificateCoversHost(names(["127.0.0.1"]), "127.0.0.1"), "a dNSName never matches an IP");
    assert.ok(certificateCoversHost(names([], { ipAddresses: ["2001:db8::1"] }), "[2001:DB8:0::1]"));
  });

  it("uses the CN only when there is no SAN extension", () => {
    assert.ok(
      certificateCoversHost(
        names([], { commonNames: ["legacy.contoso.com"], hasSanExtension: false }),
        "legacy.contoso.com",
      ),
    );
    assert.ok(
      !certificateCoversHost(
        names(["www.contoso.com"], { commonNames: ["legacy.contoso.com"] }),
        "legacy.contoso.com",
      ),
    );
  });

  it("compares IDNs in A-label form", () => {
    assert.equal(normalizeHost("bücher.example"), "xn--bcher-kva.example");
    assert.ok(certificateCoversHost(names(["xn--bcher-kva.example"]), "bücher.example"));
  });

  it("agrees with Node's (OpenSSL's) checkHost on generated certificates", async () => {
    const ca = await createRootCa();
    const leaf = await issueLeaf(ca, { dnsNames: ["*.contoso.com", "contoso.com", "api.example.net"] });
    const parsed = parseCertificate(leaf.certDer);
    assert.ok(parsed.ok);
    const node = new X509Certificate(leaf.certDer);
    for (const host of [
      "www.contoso.com",
      "contoso.com",
      "a.b.contoso.com",
      "api.example.net",
      "example.net",
      "x.api.example.net",
      "contoso.com.evil.net",
    ]) {
      const ours = certificateCoversHost(parsed.cert, host);
      const openssl =
        node.checkHost(host, {
          wildcards: true,
          partialWildcards: false,
          multiLabelWildcards: false,
          subject: "default",
        }) !== undefined;
      assert.equal(ours, openssl, host);
    }
  });
});
