// @ts-check
/**
 * @module web/pages/domains
 * The watched domains' findings: takeover risks (event 18, source dns) and lookalike domains (event 12), read
 * from GET /alerts and grouped under the watched domains of GET /domains (every one shown, with or without a
 * finding), each linking to its alert.
 */
import { get, getPages } from "../api.js";
import { formatCount } from "../format.js";
import { h } from "../h.js";
import { pageLink } from "../router.js";
import {
  domainAlertsLink,
  field,
  message,
  pageHeader,
  panel,
  select,
  severityBadge,
  table,
  time,
} from "../ui.js";

/** @typedef {import("../types.js").Alert} Alert */

/** docs/events.md: 18 domain-takeover (source dns), 12 similar-domain (lookalikes, from CT and DNS). */
const TAKEOVER = 18;
const LOOKALIKE = 12;
/** Pages of 500 read per event: enough for any real list, bounded for a pathological one. */
const MAX_PAGES = 10;
const OTHER = "";

/** @param {import("../router.js").PageContext} ctx */
export default async function domainsPage(ctx) {
  const status = ["open", "resolved", "all"].includes(ctx.query.get("status") ?? "")
    ? /** @type {string} */ (ctx.query.get("status"))
    : "open";
  const read = (/** @type {number} */ eventId) =>
    getPages("/alerts", { eventId, status, limit: 500 }, ctx.signal, MAX_PAGES);
  const [takeovers, lookalikes, watched] =
    /** @type {[{ items: Alert[], complete: boolean }, { items: Alert[], complete: boolean }, string[] | null]} */ (
      await Promise.all([read(TAKEOVER), read(LOOKALIKE), watchedDomains(ctx.signal)])
    );
  const groups = groupByWatchedDomain(takeovers.items, lookalikes.items, watched);

  const statusSelect = select(
    "domains-status",
    [
      ["open", "Open"],
      ["resolved", "Resolved"],
      ["all", "All"],
    ],
    status,
  );
  statusSelect.addEventListener("change", () =>
    ctx.navigate("/domains", statusSelect.value === "open" ? {} : { status: statusSelect.value }),
  );
  const allLink = (/** @type {number} */ eventId, /** @type {string} */ label) =>
    h(
      "a",
      { href: pageLink("/alerts", { eventId: String(eventId), status: status === "open" ? "" : status }) },
      label,
    );

  return h(
    "section",
    { class: "domains" },
    pageHeader("Domains"),
    h(
      "div",
      { class: "filters" },
      field("Status", statusSelect),
      h(
        "p",
        { class: "summary" },
        `${formatCount(takeovers.items.length)} takeover risk${takeovers.items.length === 1 ? "" : "s"} and `,
        `${formatCount(lookalikes.items.length)} lookalike${lookalikes.items.length === 1 ? "" : "s"}`,
        watched === null
          ? `, ${groups.size} group${groups.size === 1 ? "" : "s"}. `
          : ` under ${watched.length} watched domain${watched.length === 1 ? "" : "s"}. `,
        allLink(TAKEOVER, "All takeover alerts"),
        " · ",
        allLink(LOOKALIKE, "All lookalike alerts"),
      ),
    ),
    takeovers.complete && lookalikes.complete
      ? null
      : message(
          "info",
          `Only the newest ${MAX_PAGES * 500} of each kind are shown: use the alert list for more.`,
        ),
    groups.size === 0
      ? h(
          "p",
          { class: "empty" },
          watched === null
            ? "No takeover risk or lookalike domain."
            : "No watched domain: list them under domains: in certwatch.yaml.",
        )
      : null,
    [...groups.entries()].map(([domain, g]) => domainPanel(domain, g)),
  );
}

/**
 * The watched domains (GET /domains), or null when the server cannot say (an older server, or an error): the
 * page then groups by what the findings themselves show.
 * @param {AbortSignal} signal
 * @returns {Promise<string[] | null>}
 */
async function watchedDomains(signal) {
  try {
    const body = /** @type {{ items: { domain: string }[] }} */ (await get("/domains", undefined, signal));
    return body.items.map((d) => d.domain.toLowerCase());
  } catch (e) {
    if (signal.aborted) throw e;
    return null;
  }
}

