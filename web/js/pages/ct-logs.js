// @ts-check
/**
 * @module web/pages/ct-logs
 * The Certificate Transparency logs followed (GET /ct/logs): how far each is read (position, tree size, lag),
 * what was verified, its newest entry, its last error, and a state that sums them up.
 */
import { get } from "../api.js";
import { formatCount } from "../format.js";
import { h } from "../h.js";
import { badge, pageHeader, refreshButton, table, time } from "../ui.js";

/** @typedef {import("../types.js").CtLogStatus} CtLogStatus */

/** @param {import("../router.js").PageContext} ctx */
export default async function ctLogsPage(ctx) {
  const { items } = /** @type {{ items: CtLogStatus[] }} */ (await get("/ct/logs", undefined, ctx.signal));
  const behind = items.reduce((n, l) => n + l.lag, 0);
  const failing = items.filter((l) => l.lastError !== null).length;
  return h(
    "section",
    null,
    pageHeader("CT logs", refreshButton(ctx.refresh)),
    h(
      "p",
      { class: "summary" },
      `${formatCount(items.length)} log${items.length === 1 ? "" : "s"}, ${formatCount(behind)} entries not read yet`,
      failing > 0 ? `, ${failing} with an error` : "",
      ".",
    ),
    table(
      ["Log", "State", "Position", "Tree size", "Lag", "Verified", "Newest entry", "Last error", "Updated"],
      items.map((l) => [
        h("div", null, h("code", { class: "subject" }, l.url), h("div", { class: "muted" }, l.protocol)),
        state(l),
        formatCount(l.position),
        formatCount(l.headSize),
        formatCount(l.lag),
        formatCount(l.verifiedSize),
        time(l.lastEntryTime, { relative: true }),
        l.lastError === null ? null : h("span", { class: "error-text" }, l.lastError),
        time(l.updatedAt, { relative: true }),
      ]),
      { className: "data ct-logs", empty: "No log has been followed yet (ct.logList, ct.logs)." },
    ),
  );
}

/**
 * "error" when the last attempt stopped early, "behind" while entries are unread, else "up to date".
 * @param {CtLogStatus} l
 */
function state(l) {
  if (l.lastError !== null) return badge("error", "bad");
  if (l.lag > 0) return badge("behind", "warn");
  return badge("up to date", "ok");
}
