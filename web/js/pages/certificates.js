// @ts-check
/**
 * @module web/pages/certificates
 * The certificate inventory (GET /certificates): served and CT-logged certificates, soonest expiry first, searched
 * and filtered by domain and expiry (kept in the address), "More" for the next page; names link to their alerts.
 */
import { get } from "../api.js";
import { relativeTime } from "../format.js";
import { h } from "../h.js";
import { pageLink } from "../router.js";
import {
  badge,
  domainAlertsLink,
  errorText,
  field,
  input,
  message,
  moreButton,
  nameList,
  pageHeader,
  table,
  tableRow,
  time,
} from "../ui.js";

/** @typedef {import("../types.js").InventoryCertificate} InventoryCertificate */
/** @typedef {import("../types.js").Page<InventoryCertificate>} CertificatePage */

const PAGE_SIZE = 100;

/** @param {import("../router.js").PageContext} ctx */
export default async function certificatesPage(ctx) {
  const search = ctx.query.get("search") ?? "";
  const domain = ctx.query.get("domain") ?? "";
  const before = ctx.query.get("before") ?? "";
  const current = ctx.query.get("current") === "1";
  const form = filterForm({ search, domain, before, current }, (chosen) =>
    ctx.navigate("/certificates", chosen),
  );

  /** @type {Node} */
  let results;
  try {
    const query = {
      search,
      domain,
      expiringBefore: before === "" ? null : startOfDay(before),
      expiringAfter: current ? new Date().toISOString() : null,
      limit: PAGE_SIZE,
    };
    /** @param {string | null} cursor */
    const fetchPage = async (cursor) =>
      /** @type {CertificatePage} */ (await get("/certificates", { ...query, cursor }, ctx.signal));
    const first = await fetchPage(null);
    const t = table(["Subject", "Names", "Issuer", "Expires", "Seen", "First seen"], [], {
      caption: "Certificates, soonest expiry first",
      className: "data certificates",
    });
    const tbody = /** @type {HTMLTableSectionElement} */ (t.querySelector("tbody"));
    tbody.append(...first.items.map(certificateRow));
    results = h(
      "div",
      null,
      first.items.length === 0 ? h("p", { class: "empty" }, "No certificate matches.") : t,
      moreButton(
        first.nextCursor,
        async (cursor) => {
          const next = await fetchPage(cursor);
          return { rows: next.items.map(certificateRow), nextCursor: next.nextCursor };
        },
        tbody,
      ),
    );
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    results = message("error", errorText(e));
  }
  return h("section", null, pageHeader("Certificates"), form, results);
}

/**
 * Local midnight of a `YYYY-MM-DD` day, as the API's RFC 3339 time; a day that is not one is refused.
 * @param {string} day
 */
function startOfDay(day) {
  const d = /^\d{4}-\d{2}-\d{2}$/.test(day) ? new Date(`${day}T00:00:00`) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw new Error(`Expiring before: ${day} is not a day (YYYY-MM-DD).`);
  return d.toISOString();
}

/** @param {InventoryCertificate} c */
function certificateRow(c) {
  const expired = new Date(c.notAfter).getTime() < Date.now();
  return tableRow([
    h(
      "div",
      null,
      h("span", { class: "subject" }, c.subject),
      h("br"),
      h("code", { class: "hash muted", title: c.sha256 }, c.sha256.slice(0, 16)),
    ),
    c.dnsNames.length > 0
      ? nameList(c.dnsNames, { item: (n) => domainAlertsLink(n) })
      : h("span", { class: "muted" }, "none"),
    h("span", { class: "subject" }, c.issuer),
    h(
      "span",
      null,
      time(c.notAfter),
      " ",
      expired ? badge("expired", "bad") : h("span", { class: "muted" }, relativeTime(c.notAfter)),
    ),
    h(
      "span",
      null,
      c.logged ? badge("CT log", "muted") : badge("served", "ok"),
      c.precertificate ? [" ", badge("precertificate", "muted")] : null,
    ),
    time(c.firstSeen),
  ]);
}

/**
 * @param {{ search: string, domain: string, before: string, current: boolean }} values
 * @param {(chosen: Record<string, string>) => void} apply
 */
function filterForm(values, apply) {
  const search = input("cert-search", { type: "search", value: values.search, maxlength: 200 });
  const domain = input("cert-domain", { value: values.domain, maxlength: 253, placeholder: "contoso.com" });
  const before = input("cert-before", { type: "date", value: values.before });
  const current = input("cert-current", { type: "checkbox", checked: values.current });
  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Filter certificates" },
    field("Search", search, "subject, issuer, a name, or a SHA-256 prefix"),
    field("Domain", domain, "names at or under it"),
    field("Expiring before", before),
    h("div", { class: "field checkbox" }, h("label", { for: current.id }, current, " Hide expired")),
    h(
      "div",
      { class: "filter-actions" },
      h("button", { type: "submit" }, "Apply"),
      h("a", { href: pageLink("/certificates"), class: "button secondary" }, "Reset"),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    apply({
      search: search.value.trim(),
      domain: domain.value.trim(),
      before: before.value,
      current: current.checked ? "1" : "",
    });
  });
  return form;
}
