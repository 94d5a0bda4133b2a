/**
 * @module web/csp
 * The security headers of every dashboard answer: a strict Content-Security-Policy (scripts only by a fresh
 * per-request nonce, no inline handlers, no eval, no other origin) and the headers that keep the page out of frames.
 */
import { randomBytes } from "node:crypto";

/** A fresh nonce for one answer: 128 random bits, base64 (the characters CSP's nonce-source allows). */
export function newNonce(): string {
  return randomBytes(16).toString("base64");
}

/**
 * The shell's policy. `'strict-dynamic'` lets the nonced entry module load its own imports and nothing else
 * (host allow-lists are ignored, so an injected `<script src>` never runs); Trusted Types make every string
 * HTML sink (`innerHTML`, `document.write`) throw, so a mistake in the page code fails loudly instead of
 * rendering attacker-chosen markup.
 */
export function shellPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}' 'strict-dynamic'`,
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join("; ");
}

/** Static files and error answers: nothing may run or load (an SVG opened on its own stays an image). */
export const ASSET_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The headers every dashboard answer carries, with its policy. */
export function securityHeaders(policy: string): Record<string, string> {
  return {
    "Content-Security-Policy": policy,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
  };
}
