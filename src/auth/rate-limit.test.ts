/**
 * @module auth/rate-limit.test
 * A hand-moved clock: every boundary is checked to the millisecond.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FailureLimit } from "./rate-limit.js";
import { addressKey, FailureLimiter, LOGIN_LIMITS, LoginThrottle } from "./rate-limit.js";

const MIN = 60_000;
const LIMIT: FailureLimit = {
  maxFailures: 3,
  windowMs: 10 * MIN,
  lockoutMs: MIN,
  maxLockoutMs: 5 * MIN,
  forgetAfterMs: 60 * MIN,
  maxKeys: 100,
};

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

void describe("FailureLimiter", () => {
  void it("locks after N failures within the window and unlocks exactly when the lockout ends", () => {
    const l = new FailureLimiter(LIMIT);
    l.fail("k", 0);
    l.fail("k", 1000);
    assert.equal(l.retryAfter("k", 1000), 0, "N-1 failures: still allowed");
    l.fail("k", 2000);
    assert.equal(l.retryAfter("k", 2000), MIN);
    assert.equal(l.retryAfter("k", 2000 + MIN - 1), 1);
    assert.equal(l.retryAfter("k", 2000 + MIN), 0);
    assert.equal(l.retryAfter("other", 2000), 0);
  });

  void it("the window slides: failures older than it do not count", () => {
    const l = new FailureLimiter(LIMIT);
    l.fail("k", 0);
    l.fail("k", 5 * MIN);
    l.fail("k", 10 * MIN); // the one at 0 is exactly one window old: out
    assert.equal(l.retryAfter("k", 10 * MIN), 0);
    l.fail("k", 12 * MIN); // 5, 10, 12: three within ten minutes
    assert.equal(l.retryAfter("k", 12 * MIN), MIN);
  });

  void it("each further lockout doubles, up to the cap; a long quiet period forgets", () => {
    const l = new FailureLimiter(LIMIT);
    let t = 0;
    const lockOnce = () => {
      for (let i = 0; i < 3; i++) l.fail("k", t);
      const ms = l.retryAfter("k", t);
      t += ms;
      return ms;
    };
    assert.deepEqual(
      [lockOnce(), lockOnce(), lockOnce(), lockOnce(), lockOnce()],
      [1, 2, 4, 5, 5].map((m) => m * MIN),
    );
    t += 60 * MIN; // forgetAfterMs since the last failure
    assert.equal(lockOnce(), MIN);
  });

  void it("failures during a lockout neither extend it nor count towards the next", () => {
    const l = new FailureLimiter(LIMIT);
    for (let i = 0; i < 3; i++) l.fail("k", 0);
    l.fail("k", 30_000);
    assert.equal(l.retryAfter("k", 30_000), 30_000);
    l.fail("k", MIN);
    l.fail("k", MIN);
    assert.equal(l.retryAfter("k", MIN), 0);
  });

  void it("memory stays bounded under a flood of keys, and a locked key is not evicted by it", () => {
    const l = new FailureLimiter(LIMIT);
    for (let i = 0; i < 3; i++) l.fail("victim", 0);
    for (let i = 0; i < 10_000; i++) l.fail(`flood-${i}`, 1000);
    assert.equal(l.size, LIMIT.maxKeys);
    assert.ok(l.retryAfter("victim", 1000) > 0);
    l.fail("latest", 1000);
    assert.equal(l.size, LIMIT.maxKeys);
  });

  void it("a new key is counted even when every older key is locked", () => {
    const l = new FailureLimiter({ ...LIMIT, maxKeys: 3 });
    for (const k of ["a", "b", "c"]) for (let i = 0; i < 3; i++) l.fail(k, 0);
    l.fail("d", 1);
    l.fail("d", 2);
    l.fail("d", 3);
    assert.equal(l.retryAfter("d", 3), MIN);
    assert.equal(l.size, 3);
  });
});

void describe("LoginThrottle", () => {
  const options = (c: ReturnType<typeof clock>) => ({
    now: c.now,
    user: LIMIT,
    address: { ...LIMIT, maxFailures: 5 },
  });

  void it("locks a user name guessed from many addresses, case-insensitively; other users stay open", () => {
    const c = clock();
    const t = new LoginThrottle(options(c));
    t.failed("alice", "192.0.2.1");
    t.failed("Alice", "192.0.2.2");
    assert.deepEqual(t.check("alice", "192.0.2.9"), { allowed: true });
    t.failed("ALICE", "192.0.2.3");
    assert.deepEqual(t.check("alice", "192.0.2.9"), { allowed: false, retryAfterMs: MIN, scope: "user" });
    assert.deepEqual(t.check("bob", "192.0.2.9"), { allowed: true });
    c.advance(MIN);
    assert.deepEqual(t.check("alice", "192.0.2.9"), { allowed: true });
  });

  void it("locks an address guessing many user names", () => {
    const c = clock();
    const t = new LoginThrottle(options(c));
    for (let i = 0; i < 4; i++) t.failed(`user${i}`, "198.51.100.7");
    assert.equal(t.check("someone", "198.51.100.7").allowed, true);
    t.failed("user4", "198.51.100.7");
    assert.deepEqual(t.check("someone", "198.51.100.7"), {
      allowed: false,
      retryAfterMs: MIN,
      scope: "address",
    });
    assert.equal(t.check("someone", "198.51.100.8").allowed, true);
  });

  void it("an IPv6 client cannot rotate through its /64", () => {
    const c = clock();
    const t = new LoginThrottle(options(c));
    for (let i = 1; i <= 5; i++) t.failed(`u${i}`, `2001:db8:1:2::${i.toString(16)}`);
    assert.equal(t.check("x", "2001:db8:1:2:ffff:ffff:ffff:ffff").allowed, false);
    assert.equal(t.check("x", "2001:db8:1:3::1").allowed, true);
  });

  void it("success clears the user name but not the address", () => {
    const c = clock();
    const t = new LoginThrottle(options(c));
    for (let i = 0; i < 2; i++) t.failed("alice", "192.0.2.1");
    for (let i = 0; i < 2; i++) t.failed("bob", "192.0.2.1");
    t.succeeded("alice");
    t.failed("alice", "192.0.2.50");
    t.failed("alice", "192.0.2.50");
    assert.equal(t.check("alice", "192.0.2.51").allowed, true, "alice's count started again");
    t.failed("carol", "192.0.2.1");
    assert.equal(t.check("dave", "192.0.2.1").allowed, false, "the address kept its five failures");
    assert.deepEqual(t.size, { users: 3, addresses: 2 });
  });

  void it("the defaults: five failures per user, twenty per address, 15-minute window", () => {
    assert.equal(LOGIN_LIMITS.user.maxFailures, 5);
    assert.equal(LOGIN_LIMITS.address.maxFailures, 20);
    assert.equal(LOGIN_LIMITS.user.windowMs, 15 * MIN);
  });
});

void describe("addressKey", () => {
  void it("IPv4 as is (also IPv4-mapped), IPv6 by /64, zone ids dropped", () => {
    assert.equal(addressKey("192.0.2.1"), "192.0.2.1");
    assert.equal(addressKey("::ffff:192.0.2.1"), "192.0.2.1");
    assert.equal(addressKey("2001:db8::1"), "2001:db8:0:0::/64");
    assert.equal(addressKey("2001:0DB8:0000:0001:aaaa::1"), "2001:db8:0:1::/64");
    assert.equal(addressKey("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
    assert.equal(addressKey("fe80::1%eth0"), "fe80:0:0:0::/64");
    assert.equal(addressKey("::1"), "0:0:0:0::/64");
    assert.equal(addressKey("not an address"), "not an address");
  });
});
