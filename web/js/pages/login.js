// @ts-check
/**
 * @module web/pages/login
 * The sign-in screen: the password form (POST /session) and, when the server offers single sign-on
 * (GET /session/methods), a "Sign in with …" link. Shown instead of the dashboard whenever nobody is signed in.
 */
import { ApiError, call } from "../api.js";
import { h, isAppLink } from "../h.js";
import { errorText, field, message } from "../ui.js";

/** @typedef {import("../types.js").Session} Session */
/** @typedef {import("../types.js").SignInMethods} SignInMethods */

/**
 * @param {object} options
 * @param {string | null} options.notice  why the form is shown ("You have signed out.")
 * @param {(session: Session) => void} options.onSignedIn
 */
export function loginScreen({ notice, onSignedIn }) {
  const name = h("input", { id: "login-name", name: "username", autocomplete: "username", required: true });
  const password = h("input", {
    id: "login-password",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const submit = h("button", { type: "submit" }, "Sign in");
  const feedback = h("div", { class: "feedback" }, notice ? message("info", notice) : null);
  const form = h(
    "form",
    { class: "login-form", "aria-label": "Sign in with a password" },
    field("User name", name),
    field("Password", password),
    submit,
  );
  const sso = h("div", { class: "sso" });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit.disabled = true;
    feedback.replaceChildren();
    call("POST", "/session", { body: { name: name.value, password: password.value } })
      .then((session) => onSignedIn(/** @type {Session} */ (session)))
      .catch((/** @type {unknown} */ e) => {
        password.value = "";
        const text =
          e instanceof ApiError && e.code === "INVALID_CREDENTIALS"
            ? "Wrong user name or password."
            : errorText(e);
        feedback.replaceChildren(message("error", text));
        submit.disabled = false;
        password.focus();
      });
  });

  void signInMethods().then((methods) => {
    const link = methods.oidc ? ssoLink(methods.oidc) : null;
    if (link) sso.replaceChildren(link);
    form.hidden = !methods.password && link !== null;
  });

  queueMicrotask(() => name.focus());
  return h(
    "main",
    { class: "login" },
    h("h1", null, "certwatch"),
    h("p", { class: "muted" }, "Sign in to the dashboard."),
    feedback,
    form,
    sso,
  );
}

/**
 * What the server offers; password only when it does not say (no SSO configured, or an older server).
 * @returns {Promise<SignInMethods>}
 */
async function signInMethods() {
  try {
    const m = /** @type {Partial<SignInMethods> | undefined} */ (await call("GET", "/session/methods"));
    const oidc = m?.oidc;
    return {
      password: m?.password !== false,
      oidc: oidc && typeof oidc.name === "string" && typeof oidc.loginUrl === "string" ? oidc : null,
    };
  } catch {
    return { password: true, oidc: null };
  }
}

/**
 * The link to the server's SSO start, only when it stays on this origin.
 * @param {{ name: string, loginUrl: string }} oidc
 */
function ssoLink(oidc) {
  let url;
  try {
    url = new URL(oidc.loginUrl, location.origin);
  } catch {
    return null;
  }
  const path = `${url.pathname}${url.search}`;
  if (url.origin !== location.origin || !isAppLink(path)) return null;
  return h("a", { href: path, class: "button" }, `Sign in with ${oidc.name}`);
}
