// @ts-check
/**
 * @module web/pages/delivery
 * The delivery outbox per target (GET /delivery): pending, failing and delivered notifications, the next attempt
 * and the last error, and — for operators — "Send test" (POST /delivery/{target}/test) with what the target said.
 */
import { ApiError, get, post } from "../api.js";
import { formatCount } from "../format.js";
import { h } from "../h.js";
import { can } from "../roles.js";
import {
  actionButton,
  badge,
  errorText,
  feedback,
  field,
  input,
  pageHeader,
  panel,
  refreshButton,
  table,
  time,
} from "../ui.js";

/** @typedef {import("../types.js").DeliveryTargetStatus} DeliveryTargetStatus */
/** @typedef {{ target: string, delivered: boolean, error: string | null }} TestResult */

/** @param {import("../router.js").PageContext} ctx */
export default async function deliveryPage(ctx) {
  const mayTest = can(ctx.session.user.role, "delivery.test");
  const { items } = /** @type {{ items: DeliveryTargetStatus[] }} */ (
    await get("/delivery", undefined, ctx.signal)
  );
  const outcome = feedback();

  /** @param {string} target */
  const sendTest = async (target) => {
    try {
      const r = /** @type {TestResult} */ (
        await post(`/delivery/${encodeURIComponent(target)}/test`, undefined, ctx.signal)
      );
      if (r.delivered) outcome.show("ok", `The test notification reached ${r.target}.`);
      else
        outcome.show(
          "error",
          `${r.target} did not accept the test notification: ${r.error ?? "no reason given"}`,
        );
    } catch (e) {
      if (ctx.signal.aborted) return;
      const text =
        e instanceof ApiError && e.code === "NOT_FOUND"
          ? `There is no delivery target ${target}.`
          : errorText(e);
      outcome.show("error", text);
    }
  };

  return h(
    "section",
    null,
    pageHeader("Delivery", refreshButton(ctx.refresh)),
    outcome.element,
    table(
      [
        "Target",
        "State",
        "Pending",
        "Failed attempts",
        "Delivered (7 days)",
        "Oldest pending",
        "Next attempt",
        "Last error",
        "",
      ],
      items.map((t) => [
        h("span", { class: "subject" }, t.target),
        state(t),
        formatCount(t.pending),
        t.maxAttempts > 0 ? `up to ${formatCount(t.maxAttempts)}` : "none",
        formatCount(t.delivered),
        time(t.oldestPending, { relative: true }),
        time(t.nextAttemptAt, { relative: true }),
        t.lastError === null ? null : h("span", { class: "error-text" }, t.lastError),
        mayTest ? actionButton("Send test", () => sendTest(t.target)) : null,
      ]),
      {
        className: "data delivery",
        empty: "Nothing is queued or was delivered in the last week. Targets are configured under notify:.",
      },
    ),
    mayTest ? testForm(items, sendTest) : null,
  );
}

/**
 * "failing" while undelivered notifications have an error, "sending" while some wait, else "ok".
 * @param {DeliveryTargetStatus} t
 */
function state(t) {
  if (t.pending > 0 && t.lastError !== null) return badge("failing", "bad");
  if (t.pending > 0) return badge("sending", "warn");
  return badge("ok", "ok");
}

/**
 * A test to any configured target by name (the table lists only targets with notifications).
 * @param {readonly DeliveryTargetStatus[]} items
 * @param {(target: string) => Promise<void>} sendTest
 */
function testForm(items, sendTest) {
  const target = input("delivery-target", { required: true, maxlength: 128, list: "delivery-targets" });
  const submit = h("button", { type: "submit" }, "Send test");
  const form = h(
    "form",
    { class: "editor-form", "aria-label": "Send a test notification" },
    field("Target", target, "a name under notify: in certwatch.yaml"),
    h(
      "datalist",
      { id: "delivery-targets" },
      items.map((t) => h("option", { value: t.target })),
    ),
    h("div", { class: "filter-actions" }, submit),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit.disabled = true;
    void sendTest(target.value.trim()).finally(() => (submit.disabled = false));
  });
  return panel("Send a test notification", form);
}
