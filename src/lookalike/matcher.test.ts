/**
 * @module lookalike/matcher.test
 * LookalikeMatcher: every detection (confusable, TLD swap, typo, embedded label and domain, permutation set)
 * with positive and negative cases, the exclusions (own, ignore, watched, IPs, bare suffixes), score order.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { domainToASCII } from "node:url";
import { damerauLevenshtein, defaultMaxDistance, LookalikeMatcher, type LookalikeMatch } from "./matcher.js";

const WATCHED = [
  "contoso.com",
  "contoso.de",
  "eu.fabrikam.co.uk",
  "xn--bcher-kva.de", // bücher.de
  "ibm.com",
  "hp.com",
  "shop.example",
  "tesla.com",
  "zorg.net",
  "microsoft.com",
  "contoso-bank.com",
];
const m = new LookalikeMatcher(WATCHED, {
  own: ["contoso.net", "contoso-cdn.com"],
  ignore: ["contoso-partner.com", "partner.contoso-shop.net"],
});

function hit(name: string, matcher = m): LookalikeMatch {
  const r = matcher.match(name);
  assert.ok(r !== null, `${name} should match`);
  return r;
}

function none(name: string, matcher = m): void {
  const r = matcher.match(name);
  assert.equal(r, null, `${name} should not match, got ${JSON.stringify(r)}`);
}

const ascii = (unicode: string): string => {
  const a = domainToASCII(unicode);
  assert.notEqual(a, "", unicode);
  return a;
};

void describe("LookalikeMatcher: confusables and IDN", () => {
  void it("matches a Cyrillic homoglyph given as punycode, and reports it in ASCII and Unicode", () => {
    const name = ascii("cоntoso.com"); // Cyrillic о
    assert.match(name, /^xn--/);
    const r = hit(name);
    assert.equal(r.lookalike, name);
    assert.equal(r.unicode, "cоntoso.com");
    assert.equal(r.watched, "contoso.com");
    assert.deepEqual(r.reasons, ["confusable"]);
    assert.equal(r.distance, 0);
    assert.equal(r.score, 95);
    assert.equal(r.details.skeleton, "contoso");
    assert.deepEqual(r.details.families, ["homoglyph"]);
  });

  void it("matches a Greek homoglyph under another suffix", () => {
    const r = hit(`login.${ascii("cοntoso.net")}`); // Greek ο
    assert.deepEqual(r.reasons, ["confusable"]);
    assert.equal(r.lookalike, ascii("cοntoso.net"));
    assert.equal(r.name, `login.${ascii("cοntoso.net")}`);
  });

  void it("accepts upper-case punycode and raw Unicode names", () => {
    assert.equal(hit(ascii("cоntoso.com").toUpperCase()).lookalike, ascii("cоntoso.com"));
    const r = hit("www.cоntoso.com");
    assert.equal(r.lookalike, ascii("cоntoso.com"));
  });

  void it("matches digit look-alikes and rn for m", () => {
    assert.deepEqual(hit("c0nt0s0.com").reasons, ["confusable"]);
    assert.equal(hit("c0nt0s0.com").score, 90); // equal only under the stricter fold
    const r = hit("rnicrosoft.com");
    assert.equal(r.watched, "microsoft.com");
    assert.equal(r.score, 95); // m → rn is in the UTS #39 table itself
    assert.equal(hit("rnicr0s0ft-secure.com").watched, "microsoft.com"); // embedded, through the fold
  });

  void it("matches a diacritic variant and an IDN watched domain both ways", () => {
    const r = hit("bucher.de"); // the ASCII spelling of watched bücher.de
    assert.equal(r.watched, "xn--bcher-kva.de");
    assert.deepEqual(r.reasons, ["confusable"]);
    const s = hit("xn--bcher-kva.com");
    assert.equal(s.unicode, "bücher.com");
    assert.deepEqual(s.details.families, ["tld-swap"]);
  });

  void it("matches a TLD swap: the same label under another public suffix", () => {
    for (const name of ["contoso.co", "www.contoso.com.au", "*.contoso.fr", "contoso.co.uk"]) {
      const r = hit(name);
      assert.deepEqual(r.reasons, ["confusable"], name);
      assert.deepEqual(r.details.families, ["tld-swap"], name);
      assert.equal(r.score, 85, name);
    }
    assert.equal(hit("fabrikam.com").watched, "eu.fabrikam.co.uk");
  });

  void it("does not match the watched domains, names under them, or the organisation's own", () => {
    for (const name of [
      "contoso.com",
      "www.contoso.com",
      "a.b.c.contoso.de",
      "*.contoso.com",
      "CONTOSO.COM.",
      "fabrikam.co.uk", // the registrable domain of a watched subdomain is the organisation's
      "shop.fabrikam.co.uk",
      "contoso.net",
      "*.contoso.net",
      "img.contoso-cdn.com",
      "xn--bcher-kva.de",
      "www.bücher.de",
    ]) {
      none(name);
    }
  });
});

void describe("LookalikeMatcher: typos", () => {
  void it("matches distance 1 with its dnstwist family", () => {
    const cases: [string, string][] = [
      ["contosso.com", "repetition"],
      ["cnotoso.com", "transposition"],
      ["contso.com", "omission"],
      ["contoxso.net", "insertion"],
      ["contosoa.com", "addition"],
      ["con-toso.com", "hyphenation"],
      ["contosa.com", "vowel-swap"],
      ["contoso.com".replace("s", "q") /* coqtoso: s^q = 0x02 */, "bitsquatting"],
      ["contozo.com", "replacement"],
    ];
    for (const [name, family] of cases) {
      const r = hit(name);
      // an addition also holds the whole label: embedded as a substring too
      assert.deepEqual(r.reasons, family === "addition" ? ["typo", "embedded-label"] : ["typo"], name);
      assert.equal(r.distance, 1, name);
      assert.deepEqual(r.details.families, [family], name);
      assert.equal(r.watched, "contoso.com", name);
    }
  });

  void it("matches distance 2 for labels over 5 characters, not distance 3", () => {
    assert.equal(damerauLevenshtein("kontozo", "contoso"), 2);
    const r = hit("kontozo.com");
    assert.deepEqual(r.reasons, ["typo"]);
    assert.equal(r.distance, 2);
    assert.equal(damerauLevenshtein("kxntxzo", "contoso"), 4);
    none("kxntxzo.com");
    none("cxntxsx.com"); // distance 3
  });

  void it("limits short labels: distance 1 up to 5 characters, none under 4", () => {
    assert.equal(hit("tezla.com").distance, 1);
    none("tezza.com"); // distance 2 from a 5-letter label
    assert.equal(hit("zorb.com").distance, 1);
    none("zob.com"); // a 3-letter candidate: no typos
    none("ibn.com"); // a 3-letter watched label: no typos
    none("hq.com");
    assert.equal(defaultMaxDistance(3), 0);
    assert.equal(defaultMaxDistance(5), 1);
    assert.equal(defaultMaxDistance(6), 2);
  });

  void it("counts an edit that makes or breaks an rn pair as one edit", () => {
    const rn = new LookalikeMatcher(["filrind.com", "ferngully.com"]);
    const a = hit("filrnd.com", rn); // the folded key is "filmd": 3 edits from "filrind"; uncontracted, 1
    assert.equal(a.watched, "filrind.com");
    assert.equal(a.distance, 1);
    assert.deepEqual(a.details.families, ["omission"]);
    const b = hit("fegngully.com", rn); // ferngully folds to femgully
    assert.equal(b.distance, 1);
    assert.deepEqual(b.details.families, ["replacement"]);
    assert.deepEqual(hit("femgully.com", rn).reasons, ["confusable"]); // m for rn: a look-alike
  });

  void it("honours maxDistance", () => {
    const strict = new LookalikeMatcher(["contoso.com"], { maxDistance: () => 0 });
    none("contosso.com", strict);
    assert.deepEqual(hit("c0ntoso.com", strict).reasons, ["confusable"]);
    const loose = new LookalikeMatcher(["contoso.com"], { maxDistance: (n) => (n >= 6 ? 3 : 0) });
    assert.equal(hit("cxntxsx.com", loose).distance, 3);
  });

  void it("picks the nearest watched label", () => {
    const two = new LookalikeMatcher(["contoso.com", "contosa-group.com", "kontoso.com"]);
    const r = hit("kontoso.net", two);
    assert.equal(r.watched, "kontoso.com");
    assert.deepEqual(r.details.families, ["tld-swap"]);
    assert.equal(hit("kontosso.net", two).watched, "kontoso.com");
  });
});

