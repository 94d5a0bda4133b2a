// @ts-check
/**
 * @module web/pages/users
 * Users (admins: add with a role and an initial password — or, with single sign-on configured, invited to sign in
 * through it — change role, remove a password, disable or enable, delete) and API tokens
 * (everyone their own, admins anyone's: create — the secret is shown once and kept nowhere — and revoke).
 */
import { del, get, patch, post } from "../api.js";
import { h, replace } from "../h.js";
import { can, ROLES } from "../roles.js";
import { signInMethods } from "./login.js";
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
  select,
  table,
  time,
} from "../ui.js";

/** @typedef {import("../types.js").User} User */
/** @typedef {import("../types.js").ApiToken} ApiToken */
/** @typedef {ApiToken & { token: string }} CreatedToken */

/** @param {import("../router.js").PageContext} ctx */
export default async function usersPage(ctx) {
  const me = ctx.session.user.name;
  const admin = can(ctx.session.user.role, "users.manage");
  const userOutcome = feedback();
  const tokenOutcome = feedback();
  const usersBox = h("div", { class: "user-list" });
  const tokensBox = h("div", { class: "token-list" });
  const tokenEditor = h("div");
  // The one place a new token's secret lives: the DOM of this panel, until "Done", a reload or another page.
  const secretSlot = h("div", { class: "secret-slot" });
  /** @type {User[]} */
  let users = [];
  // Invitations and removing a password only make sense (and are only accepted) with single sign-on configured.
  const sso = admin ? ((await signInMethods()).oidc?.name ?? null) : null;

  /** @param {ReturnType<typeof feedback>} out  where a failed action says why */
  const failed = (out) => (/** @type {unknown} */ e) => {
    if (!ctx.signal.aborted) out.show("error", errorText(e));
  };

  const loadUsers = async () => {
    users = /** @type {{ items: User[] }} */ (await get("/users", undefined, ctx.signal)).items;
    replace(usersBox, userTable(users, me, userActions, sso !== null));
    replace(
      tokenEditor,
      tokenForm(admin ? users.filter((u) => !u.disabled).map((u) => u.name) : [], me, created),
    );
  };
  const loadTokens = async () => {
    const query = admin ? { all: "true" } : undefined;
    const tokens = /** @type {{ items: ApiToken[] }} */ (await get("/tokens", query, ctx.signal)).items;
    replace(tokensBox, tokenTable(tokens, admin, revoke));
  };

  /** @param {CreatedToken} t */
  async function created(t) {
    tokenOutcome.clear();
    replace(
      secretSlot,
      secretPanel(t, () => secretSlot.replaceChildren()),
    );
    secretSlot.querySelector("input")?.focus();
    await loadTokens();
  }

  /** @param {ApiToken} t */
  function revoke(t) {
    return confirmButton(
      "Revoke",
      `Revoke ${t.name}${t.userName === me ? "" : ` of ${t.userName}`}? Programs using it stop working at once.`,
      async () => {
        await del(`/tokens/${encodeURIComponent(t.id)}`, ctx.signal);
        tokenOutcome.show("ok", `Revoked ${t.name}.`);
        await loadTokens();
      },
      failed(tokenOutcome),
    );
  }

  /** @param {User} u  @param {number} i */
  function userActions(u, i) {
    const path = `/users/${encodeURIComponent(u.name)}`;
    /** @param {Record<string, unknown>} change  @param {string} done */
    const change = async (change, done) => {
      await patch(path, change, ctx.signal);
      userOutcome.show("ok", done);
      await Promise.all([loadUsers(), loadTokens()]);
    };
    const role = select(
      `user-role-${i}`,
      ROLES.map((r) => [r, r]),
      u.role,
    );
    return {
      role: h(
        "span",
        { class: "role-change" },
        h("label", { for: role.id, class: "visually-hidden" }, `Role of ${u.name}`),
        role,
        actionButton("Change role", () => change({ role: role.value }, `${u.name} is now ${role.value}.`), {
          onError: failed(userOutcome),
        }),
      ),
      actions:
        u.name === me
          ? h("span", { class: "muted" }, "you")
          : h(
              "div",
              { class: "row-actions" },
              sso !== null && u.hasPassword
                ? confirmButton(
                    "Remove password",
                    u.oidc
                      ? `Remove the password of ${u.name}? They sign in with ${sso} only, and are signed out now.`
                      : `Remove the password of ${u.name}? They are signed out, and their next sign-in with ${sso} under this name links that account.`,
                    () =>
                      change({ password: null }, `${u.name} has no password any more and was signed out.`),
                    failed(userOutcome),
                  )
                : null,
              actionButton(
                u.disabled ? "Enable" : "Disable",
                () =>
                  change(
                    { disabled: !u.disabled },
                    u.disabled ? `${u.name} is enabled.` : `${u.name} is disabled and signed out.`,
                  ),
                { onError: failed(userOutcome) },
              ),
              confirmButton(
                "Delete",
                `Delete ${u.name} with their tokens and sessions?`,
                async () => {
                  await del(path, ctx.signal);
                  userOutcome.show("ok", `Deleted ${u.name}.`);
                  await Promise.all([loadUsers(), loadTokens()]);
                },
                failed(userOutcome),
              ),
            ),
    };
  }

  if (admin) await loadUsers();
  else replace(tokenEditor, tokenForm([], me, created));
  await loadTokens();

  return h(
    "section",
    null,
    pageHeader("Users & tokens"),
    admin
      ? panel(
          "Users",
          userOutcome.element,
          usersBox,
          h("h3", null, "Add a user"),
          userForm(sso, async (added) => {
            userOutcome.show(
              "ok",
              added.ssoPending
                ? `Added ${added.name}: they sign in with ${sso ?? "single sign-on"}, as the account of this name.`
                : `Added ${added.name}.`,
            );
            await loadUsers();
          }),
        )
      : null,
    panel(
      admin ? "API tokens" : "Your API tokens",
      h(
        "p",
        { class: "muted" },
        "A token lets a program call the REST API as its user, with the user's current role.",
      ),
      secretSlot,
      tokenOutcome.element,
      tokensBox,
      h("h3", null, "Create a token"),
      tokenEditor,
    ),
  );
}

