import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { EVENTS } from "../events.js";
import { renderEventsDoc } from "./events-doc.js";

describe("docs/events.md", () => {
  it("is in step with src/events.ts (run `npm run docs:events` after changing the catalogue)", () => {
    const onDisk = readFileSync(new URL("../../docs/events.md", import.meta.url), "utf8");
    assert.equal(onDisk, renderEventsDoc());
  });

  it("keeps the catalogue's IDs and names exactly (a contract with SIEM rules)", () => {
    const contract: Record<number, string> = {
      12: "similar-domain",
      18: "domain-takeover",
      19: "renewal-not-installed",
      20: "different-root",
      25: "new-subdomain",
      26: "name-mismatch",
      27: "no-certificate",
      28: "wildcard-certificate",
      29: "caa-mismatch",
      30: "revoked",
      31: "self-signed",
      32: "crl-unreachable",
      33: "sha1-signature",
      34: "weak-key",
      35: "crl-expired",
      40: "invalid-certificate",
      41: "invalid-chain",
      42: "hsts-missing",
      68: "installed-certificate-expiring",
      99: "certificate-expiring-not-renewed",
      100: "endpoint-unreachable",
      101: "legacy-tls-protocol",
      102: "ct-log-misbehaving",
      103: "hsts-weak",
      104: "ocsp-unreachable",
      105: "certificate-chain-too-large",
    };
    assert.deepEqual(
      Object.fromEntries(EVENTS.map((e) => [e.id, e.name])),
      Object.fromEntries(Object.entries(contract)),
    );
    assert.equal(new Set(EVENTS.map((e) => e.id)).size, EVENTS.length);
  });
});
