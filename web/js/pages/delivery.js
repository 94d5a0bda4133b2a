// @ts-check
/**
 * @module web/pages/delivery
 * Delivery targets: pending notifications, last error, send a test. A placeholder until the page is built.
 */
import { comingSoon } from "./coming-soon.js";

export default comingSoon(
  "Delivery",
  "Each delivery target (e-mail, SIEM, webhook): pending notifications, the last error, and a test button.",
  "/api/v1/delivery",
);
