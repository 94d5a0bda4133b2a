/**
 * @module store/postgres-url.test
 * The PostgreSQL store URL: what each part and parameter becomes, the defaults, and refusals that never quote a
 * value from the URL.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  describePostgresUrl,
  POSTGRES_DEFAULTS,
  postgresSettings,
  PostgresUrlError,
} from "./postgres-url.js";

const dir = mkdtempSync(join(tmpdir(), "certwatch-pgurl-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const pem = (name: string) => {
  const path = join(dir, name);
  writeFileSync(path, `-----BEGIN CERTIFICATE-----\n${name}\n-----END CERTIFICATE-----\n`);
  return path;
};

function refused(url: string, message: RegExp, secret?: string): void {
  assert.throws(
    () => postgresSettings(url),
    (e: unknown) => {
      assert.ok(e instanceof PostgresUrlError, String(e));
      assert.match(e.message, message);
      if (secret !== undefined) assert.ok(!e.message.includes(secret), e.message);
      return true;
    },
  );
}

void describe("postgres store URL", () => {
  void it("reads host, port, database and user, with the defaults for the rest", () => {
    assert.deepEqual(postgresSettings("postgres://certwatch@db.contoso.com/certwatch"), {
      host: "db.contoso.com",
      port: 5432,
      database: "certwatch",
      user: "certwatch",
      ssl: false,
      connectTimeoutMs: POSTGRES_DEFAULTS.connectTimeoutSeconds * 1000,
      statementTimeoutMs: 60_000,
      idleInTransactionTimeoutMs: 60_000,
      poolMax: 10,
      applicationName: "certwatch",
    });
    const v6 = postgresSettings("postgresql://[2001:db8::5]:6432");
    assert.equal(v6.host, "2001:db8::5");
    assert.equal(v6.port, 6432);
    assert.equal(v6.database, undefined, "PostgreSQL's default: the user's name");
    assert.equal(v6.user, undefined, "PGUSER, else the system user");
    assert.equal(postgresSettings("postgres://u%40corp@h/my%20db").user, "u@corp");
    assert.equal(postgresSettings("postgres://u@h/my%20db").database, "my db");
  });

  void it("takes the pool size, timeouts, application name and a socket directory from parameters", () => {
    const s = postgresSettings(
      "postgres://certwatch@localhost/cw?pool_max=25&connect_timeout=3&statement_timeout=0&application_name=cw-worker-2&host=/var/run/postgresql",
    );
    assert.equal(s.poolMax, 25);
    assert.equal(s.connectTimeoutMs, 3000);
    assert.equal(s.statementTimeoutMs, 0);
    assert.equal(s.applicationName, "cw-worker-2");
    assert.equal(s.host, "/var/run/postgresql");
  });

  void it("TLS by sslmode: require and verify-full check the certificate and name, verify-ca the chain only", () => {
    assert.equal(postgresSettings("postgres://u@h/d?sslmode=disable").ssl, false);
    assert.deepEqual(postgresSettings("postgres://u@h/d?sslmode=require").ssl, {});
    assert.deepEqual(postgresSettings("postgres://u@h/d?sslmode=verify-full").ssl, {});
    assert.deepEqual(postgresSettings("postgres://u@h/d?sslmode=no-verify").ssl, {
      rejectUnauthorized: false,
    });
    const ca = pem("ca.pem");
    const verifyCa = postgresSettings(`postgres://u@h/d?sslmode=verify-ca&sslrootcert=${ca}`).ssl;
    assert.ok(verifyCa !== false);
    assert.match(String(verifyCa.ca), /ca\.pem/);
    assert.equal(verifyCa.checkServerIdentity?.("h", {} as never), undefined);
    // Certificate files alone mean verify-full; a client certificate needs its key.
    const client = postgresSettings(
      `postgres://u@h/d?sslrootcert=${ca}&sslcert=${pem("client.pem")}&sslkey=${pem("client.key")}`,
    ).ssl;
    assert.ok(client !== false);
    assert.deepEqual(Object.keys(client).sort(), ["ca", "cert", "key"]);
    refused(`postgres://u@h/d?sslcert=${pem("c2.pem")}`, /sslcert and sslkey go together/);
    refused("postgres://u@h/d?sslmode=prefer", /sslmode must be one of .*never falls back/);
    refused(
      `postgres://u@h/d?sslrootcert=${join(dir, "missing.pem")}`,
      /cannot read .*missing\.pem \(ENOENT\)/,
    );
    refused("postgres://u@h/d?sslrootcert=ca.pem", /must be an absolute file path/);
  });

  void it("refuses a password, unknown parameters and bad values without quoting them", () => {
    refused("postgres://certwatch:s3cret@db/certwatch", /must not hold a password.*PGPASSWORD/, "s3cret");
    refused("postgres://certwatch@db/certwatch?password=s3cret", /must not hold a password/, "s3cret");
    refused(
      "postgres://u@h/d?options=-c%20x%3Ds3cret",
      /parameter "options" is not supported \(supported: host, sslmode/,
      "s3cret",
    );
    refused("postgres://u@h/d?pool_max=0", /pool_max must be a whole number from 1 to 1000/);
    refused("postgres://u@h/d?statement_timeout=1e3", /statement_timeout must be a whole number/);
    refused("postgres://u@h/d?host=relative", /socket directory/);
    refused("postgres://u@h/a/b", /one database name/);
    refused("postgres://u@h/d?application_name=%0Aevil", /application_name must be up to 63 printable/);
    refused("mysql://u@h/d", /postgres:\/\//);
  });

  void it("describes a URL for messages without its password or parameters", () => {
    assert.equal(
      describePostgresUrl("postgres://certwatch:s3cret@db/certwatch?sslkey=/k&password=x"),
      "postgres://certwatch@db/certwatch",
    );
    assert.equal(describePostgresUrl("postgres://u:s3cret@[bad/x"), "postgres://…");
  });
});
