// @ts-check
/**
 * @module web/pages/endpoints
 * The scan schedule (GET /endpoints): every target with its last and next run, "scan now" for operators, and the
 * managed endpoints' add, edit and delete (configured ones are read-only: certwatch.yaml is their source).
 */
import { ApiError, del, get, patch, post } from "../api.js";
import { h, replace } from "../h.js";
import { can } from "../roles.js";
import {
  actionButton,
  badge,
  confirmButton,
  errorText,
  feedback,
  field,
  input,
  message,
  pageHeader,
  panel,
  table,
  time,
} from "../ui.js";

/** @typedef {import("../types.js").EndpointStatus} EndpointStatus */

/** @param {import("../router.js").PageContext} ctx */
export default async function endpointsPage(ctx) {
  const role = ctx.session.user.role;
  const mayManage = can(role, "endpoints.manage");
  const mayScan = can(role, "scan.now");
  const outcome = feedback();
  const list = h("div", { class: "endpoint-list" });
  const editor = h("div", { class: "endpoint-editor" });

  const load = async () => {
    const { items } = /** @type {{ items: EndpointStatus[] }} */ (
      await get("/endpoints", undefined, ctx.signal)
    );
    replace(list, endpointTable(items, rowActions));
  };
  /** @param {unknown} e */
  const failed = (e) => {
    if (!ctx.signal.aborted) outcome.show("error", errorText(e));
  };
  const showAddForm = () => {
    if (mayManage) replace(editor, endpointForm(null, saved, showAddForm));
  };
  /** @param {string} text */
  const saved = async (text) => {
    outcome.show("ok", text);
    showAddForm();
    await load();
  };

  /** @param {EndpointStatus} e */
  function rowActions(e) {
    const path = `/endpoints/${encodeURIComponent(e.target)}`;
    return h(
      "div",
      { class: "row-actions" },
      mayScan
        ? actionButton(
            "Scan now",
            async () => {
              const r = /** @type {{ message: string }} */ (
                await post(`${path}/scan`, undefined, ctx.signal)
              );
              outcome.show("ok", r.message);
            },
            { onError: failed },
          )
        : null,
      mayManage && e.managed
        ? [
            h(
              "button",
              {
                type: "button",
                class: "secondary",
                on: {
                  click: () => {
                    replace(editor, endpointForm(e, saved, showAddForm));
                    editor.querySelector("input")?.focus();
                  },
                },
              },
              "Edit",
            ),
            confirmButton(
              "Delete",
              `Stop scanning ${e.target}? Its open alerts stay until resolved by hand.`,
              async () => {
                await del(path, ctx.signal);
                await saved(`Deleted ${e.target}.`);
              },
              failed,
            ),
          ]
        : null,
    );
  }

  try {
    await load();
  } catch (e) {
    if (!(e instanceof ApiError && e.code === "NOT_IMPLEMENTED")) throw e;
    return h(
      "section",
      null,
      pageHeader("Endpoints"),
      message("info", "This server runs no scan schedule: start it with certwatch serve."),
    );
  }
  showAddForm();
  const refresh = actionButton("Refresh", load, { onError: failed });
  return h("section", null, pageHeader("Endpoints", refresh), outcome.element, list, editor);
}

/**
 * @param {readonly EndpointStatus[]} items
 * @param {(e: EndpointStatus) => Node} actions
 */
function endpointTable(items, actions) {
  return table(
    ["Target", "Source", "Every", "Last run", "Next run", "State", ""],
    items.map((e) => [
      h("code", { class: "subject" }, e.target),
      originText(e),
      intervalText(e.intervalMinutes),
      time(e.lastRunAt, { relative: true }) ?? h("span", { class: "muted" }, "never"),
      time(e.nextRunAt, { relative: true }),
      e.running ? badge("running", "warn") : badge("idle", "muted"),
      actions(e),
    ]),
    {
      className: "data endpoints",
      empty: "No endpoint is scanned: add one, or list them in certwatch.yaml.",
    },
  );
}