/**
 * How a user signs in: password, single sign-on, or — invited — nothing until their first single sign-on.
 * @param {User} u
 * @param {boolean} sso  the server has single sign-on
 */
function signsInWith(u, sso) {
  if (u.ssoPending) {
    return sso
      ? h("span", null, "single sign-on ", badge("awaiting first sign-in", "warn"))
      : h("span", { class: "muted" }, "nothing (single sign-on is not configured)");
  }
  return [u.hasPassword ? "password" : null, u.oidc ? `single sign-on (${u.oidc.issuer})` : null]
    .filter((x) => x !== null)
    .join(", ");
}

/**
 * @param {readonly User[]} users
 * @param {string} me
 * @param {(u: User, i: number) => { role: Node, actions: Node }} actions
 * @param {boolean} sso
 */
function userTable(users, me, actions, sso) {
  return table(
    ["Name", "Role", "Status", "Signs in with", "Created", ""],
    users.map((u, i) => {
      const a = actions(u, i);
      return [
        h(
          "span",
          { class: "subject" },
          u.name,
          u.name === me ? h("span", { class: "muted" }, " (you)") : null,
        ),
        a.role,
        u.disabled ? badge("disabled", "bad") : badge("enabled", "ok"),
        signsInWith(u, sso),
        time(u.createdAt),
        a.actions,
      ];
    }),
    { className: "data users", empty: "No user." },
  );
}

/**
 * @param {string | null} sso  the server's single sign-on name; null: password users only
 * @param {(user: User) => Promise<void>} onAdded
 */
function userForm(sso, onAdded) {
  const name = input("new-user-name", { required: true, maxlength: 64, autocomplete: "off" });
  const role = select(
    "new-user-role",
    ROLES.map((r) => [r, r]),
    "viewer",
  );
  const password = input("new-user-password", {
    type: "password",
    required: true,
    autocomplete: "new-password",
    maxlength: 1024,
  });
  const passwordField = field(
    "Initial password",
    password,
    "tell it to them privately; certwatch user passwd sets a new one",
  );
  const viaSso = sso === null ? null : input("new-user-sso", { type: "checkbox" });
  viaSso?.addEventListener("change", () => {
    passwordField.hidden = viaSso.checked;
    password.required = !viaSso.checked;
    if (viaSso.checked) password.value = "";
  });
  const result = feedback();
  const submit = h("button", { type: "submit" }, "Add user");
  const form = h(
    "form",
    { class: "editor-form", "aria-label": "Add a user" },
    field("User name", name),
    field("Role", role),
    viaSso
      ? h(
          "div",
          { class: "field checkbox" },
          h("label", { for: viaSso.id }, viaSso, " Signs in with single sign-on (no password)"),
          h(
            "small",
            { class: "hint" },
            `the first sign-in with ${sso ?? ""} whose user name is this one links that account; the provider's groups then set the role`,
          ),
        )
      : null,
    passwordField,
    h("div", { class: "filter-actions" }, submit),
    result.element,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit.disabled = true;
    result.clear();
    const invite = viaSso?.checked === true;
    post("/users", {
      name: name.value.trim(),
      role: role.value,
      ...(!invite && { password: password.value }),
    })
      .then(async (answer) => {
        form.reset();
        passwordField.hidden = false;
        password.required = true;
        await onAdded(/** @type {User} */ (answer));
      })
      .catch((/** @type {unknown} */ e) => result.show("error", errorText(e)))
      .finally(() => {
        password.value = "";
        submit.disabled = false;
      });
  });
  return form;
}

