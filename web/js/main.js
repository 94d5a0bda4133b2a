// @ts-check
/**
 * @module web/main
 * The dashboard's entry module (the shell loads it by its nonce): applies the theme, asks the API who is signed
 * in, and shows either the login form or the pages. Any 401 later (the session ended) brings the login back.
 */
import { ApiError, call, onUnauthenticated, setCsrfToken } from "./api.js";
import { replace } from "./h.js";
import { createLayout } from "./layout.js";
import { loginScreen, takeLoginError } from "./pages/login.js";
import { startRouter } from "./router.js";
import { ROUTES } from "./routes.js";
import { applyTheme, storedTheme } from "./theme.js";
import { errorText, message } from "./ui.js";

/** @typedef {import("./types.js").Session} Session */

applyTheme(storedTheme());

const root = /** @type {HTMLElement} */ (document.getElementById("app"));
/** @type {{ stop(): void } | null} */
let router = null;
let loginShown = false;

/**
 * @param {string | null} [notice]
 * @param {string | null} [error]
 */
function showLogin(notice = null, error = null) {
  // Several calls in flight may all answer 401: one login form, not one per call.
  if (loginShown && router === null) return;
  loginShown = true;
  router?.stop();
  router = null;
  setCsrfToken(null);
  document.title = "Sign in · certwatch";
  replace(root, loginScreen({ notice, error, onSignedIn: showApp }));
}

/** @param {Session} session */
function showApp(session) {
  loginShown = false;
  setCsrfToken(session.csrfToken);
  const layout = createLayout({ routes: ROUTES, session, onSignOut: () => void signOut() });
  replace(root, layout.element);
  router = startRouter({
    routes: ROUTES,
    outlet: layout.outlet,
    session,
    onNavigate: (path) => layout.setCurrent(path),
  });
}

async function signOut() {
  try {
    const answer = /** @type {{ logoutUrl?: unknown } | undefined} */ (await call("DELETE", "/session"));
    // After single sign-on, the provider's sign-out comes next; it sends the browser back to the dashboard.
    const providerLogout = typeof answer?.logoutUrl === "string" ? httpsUrl(answer.logoutUrl) : null;
    if (providerLogout !== null) {
      setCsrfToken(null);
      window.location.assign(providerLogout);
      return;
    }
  } catch (e) {
    // Already signed out (401) is fine; anything else is shown on the login form, which follows anyway.
    if (!(e instanceof ApiError && e.status === 401)) return showLogin(`Signing out failed: ${errorText(e)}`);
  }
  showLogin("You have signed out.");
}

/**
 * The URL when it is an https one (never a `javascript:` or other scheme to navigate to), else null.
 * @param {string} url
 */
function httpsUrl(url) {
  try {
    return new URL(url).protocol === "https:" ? url : null;
  } catch {
    return null;
  }
}

onUnauthenticated((e) => {
  showLogin(e.code === "SESSION_EXPIRED" ? "Your session has ended. Sign in again." : "Please sign in.");
});

// A single sign-on that failed comes back as /?login_error=CODE (read once, then removed from the address).
const ssoError = takeLoginError();
try {
  showApp(/** @type {Session} */ (await call("GET", "/session")));
} catch (e) {
  if (e instanceof ApiError && e.status === 401) showLogin(null, ssoError);
  else replace(root, message("error", `The dashboard cannot start: ${errorText(e)}`));
}
