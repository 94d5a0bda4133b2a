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

/**
 * A place for the outcome of an action (beside the form or the table it belongs to): `show` replaces what it
 * showed, `clear` empties it.
 */
export function feedback() {
  const element = h("div", { class: "feedback" });
  return {
    element,
    /**
     * @param {"error" | "info" | "ok"} kind
     * @param {Children} text
     */
    show(kind, text) {
      element.replaceChildren(message(kind, text));
    },
    clear() {
      element.replaceChildren();
    },
  };
}

/**
 * A button that runs an action once at a time: disabled (and `aria-busy`) until the action settles. The action
 * shows its own outcome; a failure it lets through is shown with `onError`.
 * @param {string} label
 * @param {() => Promise<void>} action
 * @param {{ className?: string, onError?: (error: unknown) => void, data?: string }} [options]
 */
export function actionButton(label, action, options = {}) {
  const button = h("button", { type: "button", class: options.className ?? "secondary" }, label);
  if (options.data) button.dataset.action = options.data;
  button.addEventListener("click", () => {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    action()
      .catch((/** @type {unknown} */ e) => options.onError?.(e))
      .finally(() => {
        button.disabled = false;
        button.removeAttribute("aria-busy");
      });
  });
  return button;
}

/**
 * A destructive action with an inline confirmation (no browser dialog): the button becomes the question with
 * "Yes" and "Cancel"; "Yes" runs `action`.
 * @param {string} label  e.g. "Delete"
 * @param {string} question  e.g. "Delete www.contoso.com:443?"
 * @param {() => Promise<void>} action
 * @param {(error: unknown) => void} [onError]
 */
export function confirmButton(label, question, action, onError) {
  const holder = h("span", { class: "confirm" });
  const start = h("button", { type: "button", class: "secondary danger" }, label);
  const ask = () => {
    const yes = actionButton(`Yes, ${label.toLowerCase()}`, action, {
      className: "danger",
      ...(onError && { onError }),
    });
    const no = h("button", { type: "button", class: "secondary" }, "Cancel");
    no.addEventListener("click", () => {
      holder.replaceChildren(start);
      start.focus();
    });
    holder.replaceChildren(h("span", { class: "question", role: "status" }, question), " ", yes, " ", no);
    yes.focus();
  };
  start.addEventListener("click", ask);
  holder.append(start);
  return holder;
}

/**
 * Host names, the first `shown` of them listed and the rest behind "+N more"; each name through `item` (a link,
 * say) or as text.
 * @param {readonly string[]} names
 * @param {{ shown?: number, item?: (name: string) => Children }} [options]
 */
export function nameList(names, options = {}) {
  const shown = options.shown ?? 3;
  const item = options.item ?? ((/** @type {string} */ n) => n);
  const li = (/** @type {string} */ n) => h("li", null, item(n));
  const rest = names.slice(shown);
  return h(
    "ul",
    { class: "name-list" },
    names.slice(0, shown).map(li),
    rest.length > 0
      ? h(
          "li",
          null,
          h(
            "details",
            null,
            h("summary", null, `+${rest.length} more`),
            h("ul", { class: "name-list" }, rest.map(li)),
          ),
        )
      : null,
  );
}

/**
 * A text input (or number, password…) with its id and name; `attrs` add to or override the defaults.
 * @param {string} id
 * @param {import("./h.js").Attrs} [attrs]
 */
export function input(id, attrs = {}) {
  return h("input", { id, name: id, ...attrs });
}

/** A DNS name the alerts' `domain` filter takes (letters, digits, hyphens, underscores, dots): not outside junk. */
const HOST_NAME =
  /^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/**
 * A name as a link to the alerts at or under it (`#/alerts?domain=…`; a wildcard's `*.` is dropped), or as plain
 * text when it is no host name (a hostile CT name is only ever text).
 * @param {string} name
 * @param {Record<string, string>} [extra]  more filters, e.g. `{ status: "all" }`
 */
export function domainAlertsLink(name, extra = {}) {
  const domain = name.replace(/^\*\./, "").toLowerCase();
  if (!HOST_NAME.test(domain)) return h("span", { class: "subject" }, name);
  const query = new URLSearchParams({ domain, ...extra });
  return h("a", { href: `#/alerts?${query.toString()}`, class: "subject" }, name);
}

/**
 * "Refresh": renders the page again with fresh data (PageContext.refresh).
 * @param {() => void} refresh
 */
export function refreshButton(refresh) {
  return h("button", { type: "button", class: "secondary", on: { click: () => refresh() } }, "Refresh");
}