/**
 * @param {readonly ApiToken[]} tokens
 * @param {boolean} showUser
 * @param {(t: ApiToken) => Node} revoke
 */
function tokenTable(tokens, showUser, revoke) {
  const now = Date.now();
  return table(
    ["Name", ...(showUser ? ["User"] : []), "Id", "Created", "Last used", "Expires", "Status", ""],
    tokens.map((t) => {
      const expired = t.expiresAt !== null && new Date(t.expiresAt).getTime() <= now;
      return [
        h("span", { class: "subject" }, t.name),
        ...(showUser ? [t.userName] : []),
        h("code", null, t.id),
        time(t.createdAt),
        time(t.lastUsedAt, { relative: true }) ?? h("span", { class: "muted" }, "never"),
        time(t.expiresAt) ?? h("span", { class: "muted" }, "never"),
        t.revokedAt ? badge("revoked", "muted") : expired ? badge("expired", "muted") : badge("active", "ok"),
        t.revokedAt || expired ? null : revoke(t),
      ];
    }),
    { className: "data tokens", empty: "No API token." },
  );
}

/**
 * @param {readonly string[]} users  admins may create a token for any enabled user; empty: only one's own
 * @param {string} me
 * @param {(t: CreatedToken) => Promise<void>} onCreated
 */
function tokenForm(users, me, onCreated) {
  const name = input("token-name", {
    required: true,
    maxlength: 64,
    placeholder: "grafana",
    autocomplete: "off",
  });
  const days = input("token-days", { type: "number", min: 1, max: 3650 });
  const owner =
    users.length > 0
      ? select(
          "token-user",
          users.map((u) => [u, u]),
          me,
        )
      : null;
  const result = feedback();
  const submit = h("button", { type: "submit" }, "Create token");
  const form = h(
    "form",
    { class: "editor-form", "aria-label": "Create an API token" },
    field("Token name", name, "what uses it, e.g. grafana"),
    field("Expires in (days)", days, "empty: until revoked"),
    owner ? field("For user", owner) : null,
    h("div", { class: "filter-actions" }, submit),
    result.element,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit.disabled = true;
    result.clear();
    post("/tokens", {
      name: name.value.trim(),
      ...(days.value !== "" && { expiresInDays: Number(days.value) }),
      ...(owner && owner.value !== me && { user: owner.value }),
    })
      .then(async (answer) => {
        form.reset();
        await onCreated(/** @type {CreatedToken} */ (answer));
      })
      .catch((/** @type {unknown} */ e) => result.show("error", errorText(e)))
      .finally(() => (submit.disabled = false));
  });
  return form;
}

/**
 * The new token, once: a read-only field to copy it from, and "Done", which removes it from the page. It is never
 * written anywhere else (no variable outlives this panel, nothing goes to localStorage).
 * @param {CreatedToken} t
 * @param {() => void} onDone
 */
function secretPanel(t, onDone) {
  const secret = input("new-token-secret", {
    value: t.token,
    readonly: true,
    autocomplete: "off",
    spellcheck: "false",
    class: "secret",
  });
  const status = h("span", { class: "copy-status", role: "status" });
  const copy = actionButton("Copy", async () => {
    secret.select();
    try {
      await navigator.clipboard.writeText(secret.value);
      status.textContent = "Copied.";
    } catch {
      status.textContent = "Copying is not allowed here: the text is selected, press Ctrl+C.";
    }
  });
  const done = h("button", { type: "button", class: "secondary", on: { click: onDone } }, "Done");
  return h(
    "div",
    { class: "secret-panel" },
    message(
      "info",
      h(
        "strong",
        null,
        "Shown only once: copy it now. certwatch keeps only a hash of it, so it cannot be shown again after you leave or reload this page.",
      ),
    ),
    field(`New token ${t.name} for ${t.userName}`, secret),
    h("div", { class: "filter-actions" }, copy, done, status),
  );
}
