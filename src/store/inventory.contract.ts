/**
 * @module store/inventory.contract
 * The certificate inventory listing of the store contract: one row per CT identity, filters (search, domain,
 * expiry window), the keyset on (notAfter, sha256), and whether a certificate was seen in CT. Register with
 * `inventoryContract(name, makeStore)`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { certificate, run, T0 } from "./contract-fixtures.js";
import type { CtLogState } from "./ct-records.js";
import type { CertificateQuery } from "./inventory-store.js";
import type { CertificateRecord, Store } from "./store.js";

/** A certificate with its own expiry (and CT identity, precertificate flag). */
function cert(
  label: string,
  notAfter: string,
  names: readonly string[],
  ct: { identity?: string; precertificate?: boolean } = {},
): CertificateRecord {
  const c = certificate(label, names);
  return {
    ...c,
    summary: {
      ...c.summary,
      notAfter,
      issuer: label.startsWith("le") ? "CN=R11,O=Let's Encrypt" : c.summary.issuer,
    },
    ...(ct.identity !== undefined && { identity: ct.identity }),
    ...(ct.precertificate !== undefined && { precertificate: ct.precertificate }),
  };
}

const LOG_STATE: CtLogState = {
  logId: "bG9nLWlk",
  url: "https://ct.example/2026/",
  protocol: "rfc6962",
  position: 1,
  frontier: { size: 1, hashes: [] },
  verified: { size: 0, rootHash: "00".repeat(32), timestamp: 0 },
  verifiedFrontier: { size: 0, hashes: [] },
  backfillUntil: 0,
  headSize: 1,
  headTimestamp: null,
  lastEntryTimestamp: null,
  lastError: null,
  updatedAt: "2026-11-25T10:00:00Z",
};

export function inventoryContract(name: string, makeStore: () => Promise<Store>): void {
  async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
    const store = await makeStore();
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  }

  void describe(`Inventory contract: ${name}`, () => {
    const www = cert("www", "2026-12-01T00:00:00Z", ["www.contoso.com"]);
    const api = cert("le-api", "2027-01-15T00:00:00Z", ["api.contoso.com", "*.api.contoso.com"]);
    const old = cert("old", "2026-10-01T00:00:00Z", ["old.contoso.com"]);
    const other = cert("other", "2026-12-01T00:00:00Z", ["www.fabrikam.com"]);
    const precert = cert("shop-pre", "2027-03-01T00:00:00Z", ["shop.contoso.com"], {
      identity: "aa".repeat(32),
      precertificate: true,
    });
    const final = cert("shop", "2027-03-01T00:00:00Z", ["shop.contoso.com"], { identity: "aa".repeat(32) });
    const lonePre = cert("blog-pre", "2027-02-01T00:00:00Z", ["blog.contoso.com"], {
      identity: "bb".repeat(32),
      precertificate: true,
    });

    async function seeded(store: Store): Promise<void> {
      await store.recordRun(run("tls:seed", T0, [], { certificates: [www, api, old, other] }));
      await store.recordCtBatch({
        now: T0,
        state: LOG_STATE,
        certificates: [precert, final, lonePre],
        inventory: [precert, lonePre].map((c, index) => ({
          identity: c.identity ?? "",
          sha256: c.summary.sha256,
          logId: LOG_STATE.logId,
          index,
          entryType: "precert" as const,
          loggedAt: 0,
          issuerKeySha256: null,
          rootSpkiSha256: null,
          rootSubject: null,
          domains: ["contoso.com"],
        })),
        roots: [],
        entryErrors: [],
        findings: [],
      });
    }
    const labels = async (store: Store, q: Partial<CertificateQuery>) =>
      (await store.inventory.listCertificatePage({ limit: 100, ...q })).map(
        (e) => e.certificate.dnsNames[0] ?? "",
      );

    void it("lists by expiry, one per CT identity (the certificate, else its precertificate)", () =>
      withStore(async (store) => {
        await seeded(store);
        const page = await store.inventory.listCertificatePage({ limit: 100 });
        assert.deepEqual(
          page.map((e) => [e.certificate.dnsNames[0], e.precertificate, e.logged]),
          [
            ["old.contoso.com", false, false],
            ...[
              ["www.contoso.com", false, false],
              ["www.fabrikam.com", false, false],
            ].sort((a, b) => {
              const sha = (n: unknown) => (n === "www.contoso.com" ? www : other).summary.sha256;
              return sha(a[0]) < sha(b[0]) ? -1 : 1;
            }),
            ["api.contoso.com", false, false],
            ["blog.contoso.com", true, true],
            ["shop.contoso.com", false, true], // logged as its precertificate
          ],
        );
        assert.equal(page[0]?.firstSeen, "2026-11-25T10:00:00Z");
        assert.deepEqual(page[0]?.certificate, old.summary);
      }));

    void it("filters by domain, search text and expiry window", () =>
      withStore(async (store) => {
        await seeded(store);
        assert.deepEqual(await labels(store, { domain: "api.contoso.com" }), ["api.contoso.com"]);
        assert.equal((await labels(store, { domain: "contoso.com" })).length, 5);
        assert.deepEqual(await labels(store, { domain: "fabrikam.com" }), ["www.fabrikam.com"]);
        assert.deepEqual(await labels(store, { search: "let's encrypt" }), ["api.contoso.com"]);
        assert.deepEqual(await labels(store, { search: "SHOP." }), ["shop.contoso.com"]);
        assert.deepEqual(await labels(store, { search: www.summary.sha256.slice(0, 12) }), [
          "www.contoso.com",
        ]);
        assert.deepEqual(await labels(store, { search: "%" }), []);
        assert.deepEqual(
          await labels(store, {
            expiringAfter: "2026-11-25T10:00:00Z",
            expiringBefore: "2027-01-01T00:00:00Z",
          }),
          (await labels(store, {})).slice(1, 3),
        );
        assert.deepEqual(await labels(store, { expiringBefore: "2026-11-25T10:00:00Z" }), [
          "old.contoso.com",
        ]);
      }));

    void it("a domain filter takes `_` and `%` in the name literally", () =>
      withStore(async (store) => {
        const under = cert("u", "2027-01-01T00:00:00Z", ["a.x_y.contoso.com"]);
        const lookalike = cert("l", "2027-01-01T00:00:00Z", ["a.xzy.contoso.com"]);
        await store.recordRun(run("tls:names", T0, [], { certificates: [under, lookalike] }));
        assert.deepEqual(await labels(store, { domain: "x_y.contoso.com" }), ["a.x_y.contoso.com"]);
        assert.deepEqual(await labels(store, { domain: "x%.contoso.com" }), []);
      }));

    void it("pages with the keyset: each certificate once, ties on notAfter broken by sha256", () =>
      withStore(async (store) => {
        const many = Array.from({ length: 60 }, (_, i) =>
          cert(`c${i}`, `2027-0${1 + (i % 3)}-01T00:00:00Z`, [`c${i}.contoso.com`]),
        );
        await store.recordRun(run("tls:many", T0, [], { certificates: many }));
        const seen: string[] = [];
        let after: CertificateQuery["after"];
        for (;;) {
          const page = await store.inventory.listCertificatePage({
            limit: 7,
            ...(after !== undefined && { after }),
          });
          if (page.length === 0) break;
          seen.push(...page.map((e) => e.certificate.sha256));
          const last = page.at(-1)?.certificate;
          if (last === undefined) break;
          after = { notAfter: last.notAfter, sha256: last.sha256 };
        }
        assert.equal(seen.length, 60);
        assert.deepEqual(new Set(seen), new Set(many.map((c) => c.summary.sha256)));
      }));
  });
}
