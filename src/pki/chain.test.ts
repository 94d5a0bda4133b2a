import assert from "node:assert/strict";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import * as tls from "node:tls";
import {
  createRootCa,
  issueIntermediate,
  issueLeaf,
  selfSignedLeaf,
  withBadSignature,
  type Issued,
} from "../../test/helpers/pki.js";
import { parseCertificate, type ParsedCertificate } from "./certificate.js";
import { buildChain, type ChainResult } from "./chain.js";
import { TrustStore } from "./trust-store.js";

const DAY = 86_400_000;
const now = new Date();
const ago = (d: number) => new Date(now.getTime() - d * DAY);
const ahead = (d: number) => new Date(now.getTime() + d * DAY);

function parsed(der: Uint8Array): ParsedCertificate {
  const r = parseCertificate(der);
  assert.ok(r.ok, r.ok ? "" : r.error);
  return r.cert;
}

function verdict(served: Uint8Array[], roots: Issued[]): ChainResult {
  const [leaf, ...rest] = served.map(parsed);
  return buildChain(leaf!, rest, new TrustStore(roots.map((r) => parsed(r.certDer))), now);
}

/** What OpenSSL says about the same chain, through a real handshake on loopback. */
async function opensslAuthorized(served: Uint8Array[], leafKey: Issued, roots: Issued[]): Promise<boolean> {
  const pem = (der: Uint8Array) =>
    `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString("base64")}\n-----END CERTIFICATE-----\n`;
  const server = tls.createServer({ key: leafKey.keyPem, cert: served.map(pem).join("") }, (s) => s.end());
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  try {
    const socket = tls.connect({
      host: "127.0.0.1",
      port: (server.address() as AddressInfo).port,
      ca: roots.length > 0 ? roots.map((r) => r.certPem) : [(await createRootCa()).certPem],
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    });
    await once(socket, "secureConnect");
    const ok = socket.authorized;
    socket.destroy();
    return ok;
  } finally {
    server.close();
  }
}

describe("chain building (event 41 evidence), cross-checked with OpenSSL", async () => {
  const root = await createRootCa({ subject: "CN=Test Root", freshKey: true });
  const int = await issueIntermediate(root, { subject: "CN=Test Intermediate", freshKey: true });
  const leaf = await issueLeaf(int, { dnsNames: ["www.contoso.test"] });

  const cases: {
    name: string;
    served: () => Promise<{ served: Uint8Array[]; key: Issued; roots: Issued[] }>;
    expect: ChainResult["ok"] | string;
  }[] = [
    {
      name: "complete chain to a trusted root",
      served: () => Promise.resolve({ served: [leaf.certDer, int.certDer], key: leaf, roots: [root] }),
      expect: true,
    },
    {
      name: "root sent too",
      served: () =>
        Promise.resolve({ served: [leaf.certDer, int.certDer, root.certDer], key: leaf, roots: [root] }),
      expect: true,
    },
    {
      name: "missing intermediate",
      served: () => Promise.resolve({ served: [leaf.certDer], key: leaf, roots: [root] }),
      expect: "missing-intermediate",
    },
    {
      name: "untrusted root sent by the server",
      served: () =>
        Promise.resolve({ served: [leaf.certDer, int.certDer, root.certDer], key: leaf, roots: [] }),
      expect: "unknown-root",
    },
    {
      name: "expired intermediate",
      served: async () => {
        const old = await issueIntermediate(root, {
          subject: "CN=Old Intermediate",
          notBefore: ago(400),
          notAfter: ago(2),
          freshKey: true,
        });
        const l = await issueLeaf(old, { dnsNames: ["www.contoso.test"] });
        return { served: [l.certDer, old.certDer], key: l, roots: [root] };
      },
      expect: "expired-intermediate",
    },
    {
      name: "intermediate that is not a CA",
      served: async () => {
        const notCa = await issueLeaf(root, {
          subject: "CN=Not A CA",
          dnsNames: ["not-a-ca.test"],
          freshKey: true,
        });
        const l = await issueLeaf(notCa, { dnsNames: ["www.contoso.test"] });
        return { served: [l.certDer, notCa.certDer], key: l, roots: [root] };
      },
      expect: "not-a-ca",
    },
    {
      name: "self-signed leaf",
      served: async () => {
        const s = await selfSignedLeaf({ dnsNames: ["www.contoso.test"] });
        return { served: [s.certDer], key: s, roots: [root] };
      },
      expect: "unknown-root",
    },
    {
      name: "self-signed leaf that is explicitly trusted",
      served: async () => {
        const s = await selfSignedLeaf({ dnsNames: ["internal.contoso.test"] });
        return { served: [s.certDer], key: s, roots: [s] };
      },
      expect: true,
    },
    {
      name: "a leaf whose signature does not verify",
      served: () =>
        Promise.resolve({ served: [withBadSignature(leaf), int.certDer], key: leaf, roots: [root] }),
      expect: "bad-signature",
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const { served, key, roots } = await c.served();
      const r = verdict(served, roots);
      if (c.expect === true) assert.ok(r.ok, r.ok ? "" : `${r.problem}: ${r.detail}`);
      else {
        assert.ok(!r.ok, "expected a broken chain");
        assert.equal(r.problem, c.expect, r.detail);
      }
      assert.equal(await opensslAuthorized(served, key, roots), r.ok, "OpenSSL disagrees");
    });
  }

  it("ignores unrelated extra certificates the server sends", async () => {
    const stranger = await createRootCa({ subject: "CN=Stranger" });
    assert.ok(verdict([leaf.certDer, stranger.certDer, int.certDer], [root]).ok);
  });

  it("reports the trust anchor of a valid path", () => {
    const r = verdict([leaf.certDer, int.certDer], [root]);
    assert.ok(r.ok);
    assert.equal(r.anchor.subject, "CN=Test Root");
    assert.deepEqual(
      r.path.map((c) => c.subject),
      ["CN=www.contoso.test", "CN=Test Intermediate", "CN=Test Root"],
    );
  });

  it("an intermediate valid only from tomorrow breaks the chain", async () => {
    const future = await issueIntermediate(root, {
      subject: "CN=Future Intermediate",
      notBefore: ahead(1),
      notAfter: ahead(300),
      freshKey: true,
    });
    const l = await issueLeaf(future, { dnsNames: ["www.contoso.test"] });
    const r = verdict([l.certDer, future.certDer], [root]);
    assert.ok(!r.ok);
    assert.equal(r.problem, "not-yet-valid-intermediate");
  });
});
