/**
 * @module util/address-policy.test
 * The address classification as a table: every range the policy refuses, the IPv6 forms that carry an IPv4
 * address, and public addresses next to each boundary.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  classifyAddress,
  describeAddressClass,
  publicAddressesOnly,
  type AddressClass,
} from "./address-policy.js";

const TABLE: readonly (readonly [string, AddressClass])[] = [
  // IPv4
  ["0.0.0.0", { kind: "unspecified" }],
  ["0.1.2.3", { kind: "unspecified" }],
  ["10.0.0.1", { kind: "private" }],
  ["10.255.255.255", { kind: "private" }],
  ["11.0.0.1", { kind: "public" }],
  ["100.63.255.255", { kind: "public" }],
  ["100.64.0.1", { kind: "shared" }],
  ["100.127.255.254", { kind: "shared" }],
  ["100.128.0.1", { kind: "public" }],
  ["127.0.0.1", { kind: "loopback" }],
  ["127.255.0.9", { kind: "loopback" }],
  ["169.254.169.254", { kind: "link-local" }],
  ["169.254.0.1", { kind: "link-local" }],
  ["169.253.0.1", { kind: "public" }],
  ["172.15.255.255", { kind: "public" }],
  ["172.16.0.1", { kind: "private" }],
  ["172.31.255.255", { kind: "private" }],
  ["172.32.0.1", { kind: "public" }],
  ["192.0.0.192", { kind: "reserved" }],
  ["192.0.2.1", { kind: "documentation" }],
  ["192.168.1.1", { kind: "private" }],
  ["192.169.0.1", { kind: "public" }],
  ["198.18.0.1", { kind: "reserved" }],
  ["198.19.255.255", { kind: "reserved" }],
  ["198.20.0.1", { kind: "public" }],
  ["198.51.100.7", { kind: "documentation" }],
  ["203.0.113.7", { kind: "documentation" }],
  ["224.0.0.1", { kind: "multicast" }],
  ["239.255.255.250", { kind: "multicast" }],
  ["240.0.0.1", { kind: "reserved" }],
  ["255.255.255.255", { kind: "broadcast" }],
  ["8.8.8.8", { kind: "public" }],
  ["93.184.215.14", { kind: "public" }],
  // IPv6
  ["::", { kind: "unspecified" }],
  ["::1", { kind: "loopback" }],
  ["[::1]", { kind: "loopback" }],
  ["0:0:0:0:0:0:0:1", { kind: "loopback" }],
  ["::ffff:127.0.0.1", { kind: "loopback", embedded: "ipv4-mapped" }],
  ["::ffff:7f00:1", { kind: "loopback", embedded: "ipv4-mapped" }],
  ["::FFFF:A9FE:A9FE", { kind: "link-local", embedded: "ipv4-mapped" }],
  ["::ffff:10.1.2.3", { kind: "private", embedded: "ipv4-mapped" }],
  ["::ffff:8.8.8.8", { kind: "public" }],
  ["::127.0.0.1", { kind: "loopback", embedded: "ipv4-compatible" }],
  ["::7f00:1", { kind: "loopback", embedded: "ipv4-compatible" }],
  ["::c0a8:101", { kind: "private", embedded: "ipv4-compatible" }],
  ["64:ff9b::7f00:1", { kind: "loopback", embedded: "nat64" }],
  ["64:ff9b::169.254.169.254", { kind: "link-local", embedded: "nat64" }],
  ["64:ff9b::808:808", { kind: "public" }],
  ["64:ff9b:1::808:808", { kind: "private" }],
  ["2002:7f00:1::", { kind: "loopback", embedded: "6to4" }],
  ["2002:c0a8:101::1", { kind: "private", embedded: "6to4" }],
  ["2002:808:808::1", { kind: "public" }],
  ["2001:db8::1", { kind: "documentation" }],
  ["fc00::1", { kind: "unique-local" }],
  ["fd00:ec2::254", { kind: "unique-local" }],
  ["fdff:ffff::1", { kind: "unique-local" }],
  ["fe80::1", { kind: "link-local" }],
  ["fe80::1%eth0", { kind: "link-local" }],
  ["febf::1", { kind: "link-local" }],
  ["fec0::1", { kind: "site-local" }],
  ["ff02::1", { kind: "multicast" }],
  ["100::1", { kind: "reserved" }],
  ["4000::1", { kind: "reserved" }],
  ["2606:4700:4700::1111", { kind: "public" }],
  ["2a00:1450:4001:80b::200e", { kind: "public" }],
  // not addresses
  ["localhost", { kind: "invalid" }],
  ["127.1", { kind: "invalid" }],
  ["", { kind: "invalid" }],
  ["1:2:3:4:5:6:7:8:9", { kind: "invalid" }],
];

describe("classifyAddress", () => {
  for (const [address, expected] of TABLE) {
    it(`${address || "(empty)"} is ${describeAddressClass(expected)}`, () => {
      assert.deepEqual(classifyAddress(address), expected);
    });
  }
});

describe("publicAddressesOnly", () => {
  it("allows public addresses and names the class of a refused one", () => {
    assert.equal(publicAddressesOnly("8.8.8.8"), null);
    assert.equal(publicAddressesOnly("2606:4700:4700::1111"), null);
    assert.equal(publicAddressesOnly("127.0.0.1"), "a loopback address");
    assert.match(publicAddressesOnly("169.254.169.254") ?? "", /link-local .*metadata/);
    assert.equal(publicAddressesOnly("::ffff:7f00:1"), "a loopback address, carried in IPv4-mapped IPv6");
    assert.equal(publicAddressesOnly("fd00:ec2::254"), "a unique-local (private) IPv6 address");
    assert.equal(publicAddressesOnly("not-an-ip"), "not an IP address");
  });
});
