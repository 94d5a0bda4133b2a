/**
 * @module lookalike/generate.test
 * The candidate generator: every family on known domains with hand-checked examples, IDN in and out,
 * multi-label public suffixes, the options, determinism, the cap, and every candidate valid IDNA.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { domainToASCII, domainToUnicode } from "node:url";
import {
  FAMILIES,
  generateCandidates,
  splitWatched,
  type Candidate,
  type Family,
  type GenerateOptions,
} from "./generate.js";
import { labelToAscii, punycodeEncode } from "./gen-idna.js";

const cache = new Map<string, Map<string, Candidate>>();

/** Candidates of a watched domain by Unicode name (memoised for the default options). */
function byUnicode(watched: string, opts?: GenerateOptions): Map<string, Candidate> {
  const hit = opts === undefined ? cache.get(watched) : undefined;
  if (hit !== undefined) return hit;
  const m = new Map(generateCandidates(watched, opts).map((c) => [c.unicode, c]));
  if (opts === undefined) cache.set(watched, m);
  return m;
}

function expectCandidate(
  watched: string,
  unicode: string,
  family: Family,
  opts?: GenerateOptions,
): Candidate {
  const c = byUnicode(watched, opts).get(unicode);
  assert.ok(c !== undefined, `${unicode} is a candidate for ${watched}`);
  assert.ok(c.families.includes(family), `${unicode} comes from ${family} (has ${c.families.join(", ")})`);
  assert.equal(c.domain, domainToASCII(unicode));
  return c;
}

function expectAbsent(watched: string, unicode: string, opts?: GenerateOptions): void {
  assert.equal(
    byUnicode(watched, opts).get(unicode),
    undefined,
    `${unicode} is not a candidate for ${watched}`,
  );
}

