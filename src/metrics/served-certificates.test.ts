import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CertificateDates, ServedEndpoint } from "../store/metrics-queries.js";
import { labelValue, MAX_LABEL_CHARS } from "./label-value.js";
import {
  datedCertificates,
  endpointExpiries,
  instanceOf,
  serialDecimal,
  soonestCertificates,
} from "./served-certificates.js";

const cert = (sha256: string, notAfter: string): CertificateDates => ({
  sha256,
  serialNumber: "01",
  subject: `CN=${sha256}`,
  issuer: "CN=CA",
  notBefore: "2026-01-01T00:00:00Z",
  notAfter,
});
const endpoint = (host: string, address: string | null, chain: string[], port = 443): ServedEndpoint => ({
  host,
  port,
  address,
  observedAt: "2026-11-25T10:00:00Z",
  chain,
});

describe("served certificates", () => {
  const certs = datedCertificates([
    cert("leaf", "2027-03-01T00:00:00Z"),
    cert("int", "2026-12-31T00:00:00Z"),
    cert("other", "2027-06-01T00:00:00Z"),
    cert("undated", "not a date"),
  ]);

  it("per endpoint, the earliest notAfter of the chain it served, in unix seconds", () => {
    assert.deepEqual(
      endpointExpiries(
        [
          endpoint("www.contoso.com", "203.0.113.7", ["leaf", "int"]),
          endpoint("2001:db8::1", "2001:db8::1", ["other", "unknown"], 8443),
          endpoint("gone.contoso.com", "203.0.113.9", ["unknown", "undated"]),
        ],
        certs,
      ),
      [
        {
          instance: "www.contoso.com:443",
          address: "203.0.113.7",
          earliestNotAfter: Date.UTC(2026, 11, 31) / 1000,
        },
        {
          instance: "[2001:db8::1]:8443",
          address: "2001:db8::1",
          earliestNotAfter: Date.UTC(2027, 5, 1) / 1000,
        },
      ],
    );
  });

  it("keeps the certificates closest to expiry under the cap, each once", () => {
    const eps = [endpoint("a", "192.0.2.1", ["leaf", "int"]), endpoint("b", "192.0.2.2", ["other", "int"])];
    const all = soonestCertificates(eps, certs, 10);
    assert.deepEqual(
      all.shown.map((c) => c.sha256),
      ["int", "leaf", "other"],
    );
    assert.equal(all.truncated, false);
    const two = soonestCertificates(eps, certs, 2);
    assert.deepEqual(
      two.shown.map((c) => c.sha256),
      ["int", "leaf"],
    );
    assert.equal(two.truncated, true);
  });

  it("writes serial numbers in decimal, as x509-certificate-exporter does", () => {
    assert.equal(serialDecimal("01"), "1");
    assert.equal(serialDecimal("0a1b2c3d4e5f60718293a4b5c6d7e8f9"), "13433369256225207278633426983318972665");
    assert.equal(serialDecimal(""), "");
    assert.equal(serialDecimal("not hex"), "not hex");
    assert.equal(serialDecimal("f".repeat(65)), "f".repeat(65));
  });

  it("brackets IPv6 hosts in the instance", () => {
    assert.equal(instanceOf("::1", 443), "[::1]:443");
    assert.equal(instanceOf("www.contoso.com", 8443), "www.contoso.com:8443");
  });
});

describe("labelValue", () => {
  it("shows control, bidi and format characters as visible escapes, as the CLI does", () => {
    assert.equal(labelValue("a\u001b[31mred\u202egpj.exe\r\nz"), "a\\x1b[31mred\\u202egpj.exe\\r\\nz");
    assert.equal(labelValue('quotes " and } stay'), 'quotes " and } stay');
    assert.equal(labelValue("lone \ud800 surrogate"), "lone \\ud800 surrogate");
  });

  it("bounds the length, never cutting a surrogate pair", () => {
    const long = labelValue("x".repeat(10_000));
    assert.equal(long.length, MAX_LABEL_CHARS);
    assert.ok(long.endsWith("…"));
    const emoji = labelValue(`${"x".repeat(MAX_LABEL_CHARS - 2)}😀😀😀`);
    assert.ok(emoji.length <= MAX_LABEL_CHARS);
    assert.doesNotMatch(emoji, /[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    assert.equal(labelValue("short"), "short");
  });
});
