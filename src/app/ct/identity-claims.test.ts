import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { IdentityClaims } from "./identity-claims.js";

void describe("identity claims of the batches in flight", () => {
  void it("the first batch to claim an identity holds it until it releases it; then anyone may claim it", () => {
    const claims = new IdentityClaims();
    const [a, b] = [{}, {}];
    assert.equal(claims.claim("x", a), true);
    assert.equal(claims.claim("x", a), true, "a batch holds its own claim");
    assert.equal(claims.claim("x", b), false, "another batch in flight holds it");
    claims.release(b, ["x"]);
    assert.equal(claims.claim("x", b), false, "a batch releases only its own claims");
    claims.release(a, ["x"]);
    assert.equal(claims.size, 0, "nothing is left behind");
    assert.equal(claims.claim("x", b), true);
  });
});
