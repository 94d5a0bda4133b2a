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
 * Why a single sign-on came back without a session: the server's `login_error` codes (docs/api.md#single-sign-on).
 * @type {Readonly<Record<string, string>>}
 */
const SSO_ERRORS = {
  rate_limited: "Too many failed sign-ins from this address: try again later.",
  provider_unavailable: "The identity provider could not be reached. Try again later.",
  access_denied: "The sign-in was cancelled or refused at the identity provider.",
  provider_error: "The identity provider's answer could not be verified.",
  login_expired: "The sign-in took too long or was not started in this browser: start again.",
  state_mismatch: "The answer does not belong to the sign-in this browser started: start again.",
  no_role: "Your account at the identity provider has no role in certwatch. Ask an administrator.",
  disabled: "Your certwatch account is disabled.",
  not_provisioned: "No certwatch user is linked to your account. Ask an administrator.",
  user_name_unusable: "Your account at the identity provider has no usable user name for certwatch.",
  user_name_taken:
    "A certwatch user of your name exists and is not linked to your account. Ask an administrator.",
  last_admin: "Your account would demote the last administrator: the sign-in was refused.",
};

/**
 * The `?login_error=` the server's single sign-on sent the browser back with, as a message (a code it does not
 * know gets a generic one: the address is anyone's to write, its text is never shown), removed from the address
 * so that a reload does not show it again.
 * @returns {string | null}
 */
export function takeLoginError() {
  const params = new URLSearchParams(location.search);
  const code = params.get("login_error");
  if (code === null) return null;
  params.delete("login_error");
  const rest = params.toString();
  history.replaceState(null, "", `${location.pathname}${rest === "" ? "" : `?${rest}`}${location.hash}`);
  return Object.hasOwn(SSO_ERRORS, code) ? (SSO_ERRORS[code] ?? null) : "Single sign-on did not succeed.";
}

/**
 * @param {object} options
 * @param {string | null} options.notice  why the form is shown ("You have signed out.")
 * @param {string | null} [options.error]  a failure to show (a single sign-on that came back refused)
 * @param {(session: Session) => void} options.onSignedIn
 */
export function loginScreen({ notice, error = null, onSignedIn }) {
  const name = h("input", { id: "login-name", name: "username", autocomplete: "username", required: true });
  const password = h("input", {
    id: "login-password",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const submit = h("button", { type: "submit" }, "Sign in");
  const feedback = h(
    "div",
    { class: "feedback" },
    error ? message("error", error) : null,
    notice ? message("info", notice) : null,
  );
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
    form.hidden = !methods.password && link instanceof HTMLAnchorElement;
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
export async function signInMethods() {
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
 * The link that starts the server's single sign-on. Only on this origin: the sign-in comes back to the configured
 * publicUrl, and its cookies belong to that host, so a dashboard opened under another address says where to go
 * instead (as text: the dashboard links nowhere else).
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
  if (url.origin !== location.origin) {
    return h("p", { class: "muted" }, `Sign-in with ${oidc.name} is offered at ${url.origin}/.`);
  }
  if (!isAppLink(path)) return null;
  return h("a", { href: path, class: "button" }, `Sign in with ${oidc.name}`);
}
