// @ts-check
/**
 * @module web/router
 * Hash routing: `#/alerts/ID?status=all` names a page of the route table and its parameters. On each change
 * the previous page's calls are aborted, the page's module is loaded and what it returns replaces the content.
 */
import { ApiError } from "./api.js";
import { h, replace } from "./h.js";
import { can } from "./roles.js";
import { errorText, message, pageHeader } from "./ui.js";

/** @typedef {import("./types.js").Session} Session */

/**
 * What a page gets.
 * @typedef {object} PageContext
 * @property {Readonly<Record<string, string>>} params  the route's `:name` segments, decoded
 * @property {URLSearchParams} query  the parameters after `?` in the hash
 * @property {Session} session  who is signed in (role: what to show)
 * @property {AbortSignal} signal  aborted when the user leaves the page: pass it to API calls
 * @property {(title: string) => void} setTitle  the document's title (the nav label by default)
 * @property {(path: string, query?: Record<string, string>) => void} navigate  go to another page
 * @property {() => void} refresh  render this page again
 */

/** @typedef {(ctx: PageContext) => Promise<Node> | Node} Page */

/**
 * One line of the route table (routes.js).
 * @typedef {object} Route
 * @property {string} path  `/alerts/:id`: fixed segments and `:name` parameters
 * @property {() => Promise<{ default: Page }>} load  `() => import("./pages/x.js")`: loaded on first visit
 * @property {string} title  the document title and, with `nav`, the navigation label
 * @property {boolean} [nav]  listed in the navigation
 * @property {import("./roles.js").Action} [needs]  the action the page needs: hidden and refused without it
 */

/**
 * `#/alerts/abc?x=1` → path `/alerts/abc` and its query.
 * @param {string} hash
 */
export function parseHash(hash) {
  const raw = hash.replace(/^#/, "");
  const q = raw.indexOf("?");
  const path = (q < 0 ? raw : raw.slice(0, q)) || "/";
  return {
    path: path.startsWith("/") ? path : `/${path}`,
    query: new URLSearchParams(q < 0 ? "" : raw.slice(q + 1)),
  };
}

/**
 * The hash of a page: `#/alerts?status=all`, each value percent-encoded.
 * @param {string} path
 * @param {Record<string, string | null | undefined>} [query]
 */
export function pageLink(path, query = {}) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v) params.set(k, v);
  const qs = params.toString();
  const encoded = path
    .split("/")
    .map((s) => encodeURIComponent(s))
    .join("/");
  return `#${encoded}${qs === "" ? "" : `?${qs}`}`;
}

/**
 * The route whose pattern matches the path, with its parameters.
 * @param {readonly Route[]} routes
 * @param {string} path
 * @returns {{ route: Route, params: Record<string, string> } | null}
 */
export function matchRoute(routes, path) {
  const parts = path.split("/").filter((s) => s !== "");
  for (const route of routes) {
    const pattern = route.path.split("/").filter((s) => s !== "");
    if (pattern.length !== parts.length) continue;
    /** @type {Record<string, string>} */
    const params = {};
    const ok = pattern.every((p, i) => {
      const part = parts[i] ?? "";
      if (!p.startsWith(":")) return p === part;
      try {
        params[p.slice(1)] = decodeURIComponent(part);
        return true;
      } catch {
        return false; // a malformed escape matches nothing
      }
    });
    if (ok) return { route, params };
  }
  return null;
}

/**
 * Renders the page of the current hash into `outlet`, now and on every hash change, until `stop()`.
 * @param {object} options
 * @param {readonly Route[]} options.routes
 * @param {HTMLElement} options.outlet
 * @param {Session} options.session
 * @param {(path: string) => void} [options.onNavigate]  after each change (the navigation marks its page)
 */
export function startRouter({ routes, outlet, session, onNavigate }) {
  /** @type {AbortController | null} */
  let current = null;
  let shownPath = "";

  const render = async () => {
    current?.abort();
    const controller = new AbortController();
    current = controller;
    const { path, query } = parseHash(location.hash);
    onNavigate?.(path);
    const found = matchRoute(routes, path);
    if (found === null) return show(controller, notFound(path), "Not found", path);
    const { route, params } = found;
    if (route.needs && !can(session.user.role, route.needs)) {
      return show(controller, refused(route), route.title, path);
    }
    outlet.setAttribute("aria-busy", "true");
    let title = route.title;
    /** @type {PageContext} */
    const ctx = {
      params,
      query,
      session,
      signal: controller.signal,
      setTitle: (t) => {
        title = t;
        if (current === controller) document.title = `${t} · certwatch`;
      },
      navigate: (p, q) => {
        const target = pageLink(p, q);
        if (location.hash === target) void render();
        else location.hash = target;
      },
      refresh: () => void render(),
    };
    try {
      const page = (await route.load()).default;
      const node = await page(ctx);
      show(controller, node, title, path);
    } catch (e) {
      if (controller.signal.aborted) return;
      // 401: the login form has replaced the dashboard already (api.js onUnauthenticated).
      if (e instanceof ApiError && e.status === 401) return;
      show(
        controller,
        h("section", null, pageHeader(route.title), message("error", errorText(e))),
        route.title,
        path,
      );
    }
  };

  /**
   * @param {AbortController} controller
   * @param {Node} node
   * @param {string} title
   * @param {string} path
   */
  function show(controller, node, title, path) {
    if (current !== controller) return; // the user went elsewhere meanwhile
    outlet.removeAttribute("aria-busy");
    replace(outlet, node);
    document.title = `${title} · certwatch`;
    // A new page moves focus to its heading (screen readers announce it); new filters on the same page do not.
    const heading = outlet.querySelector("h1");
    if (path !== shownPath && shownPath !== "" && heading instanceof HTMLElement) heading.focus();
    shownPath = path;
  }

  const listener = () => void render();
  window.addEventListener("hashchange", listener);
  void render();
  return {
    stop() {
      current?.abort();
      current = null;
      window.removeEventListener("hashchange", listener);
    },
  };
}

/** @param {string} path */
function notFound(path) {
  return h(
    "section",
    null,
    pageHeader("Not found"),
    h(
      "p",
      null,
      "There is no page ",
      h("code", null, path),
      ". ",
      h("a", { href: "#/" }, "Go to the overview"),
      ".",
    ),
  );
}

/** @param {Route} route */
function refused(route) {
  return h(
    "section",
    null,
    pageHeader(route.title),
    message("info", "Your role does not allow this page. Ask an administrator if you need it."),
  );
}
