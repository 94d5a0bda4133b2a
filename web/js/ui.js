// @ts-check
/**
 * @module web/ui
 * Small building blocks every page shares: page headers, tables, badges, times, messages, form fields and the
 * "more" button of cursor-paged lists. All of them build DOM through h(), so data stays text.
 */
import { ApiError } from "./api.js";
import { formatTime, relativeTime } from "./format.js";
import { h } from "./h.js";

/** @typedef {import("./h.js").Children} Children */

/**
 * The page's heading (focused after navigation, for screen readers) and its actions.
 * @param {string} title
 * @param {Children} [actions]
 */
export function pageHeader(title, actions) {
  return h(
    "header",
    { class: "page-header" },
    h("h1", { tabindex: -1 }, title),
    h("div", { class: "actions" }, actions),
  );
}

/**
 * @param {string} title
 * @param {readonly Children[]} children
 */
export function panel(title, ...children) {
  return h("section", { class: "panel" }, h("h2", null, title), ...children);
}

/**
 * A table with a header row; `rows` are lists of cells.
 * @param {readonly string[]} headings
 * @param {readonly (readonly Children[])[]} rows
 * @param {{ caption?: string, empty?: string, className?: string }} [options]
 */
export function table(headings, rows, options = {}) {
  const body = h(
    "tbody",
    null,
    rows.map((cells) => tableRow(cells)),
  );
  const t = h(
    "table",
    { class: options.className ?? "data" },
    options.caption ? h("caption", null, options.caption) : null,
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        headings.map((x) => h("th", { scope: "col" }, x)),
      ),
    ),
    body,
  );
  if (rows.length === 0 && options.empty) return h("div", null, t, h("p", { class: "empty" }, options.empty));
  return h("div", { class: "table-wrap" }, t);
}

/** @param {readonly Children[]} cells */
export function tableRow(cells) {
  return h(
    "tr",
    null,
    cells.map((c) => h("td", null, c)),
  );
}

/**
 * Term–description pairs; a null or empty description is left out.
 * @param {readonly (readonly [string, Children])[]} pairs
 */
export function definitions(pairs) {
  return h(
    "dl",
    { class: "definitions" },
    pairs
      .filter(([, d]) => d !== null && d !== undefined && d !== "")
      .map(([t, d]) => h("div", null, h("dt", null, t), h("dd", null, d))),
  );
}

/** @param {string} severity */
export function severityBadge(severity) {
  return h("span", { class: `badge severity-${/^[a-z]+$/.test(severity) ? severity : "unknown"}` }, severity);
}

/**
 * @param {string} text
 * @param {string} kind  a CSS modifier: ok, warn, muted
 */
export function badge(text, kind) {
  return h("span", { class: `badge badge-${kind}` }, text);
}

/**
 * A time, shown in local time, with the exact instant in `datetime` and as a tooltip.
 * @param {string | null | undefined} iso
 * @param {{ relative?: boolean }} [options]
 */
export function time(iso, options = {}) {
  if (!iso) return null;
  const text = options.relative ? `${formatTime(iso)} (${relativeTime(iso)})` : formatTime(iso);
  return h("time", { datetime: iso, title: iso }, text);
}

/**
 * A message for the user: `error` ones are announced at once (role=alert), others politely.
 * @param {"error" | "info" | "ok"} kind
 * @param {Children} text
 */
export function message(kind, text) {
  return h("div", { class: `message message-${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

/**
 * What went wrong, in words (the API's message and code; never a stack).
 * @param {unknown} error
 */
export function errorText(error) {
  if (error instanceof ApiError) {
    if (error.code === "FORBIDDEN") return `Not allowed: ${error.message}.`;
    if (error.code === "RATE_LIMITED") {
      return `Too many attempts: try again${error.retryAfterSeconds ? ` in ${error.retryAfterSeconds} s` : " later"}.`;
    }
    return `${error.message} (${error.code})`;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * A labelled form control. `control` must have an id.
 * @param {string} label
 * @param {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} control
 * @param {string} [hint]
 */
export function field(label, control, hint) {
  const hintId = hint ? `${control.id}-hint` : null;
  if (hintId) control.setAttribute("aria-describedby", hintId);
  return h(
    "div",
    { class: "field" },
    h("label", { for: control.id }, label),
    control,
    hint ? h("small", { id: hintId, class: "hint" }, hint) : null,
  );
}

/**
 * A select with a first "any" choice.
 * @param {string} id
 * @param {readonly (readonly [string, string])[]} choices  value and label
 * @param {string | null} selected
 * @param {string} [anyLabel]  the empty choice; none when omitted
 */
export function select(id, choices, selected, anyLabel) {
  return h(
    "select",
    { id, name: id },
    anyLabel !== undefined ? h("option", { value: "", selected: !selected }, anyLabel) : null,
    choices.map(([value, label]) => h("option", { value, selected: value === selected }, label)),
  );
}

/**
 * The "more" button of a cursor-paged list: calls `load` with the cursor, appends what it returns, and goes
 * away on the last page.
 * @param {string | null} cursor
 * @param {(cursor: string) => Promise<{ rows: Node[], nextCursor: string | null }>} load
 * @param {Element} tbody
 */
export function moreButton(cursor, load, tbody) {
  const status = h("span", { class: "more-status", role: "status" });
  const button = h("button", { type: "button", class: "secondary" }, "More");
  let next = cursor;
  button.addEventListener("click", () => {
    if (next === null) return;
    button.disabled = true;
    status.textContent = "Loading…";
    load(next).then(
      ({ rows, nextCursor }) => {
        tbody.append(...rows);
        next = nextCursor;
        status.textContent = `${tbody.children.length} shown`;
        button.disabled = false;
        button.hidden = next === null;
      },
      (/** @type {unknown} */ e) => {
        status.textContent = errorText(e);
        button.disabled = false;
      },
    );
  });
  button.hidden = next === null;
  return h("div", { class: "more" }, button, status);
}