/** @param {EndpointStatus} e */
function originText(e) {
  if (e.origin === "config" || e.managed === null) return h("span", { class: "muted" }, "certwatch.yaml");
  const m = e.managed;
  const how = m.addedVia === "ct" ? "discovered in CT" : `added by ${m.addedBy ?? "the API"}`;
  return h(
    "span",
    null,
    `managed: ${how}, `,
    time(m.addedAt),
    m.addresses ? h("div", { class: "muted" }, `pinned ${m.addresses.join(", ")}`) : null,
    m.serverName ? h("div", { class: "muted" }, `SNI ${m.serverName}`) : null,
  );
}

/** @param {number} minutes */
function intervalText(minutes) {
  if (minutes % 1440 === 0) return `${minutes / 1440} d`;
  if (minutes % 60 === 0) return `${minutes / 60} h`;
  return `${minutes} min`;
}

/**
 * The add form (`endpoint` null) or the edit form of a managed endpoint. The API validates; its message is shown
 * beside the form.
 * @param {EndpointStatus | null} endpoint
 * @param {(text: string) => Promise<void>} onSaved
 * @param {() => void} onCancel
 */
function endpointForm(endpoint, onSaved, onCancel) {
  const m = endpoint?.managed ?? null;
  const host = input("ep-host", { required: true, maxlength: 253, placeholder: "shop.contoso.com" });
  const port = input("ep-port", { type: "number", min: 1, max: 65535, value: 443, required: true });
  const addresses = input("ep-addresses", { value: m?.addresses?.join(", ") ?? "", maxlength: 4000 });
  const serverName = input("ep-server-name", { value: m?.serverName ?? "", maxlength: 253 });
  const every = input("ep-interval", {
    type: "number",
    min: 1,
    max: 10080,
    value: m?.scanIntervalMinutes ?? "",
  });
  const result = feedback();
  const submit = h("button", { type: "submit" }, endpoint ? "Save" : "Add endpoint");
  const form = h(
    "form",
    { class: "editor-form", "aria-label": endpoint ? `Edit ${endpoint.target}` : "Add an endpoint" },
    endpoint ? null : field("Host", host, "a DNS name or an IP address"),
    endpoint ? null : field("Port", port),
    field("Pinned addresses", addresses, "IP addresses, comma-separated; empty: every address DNS gives"),
    field("Server name (SNI)", serverName, "empty: the host"),
    field("Scan every (minutes)", every, "1–10080; empty: the schedule's default"),
    h(
      "div",
      { class: "filter-actions" },
      submit,
      endpoint
        ? h("button", { type: "button", class: "secondary", on: { click: onCancel } }, "Cancel")
        : null,
    ),
    result.element,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit.disabled = true;
    result.clear();
    const list = addresses.value
      .split(/[\s,]+/)
      .map((a) => a.trim())
      .filter((a) => a !== "");
    const name = serverName.value.trim();
    const minutes = every.value.trim() === "" ? null : Number(every.value);
    const request = endpoint
      ? patch(`/endpoints/${encodeURIComponent(endpoint.target)}`, {
          addresses: list.length > 0 ? list : null,
          serverName: name === "" ? null : name,
          scanIntervalMinutes: minutes,
        })
      : post("/endpoints", {
          host: host.value.trim(),
          port: Number(port.value),
          ...(list.length > 0 && { addresses: list }),
          ...(name !== "" && { serverName: name }),
          ...(minutes !== null && { scanIntervalMinutes: minutes }),
        });
    request
      .then((answer) => {
        const target = /** @type {{ target: string }} */ (answer).target;
        return onSaved(endpoint ? `Saved ${target}.` : `Added ${target}: it is scanned shortly.`);
      })
      .catch((/** @type {unknown} */ e) => {
        result.show("error", errorText(e));
        submit.disabled = false;
      });
  });
  return panel(endpoint ? `Edit ${endpoint.target}` : "Add an endpoint", form);
}
