// @ts-check
/**
 * @module web/h
 * The one way the dashboard builds DOM: `h(tag, attrs, ...children)` (and `svg(...)`) create elements, set
 * attributes and append strings as text nodes — never as HTML. Names that would run script are refused.
 */

/** @typedef {Node | string | number | null | undefined | false} Child */
/** @typedef {Child | readonly Child[]} Children */
/** @typedef {{ [event: string]: (event: Event) => void }} Listeners */
/**
 * Attributes by name: a string or number is set, `true` sets an empty attribute, `false`, null and undefined
 * leave it out. `on` adds event listeners (never an `on…` attribute).
 * @typedef {{ [name: string]: string | number | boolean | null | undefined | Listeners, on?: Listeners }} Attrs
 */

const SVG_NS = "http://www.w3.org/2000/svg";

/** Attributes that hold a URL: they may only point inside the dashboard (see isAppLink). */
const URL_ATTRIBUTES = new Set([
  "href",
  "src",
  "action",
  "formaction",
  "xlink:href",
  "poster",
  "data",
  "srcset",
]);

/**
 * Is this a link inside the dashboard or its API: `#/…` (a page), or a path on this origin (`/api/v1/…`)? A
 * scheme (`javascript:`, `data:`, `https:`), a protocol-relative `//host` or a backslash is not.
 * @param {string} url
 */
export function isAppLink(url) {
  // After the start, printable ASCII but for the backslash: query values are percent-encoded.
  return /^(?:#\/|\/(?![/\\]))[\x21-\x5b\x5d-\x7e]*$/.test(url);
}

/**
 * @param {Element} el
 * @param {Attrs | null | undefined} attrs
 */
function setAttributes(el, attrs) {
  if (!attrs) return;
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "on") {
      for (const [event, listener] of Object.entries(/** @type {Listeners} */ (value))) {
        el.addEventListener(event, listener);
      }
      continue;
    }
    const lower = name.toLowerCase();
    if (
      lower.startsWith("on") ||
      lower === "style" ||
      lower === "srcdoc" ||
      !/^[a-z][a-z0-9:-]*$/.test(lower)
    ) {
      throw new Error(`h: the attribute ${JSON.stringify(name)} is not allowed`);
    }
    if (value === false || value === null || value === undefined) continue;
    if (typeof value === "object") throw new Error(`h: ${name} must be text`);
    const text = value === true ? "" : String(value);
    if (URL_ATTRIBUTES.has(lower) && !isAppLink(text)) {
      throw new Error(`h: ${name} must be a link inside the dashboard`);
    }
    el.setAttribute(name, text);
  }
}

/**
 * @param {Node} parent
 * @param {readonly Children[]} children
 */
export function append(parent, ...children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (child instanceof Node) parent.appendChild(child);
    else if (typeof child === "string" || typeof child === "number") {
      parent.appendChild(document.createTextNode(String(child)));
    } else append(parent, ...child);
  }
}

/**
 * An HTML element.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs | null} [attrs]
 * @param {readonly Children[]} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttributes(el, attrs);
  append(el, ...children);
  return el;
}

/**
 * An SVG element (charts).
 * @template {keyof SVGElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs | null} [attrs]
 * @param {readonly Children[]} children
 * @returns {SVGElementTagNameMap[K]}
 */
export function svg(tag, attrs, ...children) {
  const el = /** @type {SVGElementTagNameMap[K]} */ (document.createElementNS(SVG_NS, tag));
  setAttributes(el, attrs);
  append(el, ...children);
  return el;
}

/**
 * Replaces everything in `parent` with `children`.
 * @param {Element} parent
 * @param {readonly Children[]} children
 */
export function replace(parent, ...children) {
  parent.replaceChildren();
  append(parent, ...children);
}
