/**
 * @module pki/ca-identifiers.test
 * The CA owner table against Node's bundled roots (coverage, unambiguous and sane rules) and the lookup
 * order: config, issuing-CA key, root, issuer name.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CA_OWNERS,
  CaaIdentifierTable,
  issuerNameOwnerOf,
  parseDn,
  rootOwnerOf,
  type CaOwner,
  type NameRule,
} from "./ca-identifiers.js";
import { bundledRoots } from "./trust-store.js";

const roots = bundledRoots();
const table = new CaaIdentifierTable({});
const mappedRoots = roots.filter((r) => rootOwnerOf(r.subject) !== null);
const coverage = `${mappedRoots.length} of ${roots.length} bundled roots (${Math.round((100 * mappedRoots.length) / roots.length)}%)`;

const rootNamed = (cn: string) => {
  const r = roots.find((x) => parseDn(x.subject).some((a) => a.type === "CN" && a.value === cn));
  assert.ok(r, `bundled root ${cn} is missing`);
  return r;
};

const LE_R11 = "6ddac18698f7f1f7e1c69b9bce420d974ac6f94ca8b2c761701623f99c767dc7";
const DOMAIN = /^[a-z0-9](?:-*[a-z0-9])*(?:\.[a-z0-9](?:-*[a-z0-9])*)+$/;

/**
 * Roots whose names share no word with their owner's CAA domains, by owner: the organisation (O) that is
 * known to be that owner's, with why.
 */
const BRAND_EXCEPTIONS: Readonly<Record<string, RegExp>> = {
  "Let's Encrypt (ISRG)": /^Internet Security Research Group$/, // ISRG operates Let's Encrypt
  "Amazon Trust Services": /^Starfield Technologies, Inc\.$/, // Amazon bought the Starfield Services root
  HARICA: /^Hellenic Academic and Research Institutions\b/, // what HARICA stands for
  "SHECA (UniTrust)": /^UniTrust$/, // SHECA's brand
  "Deutsche Telekom Security (T-Systems)": /^Deutsche Telekom Security GmbH$/, // runs TeleSec (telesec.de)
  "KIR (Szafir)": /^Krajowa Izba Rozliczeniowa S\.A\.$/, // KIR: elektronicznypodpis.pl
};

const isBrandException = (subject: string, owner: CaOwner): boolean => {
  const re = BRAND_EXCEPTIONS[owner.owner];
  return re !== undefined && parseDn(subject).some((a) => a.type === "O" && re.test(a.value));
};

const squash = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]/g, "");

/** A root is sanely mapped when a label of one identifier is in its name, or a word of its name is in a label. */
function nameSharesWord(subject: string, owner: CaOwner): boolean {
  const attrs = parseDn(subject).filter((a) => a.type === "O" || a.type === "OU" || a.type === "CN");
  const text = squash(attrs.map((a) => a.value).join(" "));
  const words = attrs.flatMap((a) => a.value.toLowerCase().split(/[^a-z0-9]+/)).filter((w) => w.length >= 4);
  // Every label but a short top-level one ("com", "de"): "pki.goog" gives "pki" and "goog".
  const labels = owner.identifiers
    .flatMap((id) => id.split(".").filter((l, i, all) => i < all.length - 1 || l.length >= 4))
    .map(squash)
    .filter((l) => l.length >= 3);
  return labels.some((l) => text.includes(l)) || words.some((w) => labels.some((l) => l.includes(w)));
}

const ruleAnchored = (r: NameRule): boolean =>
  [r.o, r.ou, r.cn].every(
    (re) => re === undefined || re.source.startsWith("^") || re.source.startsWith("\\b"),
  );

