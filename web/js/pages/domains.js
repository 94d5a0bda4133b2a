// @ts-check
/**
 * @module web/pages/domains
 * Watched domains: registered lookalikes and subdomain takeover risks. A placeholder until the page is built.
 */
import { comingSoon } from "./coming-soon.js";

export default comingSoon(
  "Domains",
  "Registered lookalike domains and dangling DNS records under the watched domains.",
  "/api/v1/alerts?source=dns",
);
