import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { WatchedDomains } from "./watched-domains.js";

void describe("WatchedDomains", () => {
  const w = new WatchedDomains(["contoso.com", "eu.contoso.com", "xn--fabrkam-o2a.com"]);

  void it("matches the domain itself and names below it, case and trailing dot aside", () => {
    assert.equal(w.domainOf("contoso.com"), "contoso.com");
    assert.equal(w.domainOf("WWW.Contoso.COM."), "contoso.com");
    assert.equal(w.domainOf("a.b.c.contoso.com"), "contoso.com");
    assert.equal(w.domainOf("*.shop.contoso.com"), "contoso.com");
    assert.equal(w.domainOf("xn--fabrkam-o2a.com"), "xn--fabrkam-o2a.com");
  });

  void it("prefers the most specific watched domain", () => {
    assert.equal(w.domainOf("shop.eu.contoso.com"), "eu.contoso.com");
  });

  void it("does not match lookalikes, suffix tricks or unrelated names", () => {
    for (const n of ["notcontoso.com", "contoso.com.evil.net", "contoso.co", "com", "", ".", "*.com"]) {
      assert.equal(w.domainOf(n), null, n);
    }
  });
});
