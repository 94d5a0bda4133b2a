/**
 * @module lookalike/skeleton.test
 * UTS #39 skeletons from the bundled confusables table, and the matching fold (case, accents, leetspeak
 * digits, rn/vv) with its ASCII fast path checked against the full path.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ASCII_FOLD,
  confusableTableSize,
  foldAscii,
  foldForMatching,
  foldUncontracted,
  foldUnicode,
  skeleton,
} from "./skeleton.js";

void describe("skeleton (UTS #39)", () => {
  void it("loads the confusables table (Unicode 13: thousands of entries)", () => {
    assert.ok(confusableTableSize() > 6000);
  });

  void it("maps Cyrillic and Greek homoglyphs to their Latin prototypes", () => {
    assert.equal(skeleton("cоntoso"), "contoso"); // Cyrillic о U+043E
    assert.equal(skeleton("cοntoso"), "contoso"); // Greek ο U+03BF
    assert.equal(skeleton("аррӏе"), skeleton("appie")); // Cyrillic а р ӏ е
    assert.equal(skeleton("раypal"), "paypal");
  });

  void it("is case-sensitive, as the standard defines it, and maps the digits the table holds", () => {
    assert.equal(skeleton("0"), "O");
    assert.equal(skeleton("1"), "l");
    assert.equal(skeleton("I"), "l");
    assert.equal(skeleton("m"), "rn");
    assert.equal(skeleton("rn"), "rn");
    assert.notEqual(skeleton("A"), skeleton("a"));
  });

  void it("drops default-ignorable code points and works on NFD", () => {
    assert.equal(skeleton("con\u00adto\u200bso"), "contoso"); // soft hyphen, zero-width space
    assert.equal(skeleton("caf\u00e9"), skeleton("cafe\u0301"));
    assert.equal(skeleton("caf\u00e9"), "cafe\u0301");
  });

  void it("is idempotent", () => {
    for (const s of ["cоntoso", "rnicrosoft", "paypa1", "bücher", "中国银行", "ｍｉｃｒｏｓｏｆｔ"]) {
      assert.equal(skeleton(skeleton(s)), skeleton(s), s);
    }
  });
});

void describe("foldForMatching", () => {
  void it("folds case, homoglyphs and diacritics to one key", () => {
    for (const s of ["contoso", "CONTOSO", "cоntoso", "cοntoso", "cöntoso", "cóntosó", "ｃｏｎｔｏｓｏ"]) {
      assert.equal(foldForMatching(s), "contoso", s);
    }
  });

  void it("maps the digit look-alikes: the table's 0 and 1, and leetspeak 3 4 5 6 7 8 9; 2 stays", () => {
    assert.equal(foldForMatching("c0nt0s0"), "contoso");
    assert.equal(foldForMatching("paypa1"), "paypal");
    assert.equal(foldForMatching("5ecur3"), "secure");
    assert.equal(foldForMatching("4ma7on"), "amaton");
    assert.equal(foldForMatching("g00g1e"), "google");
    assert.equal(foldForMatching("6ank8"), "bankb");
    assert.equal(foldForMatching("9ood"), "good");
    assert.equal(foldForMatching("b2b"), "b2b");
  });

  void it("contracts rn to m and vv to w, so both spellings share a key and m stays one letter", () => {
    assert.equal(foldForMatching("rnicrosoft"), "microsoft");
    assert.equal(foldForMatching("microsoft"), "microsoft");
    assert.equal(foldForMatching("vvikipedia"), "wikipedia");
    assert.equal(foldForMatching("modern"), foldForMatching("modem"));
    assert.equal(foldForMatching("rrn"), "rm");
    assert.equal(foldForMatching("vvv"), "wv");
  });

  void it("has an uncontracted variant for typo distances", () => {
    assert.equal(foldUncontracted("filrnd"), "filrnd");
    assert.equal(foldUncontracted("Microsoft"), "microsoft");
    assert.equal(foldUncontracted("c0ntоso"), "contoso"); // digit and Cyrillic о
    assert.equal(foldUncontracted("ⅿail"), "mail"); // ⅿ → rn in the table → m, one character
    for (const s of ["contoso", "rnicrosoft", "vvikipedia", "c0nt0s0", "ferngully"]) {
      assert.equal(foldForMatching(foldUncontracted(s)), foldForMatching(s), s);
    }
  });

  void it("keeps hyphens and non-Latin scripts", () => {
    assert.equal(foldForMatching("contoso-login"), "contoso-login");
    assert.equal(foldForMatching("中国银行"), "中国银行");
  });

  void it("has an ASCII fast path that agrees with the full fold", () => {
    const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_rnvvmw";
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let t = 0; t < 3000; t++) {
      let s = "";
      const len = 1 + rnd(14);
      for (let i = 0; i < len; i++) s += alphabet[rnd(alphabet.length)];
      assert.equal(foldAscii(s), foldUnicode(s), s);
    }
  });

  void it("leaves other characters to the full path", () => {
    assert.equal(foldAscii("cоntoso"), null);
    assert.equal(foldAscii("a*b"), null);
    assert.equal(foldAscii("contoso"), "contoso");
    assert.equal(foldAscii("www.c0ntoso.com"), "www.contoso.com"); // dots kept: whole names fold too
    assert.equal(ASCII_FOLD["0".charCodeAt(0)], "o".charCodeAt(0));
    assert.equal(ASCII_FOLD["*".charCodeAt(0)], -1);
  });

  void it("is deterministic and idempotent", () => {
    for (const s of ["c0nt0s0", "rnicrosoft", "Bücher", "cоntoso-Login", "vvv"]) {
      assert.equal(foldForMatching(s), foldForMatching(s));
      assert.equal(foldForMatching(foldForMatching(s)), foldForMatching(s), s);
    }
  });
});
