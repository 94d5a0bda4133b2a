/**
 * @module checks/caa.test
 * Event 29 caa-mismatch: RFC 8659 §4 rules table by table (issue vs issuewild, ";", parameters, critical
 * tags, case, trailing dots), then the one finding per certificate and its details.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CertificateSummary } from "../domain/certificate.js";
import type { CaaIdentifierMatch } from "../pki/ca-identifiers.js";
import type { CaaRecord } from "../sources/dns/result.js";
import { caaVerdict, checkCaa, issuerDomainOf, type CaaPolicySeen } from "./caa.js";

const rec = (tag: string, value: string, flags = 0): CaaRecord => ({
  flags,
  critical: (flags & 0x80) !== 0,
  tag,
  value,
});

const LE: CaaIdentifierMatch = {
  identifiers: ["letsencrypt.org"],
  owner: "Let's Encrypt (ISRG)",
  via: "issuing-ca-key",
};

const cert: CertificateSummary = {
  sha256: "aa".repeat(32),
  serialNumber: "01",
  subject: "CN=shop.contoso.com",
  issuer: "C=US, O=Let's Encrypt, CN=R11",
  dnsNames: ["shop.contoso.com", "*.shop.contoso.com"],
  ipAddresses: [],
  notBefore: "2026-11-01T00:00:00Z",
  notAfter: "2027-01-30T00:00:00Z",
};

const policy = (
  name: string,
  records: readonly CaaRecord[],
  owner: string | null = "contoso.com",
): CaaPolicySeen => ({
  name,
  owner,
  records,
});

/** The reason checkCaa gives for one name under one record set, or "ok" when it raises nothing. */
function outcome(
  name: string,
  records: readonly CaaRecord[],
  issuer: CaaIdentifierMatch | null = LE,
): string {
  const f = checkCaa({ certificate: cert, key: cert.sha256, policies: [policy(name, records)], issuer });
  return f.length === 0 ? "ok" : String(f[0]?.details.reason);
}