void describe("LookalikeMatcher: embedded brands", () => {
  void it("finds the watched label as a token of another registrable label", () => {
    for (const name of [
      "contoso-login.com",
      "login-contoso.net",
      "my-contoso-portal.io",
      "*.secure-contoso.org",
    ]) {
      const r = hit(name);
      assert.deepEqual(r.reasons, ["embedded-label"], name);
      assert.equal(r.details.embedded, "token", name);
      assert.equal(r.watched, "contoso.com", name);
      assert.equal(r.distance, null, name);
    }
    assert.equal(hit("contoso-bank-verify.com").watched, "contoso-bank.com");
  });

  void it("finds labels of 5 characters or more as plain substrings", () => {
    const r = hit("contosologin.com");
    assert.deepEqual(r.reasons, ["embedded-label"]);
    assert.equal(r.details.embedded, "substring");
    assert.ok(r.score < hit("contoso-login.com").score);
    assert.equal(hit("mytesla.shop").watched, "tesla.com");
  });

  void it("finds short labels only as tokens, and common words never", () => {
    assert.equal(hit("ibm-login.com").watched, "ibm.com");
    assert.equal(hit("hp-support.net").watched, "hp.com");
    none("ibmlogin.com");
    none("thpx.com");
    none("shop-online.net"); // watched shop.example: a common word
    none("my-shop.com");
    none("shoponline.com");
  });

  void it("finds a whole watched domain as consecutive labels of another name", () => {
    const r = hit("contoso.com.evil.net");
    assert.equal(r.lookalike, "evil.net");
    assert.deepEqual(r.reasons, ["embedded-domain"]);
    assert.equal(r.details.embeddedDomain, "contoso.com");
    const s = hit("login.contoso.com-secure.net");
    assert.equal(s.lookalike, "com-secure.net");
    assert.deepEqual(s.reasons, ["embedded-domain"]);
    assert.equal(hit("www.fabrikam.co.uk.example.org").watched, "eu.fabrikam.co.uk");
    assert.equal(hit("c0nt0so.com.evil.net").watched, "contoso.com"); // through the fold
    const both = hit("contoso-com.net");
    assert.deepEqual(both.reasons, ["embedded-domain", "embedded-label"]);
  });

  void it("does not flag a watched label that is only a subdomain label elsewhere (SaaS tenants)", () => {
    none("contoso.zendesk.com");
    none("contoso.my.salesforce.com");
    none("contoso.comevil.net"); // not label-aligned
  });

  void it("leaves unrelated names alone", () => {
    for (const name of [
      "ip-10-0-0-1.ec2.internal",
      "mail.some-company.de",
      "*.cloudfront.net",
      "d1a2b3c4e5f6.cloudfront.net",
      "ec2-1-2-3-4.us-west-2.compute.amazonaws.com",
      "autodiscover.example.org",
      "www.wikipedia.org",
    ]) {
      none(name);
    }
  });
});

