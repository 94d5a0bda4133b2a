// @ts-check
/**
 * @module web/pages/overview
 * The first page: open alerts by severity, by source and by event (GET /summary), and the certificates that
 * expire in the next 90 days as a weekly bar chart with the soonest listed (GET /certificates, expiry window).
 */
import { get, getPages } from "../api.js";
import { formatCount, formatDay, relativeTime } from "../format.js";
import { h, svg } from "../h.js";
import { pageLink } from "../router.js";
import { panel, pageHeader, severityBadge, table, time } from "../ui.js";

/** @typedef {import("../types.js").AlertSummary} AlertSummary */
/** @typedef {import("../types.js").InventoryCertificate} InventoryCertificate */

const DAY_MS = 86_400_000;
const HORIZON_DAYS = 90;
const WEEKS = Math.ceil(HORIZON_DAYS / 7);
/** The chart reads at most this many pages of 500 certificates; beyond, it says it counted that many. */
const MAX_PAGES = 20;

const SEVERITIES = /** @type {const} */ (["critical", "high", "medium", "low", "info"]);
const SOURCES = /** @type {const} */ ([
  ["ct", "Certificate Transparency"],
  ["tls", "TLS scans"],
  ["dns", "DNS checks"],
]);

/** @param {import("../router.js").PageContext} ctx */
export default async function overviewPage(ctx) {
  const now = new Date();
  const [summary, expiring] = await Promise.all([
    /** @type {Promise<AlertSummary>} */ (get("/summary", undefined, ctx.signal)),
    expiringCertificates(now, ctx.signal),
  ]);
  const open = summary.openAlerts;
  return h(
    "section",
    { class: "overview" },
    pageHeader("Overview"),
    h(
      "p",
      { class: "headline" },
      h("a", { href: pageLink("/alerts") }, h("strong", { class: "open-total" }, formatCount(open.total))),
      open.total === 1 ? " open alert" : " open alerts",
    ),
    h(
      "div",
      { class: "grid" },
      panel(
        "Open alerts by severity",
        countList(
          SEVERITIES.map((s) => ({
            label: severityBadge(s),
            count: open.bySeverity[s],
            href: pageLink("/alerts", { severity: s }),
            key: s,
          })),
          open.total,
        ),
      ),
      panel(
        "Open alerts by source",
        countList(
          SOURCES.map(([s, label]) => ({
            label,
            count: open.bySource[s],
            href: pageLink("/alerts", { source: s }),
            key: s,
          })),
          open.total,
        ),
      ),
    ),
    panel(
      "Open alerts by event",
      table(
        ["Event", "Severity", "Open"],
        open.byEvent.map((e) => [
          h("a", { href: pageLink("/alerts", { eventId: String(e.eventId) }) }, `${e.eventId} ${e.name}`),
          severityBadge(e.severity),
          formatCount(e.open),
        ]),
        { className: "data by-event", empty: "No open alert." },
      ),
    ),
    panel(
      `Certificates expiring in the next ${HORIZON_DAYS} days`,
      expiryChart(expiring, now),
      soonest(expiring.items),
    ),
  );
}

/**
 * The inventory's certificates that expire between now and the horizon, soonest first.
 * @param {Date} now
 * @param {AbortSignal} signal
 */
async function expiringCertificates(now, signal) {
  const query = {
    expiringAfter: now.toISOString(),
    expiringBefore: new Date(now.getTime() + HORIZON_DAYS * DAY_MS).toISOString(),
    limit: 500,
  };
  return /** @type {Promise<{ items: InventoryCertificate[], complete: boolean }>} */ (
    getPages("/certificates", query, signal, MAX_PAGES)
  );
}

/**
 * Counts with a proportional bar each, every row a link to the matching alerts.
 * @param {{ label: import("../h.js").Children, count: number, href: string, key: string }[]} rows
 * @param {number} total
 */
function countList(rows, total) {
  return h(
    "ul",
    { class: "counts" },
    rows.map((r) => {
      const bar = h("span", { class: `bar bar-${r.key}` });
      // CSSOM, not a style attribute: the CSP allows it.
      bar.style.width = `${total === 0 ? 0 : Math.max(r.count > 0 ? 2 : 0, (100 * r.count) / total)}%`;
      return h(
        "li",
        null,
        h(
          "a",
          { href: r.href },
          h("span", { class: "label" }, r.label),
          h("span", { class: "count" }, formatCount(r.count)),
          h("span", { class: "track", "aria-hidden": "true" }, bar),
        ),
      );
    }),
  );
}

