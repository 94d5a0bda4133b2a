/**
 * @module util/describe-body
 * What an unexpected HTTP body was, in words that carry none of its bytes: its declared content type (reduced to
 * header-token characters and cut short), its length, and a coarse kind ("looks like HTML", "binary"). Error
 * texts and alert details go to terminals, SIEMs and e-mails; a hostile server must not write into them.
 */

const MAX_TYPE = 64;
const SNIFF = 512;

/** `content-type text/html; charset=utf-8, 93 bytes, looks like HTML` */
export function describeBody(contentType: string | readonly string[] | undefined, body: Uint8Array): string {
  return `content-type ${safeContentType(contentType)}, ${body.length} bytes, ${bodyKind(body)}`;
}

/** The content type with anything but token, parameter and space characters replaced, at most 64 of them. */
export function safeContentType(contentType: string | readonly string[] | undefined): string {
  const raw = typeof contentType === "string" ? contentType : contentType?.[0];
  if (raw === undefined || raw.trim() === "") return "none";
  const clean = raw.trim().replace(/[^A-Za-z0-9!#$&+.^_|~;=/ -]/g, "?");
  return clean.length > MAX_TYPE ? `${clean.slice(0, MAX_TYPE)}…` : clean;
}

/** A coarse kind from the first bytes: empty, HTML, XML, JSON, PEM, text or binary. */
export function bodyKind(body: Uint8Array): string {
  if (body.length === 0) return "empty";
  const head = Buffer.from(body.buffer, body.byteOffset, Math.min(body.length, SNIFF));
  const text = head
    .toString("latin1")
    .replace(/^\uFEFF|^\xEF\xBB\xBF/, "")
    .trimStart();
  if (/^<!doctype html|^<html[\s>]|<(head|body|title|script)[\s>]/i.test(text)) return "looks like HTML";
  if (/^<\?xml/i.test(text)) return "looks like XML";
  if (/^[{[]/.test(text) && isText(head)) return "looks like JSON";
  if (text.startsWith("-----BEGIN ")) return "looks like PEM";
  return isText(head) ? "text" : "binary";
}

/** UTF-8 text without control characters (ESC included) other than tab and line breaks. */
function isText(b: Buffer): boolean {
  for (const c of b) {
    if (c === 0x09 || c === 0x0a || c === 0x0d) continue;
    if (c < 0x20 || c === 0x7f) return false;
  }
  try {
    // stream: a character cut at the end of the sniffed bytes is not an error.
    new TextDecoder("utf-8", { fatal: true }).decode(b, { stream: true });
    return true;
  } catch {
    return false;
  }
}
