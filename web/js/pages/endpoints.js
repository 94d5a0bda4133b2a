// @ts-check
/**
 * @module web/pages/endpoints
 * The scan schedule: configured and managed endpoints, last and next run, scan now. A placeholder until the page is built.
 */
import { comingSoon } from "./coming-soon.js";

export default comingSoon(
  "Endpoints",
  "Every scanned endpoint, its last and next scan, and a button to scan it now.",
  "/api/v1/endpoints",
);