void describe("LookalikeMatcher: exclusions and odd input", () => {
  void it("never alerts on ignored domains or names under them", () => {
    none("contoso-partner.com");
    none("www.contoso-partner.com");
    none("partner.contoso-shop.net");
    none("x.partner.contoso-shop.net");
    assert.equal(hit("www.contoso-shop.net").lookalike, "contoso-shop.net"); // the rest of that domain still does
  });

  void it("rejects IP addresses, bare public suffixes and junk", () => {
    for (const name of [
      "10.0.0.1",
      "*.10.0.0.1",
      "192.168.1.254.",
      "2001:db8::1",
      "[::1]",
      "com",
      "co.uk",
      "*.co.uk",
      "github.io",
      "",
      ".",
      "*.",
      "contoso login.com",
      "contoso.com/login",
      "user@contoso-login.com",
    ]) {
      none(name);
    }
  });

  void it("strips wildcards and trailing dots but reports the name as written (lower case)", () => {
    const r = hit("*.Contoso-Login.COM.");
    assert.equal(r.name, "*.contoso-login.com");
    assert.equal(r.lookalike, "contoso-login.com");
  });

  void it("uses the permutation set, alone or with other reasons", () => {
    const withSet = new LookalikeMatcher(["contoso.com"], {
      permutations: new Map([
        ["qqcontosoqq.com", ["various"]],
        ["contosso.com", ["repetition"]],
        ["KNTSS.com.", ["omission"]], // keys are normalised (case, trailing dot)
      ]),
    });
    const a = hit("kntss.com", withSet);
    assert.deepEqual(a.reasons, ["permutation"]);
    assert.equal(a.watched, "contoso.com");
    assert.deepEqual(a.details.families, ["omission"]);
    assert.equal(a.distance, damerauLevenshtein("kntss", "contoso"));
    assert.deepEqual(hit("mail.contosso.com", withSet).reasons, ["typo", "permutation"]);
    assert.deepEqual(hit("qqcontosoqq.com", withSet).reasons, ["permutation", "embedded-label"]);
    none("kntss.com"); // not in the default matcher's set, too far for a typo
  });
});

