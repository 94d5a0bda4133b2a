// @ts-check
/**
 * @module web/pages/alert
 * One alert: what it is and how to fix it, its endpoint, certificate and details, its history, and — for roles
 * that may triage — acknowledge, snooze, resolve or reopen with a note. The page reloads the alert after each.
 */
import { ApiError, get, post } from "../api.js";
import { h, replace } from "../h.js";
import { can } from "../roles.js";
import { pageLink } from "../router.js";
import {
  definitions,
  errorText,
  field,
  message,
  pageHeader,
  panel,
  select,
  severityBadge,
  table,
  time,
} from "../ui.js";
import { statusText } from "./alerts.js";

/** @typedef {import("../types.js").AlertDetail} AlertDetail */
/** @typedef {import("../types.js").HistoryEntry} HistoryEntry */

const SNOOZE_CHOICES = /** @type {const} */ ([
  ["60", "1 hour"],
  ["480", "8 hours"],
  ["1440", "1 day"],
  ["10080", "1 week"],
  ["43200", "30 days"],
]);

/** @param {import("../router.js").PageContext} ctx */
export default async function alertPage(ctx) {
  const id = ctx.params.id ?? "";
  const root = h("section", { class: "alert-detail" });
  const mayTriage = can(ctx.session.user.role, "alerts.triage");

  /** @param {Node | null} flash  the outcome of the last action */
  const load = async (flash) => {
    /** @type {AlertDetail} */
    let alert;
    try {
      alert = /** @type {AlertDetail} */ (
        await get(`/alerts/${encodeURIComponent(id)}`, undefined, ctx.signal)
      );
    } catch (e) {
      if (e instanceof ApiError && (e.code === "NOT_FOUND" || e.code === "VALIDATION_FAILED")) {
        replace(root, pageHeader("Alert"), message("error", "There is no such alert."), backLink());
        return;
      }
      throw e;
    }
    ctx.setTitle(`${alert.name} · ${alert.subject}`);
    replace(
      root,
      backLink(),
      pageHeader(alert.name, severityBadge(alert.severity)),
      h("p", { class: "subject-line" }, h("span", { class: "subject" }, alert.subject)),
      flash,
      overview(alert),
      mayTriage ? triagePanel(alert, (action, body) => act(action, body)) : null,
      explanation(alert),
      alert.certificate ? certificatePanel(alert.certificate) : null,
      detailsPanel(alert.details),
      historyPanel(alert.history),
    );
  };

  /**
   * @param {string} action
   * @param {Record<string, unknown>} body
   */
  const act = async (action, body) => {
    try {
      await post(`/alerts/${encodeURIComponent(id)}/${action}`, body, ctx.signal);
      await load(message("ok", DONE[action] ?? "Done."));
    } catch (e) {
      if (ctx.signal.aborted || (e instanceof ApiError && e.status === 401)) return;
      const text =
        e instanceof ApiError && e.code === "ALERT_STATE"
          ? `${e.message}. The alert was changed meanwhile.`
          : errorText(e);
      await load(message("error", text));
    }
  };

  await load(null);
  return root;
}

/** @type {Readonly<Record<string, string>>} */
const DONE = {
  acknowledge: "Acknowledged.",
  snooze: "Snoozed.",
  resolve: "Resolved.",
  reopen: "Reopened.",
};

function backLink() {
  return h("p", { class: "back" }, h("a", { href: pageLink("/alerts") }, "← Alerts"));
}

/** @param {AlertDetail} a */
function overview(a) {
  const ep = a.endpoint;
  return panel(
    "Status",
    definitions([
      ["Status", statusText(a)],
      ["Event", `${a.eventId} ${a.name}`],
      ["Source", a.source],
      ["Endpoint", ep ? `${ep.host}:${ep.port}${ep.address ? ` (${ep.address})` : ""}` : null],
      ["First seen", time(a.firstSeen, { relative: true })],
      ["Last seen", time(a.lastSeen, { relative: true })],
      ["Resolved", time(a.resolvedAt, { relative: true })],
      [
        "Acknowledged",
        a.triage.acknowledgedBy ? [a.triage.acknowledgedBy, " at ", time(a.triage.acknowledgedAt)] : null,
      ],
      [
        "Snoozed",
        a.triage.snoozedUntil ? [a.triage.snoozedBy ?? "", " until ", time(a.triage.snoozedUntil)] : null,
      ],
      ["Note", a.triage.note],
    ]),
  );
}

