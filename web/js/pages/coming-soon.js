// @ts-check
/**
 * @module web/pages/coming-soon
 * What a page that is not built yet shows: its title, what it will hold, and the API route that already serves
 * the data. Each placeholder module is one call of this; replace the module to build the page.
 */
import { h } from "../h.js";
import { message, pageHeader } from "../ui.js";

/**
 * @param {string} title
 * @param {string} what  what the page will show
 * @param {string} apiPath  the REST route with the data, e.g. "/api/v1/certificates"
 * @returns {import("../router.js").Page}
 */
export function comingSoon(title, what, apiPath) {
  return () =>
    h(
      "section",
      null,
      pageHeader(title),
      h("p", null, what),
      message("info", [
        "This page is not built yet. The data is in the REST API: ",
        h("code", null, apiPath),
        ".",
      ]),
    );
}