void describe("LookalikeMatcher: score and determinism", () => {
  void it("orders scores: homoglyph > fold-only confusable > TLD swap > typo 1 > typo 2", () => {
    const idn = hit(ascii("cоntoso.com")).score;
    const digits = hit("c0ntoso.com").score;
    const swap = hit("contoso.co").score;
    const typo1 = hit("contosso.com").score;
    const typo2 = hit("kontozo.com").score;
    assert.ok(
      idn > digits && digits > swap && swap > typo1 && typo1 > typo2,
      `${idn} ${digits} ${swap} ${typo1} ${typo2}`,
    );
    for (const s of [idn, digits, swap, typo1, typo2]) assert.ok(s >= 0 && s <= 100);
    // any exact skeleton match outranks any distance-2 typo, whatever the label length
    const long = new LookalikeMatcher(["abcdefghijklmnopqrstuvwxyz0123456789.com"]);
    assert.ok(hit("abcdefghijklmnopqrstuvwxyz01234567.com", long).score < 85);
  });

  void it("adds 5 per extra reason", () => {
    const r = hit("contoso-com.net");
    assert.equal(r.score, 80); // embedded-domain 75 + embedded-label
  });

  void it("gives the same answers whatever the order of the watched list", () => {
    const shuffled = new LookalikeMatcher([...WATCHED].reverse(), {
      own: ["contoso-cdn.com", "contoso.net"],
      ignore: ["partner.contoso-shop.net", "contoso-partner.com"],
    });
    const names = [
      ascii("cоntoso.com"),
      "contoso.co",
      "contosso.com",
      "contoso-login.com",
      "contoso.com.evil.net",
      "contoso-com.net",
      "kontozo.de",
      "fabrikam.com",
      "ibm-login.com",
      "nothing-to-see.org",
    ];
    for (const n of names) {
      assert.deepEqual(shuffled.match(n), m.match(n), n);
      assert.deepEqual(m.match(n), m.match(n), n);
    }
  });
});

void describe("LookalikeMatcher: the per-label memo", () => {
  const opts = {
    own: ["contoso.net", "contoso-cdn.com"],
    ignore: ["contoso-partner.com", "partner.contoso-shop.net"],
  };
  // Labels that hit (confusable, typo, rn pairs, nothing) met again in other names: other subdomains,
  // suffixes, embedded domains, wildcards, capitals, punycode and exclusions around the same label.
  const labels = [
    "contoso",
    "c0nt0s0",
    "kontozo",
    "contosso",
    "rnicrosoft",
    "tezla",
    "fabrikam",
    "unrelated",
  ];
  const around = [
    (l: string) => `${l}.com`,
    (l: string) => `www.${l}.com`,
    (l: string) => `*.${l}.net`,
    (l: string) => `login.${l}.co.uk`,
    (l: string) => `contoso.com.${l}.org`,
    (l: string) => `tesla.com.${l}.net`,
    (l: string) => `${l}.contoso.com`,
    (l: string) => `partner.${l}-shop.net`,
    (l: string) => `${l.toUpperCase()}.COM.`,
    (l: string) => `${l}.xn--p1ai`,
    (l: string) => `${l}-login.com`,
  ];
  const names = labels.flatMap((l) => around.map((f) => f(l)));
  names.push(ascii("cоntoso.com"), ascii("www.cоntoso.com"), "contoso.net", "x.contoso-partner.com");

  void it("gives every name what a fresh matcher gives it, in any order", () => {
    const warm = new LookalikeMatcher(WATCHED, opts);
    const r = (() => {
      let s = 7;
      return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
    })();
    const fresh = new Map(names.map((n) => [n, new LookalikeMatcher(WATCHED, opts).match(n)]));
    let hits = 0;
    for (let round = 0; round < 3; round++) {
      const order = [...names].sort(() => r() - 0.5);
      for (const n of order) {
        const got = warm.match(n);
        assert.deepEqual(got, fresh.get(n), n);
        if (got !== null) hits++;
      }
    }
    assert.ok(hits > names.length && hits < 3 * names.length, `${hits} hits`);
  });
});
