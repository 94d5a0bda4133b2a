// @ts-check
/**
 * @module web/layout
 * The frame around every page: a skip link, the top bar (who is signed in, the theme, sign out), the navigation
 * built from the route table (pages the role may not open are left out) and the <main> the router fills.
 */
import { h } from "./h.js";
import { can } from "./roles.js";
import { pageLink } from "./router.js";
import { themePicker } from "./theme.js";

/** @typedef {import("./router.js").Route} Route */
/** @typedef {import("./types.js").Session} Session */

/**
 * @param {object} options
 * @param {readonly Route[]} options.routes
 * @param {Session} options.session
 * @param {() => void} options.onSignOut
 */
export function createLayout({ routes, session, onSignOut }) {
  const outlet = h("main", { id: "main", tabindex: -1 });
  const links = routes
    .filter((r) => r.nav && (!r.needs || can(session.user.role, r.needs)))
    .map((r) => ({ route: r, link: h("a", { href: pageLink(r.path) }, r.title) }));
  const nav = h(
    "nav",
    { "aria-label": "Main" },
    h(
      "ul",
      null,
      links.map(({ link }) => h("li", null, link)),
    ),
  );
  const skip = h(
    "button",
    { type: "button", class: "skip-link", on: { click: () => outlet.focus() } },
    "Skip to content",
  );
  const signOut = h("button", { type: "button", class: "secondary", on: { click: onSignOut } }, "Sign out");
  const top = h(
    "header",
    { class: "topbar" },
    h("a", { href: "#/", class: "brand" }, "certwatch"),
    h(
      "div",
      { class: "session" },
      themePicker(),
      h(
        "span",
        { class: "who" },
        session.user.name,
        " ",
        h("span", { class: "role" }, `(${session.user.role})`),
      ),
      signOut,
    ),
  );
  const element = h("div", { class: "layout" }, skip, top, h("div", { class: "body" }, nav, outlet));

  return {
    element,
    outlet,
    /**
     * Marks the navigation entry of the page shown (the longest route prefix of the path).
     * @param {string} path
     */
    setCurrent(path) {
      let best = null;
      for (const entry of links) {
        const p = entry.route.path;
        const hit = p === "/" ? path === "/" : path === p || path.startsWith(`${p}/`);
        if (hit && (best === null || p.length > best.route.path.length)) best = entry;
      }
      for (const entry of links) {
        if (entry === best) entry.link.setAttribute("aria-current", "page");
        else entry.link.removeAttribute("aria-current");
      }
    },
  };
}