/**
 * Findings by watched domain: every watched domain has a group, found or not. A lookalike names its own
 * (`details.watchedDomain`); a takeover is a name under one, so it goes to the longest watched domain it is at or
 * under. Without the watched list (null), the domains the lookalikes name stand in for it, and a takeover under
 * none goes to its registered domain as far as the name shows it. Groups with a takeover first, then those with
 * a lookalike, then by name; findings that name no domain last.
 * @param {readonly Alert[]} takeovers
 * @param {readonly Alert[]} lookalikes
 * @param {readonly string[] | null} [watched]
 */
export function groupByWatchedDomain(takeovers, lookalikes, watched = null) {
  /** @type {Map<string, { takeovers: Alert[], lookalikes: Alert[] }>} */
  const groups = new Map();
  const group = (/** @type {string} */ d) => {
    let g = groups.get(d);
    if (!g) groups.set(d, (g = { takeovers: [], lookalikes: [] }));
    return g;
  };
  for (const d of watched ?? []) group(d);
  for (const a of lookalikes) group(text(a.details.watchedDomain)?.toLowerCase() ?? OTHER).lookalikes.push(a);
  const known = [...groups.keys()].filter((d) => d !== OTHER).sort((a, b) => b.length - a.length);
  for (const a of takeovers) {
    const name = a.subject.toLowerCase();
    const under = known.find((d) => name === d || name.endsWith(`.${d}`));
    group(under ?? (watched === null ? registeredDomain(name) : OTHER)).takeovers.push(a);
  }
  const order = [...groups.entries()].sort(
    ([a, x], [b, y]) =>
      Number(a === OTHER) - Number(b === OTHER) ||
      Number(y.takeovers.length > 0) - Number(x.takeovers.length > 0) ||
      Number(y.lookalikes.length > 0) - Number(x.lookalikes.length > 0) ||
      (a < b ? -1 : a > b ? 1 : 0),
  );
  return new Map(order);
}

/**
 * The last two labels of a name (three under a two-letter country code with a short second level: co.uk,
 * com.au): a display guess, used only when no lookalike names the watched domain.
 * @param {string} name
 */
function registeredDomain(name) {
  const labels = name.split(".").filter((l) => l !== "");
  if (labels.length < 2) return OTHER;
  const [sld, tld] = labels.slice(-2);
  const n = (tld ?? "").length === 2 && (sld ?? "").length <= 3 && labels.length > 2 ? 3 : 2;
  return labels.slice(-n).join(".");
}

/** @param {unknown} v */
function text(v) {
  return typeof v === "string" && v !== "" ? v : null;
}

/** @param {unknown} v */
function list(v) {
  return Array.isArray(v) ? v.filter((x) => typeof x === "string").join(", ") : text(v);
}

/** @param {Alert} a */
function alertLink(a) {
  return h("a", { href: pageLink(`/alerts/${a.id}`), class: "subject" }, a.subject);
}

/**
 * @param {string} domain
 * @param {{ takeovers: Alert[], lookalikes: Alert[] }} g
 */
function domainPanel(domain, g) {
  const title = domain === OTHER ? "Findings that name no watched domain" : domain;
  return h(
    "div",
    { class: "domain-group", "data-domain": domain },
    panel(
      title,
      domain === OTHER
        ? null
        : h("p", null, domainAlertsLink(domain), h("span", { class: "muted" }, ": its alerts")),
      h("h3", null, `Takeover risks (${g.takeovers.length})`),
      table(
        ["Name", "Severity", "Provider", "Signal", "Status", "First seen"],
        g.takeovers.map((a) => [
          alertLink(a),
          severityBadge(a.severity),
          text(a.details.provider),
          text(a.details.signal),
          a.status === "resolved" ? "resolved" : text(a.details.status),
          time(a.firstSeen),
        ]),
        { className: "data takeovers", empty: "No takeover risk." },
      ),
      h("h3", null, `Lookalikes (${g.lookalikes.length})`),
      table(
        ["Domain", "Severity", "Score", "How", "Seen in", "First seen"],
        g.lookalikes.map((a) => {
          const unicode = text(a.details.unicode);
          return [
            h(
              "span",
              null,
              alertLink(a),
              unicode && unicode !== a.subject ? h("div", { class: "muted subject" }, unicode) : null,
            ),
            severityBadge(a.severity),
            typeof a.details.score === "number" ? String(a.details.score) : null,
            list(a.details.reasons) ?? list(a.details.families),
            text(a.details.seenIn),
            time(a.firstSeen),
          ];
        }),
        { className: "data lookalikes", empty: "No lookalike domain." },
      ),
    ),
  );
}
