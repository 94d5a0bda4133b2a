/**
 * @module test/e2e/api-openapi.test
 * The OpenAPI document served at /api/v1/openapi.json: generated from the routes' zod schemas, it lists every
 * route the app serves with its security requirement and required role, the error codes, and no example that
 * looks like a secret.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ACTIONS, minimumRole, type Action } from "../../src/auth/roles.js";
import { API_ERROR_CODES } from "../../src/api/errors.js";
import { ApiServer } from "../helpers/api-server.js";

interface Operation {
  security?: Record<string, string[]>[];
  description?: string;
  responses: Record<string, unknown>;
  "x-certwatch-action"?: string;
}
interface Document {
  openapi: string;
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, Record<string, string>>; schemas: Record<string, unknown> };
}

/** Every (key path, value) under `node` whose key is an example. */
function examples(node: unknown, path: string[] = []): [string[], unknown][] {
  if (node === null || typeof node !== "object") return [];
  return Object.entries(node).flatMap(([k, v]): [string[], unknown][] =>
    k === "example" || k === "examples" ? [[[...path, k], v]] : examples(v, [...path, k]),
  );
}

void describe("the OpenAPI document", () => {
  let server: ApiServer;
  let doc: Document;
  let text: string;

  before(async () => {
    server = await ApiServer.start();
    const a = await server.client().get("/openapi.json");
    assert.equal(a.status, 200, "public: no credentials needed");
    doc = a.json as Document;
    text = a.text;
  });
  after(() => server.close());

  void it("is OpenAPI 3.1 with the server base path and three security schemes", () => {
    assert.equal(doc.openapi, "3.1.0");
    assert.deepEqual(doc.servers, [{ url: "/api/v1" }]);
    assert.deepEqual(doc.components.securitySchemes.sessionCookie, {
      type: "apiKey",
      in: "cookie",
      name: "cw_session",
      description: "The session cookie set by POST /session (HttpOnly, SameSite=Strict).",
    });
    assert.equal(doc.components.securitySchemes.csrfHeader?.name, "X-CSRF-Token");
    assert.equal(doc.components.securitySchemes.bearerToken?.scheme, "bearer");
  });

  void it("lists every route the app serves, each with its security requirement and role", () => {
    const served = new Set(
      server.app.routes
        .filter((r) => r.method !== "ALL")
        .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([A-Za-z]+)/g, "{$1}")}`),
    );
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)),
    );
    assert.deepEqual([...served].sort(), [...documented].sort());
    assert.ok(served.size >= 20, `${served.size} routes`);

    const publicRoutes: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method} ${path}`;
        const access = op["x-certwatch-action"];
        assert.ok(access !== undefined, `${where} says who may call it`);
        if (access === "public") {
          publicRoutes.push(where);
          assert.deepEqual(op.security, [], where);
          continue;
        }
        const schemes = (op.security ?? []).map((s) => Object.keys(s).sort().join("+"));
        assert.ok(schemes.length > 0, `${where} has a security requirement`);
        // A cookie alone may only read: a change needs the CSRF header beside it.
        const cookie = method === "get" ? "sessionCookie" : "csrfHeader+sessionCookie";
        assert.ok(schemes.includes(cookie), `${where}: ${schemes.join(", ")}`);
        for (const status of ["401", "403"])
          assert.ok(status in op.responses, `${where} documents ${status}`);
        if (access !== "signed-in") {
          assert.ok((ACTIONS as readonly string[]).includes(access), `${where}: ${access}`);
          assert.ok(op.description?.includes(`Needs the ${minimumRole(access as Action)} role`), where);
        }
      }
    }
    assert.deepEqual(publicRoutes.sort(), [
      "get /openapi.json",
      // Single sign-on: how to sign in, and the two legs of the browser's redirect dance.
      "get /session/methods",
      "get /session/oidc/callback",
      "get /session/oidc/login",
      "post /session",
    ]);
    // Only a session may mint tokens or sign out.
    assert.deepEqual(
      doc.paths["/tokens"]?.post?.security?.map((s) => Object.keys(s).sort().join("+")),
      ["csrfHeader+sessionCookie"],
    );
    assert.equal(doc.paths["/alerts/{id}/resolve"]?.post?.["x-certwatch-action"], "alerts.triage");
    assert.equal(doc.paths["/audit"]?.get?.["x-certwatch-action"], "audit.read");
  });

  void it("documents the error body with every code the API may answer", () => {
    const error = doc.components.schemas.Error as {
      properties: { error: { properties: { code: { enum: string[] } } } };
    };
    assert.deepEqual(error.properties.error.properties.code.enum.sort(), [...API_ERROR_CODES].sort());
  });

  void it("holds no secret-looking example", () => {
    const found = examples(doc);
    assert.ok(found.length > 5, "the document has examples");
    for (const [path, value] of found) {
      const where = path.join(".");
      // The property the example is for: none that holds a secret gets one.
      assert.doesNotMatch(
        path.at(-2) ?? "",
        /password|secret|^token$|csrf|authorization/i,
        `an example for ${where}`,
      );
      assert.doesNotMatch(JSON.stringify(value), /cw_[a-z2-7]{10}_|\$scrypt\$|bearer\s+\S/i, where);
    }
    assert.doesNotMatch(text, /cw_[a-z2-7]{10}_[A-Za-z0-9_-]{8}/);
    assert.doesNotMatch(text, /\$scrypt\$ln=/);
  });
});