describe("CAA identifier table", () => {
  it(`maps ${coverage} to a CA owner`, (t) => {
    t.diagnostic(`coverage: ${coverage}`);
    for (const r of roots.filter((x) => rootOwnerOf(x.subject) === null))
      t.diagnostic(`unmapped: ${r.subject}`);
    assert.ok(mappedRoots.length / roots.length >= 0.9, coverage);
    assert.ok(table.mappedRootKeys > 0);
  });

  it("maps every claimed root by exactly one anchored rule whose CAA domain fits the root's name", () => {
    for (const r of mappedRoots) {
      const attrs = parseDn(r.subject);
      const owners = CA_OWNERS.filter((o) =>
        o.roots.some((rule) =>
          (["o", "ou", "cn"] as const).every((k) => {
            const re = rule[k];
            return re === undefined || attrs.some((a) => a.type === k.toUpperCase() && re.test(a.value));
          }),
        ),
      );
      assert.equal(owners.length, 1, `${r.subject} is claimed by ${owners.map((o) => o.owner).join(", ")}`);
      const owner = owners[0] as CaOwner;
      assert.ok(
        nameSharesWord(r.subject, owner) || isBrandException(r.subject, owner),
        `${r.subject} → ${owner.owner}: no word in common with ${owner.identifiers.join(", ")}`,
      );
    }
    for (const o of CA_OWNERS) {
      for (const rule of [...o.roots, ...o.issuerNames]) {
        assert.ok(rule.o ?? rule.ou ?? rule.cn, `${o.owner} has an empty rule`);
        assert.ok(ruleAnchored(rule), `${o.owner}: rule is not anchored`);
      }
    }
  });

  it("holds well-formed identifiers and issuing-CA keys, each key under one owner", () => {
    const seen = new Map<string, string>();
    assert.equal(new Set(CA_OWNERS.map((o) => o.owner)).size, CA_OWNERS.length);
    for (const o of CA_OWNERS) {
      assert.ok(o.identifiers.length > 0, o.owner);
      for (const id of o.identifiers) assert.match(id, DOMAIN, `${o.owner}: ${id}`);
      for (const k of o.issuingCaKeys) {
        assert.match(k, /^[0-9a-f]{64}$/, `${o.owner}: ${k}`);
        assert.equal(seen.get(k), undefined, `${k} is listed twice`);
        seen.set(k, o.owner);
      }
    }
  });

  it("maps the big public CAs' roots to their documented identifiers", () => {
    const cases: [string, string][] = [
      ["ISRG Root X1", "letsencrypt.org"],
      ["ISRG Root X2", "letsencrypt.org"],
      ["GTS Root R1", "pki.goog"],
      ["Amazon Root CA 1", "amazon.com"],
      ["Starfield Services Root Certificate Authority - G2", "amazontrust.com"],
      ["Starfield Root Certificate Authority - G2", "starfieldtech.com"],
      ["Go Daddy Root Certificate Authority - G2", "godaddy.com"],
      ["DigiCert Global Root G2", "digicert.com"],
      ["USERTrust RSA Certification Authority", "sectigo.com"],
      ["COMODO RSA Certification Authority", "comodoca.com"],
      ["GlobalSign", "globalsign.com"],
      ["Microsoft RSA Root Certificate Authority 2017", "microsoft.com"],
      ["Buypass Class 2 Root CA", "buypass.com"],
      ["HARICA TLS RSA Root CA 2021", "harica.gr"],
      ["SSL.com TLS RSA Root CA 2022", "ssl.com"],
      ["Certum Trusted Network CA", "certum.pl"],
      ["Actalis Authentication Root CA", "actalis.it"],
      ["IdenTrust Commercial Root CA 1", "identrust.com"],
      ["Telia Root CA v2", "telia.com"],
      ["QuoVadis Root CA 2 G3", "quovadisglobal.com"],
      ["D-TRUST BR Root CA 1 2020", "d-trust.net"],
      ["T-TeleSec GlobalRoot Class 2", "telesec.de"],
      ["Certainly Root R1", "certainly.com"],
      ["e-Szigno Root CA 2017", "e-szigno.hu"],
      ["TWCA Global Root CA", "twca.com.tw"],
    ];
    for (const [cn, id] of cases) {
      const r = rootNamed(cn);
      const m = table.lookup({ issuingCaKeySha256: null, rootSpkiSha256: r.spkiSha256, issuerDn: "CN=x" });
      assert.equal(m?.via, "root", cn);
      assert.ok(m.identifiers.includes(id), `${cn}: ${m.identifiers.join(", ")}`);
    }
  });

  it("identifies a Let's Encrypt issuing CA by its key", () => {
    const m = table.lookup({ issuingCaKeySha256: LE_R11.toUpperCase(), rootSpkiSha256: null, issuerDn: "" });
    assert.deepEqual(m, {
      identifiers: ["letsencrypt.org"],
      owner: "Let's Encrypt (ISRG)",
      via: "issuing-ca-key",
    });
  });

  it("lets config overrides win over every bundled rule", () => {
    const x1 = rootNamed("ISRG Root X1");
    const t = new CaaIdentifierTable({ [LE_R11.toUpperCase()]: ["CA.Example.", "ca.example"] });
    const facts = {
      issuingCaKeySha256: LE_R11,
      rootSpkiSha256: x1.spkiSha256,
      issuerDn: "O=Let's Encrypt, CN=R11",
    };
    assert.deepEqual(t.lookup(facts), { identifiers: ["ca.example"], owner: null, via: "config" });
    assert.equal(table.lookup(facts)?.via, "issuing-ca-key");
  });

  it("falls back to the issuer name, escapes and all", () => {
    const le = table.lookup({
      issuingCaKeySha256: "00".repeat(32),
      rootSpkiSha256: null,
      issuerDn: "C=US, O=Let's Encrypt, CN=R99",
    });
    assert.deepEqual(le, {
      identifiers: ["letsencrypt.org"],
      owner: "Let's Encrypt (ISRG)",
      via: "issuer-name",
    });
    const gd = table.lookup({
      issuingCaKeySha256: null,
      rootSpkiSha256: null,
      issuerDn:
        "C=US, ST=Arizona, L=Scottsdale, O=GoDaddy.com\\, Inc., OU=http://certs.godaddy.com/repository/, CN=Go Daddy Secure Certificate Authority - G2",
    });
    assert.equal(gd?.owner, "GoDaddy (Starfield)");
    assert.equal(issuerNameOwnerOf("C=US, O=Google Trust Services, CN=WR1")?.owner, "Google Trust Services");
    assert.equal(
      issuerNameOwnerOf("C=AT, O=ZeroSSL, CN=ZeroSSL RSA Domain Secure Site CA")?.identifiers[0],
      "sectigo.com",
    );
  });

  it("returns null for an issuer it cannot place", () => {
    assert.equal(
      table.lookup({
        issuingCaKeySha256: "ab".repeat(32),
        rootSpkiSha256: "cd".repeat(32),
        issuerDn: "O=Contoso, CN=Contoso Issuing CA",
      }),
      null,
    );
    assert.equal(table.lookup({ issuingCaKeySha256: null, rootSpkiSha256: null, issuerDn: "" }), null);
  });

  it("uses the root when the leaf was issued by the root itself", () => {
    const x2 = rootNamed("ISRG Root X2");
    const m = table.lookup({ issuingCaKeySha256: x2.spkiSha256, rootSpkiSha256: null, issuerDn: x2.subject });
    assert.equal(m?.via, "root");
    assert.deepEqual(m.identifiers, ["letsencrypt.org"]);
  });

  it("counts both owners when the issuer name and the root disagree", () => {
    const g2 = rootNamed("DigiCert Global Root G2");
    const m = table.lookup({
      issuingCaKeySha256: null,
      rootSpkiSha256: g2.spkiSha256,
      issuerDn: "C=US, O=Microsoft Corporation, CN=Microsoft Azure RSA TLS Issuing CA 03",
    });
    assert.equal(m?.via, "root");
    assert.equal(m.owner, "Microsoft under DigiCert root");
    assert.ok(m.identifiers.includes("digicert.com") && m.identifiers.includes("microsoft.com"));
    const same = table.lookup({
      issuingCaKeySha256: null,
      rootSpkiSha256: g2.spkiSha256,
      issuerDn: "O=DigiCert Inc, CN=x",
    });
    assert.equal(same?.owner, "DigiCert");
  });

  it("parses printed names: escapes, multi-valued RDNs, OIDs", () => {
    assert.deepEqual(
      parseDn("C=US, O=GoDaddy.com\\, Inc., CN=a\\+b+OU=x, 2.5.4.97=VATES-1, CN=\\#hash\\0Aend"),
      [
        { type: "C", value: "US" },
        { type: "O", value: "GoDaddy.com, Inc." },
        { type: "CN", value: "a+b" },
        { type: "OU", value: "x" },
        { type: "2.5.4.97", value: "VATES-1" },
        { type: "CN", value: "#hash\nend" },
      ],
    );
    assert.deepEqual(parseDn(""), []);
    assert.deepEqual(parseDn("CN=trailing\\"), [{ type: "CN", value: "trailing\\" }]);
  });
});