describe("generateCandidates: dnstwist's families", () => {
  it("omission, transposition, repetition", () => {
    expectCandidate("contoso.com", "cntoso.com", "omission");
    expectCandidate("contoso.com", "contos.com", "omission");
    expectCandidate("contoso.com", "cnotoso.com", "transposition");
    expectCandidate("contoso.com", "ocntoso.com", "transposition");
    expectCandidate("contoso.com", "ccontoso.com", "repetition");
    expectCandidate("contoso.com", "conttoso.com", "repetition");
  });

  it("replacement and insertion use adjacent keys of qwerty, qwertz and azerty", () => {
    expectCandidate("contoso.com", "xontoso.com", "replacement"); // qwerty c → x
    expectCandidate("contoso.com", "conzoso.com", "replacement"); // qwertz t → z
    expectCandidate("paypal.com", "p2ypal.com", "replacement"); // azerty a → 2
    expectCandidate("contoso.com", "cxontoso.com", "insertion");
    expectCandidate("contoso.com", "xcontoso.com", "insertion");
    // dnstwist never inserts around the last character; the keyboard family does.
    const last = expectCandidate("contoso.com", "contosop.com", "keyboard");
    assert.ok(!last.families.includes("insertion"));
    assert.ok(last.families.includes("addition"));
  });

  it("vowel-swap, hyphenation, addition, plural", () => {
    expectCandidate("contoso.com", "cantoso.com", "vowel-swap");
    expectCandidate("contoso.com", "contosu.com", "vowel-swap");
    expectCandidate("contoso.com", "con-toso.com", "hyphenation");
    expectCandidate("contoso.com", "c-ontoso.com", "hyphenation");
    expectAbsent("contoso.com", "-contoso.com");
    expectCandidate("contoso.com", "contoso1.com", "addition");
    expectCandidate("contoso.com", "contosoz.com", "addition");
    expectCandidate("my-bank.com", "myx-bank.com", "addition"); // before a hyphen, as current dnstwist
    expectCandidate("contoso.com", "constoso.com", "plural"); // dnstwist: an s after an inner character
    expectCandidate("contoso.com", "contosos.com", "plural");
    expectCandidate("box.com", "boxes.com", "plural");
  });

  it("bitsquatting flips one bit into another hostname character", () => {
    expectCandidate("contoso.com", "bontoso.com", "bitsquatting"); // c 0x63 ^ 0x01 = b
    expectCandidate("contoso.com", "aontoso.com", "bitsquatting"); // c ^ 0x02 = a
    expectCandidate("contoso.com", "cnntoso.com", "bitsquatting"); // o 0x6f ^ 0x01 = n
    expectCandidate("contoso.com", "sontoso.com", "bitsquatting"); // c ^ 0x10 = s
    // m 0x6d ^ 0x40 = "-", a hyphen leading the label: not a hostname.
    expectAbsent("microsoft.com", "-icrosoft.com");
  });

  it("homoglyph: dnstwist's glyphs, multi-character ones both ways, two rounds", () => {
    expectCandidate("microsoft.com", "rnicrosoft.com", "homoglyph");
    expectCandidate("microsoft.com", "rnicrosoft.com", "confusable"); // TR39 agrees: m ≈ rn
    expectCandidate("modern.com", "modem.com", "homoglyph"); // rn → m
    expectCandidate("adobe.com", "aclobe.com", "homoglyph"); // d → cl
    expectCandidate("wikipedia.org", "vvikipedia.org", "homoglyph"); // w → vv
    expectCandidate("contoso.com", "c0ntoso.com", "homoglyph");
    expectCandidate("contoso.com", "c0nt0s0.com", "homoglyph"); // dnstwist 2022: every o in a window
    expectCandidate("contoso.com", "c0ntos0.com", "homoglyph"); // second round
    expectCandidate("google.com", "gööglé.com", "homoglyph"); // current dnstwist: oo doubled, then é
    const idn = expectCandidate("contoso.com", "cȯntoso.com", "homoglyph");
    assert.match(idn.domain, /^xn--[a-z0-9-]+\.com$/);
    assert.equal(domainToUnicode(idn.domain), "cȯntoso.com");
  });

  it("cyrillic: the whole label in Cyrillic, only when every letter has a twin", () => {
    const c = expectCandidate("paypal.com", "раураӏ.com", "cyrillic");
    assert.equal(c.domain, "xn--80aa0cbo65f.com");
    assert.equal(domainToUnicode(c.domain), "раураӏ.com");
    const contoso = [...byUnicode("contoso.com").values()];
    assert.equal(
      contoso.some((x) => x.families.includes("cyrillic")),
      false,
      "n has no Cyrillic twin in dnstwist's map",
    );
  });

  it("subdomain inserts a dot, giving the full name", () => {
    const c = expectCandidate("contoso.com", "con.toso.com", "subdomain");
    assert.equal(c.domain, "con.toso.com");
    expectCandidate("contoso.com", "c.ontoso.com", "subdomain");
    expectAbsent("contoso.com", "contos.o.com");
    expectAbsent("my-bank.com", "my-.bank.com");
  });

  it("dictionary words before and after the label, built-in or given", () => {
    expectCandidate("contoso.com", "contoso-login.com", "dictionary");
    expectCandidate("contoso.com", "securecontoso.com", "dictionary");
    expectCandidate("contoso.com", "account-contoso.com", "dictionary");
    expectCandidate("contoso.com", "contososupport.com", "dictionary");
    expectCandidate("my-bank.com", "my-login.com", "dictionary"); // last part replaced
    const opts = { dictionary: ["Foo"] };
    expectCandidate("contoso.com", "contosofoo.com", "dictionary", opts);
    expectAbsent("contoso.com", "contoso-login.com", opts);
  });

  it("tld-swap over the built-in list or a given one, multi-label suffixes included", () => {
    expectCandidate("contoso.com", "contoso.net", "tld-swap");
    expectCandidate("contoso.com", "contoso.co.uk", "tld-swap");
    expectCandidate("example.co.uk", "example.com", "tld-swap");
    expectAbsent("contoso.com", "contoso.com");
    const opts = { tlds: [".Shop", "рф", "com"] };
    expectCandidate("contoso.com", "contoso.shop", "tld-swap", opts);
    const rf = expectCandidate("contoso.com", "contoso.рф", "tld-swap", opts);
    assert.equal(rf.domain, "contoso.xn--p1ai");
    expectAbsent("contoso.com", "contoso.net", opts);
  });

  it("various: the suffix glued into the label, the missing dot after www", () => {
    expectCandidate("contoso.com", "contosocom.com", "various");
    expectCandidate("contoso.com", "contoso-com.com", "various");
    expectCandidate("contoso.com", "wwwcontoso.com", "various");
    expectCandidate("bücher.de", "bücher-de.com", "various");
    expectCandidate("bücher.de", "bücherde.com", "various");
    expectCandidate("bücher.de", "buecher.de", "various");
    expectCandidate("example.co.uk", "exampleco.uk", "various");
    expectCandidate("example.co.uk", "example.uk", "various");
    expectCandidate("example.co.uk", "example-co-uk.com", "various");
    expectCandidate("shop.contoso.com", "shopcontoso.com", "various");
    expectCandidate("shop.contoso.com", "shop-contoso.com", "various");
  });
});

