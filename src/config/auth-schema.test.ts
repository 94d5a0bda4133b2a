/**
 * @module config/auth-schema.test
 * The `auth:` block: its defaults are the auth core's session policy, its bounds are enforced, and
 * sessionPolicyOf turns it into what the API enforces. `auth.oidc`: https issuers only, the client secret only as a
 * reference (never echoed), defaults for the rest, and refused without publicUrl.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SESSION_POLICY } from "../auth/session.js";
import { sessionPolicyOf } from "./auth-schema.js";
import { ConfigError, parseConfig } from "./load.js";

void describe("config auth:", () => {
  void it("defaults to the auth core's policy (30 minutes idle, 12 hours at most)", () => {
    const config = parseConfig("domains: [contoso.com]\n", "certwatch.yaml");
    assert.deepEqual(config.auth, { sessionIdleMinutes: 30, sessionMaxHours: 12 });
    assert.deepEqual(sessionPolicyOf(config.auth), SESSION_POLICY);
  });

  void it("sets the idle and absolute limits", () => {
    const config = parseConfig("auth: { sessionIdleMinutes: 15, sessionMaxHours: 8 }\n", "certwatch.yaml");
    assert.deepEqual(sessionPolicyOf(config.auth), {
      idleMs: 15 * 60_000,
      absoluteMs: 8 * 3_600_000,
      touchEveryMs: SESSION_POLICY.touchEveryMs,
    });
  });

  void it("refuses values out of range and unknown keys, naming the field", () => {
    for (const [yaml, field] of [
      ["auth: { sessionIdleMinutes: 0 }", "auth.sessionIdleMinutes"],
      ["auth: { sessionMaxHours: 1000 }", "auth.sessionMaxHours"],
      ["auth: { sessionIdleMinute: 5 }", "auth"],
    ] as const) {
      assert.throws(
        () => parseConfig(`${yaml}\n`, "certwatch.yaml"),
        (e: unknown) => e instanceof ConfigError && e.message.includes(field),
        yaml,
      );
    }
  });
});

const SECRET = "inline-client-secret-never-shown";

const oidcYaml = (
  lines: readonly string[],
  publicUrl = "publicUrl: https://certwatch.contoso.com/",
): string => [publicUrl, "auth:", "  oidc:", ...lines.map((l) => `    ${l}`), ""].join("\n");

const valid = [
  "issuer: https://idp.contoso.com/realms/main/",
  "clientId: certwatch",
  "clientSecret: { env: CW_OIDC_SECRET }",
];

function refusal(yaml: string): string {
  try {
    parseConfig(yaml, "certwatch.yaml");
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    assert.ok(!e.message.includes(SECRET), e.message);
    return e.message;
  }
  return assert.fail(`accepted:\n${yaml}`);
}

void describe("config auth.oidc", () => {
  void it("is off by default, and gets defaults for everything but issuer, client id and secret", () => {
    assert.equal(parseConfig("domains: [contoso.com]\n", "certwatch.yaml").auth.oidc, undefined);
    const oidc = parseConfig(oidcYaml(valid), "certwatch.yaml").auth.oidc;
    assert.deepEqual(oidc, {
      issuer: "https://idp.contoso.com/realms/main",
      clientId: "certwatch",
      clientSecret: { env: "CW_OIDC_SECRET" },
      name: "Single sign-on",
      scopes: ["openid", "email", "profile"],
      roleClaim: "groups",
      roles: {},
      defaultRole: "none",
      autoProvision: true,
      providerLogout: true,
    });
  });

  void it("takes the role mapping, a file secret and a CA file", () => {
    const oidc = parseConfig(
      oidcYaml([
        "issuer: https://login.contoso.com",
        "clientId: certwatch",
        "clientSecret: { file: ./oidc-secret }",
        "name: Contoso account",
        "scopes: [openid, groups, openid]",
        "roleClaim: realm_access.roles",
        "roles: { cw-admins: admin, 'CN=Ops,OU=Groups': operator }",
        "defaultRole: viewer",
        "autoProvision: false",
        "userNameClaim: email",
        "caFile: ./idp-ca.pem",
      ]),
      "certwatch.yaml",
    ).auth.oidc;
    assert.equal(oidc?.issuer, "https://login.contoso.com");
    assert.deepEqual(oidc?.scopes, ["openid", "groups"]);
    assert.deepEqual(oidc?.roles, { "cw-admins": "admin", "CN=Ops,OU=Groups": "operator" });
    assert.equal(oidc?.defaultRole, "viewer");
    assert.equal(oidc?.autoProvision, false);
    assert.equal(oidc?.caFile, "./idp-ca.pem");
  });

  void it("is refused without publicUrl, saying which redirect URI it needs", () => {
    const message = refusal(oidcYaml(valid, "domains: [contoso.com]"));
    assert.match(message, /^certwatch\.yaml:4:\d+: auth\.oidc: single sign-on needs publicUrl/);
    assert.match(message, /<publicUrl>\/api\/v1\/session\/oidc\/callback/);
  });

  void it("refuses an issuer that is not https, holds credentials, a query or a fragment", () => {
    for (const [issuer, why] of [
      ["http://idp.contoso.com", /must be an https:\/\/ URL .*caFile/],
      ["http://127.0.0.1:8080", /must be an https:\/\/ URL/],
      ["https://user:pw@idp.contoso.com", /must not hold a user name or password/],
      ["https://idp.contoso.com/?tenant=1", /must not have a query/],
      ["idp.contoso.com", /must be the provider's issuer URL/],
    ] as const) {
      const message = refusal(oidcYaml([`issuer: ${issuer}`, ...valid.slice(1)]));
      assert.match(message, /auth\.oidc\.issuer: /, issuer);
      assert.match(message, why, issuer);
    }
  });

  void it("refuses a client secret written in the file, without showing it", () => {
    const message = refusal(oidcYaml([...valid.slice(0, 2), `clientSecret: ${SECRET}`]));
    assert.match(message, /auth\.oidc\.clientSecret: secrets are not written in the configuration/);
  });

  void it("refuses scopes without openid, an unknown role and an unknown key", () => {
    assert.match(refusal(oidcYaml([...valid, "scopes: [email]"])), /auth\.oidc\.scopes: must include openid/);
    assert.match(
      refusal(oidcYaml([...valid, "scopes: ['openid email']"])),
      /auth\.oidc\.scopes\[0\]: must be one scope name/,
    );
    assert.match(
      refusal(oidcYaml([...valid, "roles: { staff: superuser }"])),
      /auth\.oidc\.roles\.staff: must be one of "viewer", "operator", "admin"/,
    );
    assert.match(refusal(oidcYaml([...valid, "defaultRole: root"])), /auth\.oidc\.defaultRole: /);
    assert.match(refusal(oidcYaml([...valid, "roleclaim: groups"])), /did you mean "roleClaim"/);
  });
});
