/**
 * @module test/e2e/api-domains.test
 * `GET /domains` over HTTP: the watched domains as the configuration in force says (a reload changes the answer),
 * to any signed-in role; nobody else; 501 from a server that does not know the configuration.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ApiServer, codeOf, type ApiClient } from "../helpers/api-server.js";

void describe("REST API domains", () => {
  let server: ApiServer;
  let bare: ApiServer;
  let vic: ApiClient;
  let watched = ["contoso.com", "contoso.co.uk"];

  before(async () => {
    server = await ApiServer.start({ extra: { watchedDomains: () => watched } });
    await server.addUser("vic", "viewer", "viewer-pw-domains-1");
    vic = server.client();
    assert.equal((await vic.login("vic", "viewer-pw-domains-1")).status, 200);
    bare = await ApiServer.start();
    await bare.addUser("vic", "viewer", "viewer-pw-domains-1");
  });
  after(async () => {
    await server.close();
    await bare.close();
  });

  void it("lists the watched domains in their configured order, and follows a reload", async () => {
    const a = await vic.get("/domains");
    assert.equal(a.status, 200, a.text);
    assert.deepEqual(a.json, { items: [{ domain: "contoso.com" }, { domain: "contoso.co.uk" }] });
    watched = ["fabrikam.com"];
    assert.deepEqual((await vic.get("/domains")).json, { items: [{ domain: "fabrikam.com" }] });
  });

  void it("needs a signed-in caller", async () => {
    const a = await server.client().get("/domains");
    assert.equal(a.status, 401);
    assert.equal(codeOf(a), "UNAUTHENTICATED");
  });

  void it("answers 501 where the configuration is not known", async () => {
    const c = bare.client();
    assert.equal((await c.login("vic", "viewer-pw-domains-1")).status, 200);
    const a = await c.get("/domains");
    assert.equal(a.status, 501);
    assert.equal(codeOf(a), "NOT_IMPLEMENTED");
  });
});