describe("generateCandidates: beyond dnstwist", () => {
  it("confusable: TR39 look-alikes, valid IDNA only", () => {
    const omicron = expectCandidate("contoso.com", "cοntoso.com", "confusable"); // Greek omicron
    assert.equal(omicron.domain, "xn--cntoso-i0e.com");
    expectCandidate("contoso.com", "cоntoso.com", "confusable"); // Cyrillic o
    expectCandidate("contoso.com", "ⲥontoso.com", "confusable"); // Coptic c
    expectCandidate("apple.com", "аpple.com", "confusable"); // Cyrillic a
    expectCandidate("bücher.de", "bϋcher.de", "confusable"); // the base letter under the same accent
    // Fullwidth and mathematical letters are confusable but IDNA maps them back to ASCII: dropped.
    expectAbsent("microsoft.com", "ｍicrosoft.com");
    expectAbsent("microsoft.com", "𝐦icrosoft.com");
    // Right-to-left look-alikes cannot sit in a left-to-right label (RFC 5893): dropped.
    expectAbsent("contoso.com", "cסntoso.com");
    expectAbsent("contoso.com", "cهntoso.com");
  });

  it("confusable: a sequence by one character, one character by a sequence", () => {
    expectCandidate("modern.com", "modem.com", "confusable");
    expectCandidate("microsoft.com", "rnicrosoft.com", "confusable");
  });

  it("mixed-script: whole-label Cyrillic and Greek spellings where letters have look-alikes", () => {
    const all = expectCandidate("contoso.com", "cоntоsо.com", "mixed-script"); // every o Cyrillic
    assert.equal(domainToUnicode(all.domain), "cоntоsо.com");
    expectCandidate("contoso.com", "соntоѕо.com", "mixed-script"); // c, o and s in Cyrillic, n and t Latin
    expectCandidate("contoso.com", "cοntοsο.com", "mixed-script"); // every o Greek
    expectCandidate("paypal.com", "раураӏ.com", "mixed-script");
    for (const c of byUnicode("contoso.com").values()) {
      if (c.families.includes("mixed-script")) assert.match(c.domain, /^xn--/);
    }
  });

  it("keyboard: adjacent keys on all three layouts, or only the ones asked for", () => {
    expectCandidate("paypal.com", "pwypal.com", "keyboard", { keyboards: ["qwerty"] });
    expectAbsent("paypal.com", "p2ypal.com", { keyboards: ["qwerty"] });
    expectCandidate("paypal.com", "p2ypal.com", "keyboard", { keyboards: ["azerty"] });
    expectAbsent("paypal.com", "pwypal.com", { keyboards: ["azerty"] });
  });
});

describe("generateCandidates: names", () => {
  it("an IDN watched domain, Unicode or punycode, gives the same candidates", () => {
    const a = generateCandidates("bücher.de");
    const b = generateCandidates("XN--BCHER-KVA.DE.");
    assert.deepEqual(a, b);
    expectCandidate("bücher.de", "bcher.de", "omission");
    const c = expectCandidate("bücher.de", "bücer.de", "omission");
    assert.equal(c.domain, "xn--bcer-0ra.de");
    expectCandidate("bücher.de", "bucher.de", "homoglyph");
    expectCandidate("bücher.de", "bücher.com", "tld-swap");
    assert.ok(!a.some((x) => x.domain === "xn--bcher-kva.de"));
  });

  it("a multi-label public suffix: only the registrable label changes", () => {
    assert.deepEqual(splitWatched("Shop.Example.CO.UK"), {
      registrable: "example.co.uk",
      label: "example",
      suffix: "co.uk",
      subdomain: "shop",
    });
    expectCandidate("example.co.uk", "exmple.co.uk", "omission");
    expectCandidate("example.co.uk", "exampel.co.uk", "transposition");
    for (const c of byUnicode("example.co.uk").values()) {
      if (c.families.includes("omission")) assert.match(c.domain, /\.co\.uk$/);
    }
  });

  it("private suffixes count (foo.github.io → foo + github.io), unless the name is one", () => {
    assert.equal(splitWatched("foo.github.io").suffix, "github.io");
    assert.equal(splitWatched("github.io").registrable, "github.io");
    expectCandidate("foo.github.io", "fo.github.io", "omission");
  });

  it("right-to-left and non-Latin watched domains", () => {
    expectCandidate("яндекс.рф", "ндекс.рф", "omission");
    expectCandidate("שלום.com", "לום.com", "omission");
  });

  it("never the watched domain itself, nor its registrable domain", () => {
    for (const w of ["contoso.com", "bücher.de", "example.co.uk", "www.contoso.com", "aaa.com"]) {
      const own = new Set([domainToASCII(w), splitWatched(w).registrable]);
      for (const c of generateCandidates(w)) assert.ok(!own.has(c.domain), `${c.domain} for ${w}`);
    }
  });

  it("rejects what is not a domain name under a public suffix", () => {
    assert.throws(() => generateCandidates(""), /not a valid domain name/);
    assert.throws(() => generateCandidates("com"), /no registrable domain/);
    assert.throws(() => generateCandidates("192.0.2.1"), /no registrable domain/);
  });

  it("every candidate is valid IDNA: punycode and Unicode agree with node:url both ways", () => {
    for (const w of [
      "contoso.com",
      "microsoft.com",
      "bücher.de",
      "example.co.uk",
      "яндекс.рф",
      "שלום.com",
      "my-bank.com",
    ]) {
      for (const c of generateCandidates(w)) {
        assert.equal(c.domain, domainToASCII(c.unicode), `${c.unicode} (${c.families.join(",")})`);
        assert.equal(domainToUnicode(c.domain), c.unicode, c.domain);
        assert.ok(c.domain.length <= 253);
        for (const label of c.domain.split(".")) {
          assert.ok(label.length >= 1 && label.length <= 63, c.domain);
          assert.ok(/^[a-z0-9-]+$/.test(label) && !label.startsWith("-") && !label.endsWith("-"), c.domain);
          assert.ok(label.startsWith("xn--") || label.slice(2, 4) !== "--", c.domain);
        }
      }
    }
  });

  it("long labels: over 63 octets dropped", () => {
    const long = "a".repeat(63) + ".com";
    const out = generateCandidates(long, { maxCandidates: 5_000 });
    assert.ok(out.length > 0);
    for (const c of out) for (const label of c.domain.split(".")) assert.ok(label.length <= 63);
    assert.ok(!out.some((c) => c.unicode === "a".repeat(64) + ".com"));
  });
});

