// @ts-check
/**
 * @module web/pages/alerts
 * The alert list: the API's filters (status, event, severity, source, triage, domain, text) kept in the page's
 * address so a filtered view can be shared, newest first, a "More" button for the next page, and a CSV export.
 */
import { apiUrl, get } from "../api.js";
import { h } from "../h.js";
import { pageLink } from "../router.js";
import {
  errorText,
  field,
  message,
  moreButton,
  pageHeader,
  select,
  severityBadge,
  table,
  tableRow,
  time,
} from "../ui.js";

/** @typedef {import("../types.js").Alert} Alert */
/** @typedef {import("../types.js").EventInfo} EventInfo */
/** @typedef {import("../types.js").Page<Alert>} AlertPage */

const PAGE_SIZE = 50;
const FILTERS = /** @type {const} */ ([
  "status",
  "eventId",
  "severity",
  "source",
  "triage",
  "domain",
  "text",
]);
const SEVERITIES = /** @type {const} */ (["critical", "high", "medium", "low", "info"]);
const SOURCES = /** @type {const} */ ([
  ["ct", "Certificate Transparency"],
  ["tls", "TLS scans"],
  ["dns", "DNS checks"],
]);

/** @param {import("../router.js").PageContext} ctx */
export default async function alertsPage(ctx) {
  /** @type {Record<string, string>} */
  const filters = {};
  for (const name of FILTERS) {
    const v = ctx.query.get(name);
    if (v) filters[name] = v;
  }
  const status = filters.status ?? "open";
  const events = /** @type {{ items: EventInfo[] }} */ (await get("/events", undefined, ctx.signal)).items;
  const form = filterForm(filters, events, (chosen) => ctx.navigate("/alerts", chosen));

  /** @param {string | null} cursor */
  const fetchPage = async (cursor) =>
    /** @type {AlertPage} */ (
      await get("/alerts", { ...filters, status, limit: PAGE_SIZE, cursor }, ctx.signal)
    );

  /** @type {Node} */
  let results;
  try {
    const first = await fetchPage(null);
    const rows = first.items.map(alertRow);
    const t = table(["Severity", "Event", "Subject", "Source", "Status", "First seen", "Last seen"], [], {
      caption: "Alerts, newest first",
      className: "data alerts",
    });
    const tbody = /** @type {HTMLTableSectionElement} */ (t.querySelector("tbody"));
    tbody.append(...rows);
    results = h(
      "div",
      null,
      first.items.length === 0 ? h("p", { class: "empty" }, "No alert matches these filters.") : t,
      moreButton(
        first.nextCursor,
        async (cursor) => {
          const next = await fetchPage(cursor);
          return { rows: next.items.map(alertRow), nextCursor: next.nextCursor };
        },
        tbody,
      ),
    );
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    results = message("error", errorText(e));
  }

  const csv = h(
    "a",
    {
      href: apiUrl("/alerts.csv", { ...filters, status }),
      download: "certwatch-alerts.csv",
      class: "button secondary",
    },
    "Export CSV",
  );
  return h("section", null, pageHeader("Alerts", csv), form, results);
}

/**
 * One row of the list; the subject links to the alert's page.
 * @param {Alert} a
 */
function alertRow(a) {
  return tableRow([
    severityBadge(a.severity),
    h("span", { class: "event" }, h("span", { class: "event-id" }, String(a.eventId)), " ", a.name),
    h("a", { href: pageLink(`/alerts/${a.id}`), class: "subject" }, a.subject),
    a.source,
    statusText(a),
    time(a.firstSeen),
    time(a.lastSeen),
  ]);
}

/**
 * "open", "acknowledged by alice", "snoozed until …", "resolved".
 * @param {Alert} a
 */
export function statusText(a) {
  if (a.status === "resolved") return a.triage.resolvedBy ? `resolved by ${a.triage.resolvedBy}` : "resolved";
  if (a.triage.snoozedUntil && new Date(a.triage.snoozedUntil) > new Date()) {
    return h("span", null, "snoozed until ", time(a.triage.snoozedUntil));
  }
  if (a.triage.acknowledgedBy) return `acknowledged by ${a.triage.acknowledgedBy}`;
  return "open";
}

/**
 * The filter form; submitting it navigates to the filtered list.
 * @param {Record<string, string>} filters
 * @param {readonly EventInfo[]} events
 * @param {(chosen: Record<string, string>) => void} apply
 */
function filterForm(filters, events, apply) {
  const controls = {
    status: select(
      "status",
      [
        ["open", "Open"],
        ["resolved", "Resolved"],
        ["all", "All"],
      ],
      filters.status ?? "open",
    ),
    severity: select(
      "severity",
      SEVERITIES.map((s) => [s, s]),
      filters.severity ?? null,
      "Any",
    ),
    source: select("source", SOURCES, filters.source ?? null, "Any"),
    eventId: select(
      "eventId",
      events.map((e) => [String(e.id), `${e.id} ${e.name}`]),
      filters.eventId ?? null,
      "Any",
    ),
    triage: select(
      "triage",
      [
        ["untriaged", "Not triaged"],
        ["acknowledged", "Acknowledged"],
        ["snoozed", "Snoozed"],
      ],
      filters.triage ?? null,
      "Any",
    ),
    domain: h("input", {
      id: "domain",
      name: "domain",
      value: filters.domain ?? "",
      placeholder: "contoso.com",
    }),
    text: h("input", { id: "text", name: "text", type: "search", value: filters.text ?? "", maxlength: 200 }),
  };
  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Filter alerts" },
    field("Status", controls.status),
    field("Severity", controls.severity),
    field("Source", controls.source),
    field("Event", controls.eventId),
    field("Triage", controls.triage),
    field("Domain", controls.domain, "this name and the names under it"),
    field("Text", controls.text, "part of the subject, details, endpoint…"),
    h(
      "div",
      { class: "filter-actions" },
      h("button", { type: "submit" }, "Apply"),
      h("a", { href: pageLink("/alerts"), class: "button secondary" }, "Reset"),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    /** @type {Record<string, string>} */
    const chosen = {};
    for (const [name, control] of Object.entries(controls)) {
      const v = control.value.trim();
      if (v !== "" && !(name === "status" && v === "open")) chosen[name] = v;
    }
    apply(chosen);
  });
  return form;
}