/**
 * Weekly bars of how many certificates expire, as SVG, with the same numbers as a table for screen readers.
 * @param {{ items: InventoryCertificate[], complete: boolean }} expiring
 * @param {Date} now
 */
function expiryChart(expiring, now) {
  const weeks = Array.from({ length: WEEKS }, (_, i) => ({
    from: new Date(now.getTime() + i * 7 * DAY_MS),
    to: new Date(now.getTime() + Math.min((i + 1) * 7, HORIZON_DAYS) * DAY_MS),
    count: 0,
  }));
  for (const c of expiring.items) {
    const week = Math.floor((new Date(c.notAfter).getTime() - now.getTime()) / (7 * DAY_MS));
    const bucket = weeks[Math.min(Math.max(week, 0), WEEKS - 1)];
    if (bucket) bucket.count++;
  }
  const max = Math.max(1, ...weeks.map((w) => w.count));
  const width = 660;
  const height = 220;
  const left = 40;
  const bottom = 180;
  const top = 20;
  const slot = (width - left - 10) / WEEKS;
  const y = (/** @type {number} */ n) => bottom - ((bottom - top) * n) / max;

  const caption = `${formatCount(expiring.items.length)}${expiring.complete ? "" : "+"} certificate${
    expiring.items.length === 1 ? "" : "s"
  } expire in the next ${HORIZON_DAYS} days, by week.`;
  const chart = svg(
    "svg",
    {
      class: "chart expiry-chart",
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "aria-labelledby": "expiry-caption",
      preserveAspectRatio: "xMidYMid meet",
    },
    svg("line", { class: "axis", x1: left, x2: width - 10, y1: bottom, y2: bottom }),
    svg("text", { class: "tick", x: left - 6, y: top + 4, "text-anchor": "end" }, String(max)),
    svg("text", { class: "tick", x: left - 6, y: bottom, "text-anchor": "end" }, "0"),
    weeks.map((w, i) => {
      const x = left + i * slot + 3;
      const days = (w.from.getTime() - now.getTime()) / DAY_MS;
      const kind = days < 14 ? "soon" : days < 28 ? "near" : "later";
      return svg(
        "g",
        { class: `week ${kind}` },
        svg("title", null, `${w.count} expiring ${formatDay(w.from)} – ${formatDay(w.to)}`),
        svg("rect", { class: "bar", x, y: y(w.count), width: slot - 6, height: bottom - y(w.count) }),
        w.count > 0
          ? svg(
              "text",
              { class: "value", x: x + (slot - 6) / 2, y: y(w.count) - 4, "text-anchor": "middle" },
              String(w.count),
            )
          : null,
        i % 2 === 0
          ? svg(
              "text",
              { class: "tick", x: x + (slot - 6) / 2, y: bottom + 16, "text-anchor": "middle" },
              formatDay(w.from).slice(5),
            )
          : null,
      );
    }),
  );
  return h(
    "figure",
    { class: "expiry" },
    chart,
    h("figcaption", { id: "expiry-caption" }, caption),
    h(
      "details",
      null,
      h("summary", null, "As a table"),
      table(
        ["Week from", "to", "Expiring"],
        weeks.map((w) => [formatDay(w.from), formatDay(w.to), String(w.count)]),
        { className: "data compact" },
      ),
    ),
  );
}

/**
 * The ten certificates that expire first.
 * @param {readonly InventoryCertificate[]} items
 */
function soonest(items) {
  if (items.length === 0) return h("p", { class: "empty" }, "No certificate expires in this window.");
  return h(
    "div",
    null,
    h("h3", null, "Expiring first"),
    table(
      ["Names", "Expires", "Issuer", "Seen"],
      items
        .slice(0, 10)
        .map((c) => [
          c.dnsNames.length > 0
            ? c.dnsNames.slice(0, 3).join(", ") + (c.dnsNames.length > 3 ? ` +${c.dnsNames.length - 3}` : "")
            : c.subject,
          h("span", null, time(c.notAfter), " ", h("span", { class: "muted" }, relativeTime(c.notAfter))),
          c.issuer,
          c.logged ? "CT log" : "served",
        ]),
      { className: "data soonest" },
    ),
  );
}