describe("CAA (event 29)", () => {
  const cases: [string, string, CaaRecord[], string][] = [
    // [what, name, relevant record set, expected]
    ["issue names the issuer", "shop.contoso.com", [rec("issue", "letsencrypt.org")], "ok"],
    ["issue names another CA", "shop.contoso.com", [rec("issue", "digicert.com")], "not-authorised"],
    [
      "one of several issue records names the issuer",
      "shop.contoso.com",
      [rec("issue", "digicert.com"), rec("issue", "letsencrypt.org")],
      "ok",
    ],
    [
      "issuewild is ignored for a non-wildcard name",
      "shop.contoso.com",
      [rec("issuewild", "letsencrypt.org")],
      "ok",
    ],
    [
      "issue governs a non-wildcard name even beside issuewild",
      "shop.contoso.com",
      [rec("issue", "digicert.com"), rec("issuewild", "letsencrypt.org")],
      "not-authorised",
    ],
    [
      "issuewild governs a wildcard when present (authorised)",
      "*.shop.contoso.com",
      [rec("issue", "digicert.com"), rec("issuewild", "letsencrypt.org")],
      "ok",
    ],
    [
      "issuewild governs a wildcard when present (refused)",
      "*.shop.contoso.com",
      [rec("issue", "letsencrypt.org"), rec("issuewild", "digicert.com")],
      "not-authorised",
    ],
    [
      "a wildcard with only issue uses issue (authorised)",
      "*.shop.contoso.com",
      [rec("issue", "letsencrypt.org")],
      "ok",
    ],
    [
      "a wildcard with only issue uses issue (refused)",
      "*.shop.contoso.com",
      [rec("issue", "digicert.com")],
      "not-authorised",
    ],
    [
      'issuewild ";" forbids wildcards whatever issue says',
      "*.shop.contoso.com",
      [rec("issue", "letsencrypt.org"), rec("issuewild", ";")],
      "not-authorised",
    ],
    [
      'issuewild ";" leaves non-wildcard names to issue',
      "shop.contoso.com",
      [rec("issue", "letsencrypt.org"), rec("issuewild", ";")],
      "ok",
    ],
    ['issue ";" forbids every CA', "shop.contoso.com", [rec("issue", ";")], "not-authorised"],
    ['an empty issue value is ";"', "shop.contoso.com", [rec("issue", "")], "not-authorised"],
    [
      'a ";" record beside an authorising one',
      "shop.contoso.com",
      [rec("issue", ";"), rec("issue", "letsencrypt.org")],
      "ok",
    ],
    ["only iodef: no restriction", "shop.contoso.com", [rec("iodef", "mailto:security@contoso.com")], "ok"],
    ["an empty record set: no restriction", "shop.contoso.com", [], "ok"],
    [
      "an unknown non-critical tag is ignored",
      "shop.contoso.com",
      [rec("tbs", "x"), rec("issue", "letsencrypt.org")],
      "ok",
    ],
    ["an unknown non-critical tag alone does not restrict", "shop.contoso.com", [rec("tbs", "x")], "ok"],
    [
      "an unknown critical tag forbids issuance",
      "shop.contoso.com",
      [rec("tbs", "x", 128), rec("issue", "letsencrypt.org")],
      "not-authorised",
    ],
    [
      "a known critical tag is fine",
      "shop.contoso.com",
      [rec("iodef", "mailto:a@contoso.com", 128), rec("issue", "letsencrypt.org", 128)],
      "ok",
    ],
    [
      "flag bits other than critical do not make a tag critical",
      "shop.contoso.com",
      [rec("tbs", "x", 1), rec("issue", "letsencrypt.org")],
      "ok",
    ],
    [
      "parameters are not compared",
      "shop.contoso.com",
      [
        rec(
          "issue",
          "letsencrypt.org; validationmethods=dns-01; accounturi=https://acme-v02.api.letsencrypt.org/acme/acct/1",
        ),
      ],
      "ok",
    ],
    [
      "parameters with spaces around",
      "shop.contoso.com",
      [rec("issue", "  letsencrypt.org ;  accounturi = https://x.example/1 ; validationmethods=dns-01 ")],
      "ok",
    ],
    [
      "a trailing ';' with nothing after is allowed",
      "shop.contoso.com",
      [rec("issue", "letsencrypt.org;")],
      "ok",
    ],
    [
      "a malformed parameter makes the value ';'",
      "shop.contoso.com",
      [rec("issue", "letsencrypt.org; accounturi")],
      "not-authorised",
    ],
    ["a malformed issuer makes the value ';'", "shop.contoso.com", [rec("issue", "%%%%%")], "not-authorised"],
    [
      "issuer domains compare case-insensitively",
      "shop.contoso.com",
      [rec("issue", "LetsEncrypt.ORG")],
      "ok",
    ],
    [
      "tags compare case-insensitively",
      "*.shop.contoso.com",
      [rec("ISSUE", "digicert.com"), rec("IssueWild", "letsencrypt.org")],
      "ok",
    ],
    [
      "a trailing dot on the issuer domain is ignored",
      "shop.contoso.com",
      [rec("issue", "letsencrypt.org.")],
      "ok",
    ],
    [
      "the comparison is exact, not by suffix",
      "shop.contoso.com",
      [rec("issue", "letsencrypt.org.evil.example")],
      "not-authorised",
    ],
    ["nor by prefix", "shop.contoso.com", [rec("issue", "acme.letsencrypt.org")], "not-authorised"],
  ];
  for (const [what, name, records, expected] of cases) {
    it(`${what}: ${expected}`, () => assert.equal(outcome(name, records), expected));
  }

  it("matches identifiers that carry case or a trailing dot", () => {
    const issuer: CaaIdentifierMatch = { identifiers: ["LetsEncrypt.org."], owner: null, via: "config" };
    assert.equal(outcome("shop.contoso.com", [rec("issue", "letsencrypt.org")], issuer), "ok");
  });

  it("authorises every CA when no name up the tree has a record set", () => {
    assert.equal(
      checkCaa({
        certificate: cert,
        key: "k",
        policies: [policy("shop.contoso.com", [], null)],
        issuer: null,
      }).length,
      0,
    );
    assert.equal(checkCaa({ certificate: cert, key: "k", policies: [], issuer: null }).length, 0);
  });

  const unknownIssuer: [string, CaaRecord[], string][] = [
    ["a restricting policy", [rec("issue", "letsencrypt.org")], "unmapped-issuer"],
    ["a wildcard-only restriction does not touch a plain name", [rec("issuewild", "letsencrypt.org")], "ok"],
    ["no restriction", [rec("iodef", "mailto:a@contoso.com")], "ok"],
    ['a policy that forbids every CA ("; ")', [rec("issue", ";")], "not-authorised"],
    ["a critical unknown tag", [rec("tbs", "x", 128)], "not-authorised"],
  ];
  for (const [what, records, expected] of unknownIssuer) {
    it(`an unknown issuer under ${what}: ${expected}`, () =>
      assert.equal(outcome("shop.contoso.com", records, null), expected));
  }

  it("raises one finding per certificate, naming the first offending name and every record set seen", () => {
    const policies = [
      policy("shop.contoso.com", [
        rec("issue", "letsencrypt.org"),
        rec("iodef", "mailto:a@contoso.com", 128),
      ]),
      policy(
        "*.shop.contoso.com",
        [rec("issue", "letsencrypt.org"), rec("issuewild", "digicert.com")],
        "shop.contoso.com",
      ),
      policy("www.contoso.com", [rec("issue", ";")]),
      policy("legacy.contoso.com", [], null),
    ];
    const f = checkCaa({ certificate: cert, key: cert.sha256, policies, issuer: LE });
    assert.equal(f.length, 1);
    const [x] = f;
    assert.ok(x);
    assert.equal(x.event, "caa-mismatch");
    assert.equal(x.key, cert.sha256);
    assert.equal(x.subject, "*.shop.contoso.com");
    assert.equal(x.endpoint, null);
    assert.equal(x.certificate, cert);
    assert.deepEqual(x.details, {
      reason: "not-authorised",
      names: [
        {
          name: "shop.contoso.com",
          owner: "contoso.com",
          authorised: true,
          records: [
            { flags: 0, tag: "issue", value: "letsencrypt.org" },
            { flags: 128, tag: "iodef", value: "mailto:a@contoso.com" },
          ],
        },
        {
          name: "*.shop.contoso.com",
          owner: "shop.contoso.com",
          authorised: false,
          records: [
            { flags: 0, tag: "issue", value: "letsencrypt.org" },
            { flags: 0, tag: "issuewild", value: "digicert.com" },
          ],
        },
        {
          name: "www.contoso.com",
          owner: "contoso.com",
          authorised: false,
          records: [{ flags: 0, tag: "issue", value: ";" }],
        },
        { name: "legacy.contoso.com", owner: null, authorised: true, records: [] },
      ],
      issuer: { owner: "Let's Encrypt (ISRG)", identifiers: ["letsencrypt.org"], via: "issuing-ca-key" },
    });
  });

  it("reports an unmapped issuer with issuer null and the first restricted name as subject", () => {
    const policies = [
      policy("a.contoso.com", [], null),
      policy("b.contoso.com", [rec("issue", "digicert.com")]),
      policy("c.contoso.com", [rec("issue", "letsencrypt.org")]),
    ];
    const [x, ...rest] = checkCaa({ certificate: cert, key: "cert-key", policies, issuer: null });
    assert.equal(rest.length, 0);
    assert.equal(x?.subject, "b.contoso.com");
    assert.equal(x.key, "cert-key");
    assert.equal(x.details.reason, "unmapped-issuer");
    assert.equal(x.details.issuer, null);
    assert.deepEqual(
      (x.details.names as { authorised: boolean }[]).map((n) => n.authorised),
      [true, false, false],
    );
  });

  it("prefers not-authorised over unmapped-issuer, and its subject", () => {
    const policies = [
      policy("b.contoso.com", [rec("issue", "digicert.com")]),
      policy("c.contoso.com", [rec("issue", ";")]),
    ];
    const [x] = checkCaa({ certificate: cert, key: "k", policies, issuer: null });
    assert.equal(x?.details.reason, "not-authorised");
    assert.equal(x.subject, "c.contoso.com");
  });

  it("reads issuer domains per the RFC 8659 grammar", () => {
    const cases: [string, string][] = [
      ["letsencrypt.org", "letsencrypt.org"],
      ["  Example.NET.  ", "example.net"],
      ["ca.example; policy=ev", "ca.example"],
      ["ca.example;a=b;c=d", "ca.example"],
      ["ca-1.example", "ca-1.example"],
      ["ca--x.example", "ca--x.example"],
      [";", ""],
      ["", ""],
      ["; policy=ev", ""],
      ["-ca.example", ""],
      ["ca-.example", ""],
      ["ca_x.example", ""],
      ["ca.example;a=b;", ""],
      ["ca.example; a=b c", ""],
      ["ca..example", ""],
      ["ca.example extra", ""],
    ];
    for (const [value, domain] of cases) assert.equal(issuerDomainOf(value), domain, JSON.stringify(value));
  });

  it("says what a record set allows", () => {
    assert.deepEqual(caaVerdict("x.example", [rec("issue", "a.example"), rec("issue", "A.example.")]), {
      kind: "restricted",
      issuers: ["a.example"],
    });
    assert.deepEqual(caaVerdict("x.example", [rec("issue", ";")]), { kind: "forbidden", why: "no-issuer" });
    assert.deepEqual(caaVerdict("x.example", [rec("future", "1", 128)]), {
      kind: "forbidden",
      why: "critical-unknown-tag",
    });
    assert.deepEqual(caaVerdict("*.x.example", [rec("issuewild", "b.example"), rec("issue", "a.example")]), {
      kind: "restricted",
      issuers: ["b.example"],
    });
  });

  it("parses hostile values in linear time", () => {
    const start = performance.now();
    for (const v of [
      "a".repeat(60_000) + "!",
      `${"a-".repeat(30_000)}`,
      `x.example;${"a=b;".repeat(15_000)}!`,
      "a.".repeat(30_000),
    ]) {
      issuerDomainOf(v);
    }
    assert.ok(performance.now() - start < 1000, `took ${performance.now() - start} ms`);
  });
});