describe("generateCandidates: order, families, cap", () => {
  it("is deterministic", () => {
    assert.deepEqual(generateCandidates("microsoft.com"), generateCandidates("microsoft.com"));
  });

  it("lists each candidate once, with its families deduplicated in FAMILIES order", () => {
    const out = generateCandidates("contoso.com");
    assert.equal(new Set(out.map((c) => c.domain)).size, out.length);
    for (const c of out) {
      assert.ok(c.families.length > 0);
      const idx = c.families.map((f) => FAMILIES.indexOf(f));
      assert.ok(
        idx.every((i, k) => i >= 0 && (k === 0 || i > idx[k - 1]!)),
        c.families.join(","),
      );
    }
    // Single typing errors come first, the glyph families last.
    assert.deepEqual(out[0]?.families, ["omission"]);
    assert.ok(out.at(-1)?.families.includes("homoglyph"));
  });

  it("stops at maxCandidates, keeping the same first candidates", () => {
    const all = generateCandidates("microsoft.com");
    assert.ok(all.length > 1000);
    const capped = generateCandidates("microsoft.com", { maxCandidates: 100 });
    assert.equal(capped.length, 100);
    assert.deepEqual(
      capped.map((c) => c.domain),
      all.slice(0, 100).map((c) => c.domain),
    );
    assert.equal(generateCandidates("microsoft.com", { maxCandidates: 0 }).length, 0);
    // The default cap bounds a pathological label.
    const big = generateCandidates(`${"abcdefghij".repeat(6)}.com`);
    assert.ok(big.length <= 50_000);
  });
});

describe("gen-idna", () => {
  it("punycode matches node:url for assorted labels", () => {
    for (const u of ["bücher", "münchen", "яндекс", "日本語", "ﬀ", "a😀b", "ü", "þórr", "cοntoso", "ǀa"]) {
      const a = domainToASCII(`${u}.com`);
      if (a === "") continue;
      const label = a.slice(0, a.indexOf("."));
      if (!label.startsWith("xn--")) continue;
      assert.equal(`xn--${punycodeEncode(domainToUnicode(label))}`, label, u);
    }
  });

  it("labelToAscii keeps LDH rules and drops what IDNA would change", () => {
    assert.equal(labelToAscii("contoso"), "contoso");
    assert.equal(labelToAscii("bücher"), "xn--bcher-kva");
    assert.equal(labelToAscii("-a"), null);
    assert.equal(labelToAscii("a-"), null);
    assert.equal(labelToAscii("ab--c"), null);
    assert.equal(labelToAscii("a_b"), null);
    assert.equal(labelToAscii("Ab"), null);
    assert.equal(labelToAscii("ａb"), null); // fullwidth: mapped by UTS #46
    assert.equal(labelToAscii("a♥b"), null); // a symbol
    assert.equal(labelToAscii("x".repeat(64)), null);
    assert.equal(labelToAscii("x".repeat(63)), "x".repeat(63));
  });
});
