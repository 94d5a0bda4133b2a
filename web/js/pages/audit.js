// @ts-check
/**
 * @module web/pages/audit
 * The audit log (admins): every change and sign-in, newest first, filtered by user or action, with "More" for
 * older entries.
 */
import { get } from "../api.js";
import { h } from "../h.js";
import { errorText, field, message, moreButton, pageHeader, table, tableRow, time } from "../ui.js";

/** @typedef {import("../types.js").AuditEntry} AuditEntry */
/** @typedef {{ items: AuditEntry[], nextCursor: number | null }} AuditPage */

const PAGE_SIZE = 100;

/** @param {import("../router.js").PageContext} ctx */
export default async function auditPage(ctx) {
  const actor = ctx.query.get("actor") ?? "";
  const action = ctx.query.get("action") ?? "";
  const actorInput = h("input", { id: "audit-actor", name: "actor", value: actor, maxlength: 64 });
  const actionInput = h("input", { id: "audit-action", name: "action", value: action, maxlength: 64 });
  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Filter the audit log" },
    field("User", actorInput, "their own actions and their tokens'"),
    field("Action", actionInput, "e.g. alert.acknowledge, session.login-failed"),
    h("div", { class: "filter-actions" }, h("button", { type: "submit" }, "Apply")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    ctx.navigate("/audit", { actor: actorInput.value.trim(), action: actionInput.value.trim() });
  });

  /** @param {number | null} before */
  const fetchPage = async (before) =>
    /** @type {AuditPage} */ (await get("/audit", { limit: PAGE_SIZE, actor, action, before }, ctx.signal));

  /** @type {Node} */
  let results;
  try {
    const first = await fetchPage(null);
    const t = table(["When", "Who", "Action", "Target", "Details", "Address"], [], {
      caption: "Audit log, newest first",
      className: "data audit",
    });
    const tbody = /** @type {HTMLTableSectionElement} */ (t.querySelector("tbody"));
    tbody.append(...first.items.map(entryRow));
    results = h(
      "div",
      null,
      first.items.length === 0 ? h("p", { class: "empty" }, "No entry matches.") : t,
      moreButton(
        first.nextCursor === null ? null : String(first.nextCursor),
        async (cursor) => {
          const next = await fetchPage(Number(cursor));
          return {
            rows: next.items.map(entryRow),
            nextCursor: next.nextCursor === null ? null : String(next.nextCursor),
          };
        },
        tbody,
      ),
    );
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    results = message("error", errorText(e));
  }
  return h("section", null, pageHeader("Audit log"), form, results);
}

/** @param {AuditEntry} e */
function entryRow(e) {
  const details = Object.entries(e.details);
  return tableRow([
    time(e.at),
    e.actor,
    h("code", null, e.action),
    e.target,
    details.length === 0
      ? null
      : h(
          "ul",
          { class: "audit-details" },
          details.map(([k, v]) =>
            h("li", null, h("span", { class: "key" }, k), ": ", Array.isArray(v) ? v.join(", ") : String(v)),
          ),
        ),
    e.ip,
  ]);
}
