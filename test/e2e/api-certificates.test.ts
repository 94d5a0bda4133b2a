/**
 * @module test/e2e/api-certificates.test
 * The certificate inventory over HTTP: soonest expiry first, search, domain and expiry window, cursor paging that
 * returns each certificate once, and who may read it.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { certificate, run } from "../../src/store/contract-fixtures.js";
import type { CertificateRecord } from "../../src/store/store.js";
import { ApiServer, codeOf, type ApiClient } from "../helpers/api-server.js";

const T0 = new Date("2026-11-25T10:00:00Z");

function cert(label: string, notAfter: string, names: readonly string[]): CertificateRecord {
  const c = certificate(label, names);
  return { ...c, summary: { ...c.summary, notAfter } };
}

interface Page {
  items: { sha256: string; dnsNames: string[]; notAfter: string; logged: boolean; firstSeen: string }[];
  nextCursor: string | null;
}

void describe("REST API certificate inventory", () => {
  let server: ApiServer;
  let vic: ApiClient;
  const certs = Array.from({ length: 250 }, (_, i) =>
    cert(`c${i}`, `2027-0${1 + (i % 9)}-01T00:00:00Z`, [
      `h${i}.${i % 2 === 0 ? "contoso.com" : "fabrikam.com"}`,
    ]),
  );

  before(async () => {
    server = await ApiServer.start({ start: T0 });
    await server.store.recordRun(run("tls:inventory", T0, [], { certificates: certs }));
    await server.addUser("vic", "viewer", "viewer-pw-certs-1");
    vic = server.client();
    assert.equal((await vic.login("vic", "viewer-pw-certs-1")).status, 200);
  });
  after(() => server.close());

  void it("pages through every certificate once, soonest expiry first", async () => {
    const seen: Page["items"] = [];
    let cursor: string | null = null;
    do {
      const path: string = `/certificates?limit=40${cursor === null ? "" : `&cursor=${cursor}`}`;
      const a = await vic.get(path);
      assert.equal(a.status, 200, a.text);
      const page = a.json as Page;
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    assert.equal(seen.length, 250);
    assert.equal(new Set(seen.map((c) => c.sha256)).size, 250);
    const order = seen.map((c) => `${c.notAfter} ${c.sha256}`);
    assert.deepEqual(order, [...order].sort());
    assert.equal(seen[0]?.firstSeen, "2026-11-25T10:00:00Z");
    assert.equal(seen[0]?.logged, false);
  });

  void it("filters by domain, search and expiry window", async () => {
    const count = async (query: string) =>
      ((await vic.get(`/certificates?limit=500&${query}`)).json as Page).items;
    assert.equal((await count("domain=contoso.com")).length, 125);
    assert.deepEqual(
      (await count("search=H17.FABRIKAM")).map((c) => c.dnsNames),
      [["h17.fabrikam.com"]],
    );
    const window = await count("expiringAfter=2027-02-01T00:00:00Z&expiringBefore=2027-03-01T00:00:00Z");
    assert.ok(window.length > 0 && window.every((c) => c.notAfter === "2027-02-01T00:00:00Z"));
    assert.equal(
      (await count("expiringBefore=2027-01-01T00:00:00%2B01:00")).length,
      0,
      "offsets are honoured",
    );
    assert.equal(codeOf(await vic.get("/certificates?expiringBefore=tomorrow")), "VALIDATION_FAILED");
    assert.equal(codeOf(await vic.get("/certificates?cursor=WyJhIl0")), "INVALID_CURSOR");
    assert.equal((await server.client().get("/certificates")).status, 401);
  });
});
