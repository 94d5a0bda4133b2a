import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hstsFindings, parseHsts } from "./hsts.js";

const endpoint = { host: "www.contoso.com", port: 443, address: "127.0.0.1" };
const MIN = 15_552_000;

describe("HSTS (events 42, 103)", () => {
  it("parses directives per RFC 6797", () => {
    assert.deepEqual(parseHsts("max-age=31536000; includeSubDomains; preload"), {
      ok: true,
      maxAge: 31536000,
      includeSubDomains: true,
      preload: true,
    });
    assert.deepEqual(parseHsts('Max-Age="600"'), {
      ok: true,
      maxAge: 600,
      includeSubDomains: false,
      preload: false,
    });
    assert.equal(parseHsts("includeSubDomains").ok, false);
    assert.equal(parseHsts("max-age=abc").ok, false);
    assert.equal(parseHsts("max-age=1; max-age=2").ok, false);
    assert.equal(parseHsts("max-age=-5").ok, false);
  });

  it("raises 42 when an HTTPS response has no header", () => {
    const f = hstsFindings(endpoint, { kind: "response", status: 200, hsts: [] }, MIN);
    assert.deepEqual(
      f.map((x) => x.event),
      ["hsts-missing"],
    );
    assert.equal(f[0]?.key, "www.contoso.com:443@127.0.0.1");
  });

  it("raises 103 for a short max-age or a malformed header, nothing for a strong one", () => {
    assert.deepEqual(
      hstsFindings(endpoint, { kind: "response", status: 200, hsts: ["max-age=86400"] }, MIN)[0]?.details
        .reason,
      "short-max-age",
    );
    assert.deepEqual(
      hstsFindings(endpoint, { kind: "response", status: 200, hsts: ["max-age"] }, MIN)[0]?.details.reason,
      "malformed",
    );
    assert.deepEqual(
      hstsFindings(endpoint, { kind: "response", status: 301, hsts: ["max-age=63072000"] }, MIN),
      [],
    );
  });

  it("judges only the first header, as browsers do", () => {
    assert.deepEqual(
      hstsFindings(endpoint, { kind: "response", status: 200, hsts: ["max-age=63072000", "max-age=0"] }, MIN),
      [],
    );
  });

  it("a head longer than the probe's cap: judged on the HSTS read before the cap, else 42 headers-too-large", () => {
    const cut = { kind: "too-large", status: 200, maxBytes: 65536, error: "too large" } as const;
    assert.deepEqual(
      hstsFindings(endpoint, { ...cut, hsts: [] }, MIN).map((f) => [f.event, f.key, f.details]),
      [
        [
          "hsts-missing",
          "www.contoso.com:443@127.0.0.1",
          { httpStatus: 200, reason: "headers-too-large", maxHeaderBytes: 65536 },
        ],
      ],
    );
    assert.deepEqual(hstsFindings(endpoint, { ...cut, hsts: ["max-age=63072000"] }, MIN), []);
    assert.equal(
      hstsFindings(endpoint, { ...cut, hsts: ["max-age=60"] }, MIN)[0]?.details.reason,
      "short-max-age",
    );
  });

  it("says nothing when no HTTP response was obtained", () => {
    assert.deepEqual(hstsFindings(endpoint, { kind: "error", error: "timeout" }, MIN), []);
    assert.deepEqual(hstsFindings(endpoint, { kind: "skipped" }, MIN), []);
  });
});
