/**
 * @module auth/cookies.test
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  clearCookie,
  cookieName,
  csrfCookie,
  readCookie,
  serializeCookie,
  sessionCookie,
} from "./cookies.js";

const ID = "q".repeat(43);

void describe("cookies", () => {
  void it("session cookie over TLS: __Host- prefix, Path=/, HttpOnly, SameSite=Strict, Secure, no Domain", () => {
    assert.equal(
      sessionCookie(ID, true, 43_200),
      `__Host-cw_session=${ID}; Path=/; Max-Age=43200; HttpOnly; SameSite=Strict; Secure`,
    );
  });

  void it("session cookie over plain HTTP (loopback): no prefix, no Secure", () => {
    assert.equal(
      sessionCookie(ID, false, 60),
      `cw_session=${ID}; Path=/; Max-Age=60; HttpOnly; SameSite=Strict`,
    );
  });

  void it("CSRF cookie is readable by the page (no HttpOnly), Strict too", () => {
    assert.equal(
      csrfCookie(ID, true, 60),
      `__Host-cw_csrf=${ID}; Path=/; Max-Age=60; SameSite=Strict; Secure`,
    );
  });

  void it("Lax on request, clearing, and browser-session cookies", () => {
    assert.equal(
      serializeCookie("cw_oidc", "abc", { secure: true, httpOnly: true, sameSite: "Lax" }),
      "__Host-cw_oidc=abc; Path=/; HttpOnly; SameSite=Lax; Secure",
    );
    assert.equal(
      clearCookie("cw_session", true, true),
      "__Host-cw_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict; Secure",
    );
    assert.equal(cookieName("cw_session", false), "cw_session");
  });

  void it("refuses values and names that would inject attributes or headers", () => {
    for (const v of ["a;Domain=evil.example", "a b", "a\r\nSet-Cookie: x=y", 'a"', "a,b", "a\\b"]) {
      assert.throws(() => serializeCookie("cw_session", v, { secure: false, httpOnly: true }), TypeError, v);
    }
    assert.throws(() => serializeCookie("cw session", "a", { secure: false, httpOnly: true }), TypeError);
    assert.throws(() => sessionCookie(ID, true, -1), RangeError);
  });

  void it("reads one cookie; a duplicated name or an oversized header yields nothing", () => {
    assert.equal(readCookie(`theme=dark; __Host-cw_session=${ID}; x=1`, "__Host-cw_session"), ID);
    assert.equal(readCookie("theme=dark", "cw_session"), undefined);
    assert.equal(readCookie(undefined, "cw_session"), undefined);
    assert.equal(readCookie("cw_session=a; cw_session=b", "cw_session"), undefined);
    assert.equal(readCookie(`pad=${"x".repeat(9000)}; cw_session=a`, "cw_session"), undefined);
    assert.equal(readCookie("cw_session_old=a", "cw_session"), undefined);
  });
});
