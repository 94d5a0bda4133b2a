/**
 * @module config/daemon-schema.test
 * `work.listen`: where a worker's health and metrics listener binds — host:port, [IPv6]:port, and the errors.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, parseConfig } from "./load.js";
import { parseListenAddress } from "./daemon-schema.js";

describe("work.listen", () => {
  it("is absent by default: a worker listens nowhere", () => {
    assert.equal(parseConfig("", "c.yaml").work.listen, undefined);
  });

  it("takes host:port, a name, [IPv6]:port and port 0", () => {
    const at = (v: string) => parseConfig(`work: { listen: "${v}" }\n`, "c.yaml").work.listen;
    assert.deepEqual(at("10.0.0.5:9464"), { host: "10.0.0.5", port: 9464 });
    assert.deepEqual(at(" LocalHost:9465 "), { host: "localhost", port: 9465 });
    assert.deepEqual(at("[::1]:9464"), { host: "::1", port: 9464 });
    assert.deepEqual(at("[::]:0"), { host: "::", port: 0 });
  });

  it("refuses what is not host:port, with the field and the value", () => {
    const cases: [string, RegExp][] = [
      ["9464", /must be host:port, such as 127\.0\.0\.1:9464, or \[IPv6 address\]:port/],
      ["::1:9464", /must be host:port/],
      ["127.0.0.1", /must be host:port/],
      [":9464", /must be host:port/],
      ["[10.0.0.1]:9464", /\[10\.0\.0\.1\] is not an IPv6 address/],
      ["127.0.0.1:65536", /the port must be a number from 0 to 65535/],
      ["127.0.0.1:http", /the port must be a number from 0 to 65535/],
      ["exa mple:80", /must be an IP address to listen on/],
    ];
    for (const [value, why] of cases) {
      try {
        parseConfig(`work:\n  listen: "${value}"\n`, "c.yaml");
        assert.fail(`${value} accepted`);
      } catch (e) {
        assert.ok(e instanceof ConfigError, String(e));
        assert.equal(e.code, "CONFIG_INVALID");
        const line = e.message.split("\n").find((l) => l.includes("work.listen:"));
        assert.ok(line, e.message);
        assert.match(line, /^c\.yaml:2:11: work\.listen: /);
        assert.match(line, why);
      }
    }
  });

  it("the parser is the one --listen uses", () => {
    assert.deepEqual(parseListenAddress("[2001:db8::1]:8443"), {
      value: { host: "2001:db8::1", port: 8443 },
    });
    assert.ok("error" in parseListenAddress(""));
  });
});