/** @param {AlertDetail} a */
function explanation(a) {
  return panel(
    "What it means",
    h("p", null, a.summary),
    h("h3", null, "How to fix it"),
    h("p", { class: "remediation" }, a.remediation),
  );
}

/** @param {NonNullable<AlertDetail["certificate"]>} c */
function certificatePanel(c) {
  return panel(
    "Certificate",
    definitions([
      ["Subject", c.subject],
      ["Issuer", c.issuer],
      [
        "Names",
        c.dnsNames.length > 0
          ? h(
              "ul",
              { class: "names" },
              c.dnsNames.map((n) => h("li", null, n)),
            )
          : null,
      ],
      ["IP addresses", c.ipAddresses.join(", ")],
      ["Valid from", time(c.notBefore)],
      ["Valid until", time(c.notAfter, { relative: true })],
      ["Serial number", h("code", null, c.serialNumber)],
      ["SHA-256", h("code", { class: "hash" }, c.sha256)],
    ]),
  );
}

/** @param {Record<string, unknown>} details */
function detailsPanel(details) {
  const rows = Object.entries(details).map(([k, v]) => [
    h("code", null, k),
    typeof v === "string" ? v : h("code", { class: "json" }, JSON.stringify(v)),
  ]);
  if (rows.length === 0) return null;
  return panel("Details", table(["Field", "Value"], rows, { className: "data details" }));
}

/** @param {readonly HistoryEntry[]} history */
function historyPanel(history) {
  return panel(
    "History",
    table(
      ["When", "What", "Who", "Note"],
      history.map((e) => [
        time(e.at),
        e.until ? [e.kind, " until ", time(e.until)] : e.kind,
        e.actor ?? (e.actorKind === "check" ? `check${e.scope ? ` (${e.scope})` : ""}` : e.actorKind),
        e.note,
      ]),
      { className: "data history", empty: "No history yet." },
    ),
  );
}

/**
 * The triage actions this alert's state allows, with a note.
 * @param {AlertDetail} a
 * @param {(action: string, body: Record<string, unknown>) => Promise<void>} act
 */
function triagePanel(a, act) {
  const note = h("textarea", { id: "triage-note", name: "note", rows: 2, maxlength: 1000 });
  const snoozeFor = select("snooze-minutes", SNOOZE_CHOICES, "1440");
  const buttons = h("div", { class: "triage-buttons" });
  const body = () => (note.value.trim() === "" ? {} : { note: note.value.trim() });

  /**
   * @param {string} label
   * @param {string} action
   * @param {() => Record<string, unknown>} [extra]
   */
  const button = (label, action, extra) =>
    h(
      "button",
      {
        type: "button",
        "data-action": action,
        on: {
          click: (event) => {
            for (const b of buttons.querySelectorAll("button")) b.disabled = true;
            void act(action, { ...body(), ...(extra ? extra() : {}) });
            event.preventDefault();
          },
        },
      },
      label,
    );

  if (a.status === "open") {
    buttons.append(
      button("Acknowledge", "acknowledge"),
      h(
        "span",
        { class: "snooze" },
        button("Snooze", "snooze", () => ({ minutes: Number(snoozeFor.value) })),
        h("label", { for: snoozeFor.id, class: "visually-hidden" }, "Snooze for"),
        snoozeFor,
      ),
      button("Resolve", "resolve"),
    );
  } else {
    buttons.append(button("Reopen", "reopen"));
  }
  return panel("Triage", field("Note", note, "why: kept in the alert's history and the audit log"), buttons);
}
